package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/connectors/mysql"
	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLMariaDBOnlyDDL: DDL in MariaDB's own syntax, which the MySQL
// parser refuses, still makes schema-change records that name their table
// and carry its new definition, a TRUNCATE … WAIT still makes its truncate
// record, and rows written after such a DDL carry the new columns. The
// session has no default database, so nothing but the statement says which
// table it changes. Each statement runs once the stream has read the one
// before: information_schema, which such a DDL's definition comes from,
// then shows the table as the statement left it.
func TestMySQLMariaDBOnlyDDL(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE md", "CREATE TABLE md.t (id INT PRIMARY KEY, a INT)", "INSERT INTO md.t VALUES (1, 1)")
	offsets := &myOffsets{}
	task := myStartTask(t, myStreamProps(m, "table.include.list", `md\..*`, "snapshot.mode", "no_data", "skipped.operations", "none"), offsets)
	steps := []struct {
		sql  string
		want []string
	}{
		{"ALTER TABLE md.t ADD COLUMN u UUID", []string{`ddl md.t ALTER "md"."t" id:INT,a:INT,u:UUID`}},
		{"TRUNCATE TABLE md.t WAIT 1", []string{`ddl md.t `, "truncate srv.md.t"}},
		{"INSERT INTO md.t VALUES (2, 2, '123e4567-e89b-12d3-a456-426655440000')", []string{"row srv.md.t c id,a,u"}},
		{"CREATE OR REPLACE TABLE md.v (id INT PRIMARY KEY, n INET6, p INT AS (id * 2) PERSISTENT)", []string{`ddl md.v CREATE "md"."v" id:INT,n:INET6,p:INT`}},
		{"INSERT INTO md.v (id, n) VALUES (7, '::1')", []string{"row srv.md.v c id,n,p"}},
		{"ALTER TABLE md.t ADD COLUMN z VARCHAR(10) INVISIBLE, ALGORITHM=NOCOPY", []string{`ddl md.t ALTER "md"."t" id:INT,a:INT,u:UUID,z:VARCHAR`}},
		{"INSERT INTO md.t (id, a, u, z) VALUES (3, 3, NULL, 'zz')", []string{"row srv.md.t c id,a,u,z"}},
		{"CREATE OR REPLACE TABLE md.t (id INT PRIMARY KEY) WITH SYSTEM VERSIONING", []string{`ddl md.t CREATE "md"."t" id:INT`}},
		{"INSERT INTO md.t VALUES (4)", []string{"row srv.md.t c id"}},
		{"UPDATE md.t SET id = 5", []string{"row srv.md.t d id", "row srv.md.t c id"}},
	}
	var got []string
	describe := func(r *connect.SourceRecord) {
		v, ok := r.Value.(*connect.Struct)
		if !ok {
			return
		}
		if v.Schema().Name == connect.SchemaChangeValueName {
			src := v.Get(connect.FieldSource).(*connect.Struct)
			var changes []string
			for _, c := range v.Get("tableChanges").([]any) {
				tc := c.(*connect.Struct)
				var cols []string
				if tbl, ok := tc.Get("table").(*connect.Struct); ok {
					for _, col := range tbl.Get("columns").([]any) {
						cs := col.(*connect.Struct)
						cols = append(cols, fmt.Sprintf("%s:%s", cs.Get("name"), cs.Get("typeName")))
					}
				}
				changes = append(changes, fmt.Sprintf("%s %s %s", tc.Get("type"), tc.Get("id"), strings.Join(cols, ",")))
			}
			got = append(got, fmt.Sprintf("ddl %s.%s %s", src.Get(connect.SourceDB), src.Get(connect.SourceTable), strings.Join(changes, ";")))
			return
		}
		if v.GetString(connect.FieldOp) == connect.OpTruncate {
			got = append(got, "truncate "+r.Topic)
			return
		}
		op, _, columns := rowImage(v)
		got = append(got, fmt.Sprintf("row %s %s %s", r.Topic, op, columns))
	}
	var want []string
	for _, st := range steps {
		myExec(t, m, st.sql)
		want = append(want, st.want...)
		pollUntil(t, task, offsets, describe, func() bool { return len(got) >= len(want) }, 0, 30*time.Second)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("after %q the records are\n%q\nwant\n%q", st.sql, got, want)
		}
	}
}

// TestMySQLMariaDBCompressedColumns: the binlog carries MariaDB's
// COMPRESSED columns in a form the reader cannot decode, so the precheck
// refuses a captured table that has one, and a column made COMPRESSED
// while streaming stops the task with an error that says so and what to
// do, rather than go-mysql's bare "unsupport type".
func TestMySQLMariaDBCompressedColumns(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE mc", "CREATE TABLE mc.z (id INT PRIMARY KEY, v VARCHAR(100) COMPRESSED)", "CREATE TABLE mc.p (id INT PRIMARY KEY, v VARCHAR(100))")
	var precheck []string
	for _, cv := range mysql.NewConnector().Validate(context.Background(), myStreamProps(m, "table.include.list", `mc\..*`)) {
		precheck = append(precheck, cv.Errors...)
	}
	if all := strings.Join(precheck, " "); !strings.Contains(all, "column mc.z.v is a MariaDB COMPRESSED column") || strings.Contains(all, "mc.p") {
		t.Fatalf("precheck errors %q: want mc.z.v refused and mc.p accepted", precheck)
	}

	offsets := &myOffsets{}
	task := myStartTask(t, myStreamProps(m, "table.include.list", `mc\.p`, "snapshot.mode", "no_data"), offsets)
	myExec(t, m, "INSERT INTO mc.p VALUES (1, 'a')", "ALTER TABLE mc.p MODIFY v VARCHAR(100) COMPRESSED", "INSERT INTO mc.p VALUES (2, 'b')")
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := task.Poll(context.Background())
		if err != nil {
			if !strings.Contains(err.Error(), "MariaDB COMPRESSED column") || !strings.Contains(err.Error(), "execute-snapshot") {
				t.Fatalf("poll error %v: want one naming the COMPRESSED column and the way on", err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the row of a COMPRESSED column did not stop the task")
		}
	}
}

// TestMySQLMariaDBSequences: a MariaDB sequence is a one-row table to the
// binlog, rewritten as NEXTVAL hands out values; the snapshot reads base
// tables only, and the stream leaves sequences out too — also when the
// sequence is gone by the time the stream reads its rows.
func TestMySQLMariaDBSequences(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE sq", "CREATE SEQUENCE sq.s START WITH 100 INCREMENT BY 10 CACHE 2",
		"CREATE SEQUENCE sq.gone CACHE 2",
		"CREATE TABLE sq.t (id INT PRIMARY KEY DEFAULT (NEXT VALUE FOR sq.s), a INT)", "INSERT INTO sq.t (a) VALUES (1)")
	offsets := &myOffsets{}
	task := myStartTask(t, myStreamProps(m, "database.include.list", "sq", "snapshot.mode", "initial"), offsets)
	topics := map[string]int{}
	count := func(r *connect.SourceRecord) {
		if v, ok := r.Value.(*connect.Struct); ok && v.Schema().Name != connect.SchemaChangeValueName {
			topics[r.Topic]++
		}
	}
	pollUntil(t, task, offsets, count, func() bool { return snapshotDone(task) }, 500*time.Millisecond, 30*time.Second)
	myExec(t, m, "INSERT INTO sq.t (a) VALUES (2), (3), (4)", "SELECT NEXTVAL(sq.gone)", "SELECT NEXTVAL(sq.gone)", "SELECT NEXTVAL(sq.gone)",
		"DROP SEQUENCE sq.gone", "ALTER SEQUENCE sq.s RESTART 5", "INSERT INTO sq.t (a) VALUES (5)")
	pollUntil(t, task, offsets, count, func() bool { return topics["srv.sq.t"] >= 5 }, time.Second, 30*time.Second)
	if want := map[string]int{"srv.sq.t": 5}; fmt.Sprint(topics) != fmt.Sprint(want) {
		t.Fatalf("records per topic %v, want %v", topics, want)
	}
}
