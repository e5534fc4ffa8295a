package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/connectors/mysql"
	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLMariaDBInetTypes: MariaDB's UUID, INET6 and INET4 columns,
// which the binlog carries as bytes, come out as the text MariaDB itself
// prints for them, from the stream and from the snapshot alike (IPv4-mapped
// and -compatible addresses, the zero address, a UUID key the snapshot
// pages through in chunks), and a row filter compares them as that text.
func TestMySQLMariaDBInetTypes(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE s",
		"CREATE TABLE s.t (id INT PRIMARY KEY, u UUID, i6 INET6, i4 INET4)",
		"CREATE TABLE s.k (u UUID PRIMARY KEY, n INT)")
	props := []string{"table.include.list", `s\.(t|k)`, "table.filter.conditions", `{"s.k": "u <> '00000000-0000-0000-0000-000000000003'"}`}
	offsets := &myOffsets{}
	stream := myStartTask(t, myStreamProps(m, props...), offsets)
	rows := []string{
		"(1, '123e4567-e89b-12d3-a456-426655440000', '2001:db8::ff00:42:8329', '192.168.0.1')",
		"(2, '550e8400-e29b-41d4-a716-446655440000', '::ffff:192.168.0.1', '0.0.0.0')",
		"(3, '00000000-0000-0000-0000-000000000000', '::', '255.255.255.255')",
		"(4, 'ffffffff-ffff-1fff-bfff-ffffffffff00', '::1.2.3.4', '10.0.0.1')",
		"(5, '6ccd780c-baba-1026-9564-5b8c656024db', '1::', NULL)",
		"(6, NULL, 'fe80::1:0:0:0', '1.2.3.4')",
		"(7, NULL, '::1', NULL)", "(8, NULL, '::2', NULL)", "(9, NULL, '::1:0:0', NULL)",
		"(10, NULL, '0:0:0:0:0:0:1:0', NULL)", "(11, NULL, '::0.1.2.3', NULL)",
	}
	for _, r := range rows {
		myExec(t, m, "INSERT INTO s.t VALUES "+r)
	}
	for i := 1; i <= 7; i++ {
		myExec(t, m, fmt.Sprintf("INSERT INTO s.k VALUES ('00000000-0000-0000-0000-%012d', %d)", i, i))
	}
	streamed := myPollN(t, stream, offsets, len(rows)+6) // s.k's row 3 is filtered out
	_ = stream.Stop()

	snap := myStartTask(t, myStreamProps(m, append(props, "snapshot.mode", "initial_only", "snapshot.chunk.size", "2")...), &myOffsets{})
	var snapped []*connect.SourceRecord
	pollUntil(t, snap, nil, func(r *connect.SourceRecord) { snapped = append(snapped, r) }, func() bool { return snapshotDone(snap) }, 300*time.Millisecond, 30*time.Second)

	server := map[string]map[string]string{}
	for _, q := range []string{"SELECT * FROM s.t", "SELECT * FROM s.k WHERE u <> '00000000-0000-0000-0000-000000000003'"} {
		got, err := m.QueryMaps(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range got {
			key := r["id"]
			if key == "" {
				key = r["u"]
			}
			server[key] = r
		}
	}
	for _, phase := range []struct {
		name string
		recs []*connect.SourceRecord
	}{{"stream", streamed}, {"snapshot", snapped}} {
		if len(phase.recs) != len(server) {
			t.Fatalf("%s: %d records, the server has %d rows", phase.name, len(phase.recs), len(server))
		}
		for _, r := range phase.recs {
			_, _, a := myEnvelope(t, r)
			key := fmt.Sprint(a.Get(a.Schema().Fields()[0].Name))
			want := server[key]
			if want == nil {
				t.Fatalf("%s: record %v has no row on the server", phase.name, a.Values())
			}
			for _, f := range a.Schema().Fields() {
				got, w := "<null>", "<null>"
				if v := a.Get(f.Name); v != nil {
					got = fmt.Sprint(v)
				}
				if s, ok := want[f.Name]; ok {
					w = s
				}
				if got != w {
					t.Errorf("%s: row %s column %s: %s, MariaDB prints %s", phase.name, key, f.Name, got, w)
				}
			}
		}
	}
	inetThroughConverters(t, m)
}

// inetThroughConverters runs s.t through a real worker with each of the
// converters that render MySQL's native types (Canal JSON, Maxwell JSON,
// Shareplex JSON, DTS Avro), a snapshot and then an update and an insert
// from the binlog, and reads the topics back with a Kafka consumer: every
// UUID, INET6 and INET4 value must be the text MariaDB prints, typed as a
// CHAR where the format says a type (Canal's sqlType 1 with the type's own
// name as mysqlType, DTS Avro's Character with dataTypeNumber 254).
func inetThroughConverters(t *testing.T, m *harness.MariaDB) {
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	table := func() map[string]map[string]string {
		rows, err := m.QueryMaps(ctx, "SELECT * FROM s.t")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]map[string]string{}
		for _, r := range rows {
			out[r["id"]] = r
		}
		return out
	}
	before := table()
	converters := []struct {
		name, class string
		decode      func(t *testing.T, b []byte) inetMsg
	}{
		{"canal", "io.sluice.converters.CanalJsonConverter", inetCanal},
		{"maxwell", "io.sluice.converters.MaxwellJsonConverter", inetMaxwell},
		{"shareplex", "io.sluice.converters.ShareplexJsonConverter", inetShareplex},
		{"dtsavro", "io.sluice.converters.DtsAvroConverter", inetDTSAvro(t)},
	}
	rest, w := gapsWorker(t, k)
	topics := make([]string, len(converters))
	for i, cv := range converters {
		cfg := myStreamProps(m, "connector.class", "MySqlConnector", "database.server.id", strconv.Itoa(6501+i),
			"topic.prefix", k.Topic("inet-"+cv.name), "table.include.list", `s\.t`, "snapshot.mode", "initial",
			"value.converter", cv.class)
		gapsCreateConnector(t, rest, "inet-"+cv.name, cfg)
		topics[i] = k.Topic("inet-"+cv.name) + ".s.t"
	}
	for i, cv := range converters {
		w.waitTaskRunning("inet-" + cv.name)
		if _, err := harness.ReadTopic(ctx, k.Bootstrap(), topics[i], len(before), 60*time.Second); err != nil {
			t.Fatalf("%s snapshot: %v\n%s", cv.name, err, w.log.String())
		}
	}
	myExec(t, m, "UPDATE s.t SET u = '6ccd780c-baba-1026-9564-5b8c656024dc', i6 = '::ffff:10.1.2.3', i4 = NULL WHERE id = 6",
		"INSERT INTO s.t VALUES (12, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2001:db8::1', '172.16.254.1')")
	after := table()
	for i, cv := range converters {
		t.Run(cv.name, func(t *testing.T) {
			msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), topics[i], len(before)+2, 60*time.Second)
			if err != nil {
				t.Fatalf("%v\n%s", err, w.log.String())
			}
			seen, updates := map[string]int{}, 0
			for _, msg := range msgs {
				got := cv.decode(t, msg.Value)
				id := got.after["id"]
				seen[id]++
				// The update and the insert come from the binlog, after
				// the changes; the other rows are the snapshot's.
				want := before[id]
				if got.update || id == "12" {
					want = after[id]
				}
				if want == nil {
					t.Fatalf("message for row %s, which the table never had: %s", id, msg.Value)
				}
				for _, col := range []string{"id", "u", "i6", "i4"} {
					if text := inetText(want, col); got.after[col] != text {
						t.Errorf("row %s column %s: %s, MariaDB prints %s\n%s", id, col, got.after[col], text, msg.Value)
					}
				}
				if got.update {
					updates++
					if id != "6" {
						t.Errorf("an update of row %s, which was inserted only\n%s", id, msg.Value)
					}
				}
				for col, v := range got.before {
					if text := inetText(before[id], col); v != text {
						t.Errorf("row %s: before-image column %s: %s, MariaDB printed %s\n%s", id, col, v, text, msg.Value)
					}
				}
			}
			if len(seen) != len(after) || seen["6"] != 2 || updates != 1 {
				t.Errorf("messages per row %v with %d updates: want each of the %d rows, row 6 twice (its update)", seen, updates, len(after))
			}
		})
	}
}

// inetMsg is one change message reduced to its row images: each column's
// text, "<null>" for NULL. before holds what the format carries of the
// old row (all of it, the changed columns only, or nothing).
type inetMsg struct {
	update        bool
	after, before map[string]string
}

func inetText(row map[string]string, col string) string {
	if v, ok := row[col]; ok {
		return v
	}
	return "<null>"
}

// inetStrings turns a decoded JSON object's values into inetMsg's texts.
func inetStrings(m map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if v == nil {
			out[k] = "<null>"
		} else {
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

func inetCanal(t *testing.T, b []byte) inetMsg {
	t.Helper()
	var c struct {
		Type      string                     `json:"type"`
		Data      []map[string]any           `json:"data"`
		Old       []map[string]any           `json:"old"`
		MySQLType map[string]string          `json:"mysqlType"`
		SQLType   map[string]json.RawMessage `json:"sqlType"`
	}
	if err := json.Unmarshal(b, &c); err != nil || len(c.Data) != 1 {
		t.Fatalf("not a one-row Canal JSON message (%v): %s", err, b)
	}
	if want := map[string]string{"id": "int", "u": "uuid", "i6": "inet6", "i4": "inet4"}; !reflect.DeepEqual(c.MySQLType, want) {
		t.Errorf("mysqlType %v, want %v", c.MySQLType, want)
	}
	sqlType := map[string]string{}
	for k, v := range c.SQLType {
		sqlType[k] = string(v)
	}
	if want := map[string]string{"id": "4", "u": "1", "i6": "1", "i4": "1"}; !reflect.DeepEqual(sqlType, want) {
		t.Errorf("sqlType %v, want %v", sqlType, want)
	}
	msg := inetMsg{update: c.Type == "UPDATE", after: inetStrings(c.Data[0])}
	if len(c.Old) == 1 {
		msg.before = inetStrings(c.Old[0])
	}
	return msg
}

func inetMaxwell(t *testing.T, b []byte) inetMsg {
	t.Helper()
	var c struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
		Old  map[string]any `json:"old"`
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber() // ids as their text
	if err := d.Decode(&c); err != nil || c.Data == nil {
		t.Fatalf("not a Maxwell JSON row message (%v): %s", err, b)
	}
	return inetMsg{update: c.Type == "update", after: inetStrings(c.Data), before: inetStrings(c.Old)}
}

func inetShareplex(t *testing.T, b []byte) inetMsg {
	t.Helper()
	var c struct {
		Meta struct {
			Op string `json:"op"`
		} `json:"meta"`
		Data map[string]any `json:"data"`
		Key  map[string]any `json:"key"`
	}
	if err := json.Unmarshal(b, &c); err != nil || c.Data == nil {
		t.Fatalf("not a Shareplex JSON row message (%v): %s", err, b)
	}
	if c.Meta.Op != "upd" {
		return inetMsg{after: inetStrings(c.Data)}
	}
	// An update's data holds the changed columns, its key the whole old row.
	after := inetStrings(c.Key)
	maps.Copy(after, inetStrings(c.Data))
	return inetMsg{update: true, after: after, before: inetStrings(c.Key)}
}

// inetDTSAvro decodes with goavro and the published dts-record.avsc.
func inetDTSAvro(t *testing.T) func(t *testing.T, b []byte) inetMsg {
	decode := cvDTSSpecCodec(t)
	return func(t *testing.T, b []byte) inetMsg {
		t.Helper()
		r := decode(b)
		var names []string
		for _, f := range cvObject(t, r["fields"], "fields")["array"].([]any) {
			f := f.(map[string]any)
			names = append(names, f["name"].(string))
			want := int32(254) // MYSQL_TYPE_STRING
			if f["name"] == "id" {
				want = 3
			}
			if f["dataTypeNumber"] != want {
				t.Errorf("column %s: dataTypeNumber %v, want %d", f["name"], f["dataTypeNumber"], want)
			}
		}
		image := func(field string) map[string]string {
			v, _ := r[field].(map[string]any)
			if v == nil {
				return nil
			}
			out := map[string]string{}
			for i, item := range v["array"].([]any) {
				switch x := item.(type) {
				case nil:
					out[names[i]] = "<null>"
				case map[string]any:
					if c, ok := x[cvDTSNS+"Character"].(map[string]any); ok && c["charset"] == "utf8mb4" {
						out[names[i]] = string(c["value"].([]byte))
					} else if n, ok := x[cvDTSNS+"Integer"].(map[string]any); ok {
						out[names[i]] = n["value"].(string)
					} else {
						t.Errorf("column %s: image item %v, want a utf8mb4 Character", names[i], x)
					}
				}
			}
			return out
		}
		return inetMsg{update: r["operation"] == "UPDATE", after: image("afterImages"), before: image("beforeImages")}
	}
}

// TestMySQLSystemVersionedTables: MariaDB's system-versioned tables, with
// implicit (row_start, row_end) and explicit periods. The binlog has every
// version of a row; the topics carry the changes of the current rows, with
// the fields the snapshot has, so that updates, deletes and DELETE HISTORY
// fold to exactly SELECT *, and no history row takes a current row's key.
// A table with transaction-precise history, which MariaDB logs as SQL
// statements only, is refused by the precheck, and its statements are
// counted and warned about rather than passed over in silence.
func TestMySQLSystemVersionedTables(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE s",
		"CREATE TABLE s.imp (id INT PRIMARY KEY, a INT) WITH SYSTEM VERSIONING",
		"CREATE TABLE s.exp (id INT PRIMARY KEY, a INT, rs TIMESTAMP(6) AS ROW START INVISIBLE, re TIMESTAMP(6) AS ROW END INVISIBLE, "+
			"PERIOD FOR SYSTEM_TIME(rs, re)) WITH SYSTEM VERSIONING",
		"CREATE TABLE s.trx (id INT PRIMARY KEY, a INT, rs BIGINT UNSIGNED AS ROW START INVISIBLE, re BIGINT UNSIGNED AS ROW END INVISIBLE, "+
			"PERIOD FOR SYSTEM_TIME(rs, re)) ENGINE=InnoDB WITH SYSTEM VERSIONING",
		"INSERT INTO s.imp VALUES (1, 10), (2, 20)", "INSERT INTO s.exp (id, a) VALUES (1, 10), (2, 20)")

	var precheck []string
	for _, cv := range mysql.NewConnector().Validate(context.Background(), myStreamProps(m, "table.include.list", `s\..*`)) {
		precheck = append(precheck, cv.Errors...)
	}
	if !strings.Contains(strings.Join(precheck, " "), "s.trx") || strings.Contains(strings.Join(precheck, " "), "s.imp") {
		t.Fatalf("precheck errors %v: want s.trx refused, s.imp and s.exp accepted", precheck)
	}

	offsets := &myOffsets{}
	// The task itself starts with s.trx too (the precheck is for creation):
	// its statements must then be reported.
	task := myStartTask(t, myStreamProps(m, "table.include.list", `s\..*`, "snapshot.mode", "initial"), offsets)
	fold := map[string]map[string]*connect.Struct{}
	fields := map[string]string{}
	apply := func(r *connect.SourceRecord) {
		v, ok := r.Value.(*connect.Struct)
		if !ok || v.Schema().Name == connect.SchemaChangeValueName {
			return
		}
		op, before, after := myEnvelope(t, r)
		img := after
		if op == connect.OpDelete {
			img = before
		}
		var names []string
		for _, f := range img.Schema().Fields() {
			names = append(names, f.Name)
		}
		if prev, ok := fields[r.Topic]; ok && prev != fmt.Sprint(names) {
			t.Fatalf("%s: a %s record has fields %v, an earlier one %s", r.Topic, op, names, prev)
		}
		fields[r.Topic] = fmt.Sprint(names)
		if fold[r.Topic] == nil {
			fold[r.Topic] = map[string]*connect.Struct{}
		}
		k := keyString(r.Key)
		if op == connect.OpDelete {
			delete(fold[r.Topic], k)
		} else {
			fold[r.Topic][k] = after
		}
	}
	pollUntil(t, task, offsets, apply, func() bool { return snapshotDone(task) }, 500*time.Millisecond, 30*time.Second)
	for _, tbl := range []string{"imp", "exp"} {
		myExec(t, m,
			"UPDATE s."+tbl+" SET a = a + 1",
			"INSERT INTO s."+tbl+" (id, a) VALUES (3, 30)",
			"UPDATE s."+tbl+" SET a = 99 WHERE id = 3",
			"DELETE FROM s."+tbl+" WHERE id = 1",
			"DELETE HISTORY FROM s."+tbl,
			"UPDATE s."+tbl+" SET a = a + 1 WHERE id = 2")
	}
	myExec(t, m, "INSERT INTO s.trx (id, a) VALUES (1, 1)", "UPDATE s.trx SET a = 2")
	pollUntil(t, task, offsets, apply, func() bool { return true }, time.Second, 30*time.Second)
	for _, tbl := range []string{"imp", "exp"} {
		topic := "srv.s." + tbl
		if strings.Contains(fields[topic], "row_") {
			t.Errorf("%s: fields %s carry the hidden period columns", topic, fields[topic])
		}
		rows, err := m.QueryMaps(context.Background(), "SELECT id, a FROM s."+tbl)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(fold[topic]) {
			t.Fatalf("%s folds to %d rows, SELECT * has %d: %v", topic, len(fold[topic]), len(rows), fold[topic])
		}
		for _, row := range rows {
			var got *connect.Struct
			for _, s := range fold[topic] {
				if fmt.Sprint(s.Get("id")) == row["id"] {
					got = s
				}
			}
			if got == nil || fmt.Sprint(got.Get("a")) != row["a"] {
				t.Errorf("%s id %s: topic has %v, the table a=%s", topic, row["id"], got, row["a"])
			}
		}
	}
	if statements := taskMetric(task, "statement_changes_total", ""); statements != 2 {
		t.Fatalf("statement_changes_total %v, want the 2 statements on s.trx", statements)
	}
}

// TestMySQLYearSignedness: MariaDB's SIGNEDNESS metadata gives a YEAR
// column a bit of its own, which MySQL's does not; the numeric columns
// after a YEAR keep their own signedness in the stream, as in the
// snapshot (a signed BIGINT of -1 is -1, not 2^64-1).
func TestMySQLYearSignedness(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE y",
		"CREATE TABLE y.t (id INT PRIMARY KEY, y YEAR, s BIGINT, i INT, u INT UNSIGNED, y2 YEAR, ti TINYINT, mu MEDIUMINT UNSIGNED, d DECIMAL(6,2), f DOUBLE)")
	props := []string{"table.include.list", `y\.t`, "bigint.unsigned.handling.mode", "precise"}
	offsets := &myOffsets{}
	stream := myStartTask(t, myStreamProps(m, props...), offsets)
	rows := []string{"(1, 2000, -1, -5, 4294967295, 1999, -128, 16777215, -1.50, -2.5)", "(2, NULL, -9223372036854775808, 7, 0, 2155, 127, 0, 3.25, 1e10)"}
	for _, r := range rows {
		myExec(t, m, "INSERT INTO y.t VALUES "+r)
	}
	streamed := myPollN(t, stream, offsets, len(rows))
	_ = stream.Stop()

	snap := myStartTask(t, myStreamProps(m, append(props, "snapshot.mode", "initial_only")...), &myOffsets{})
	var snapped []*connect.SourceRecord
	pollUntil(t, snap, nil, func(r *connect.SourceRecord) { snapped = append(snapped, r) }, func() bool { return snapshotDone(snap) }, 300*time.Millisecond, 30*time.Second)
	if len(snapped) != len(rows) {
		t.Fatalf("snapshot gave %d records, want %d", len(snapped), len(rows))
	}
	after := func(r *connect.SourceRecord) *connect.Struct {
		return r.Value.(*connect.Struct).GetStruct("after")
	}
	first := after(streamed[0])
	for col, want := range map[string]any{"s": int64(-1), "i": int32(-5), "u": int64(4294967295), "ti": int16(-128), "mu": int32(16777215), "y2": int32(1999)} {
		if got := first.Get(col); got != want {
			t.Errorf("streamed row 1 column %s = %#v, want %#v", col, got, want)
		}
	}
	for i := range rows {
		st, sn := after(streamed[i]), after(snapped[i])
		for _, f := range st.Schema().Fields() {
			if got, want := fmt.Sprint(st.Get(f.Name)), fmt.Sprint(sn.Get(f.Name)); got != want {
				t.Errorf("row %d column %s: stream %s, snapshot %s", i+1, f.Name, got, want)
			}
			if a, b := f.Schema, sn.Schema().Fields()[f.Index].Schema; a.Type != b.Type || a.Name != b.Name {
				t.Errorf("row %d column %s: stream schema %s %s, snapshot %s %s", i+1, f.Name, a.Type, a.Name, b.Type, b.Name)
			}
		}
	}
}
