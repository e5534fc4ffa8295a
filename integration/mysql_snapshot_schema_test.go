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

// The schema snapshot: Debezium's MySQL connector starts a snapshot by
// writing the captured tables' definitions to the schema-change topic.

// ssSetup creates shop.a (2 rows), shop.b (1 row) and shop.skip, which the
// include list leaves out.
func ssSetup(t *testing.T) *harness.MariaDB {
	t.Helper()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE shop CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci",
		"CREATE TABLE shop.a (id INT NOT NULL PRIMARY KEY, name VARCHAR(20) NOT NULL)",
		"CREATE TABLE shop.b (id BIGINT NOT NULL PRIMARY KEY, x INT)",
		"CREATE TABLE shop.skip (id INT PRIMARY KEY)",
		"INSERT INTO shop.a VALUES (1, 'one'), (2, 'two')", "INSERT INTO shop.b VALUES (7, 70)", "INSERT INTO shop.skip VALUES (1)")
	return m
}

func ssProps(m *harness.MariaDB, extra ...string) map[string]string {
	return myStreamProps(m, append([]string{"table.include.list", `shop\.(a|b)`, "snapshot.mode", "initial",
		"snapshot.tables.order.by.row.count", "disabled", "snapshot.max.threads", "1"}, extra...)...)
}

// ssPoll polls until n records arrived, acknowledging only the first ack
// of them (all when ack < 0), as a runtime that committed no further
// before a crash.
func ssPoll(t *testing.T, task *mysql.Task, offsets *myOffsets, n, ack int) []*connect.SourceRecord {
	t.Helper()
	var out []*connect.SourceRecord
	deadline := time.Now().Add(30 * time.Second)
	for len(out) < n {
		if time.Now().After(deadline) {
			t.Fatalf("got %d records, want %d: %s", len(out), n, myDescribe(out))
		}
		recs, err := task.Poll(context.Background())
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		for _, r := range recs {
			if ack < 0 || len(out) < ack {
				offsets.ack(r)
			}
			out = append(out, r)
		}
	}
	return out
}

// ssQuiet checks that nothing more arrives for a while, schema snapshot
// records included (myPollQuiet leaves those out).
func ssQuiet(t *testing.T, task *mysql.Task) {
	t.Helper()
	for range 5 {
		recs, err := task.Poll(context.Background())
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		if len(recs) > 0 {
			t.Fatalf("unexpected records: %s", myDescribe(recs))
		}
	}
}

// ssDescribe renders each record as "ddl|snapshot" for a schema change,
// "op:table|snapshot" for a row.
func ssDescribe(t *testing.T, recs []*connect.SourceRecord) []string {
	t.Helper()
	var out []string
	for _, r := range recs {
		v, ok := r.Value.(*connect.Struct)
		if !ok {
			t.Fatalf("record on %s has value %T", r.Topic, r.Value)
		}
		if err := v.Validate(); err != nil {
			t.Fatalf("record on %s does not validate: %v", r.Topic, err)
		}
		src, _ := v.Get("source").(*connect.Struct)
		if v.Schema().Name == connect.SchemaChangeValueName {
			ddl := v.GetString("ddl")
			if strings.HasPrefix(ddl, "CREATE TABLE") {
				ddl = ddl[:strings.Index(ddl, "(")]
			}
			out = append(out, strings.TrimSpace(ddl)+"|"+src.GetString("snapshot"))
			continue
		}
		out = append(out, v.GetString(connect.FieldOp)+":"+src.GetString("table")+"|"+src.GetString("snapshot"))
	}
	return out
}

var ssDDL = []string{
	"DROP TABLE IF EXISTS `shop`.`a`|true",
	"DROP TABLE IF EXISTS `shop`.`b`|true",
	"DROP DATABASE IF EXISTS `shop`|true",
	"CREATE DATABASE `shop` CHARSET utf8mb4 COLLATE utf8mb4_general_ci|true",
	"USE `shop`|true",
	"CREATE TABLE `a`|true",
	"CREATE TABLE `b`|true",
}

func ssWant(tail ...string) string {
	return strings.Join(append(append([]string{}, ssDDL...), tail...), "\n")
}

// TestMySQLSnapshotSchemaChanges: an initial snapshot writes the captured
// tables' DDL (and the database's) to the schema-change topic before their
// rows, at the snapshot's position, with Debezium's key, source and
// tableChanges; tables the include list leaves out are not described.
func TestMySQLSnapshotSchemaChanges(t *testing.T) {
	t.Parallel()
	m := ssSetup(t)
	offsets := &myOffsets{}
	task := myStartTask(t, ssProps(m), offsets)
	recs := ssPoll(t, task, offsets, len(ssDDL)+3, -1)
	got := strings.Join(ssDescribe(t, recs), "\n")
	if want := ssWant("r:a|first", "r:a|last_in_data_collection", "r:b|last"); got != want {
		t.Fatalf("records:\n%s\nwant:\n%s", got, want)
	}
	rowPos := recs[len(ssDDL)].Value.(*connect.Struct).Get("source").(*connect.Struct)
	for i, r := range recs[:len(ssDDL)] {
		if r.Topic != "srv" {
			t.Errorf("record %d on topic %s, want the schema-change topic srv", i, r.Topic)
		}
		k, _ := r.Key.(*connect.Struct)
		if k == nil || k.GetString("databaseName") != "shop" {
			t.Errorf("record %d key %v, want databaseName shop", i, r.Key)
		}
		v := r.Value.(*connect.Struct)
		src := v.Get("source").(*connect.Struct)
		if src.GetString("file") != rowPos.GetString("file") || src.Get("pos") != rowPos.Get("pos") || src.GetString("db") != "shop" {
			t.Errorf("record %d source %v, want the snapshot's position %v", i, src, rowPos)
		}
		if v.GetString("databaseName") != "shop" {
			t.Errorf("record %d databaseName %q", i, v.GetString("databaseName"))
		}
	}
	// CREATE TABLE `a`: SHOW CREATE TABLE's text, a CREATE change with
	// the table's columns and primary key.
	create := recs[5].Value.(*connect.Struct)
	if ddl := create.GetString("ddl"); !strings.Contains(ddl, "`name` varchar(20) NOT NULL") || !strings.Contains(ddl, "PRIMARY KEY (`id`)") {
		t.Errorf("CREATE TABLE text: %s", ddl)
	}
	if tbl := create.Get("source").(*connect.Struct).GetString("table"); tbl != "a" {
		t.Errorf("CREATE TABLE source.table %q", tbl)
	}
	changes, _ := create.Get("tableChanges").([]any)
	if len(changes) != 1 {
		t.Fatalf("tableChanges %v", changes)
	}
	ch := changes[0].(*connect.Struct)
	if ch.GetString("type") != "CREATE" || ch.GetString("id") != `"shop"."a"` {
		t.Errorf("table change %v", ch)
	}
	table := ch.Get("table").(*connect.Struct)
	cols, _ := table.Get("columns").([]any)
	if pk := fmt.Sprint(table.Get("primaryKeyColumnNames")); pk != "[id]" || len(cols) != 2 ||
		cols[1].(*connect.Struct).GetString("name") != "name" || cols[1].(*connect.Struct).GetString("typeName") != "VARCHAR" {
		t.Errorf("table change table %v", table)
	}
	drop := recs[0].Value.(*connect.Struct).Get("tableChanges").([]any)
	if len(drop) != 1 || drop[0].(*connect.Struct).GetString("type") != "DROP" {
		t.Errorf("DROP TABLE tableChanges %v", drop)
	}
	if h, ok := recs[5].Headers.Last(connect.HeaderDDLType); !ok || fmt.Sprint(h.Value) != mysql.DDLCreateTable {
		t.Errorf("CREATE TABLE ddl type header %v", h)
	}

	// Streaming goes on as before: a later ALTER is the next DDL.
	myExec(t, m, "ALTER TABLE shop.a ADD COLUMN c INT")
	if got := ssDescribe(t, ssPoll(t, task, offsets, 1, -1)); got[0] != "ALTER TABLE shop.a ADD COLUMN c INT|false" {
		t.Fatalf("streamed DDL: %v", got)
	}
}

// TestMySQLSnapshotSchemaChangesResume: a snapshot interrupted before the
// last schema change was committed writes them all again; one interrupted
// after writes none again, and a finished snapshot none at all.
func TestMySQLSnapshotSchemaChangesResume(t *testing.T) {
	t.Parallel()
	m := ssSetup(t)
	props := ssProps(m, "max.batch.size", "1", "snapshot.fetch.size", "1", "snapshot.chunk.size", "1")

	// Three of the seven committed: all seven again, then the rows.
	offsets := &myOffsets{}
	task := myStartTask(t, props, offsets)
	ssPoll(t, task, offsets, 3, 3)
	_ = task.Stop()
	task = myStartTask(t, props, offsets)
	if got, want := strings.Join(ssDescribe(t, ssPoll(t, task, offsets, len(ssDDL)+1, len(ssDDL))), "\n"), ssWant("r:a|first_in_data_collection"); got != want {
		t.Fatalf("restart after a partial schema snapshot:\n%s\nwant:\n%s", got, want)
	}
	// All seven committed (the first row not): the rows, no DDL.
	_ = task.Stop()
	task = myStartTask(t, props, offsets)
	if got := strings.Join(ssDescribe(t, ssPoll(t, task, offsets, 3, -1)), "\n"); got != "r:a|first_in_data_collection\nr:a|last_in_data_collection\nr:b|last" {
		t.Fatalf("restart after the schema snapshot:\n%s", got)
	}
	ssQuiet(t, task)
	_ = task.Stop()
	// Finished: streaming, nothing written again.
	task = myStartTask(t, props, offsets)
	ssQuiet(t, task)
}

// TestMySQLSnapshotSchemaChangesModes: include.schema.changes=false writes
// no schema snapshot; no_data writes it (the last record marked last) and
// streams; a Canal JSON value converter leaves it out (Canal writes no DDL
// for an initial load) and keeps every row.
func TestMySQLSnapshotSchemaChangesModes(t *testing.T) {
	t.Parallel()
	m := ssSetup(t)

	task := myStartTask(t, ssProps(m, "include.schema.changes", "false"), &myOffsets{})
	if got := strings.Join(ssDescribe(t, ssPoll(t, task, &myOffsets{}, 3, -1)), "\n"); got != "r:a|first\nr:a|last_in_data_collection\nr:b|last" {
		t.Fatalf("include.schema.changes=false:\n%s", got)
	}
	ssQuiet(t, task)
	_ = task.Stop()

	offsets := &myOffsets{}
	task = myStartTask(t, ssProps(m, "snapshot.mode", "no_data"), offsets)
	recs := ssPoll(t, task, offsets, len(ssDDL), -1)
	want := append([]string{}, ssDDL...)
	want[len(want)-1] = "CREATE TABLE `b`|last"
	if got := strings.Join(ssDescribe(t, recs), "\n"); got != strings.Join(want, "\n") {
		t.Fatalf("no_data:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	myExec(t, m, "INSERT INTO shop.b VALUES (8, 80)")
	if got := ssDescribe(t, ssPoll(t, task, offsets, 1, -1)); got[0] != "c:b|false" {
		t.Fatalf("no_data stream: %v", got)
	}
	_ = task.Stop()
	task = myStartTask(t, ssProps(m, "snapshot.mode", "no_data"), offsets)
	ssQuiet(t, task) // a stored offset: no schema snapshot again
	_ = task.Stop()

	task = myStartTask(t, ssProps(m, "value.converter", "io.sluice.converters.CanalJsonConverter", "topic.prefix", "canal"), &myOffsets{})
	if got := strings.Join(ssDescribe(t, ssPoll(t, task, &myOffsets{}, 4, -1)), "\n"); got != "r:a|first\nr:a|last_in_data_collection\nr:b|first_in_data_collection\nr:b|last" { // b has the row no_data streamed
		t.Fatalf("canal json:\n%s", got)
	}
	ssQuiet(t, task)
}

// TestMySQLSnapshotSchemaChangesAddedTables: tables added to the include
// list later are snapshotted beside the stream, and each is described on
// the schema-change topic ahead of its first row, at its first chunk's
// point, as Debezium's blocking snapshot describes the tables it reads: a
// consumer that builds its tables from that topic learns them. A database
// none of whose tables was captured before is created IF NOT EXISTS; a
// database already captured is never dropped (its tables would go with
// it). A later ALTER of an added table streams after its CREATE; a
// restart after the tables were read writes nothing again, and one before
// a table's rows were committed describes it again.
func TestMySQLSnapshotSchemaChangesAddedTables(t *testing.T) {
	t.Parallel()
	m := ssSetup(t)
	myExec(t, m, "CREATE DATABASE extra CHARACTER SET latin1 COLLATE latin1_swedish_ci",
		"CREATE TABLE extra.n (id INT NOT NULL PRIMARY KEY, v VARCHAR(10))", "INSERT INTO extra.n VALUES (5, 'five')",
		"CREATE TABLE extra.k (v INT)", "INSERT INTO extra.k VALUES (1)")
	offsets := &myOffsets{}
	task := myStartTask(t, ssProps(m), offsets)
	ssPoll(t, task, offsets, len(ssDDL)+3, -1)
	_ = task.Stop()

	added := ssProps(m, "table.include.list", `shop\.(a|b|skip),extra\.(k|n)`)
	// First run: everything up to the first DDL record of shop.skip
	// committed, nothing after it. extra.k has no key: read whole.
	want := []string{
		"DROP TABLE IF EXISTS `extra`.`k`|true",
		"CREATE DATABASE IF NOT EXISTS `extra` CHARSET latin1 COLLATE latin1_swedish_ci|true",
		"USE `extra`|true",
		"CREATE TABLE `k`|true",
		"r:k|first",
		"DROP TABLE IF EXISTS `extra`.`n`|true",
		"CREATE DATABASE IF NOT EXISTS `extra` CHARSET latin1 COLLATE latin1_swedish_ci|true",
		"USE `extra`|true",
		"CREATE TABLE `n`|true",
		"r:n|first_in_data_collection",
		"DROP TABLE IF EXISTS `shop`.`skip`|true",
		"USE `shop`|true",
		"CREATE TABLE `skip`|true",
		"r:skip|last",
	}
	task = myStartTask(t, added, offsets)
	recs := ssPoll(t, task, offsets, len(want), 11)
	if got := strings.Join(ssDescribe(t, recs), "\n"); got != strings.Join(want, "\n") {
		t.Fatalf("added tables:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	for i, r := range recs {
		if strings.HasPrefix(ssDescribe(t, recs[i:i+1])[0], "r:") {
			continue
		}
		if r.Topic != "srv" {
			t.Errorf("record %d on topic %s, want the schema-change topic srv", i, r.Topic)
		}
	}
	create := recs[12].Value.(*connect.Struct)
	if ddl := create.GetString("ddl"); !strings.Contains(ddl, "PRIMARY KEY (`id`)") || create.GetString("databaseName") != "shop" {
		t.Errorf("CREATE TABLE of shop.skip: %s (database %q)", ddl, create.GetString("databaseName"))
	}
	changes, _ := create.Get("tableChanges").([]any)
	if len(changes) != 1 || changes[0].(*connect.Struct).GetString("type") != "CREATE" || changes[0].(*connect.Struct).GetString("id") != `"shop"."skip"` {
		t.Errorf("CREATE TABLE of shop.skip tableChanges %v", changes)
	}
	// The description is at the chunk's point, as the rows are.
	rowSrc := recs[13].Value.(*connect.Struct).Get("source").(*connect.Struct)
	createSrc := create.Get("source").(*connect.Struct)
	if createSrc.GetString("file") != rowSrc.GetString("file") || createSrc.Get("pos") != rowSrc.Get("pos") || createSrc.GetString("table") != "skip" {
		t.Errorf("CREATE TABLE source %v, want the chunk's point %v", createSrc, rowSrc)
	}
	_ = task.Stop()

	// Restarted before shop.skip's row was committed: it is described and
	// read again; extra.k and extra.n, done, are not.
	task = myStartTask(t, added, offsets)
	if got, want := strings.Join(ssDescribe(t, ssPoll(t, task, offsets, 4, -1)), "\n"), strings.Join(want[10:], "\n"); got != want {
		t.Fatalf("restart before shop.skip's row was committed:\n%s\nwant:\n%s", got, want)
	}
	ssQuiet(t, task)
	myExec(t, m, "ALTER TABLE shop.skip ADD COLUMN c INT")
	if got := ssDescribe(t, ssPoll(t, task, offsets, 1, -1)); got[0] != "ALTER TABLE shop.skip ADD COLUMN c INT|false" {
		t.Fatalf("streamed DDL of an added table: %v", got)
	}
	_ = task.Stop()
	task = myStartTask(t, added, offsets)
	ssQuiet(t, task)
}
