package integration

import (
	"testing"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLTinyIntOneToBooleanConverter: a Debezium config with
// converters=boolean and Debezium's TinyIntOneToBooleanConverter class
// turns BOOLEAN / TINYINT(1) columns into BOOLEAN fields (0 false, any
// other value true), in the snapshot and the stream, and leaves other
// TINYINTs alone; a selector with length.checker=false picks columns by
// name instead.
func TestMySQLTinyIntOneToBooleanConverter(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE shop",
		`CREATE TABLE shop.flags (id INT PRIMARY KEY, active BOOLEAN NOT NULL, maybe TINYINT(1) NULL, level TINYINT(4) NULL, u TINYINT(1) UNSIGNED NULL)`,
		`INSERT INTO shop.flags VALUES (1, TRUE, NULL, 7, 0), (2, FALSE, 5, -3, 255)`)
	const class = "io.debezium.connector.mysql.converters.TinyIntOneToBooleanConverter"

	type want struct {
		active       bool
		maybe, level any
		u            any
	}
	check := func(t *testing.T, recs []*connect.SourceRecord, wants []want, levelBool bool) {
		t.Helper()
		for i, rec := range recs {
			_, _, after := myEnvelope(t, rec)
			s := after.Schema()
			if f, ok := s.Field("active"); !ok || f.Schema.Type != connect.TypeBoolean || f.Schema.Optional {
				t.Fatalf("active: field %+v, want a required BOOLEAN", f)
			}
			if f, ok := s.Field("maybe"); !ok || f.Schema.Type != connect.TypeBoolean || !f.Schema.Optional {
				t.Fatalf("maybe: field %+v, want an optional BOOLEAN", f)
			}
			wantLevel := connect.TypeInt16
			if levelBool {
				wantLevel = connect.TypeBoolean
			}
			if f, ok := s.Field("level"); !ok || f.Schema.Type != wantLevel {
				t.Fatalf("level: field %+v, want %s", f, wantLevel)
			}
			w := wants[i]
			if after.Get("active") != w.active || after.Get("maybe") != w.maybe || after.Get("level") != w.level || after.Get("u") != w.u {
				t.Errorf("row %d: active=%v maybe=%v level=%v u=%v, want %+v", i+1, after.Get("active"), after.Get("maybe"), after.Get("level"), after.Get("u"), w)
			}
		}
	}

	t.Run("TINYINT(1) columns", func(t *testing.T) {
		offsets := &myOffsets{}
		task := myStartTask(t, myStreamProps(m, "table.include.list", `shop\.flags`, "snapshot.mode", "initial",
			"converters", "boolean", "boolean.type", class), offsets)
		defer task.Stop()
		snap := myPollN(t, task, offsets, 2)
		myExec(t, m, `INSERT INTO shop.flags VALUES (3, 2, 0, 1, 1)`)
		stream := myPollN(t, task, offsets, 1)
		check(t, append(snap, stream...), []want{
			{true, nil, int16(7), false},
			{false, true, int16(-3), true},
			{true, false, int16(1), true},
		}, false)
	})
	t.Run("selector without length check", func(t *testing.T) {
		offsets := &myOffsets{}
		task := myStartTask(t, myStreamProps(m, "table.include.list", `shop\.flags`, "snapshot.mode", "initial",
			"converters", "b", "b.type", "io.debezium.connector.binlog.converters.TinyIntOneToBooleanConverter",
			"b.selector", `SHOP\.flags\.(active|maybe|level)`, "b.length.checker", "false"), offsets)
		defer task.Stop()
		recs := myPollN(t, task, offsets, 3)
		check(t, recs, []want{
			{true, nil, true, int16(0)},
			{false, true, true, int16(255)},
			{true, false, true, int16(1)},
		}, true)
	})
}
