package integration

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/connectors/mysql"
	"github.com/sluicehq/sluice/integration/harness"
)

// myOffsets is the runtime's side of offsets for these tests: the offset
// of the last record the "producer" acknowledged, per source partition.
type myOffsets struct {
	mu sync.Mutex
	m  map[string]map[string]any
}

func (o *myOffsets) Offset(_ context.Context, partition map[string]any) (map[string]any, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.m[fmt.Sprint(partition)], nil
}

func (o *myOffsets) ack(r *connect.SourceRecord) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[string]map[string]any{}
	}
	// As the runtime: a record without an offset moves nothing.
	if r.SourcePartition == nil || !r.HasOffset() {
		return
	}
	o.m[fmt.Sprint(r.SourcePartition)] = r.Offset()
}

type myTaskContext struct {
	props   map[string]string
	offsets *myOffsets
}

func (c *myTaskContext) Configs() map[string]string                       { return c.props }
func (c *myTaskContext) OffsetStorageReader() connect.OffsetStorageReader { return c.offsets }

func myStreamProps(m *harness.MariaDB, extra ...string) map[string]string {
	p := map[string]string{
		"database.hostname":  m.Host(),
		"database.port":      fmt.Sprint(m.Port()),
		"database.user":      m.User(),
		"database.password":  m.Password(),
		"database.server.id": "5501",
		"topic.prefix":       "srv",
		"snapshot.mode":      "no_data",
		"poll.interval.ms":   "100",
		"database.ssl.mode":  "disabled",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		p[extra[i]] = extra[i+1]
	}
	return p
}

func myStartTask(t *testing.T, props map[string]string, offsets *myOffsets) *mysql.Task {
	t.Helper()
	task := mysql.NewTask()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := task.Start(ctx, &myTaskContext{props: props, offsets: offsets}, props); err != nil {
		t.Fatalf("start task: %v", err)
	}
	t.Cleanup(func() { _ = task.Stop() })
	return task
}

// mySchemaSnapshot reports a record of the schema snapshot a start writes
// (the captured tables' CREATE TABLE, source.snapshot not false). The
// helpers below leave them out: they test rows and streamed DDL, and
// myStreamProps' no_data start writes one whenever tables exist;
// mysql_snapshot_schema_test.go reads them.
func mySchemaSnapshot(r *connect.SourceRecord) bool {
	v, ok := r.Value.(*connect.Struct)
	if !ok || v == nil || v.Schema().Name != connect.SchemaChangeValueName {
		return false
	}
	src, _ := v.Get("source").(*connect.Struct)
	return src != nil && src.GetString("snapshot") != "false"
}

// myPollN polls until n records arrived (acknowledging each), or fails.
// Schema snapshot records are acknowledged and left out (mySchemaSnapshot).
func myPollN(t *testing.T, task *mysql.Task, offsets *myOffsets, n int) []*connect.SourceRecord {
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
			if offsets != nil {
				offsets.ack(r)
			}
			if mySchemaSnapshot(r) {
				continue
			}
			out = append(out, r)
		}
	}
	return out
}

// myPollQuiet checks that nothing more arrives for a while.
func myPollQuiet(t *testing.T, task *mysql.Task) {
	t.Helper()
	for i := 0; i < 5; i++ {
		recs, err := task.Poll(context.Background())
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		recs = slices.DeleteFunc(recs, mySchemaSnapshot)
		if len(recs) > 0 {
			t.Fatalf("unexpected records: %s", myDescribe(recs))
		}
	}
}

func myDescribe(recs []*connect.SourceRecord) string {
	var b strings.Builder
	for _, r := range recs {
		fmt.Fprintf(&b, "\n  %s key=%v value=%v offset=%v", r.Topic, r.Key, r.Value, r.Offset())
	}
	return b.String()
}

func myExec(t *testing.T, m *harness.MariaDB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if err := m.Exec(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
}

func myEnvelope(t *testing.T, r *connect.SourceRecord) (op string, before, after *connect.Struct) {
	t.Helper()
	v, ok := r.Value.(*connect.Struct)
	if !ok {
		t.Fatalf("record on %s has value %T, want the envelope", r.Topic, r.Value)
	}
	if err := v.Validate(); err != nil {
		t.Fatalf("envelope does not validate against its schema: %v", err)
	}
	b, _ := v.Get(connect.FieldBefore).(*connect.Struct)
	a, _ := v.Get(connect.FieldAfter).(*connect.Struct)
	return v.GetString(connect.FieldOp), b, a
}

func TestMySQLStreamTypes(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE shop",
		`CREATE TABLE shop.types (
			id INT UNSIGNED NOT NULL PRIMARY KEY,
			ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED,
			mi MEDIUMINT, miu MEDIUMINT UNSIGNED, i INT, bi BIGINT, biu BIGINT UNSIGNED,
			d DECIMAL(65,30), d2 DECIMAL(10,2) UNSIGNED, f FLOAT, db DOUBLE,
			b1 BIT(1), b10 BIT(10), y YEAR,
			dt DATE, tm TIME(6), tm0 TIME, dtm DATETIME, dtm3 DATETIME(3), dtm6 DATETIME(6),
			ts TIMESTAMP NULL, ts6 TIMESTAMP(6) NULL,
			c CHAR(5), vc VARCHAR(20), tx TEXT, l1 VARCHAR(10) CHARACTER SET latin1,
			bn BINARY(4), vb VARBINARY(8), bl BLOB,
			e ENUM('small','medium','large'), st SET('a','b','c'),
			j JSON, g GEOMETRY, p POINT
		)`)
	props := myStreamProps(m)
	offsets := &myOffsets{}
	task := myStartTask(t, props, offsets)

	myExec(t, m, `SET time_zone = '+00:00'`)
	myExec(t, m, `INSERT INTO shop.types VALUES (1,
		-128, 255, -32768, 65535, -8388608, 16777215, -2147483648, -9223372036854775808, 18446744073709551615,
		'-12345678901234567890123456789012345.123456789012345678901234567890', 99999999.99, 1.5, -2.25,
		b'1', b'1000000001', 2155,
		'2024-02-29', '-838:59:59.000000', '12:34:56', '2024-01-02 03:04:05', '1969-12-31 23:59:59.999', '2024-01-02 03:04:05.123456',
		'2038-01-19 03:14:07', '1970-01-01 00:00:01.000001',
		'ab', 'héllo wörld 😀', 'text', 'café',
		x'0102', x'00ff', x'deadbeef',
		'medium', 'a,c',
		'{"k": [1, 2.5, "x"]}', ST_GeomFromText('LINESTRING(0 0,1 1)', 4326), ST_GeomFromText('POINT(1.5 -2)'))`)
	myExec(t, m, `INSERT INTO shop.types (id) VALUES (2)`)

	recs := myPollN(t, task, offsets, 2)
	op, before, after := myEnvelope(t, recs[0])
	if op != "c" || before != nil || after == nil {
		t.Fatalf("first record op=%q before=%v after=%v", op, before, after)
	}
	if recs[0].Topic != "srv.shop.types" {
		t.Errorf("topic %q", recs[0].Topic)
	}
	key := recs[0].Key.(*connect.Struct)
	if key.Schema().Name != "srv.shop.types.Key" || key.Get("id") != int64(1) {
		t.Errorf("key %v (%s)", key, key.Schema().Name)
	}
	dec := func(s string) connect.Decimal {
		d, err := connect.ParseDecimal(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	bytesOf := func(h string) []byte {
		b, _ := hex.DecodeString(h)
		return b
	}
	want := map[string]any{
		"id": int64(1), "ti": int16(-128), "tiu": int16(255), "si": int16(-32768), "siu": int32(65535),
		"mi": int32(-8388608), "miu": int32(16777215), "i": int32(-2147483648), "bi": int64(-9223372036854775808),
		"biu": int64(-1), // long mode: the same 64 bits
		"d":   dec("-12345678901234567890123456789012345.123456789012345678901234567890"),
		"d2":  dec("99999999.99"), "f": float32(1.5), "db": float64(-2.25),
		"b1": true, "b10": []byte{0x01, 0x02}, "y": int32(2155),
		"dt": int32(19782), "tm": int64(-(838*3600 + 59*60 + 59) * 1_000_000), "tm0": int64((12*3600 + 34*60 + 56) * 1_000_000),
		"dtm": int64(1704164645000), "dtm3": int64(-1), "dtm6": int64(1704164645123456),
		"ts": "2038-01-19T03:14:07Z", "ts6": "1970-01-01T00:00:01.000001Z",
		"c": "ab", "vc": "héllo wörld 😀", "tx": "text", "l1": "café",
		"bn": []byte{1, 2, 0, 0}, "vb": []byte{0, 0xff}, "bl": bytesOf("deadbeef"),
		"e": "medium", "st": "a,c",
	}
	for name, w := range want {
		if got := after.Get(name); !connect.ValuesEqual(got, w) {
			t.Errorf("column %s = %#v (%T), want %#v (%T)", name, got, got, w, w)
		}
	}
	if j, _ := after.Get("j").(string); strings.ReplaceAll(j, " ", "") != `{"k":[1,2.5,"x"]}` {
		t.Errorf("json column = %q", j)
	}
	g := after.Get("g").(*connect.Struct)
	if g.Get("srid") != int32(4326) || len(g.Get("wkb").([]byte)) != 41 {
		t.Errorf("geometry = %v", g)
	}
	p := after.Get("p").(*connect.Struct)
	if p.Get("x") != 1.5 || p.Get("y") != -2.0 {
		t.Errorf("point = %v", p)
	}
	// Column metadata travels in the field parameters.
	f, _ := after.Schema().Field("d2")
	if f.Schema.Param(connect.ParamColumnType) != "DECIMAL" || f.Schema.Param(connect.ParamColumnUnsigned) != "true" ||
		f.Schema.Param(connect.ParamColumnScale) != "2" || f.Schema.Param(connect.ParamColumnLength) != "10" {
		t.Errorf("d2 parameters %v", f.Schema.Parameters)
	}
	f, _ = after.Schema().Field("l1")
	if f.Schema.Param(connect.ParamColumnCharset) != "latin1" {
		t.Errorf("l1 parameters %v", f.Schema.Parameters)
	}
	if pk := after.Schema().Param(connect.ParamPrimaryKey); pk != "id" {
		t.Errorf("primary key parameter %q", pk)
	}
	_, _, after2 := myEnvelope(t, recs[1])
	for _, fld := range after2.Schema().Fields() {
		if fld.Name != "id" && after2.Get(fld.Name) != nil {
			t.Errorf("row 2 column %s = %v, want null", fld.Name, after2.Get(fld.Name))
		}
	}

	// Update then delete: before images, tombstone after the delete.
	myExec(t, m, `UPDATE shop.types SET vc = 'changed', i = 7 WHERE id = 1`, `DELETE FROM shop.types WHERE id = 2`)
	recs = myPollN(t, task, offsets, 3)
	op, before, after = myEnvelope(t, recs[0])
	if op != "u" || before.Get("vc") != "héllo wörld 😀" || after.Get("vc") != "changed" || after.Get("i") != int32(7) {
		t.Errorf("update: op %q before %v after %v", op, before, after)
	}
	op, before, after = myEnvelope(t, recs[1])
	if op != "d" || before.Get("id") != int64(2) || after != nil {
		t.Errorf("delete: op %q before %v after %v", op, before, after)
	}
	if recs[2].Value != nil || !connect.ValuesEqual(recs[2].Key, recs[1].Key) {
		t.Errorf("want a tombstone after the delete, got %s", myDescribe(recs[2:]))
	}
	src := recs[0].Value.(*connect.Struct).GetStruct(connect.FieldSource)
	if src.Get(connect.SourceDB) != "shop" || src.Get(connect.SourceTable) != "types" || src.Get(connect.SourceName) != "srv" ||
		!strings.HasPrefix(src.GetString(connect.SourceFile), "") || src.Get(connect.SourceGTID) == nil {
		t.Errorf("source %v", src)
	}
	myPollQuiet(t, task)
}

func TestMySQLStreamPrimaryKeyChangeAndFilters(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE a", "CREATE DATABASE b",
		"CREATE TABLE a.t (id INT PRIMARY KEY, v VARCHAR(10), secret VARCHAR(10))",
		"CREATE TABLE a.skip (id INT PRIMARY KEY)",
		"CREATE TABLE b.t (id INT PRIMARY KEY)")
	offsets := &myOffsets{}
	task := myStartTask(t, myStreamProps(m, "table.include.list", "a\\.t", "column.exclude.list", "a\\.t\\.secret"), offsets)
	myExec(t, m, "INSERT INTO a.skip VALUES (1)", "INSERT INTO b.t VALUES (1)",
		"INSERT INTO a.t VALUES (1, 'x', 's')", "UPDATE a.t SET id = 2 WHERE id = 1")
	recs := myPollN(t, task, offsets, 4)
	ops := []string{}
	for _, r := range recs {
		if r.Value == nil {
			ops = append(ops, "tombstone")
			continue
		}
		op, _, _ := myEnvelope(t, r)
		ops = append(ops, op)
		if r.Topic != "srv.a.t" {
			t.Errorf("record for %s passed the filter", r.Topic)
		}
	}
	if strings.Join(ops, ",") != "c,d,tombstone,c" {
		t.Fatalf("ops %v, want c,d,tombstone,c (a key change is delete+tombstone+create)", ops)
	}
	_, _, after := myEnvelope(t, recs[3])
	if _, has := after.Schema().Field("secret"); has {
		t.Errorf("excluded column present: %v", after)
	}
	if recs[3].Key.(*connect.Struct).Get("id") != int32(2) || recs[1].Key.(*connect.Struct).Get("id") != int32(1) {
		t.Errorf("keys %v %v", recs[1].Key, recs[3].Key)
	}
	// Debezium links the halves: the delete and its tombstone carry the
	// new key as __debezium.newkey, the create the old key as
	// __debezium.oldkey, each with the key schema.
	for i, want := range []struct {
		name, absent string
		key          any
	}{{"", "", nil}, {mysql.HeaderPKNewKey, mysql.HeaderPKOldKey, recs[3].Key}, {mysql.HeaderPKNewKey, mysql.HeaderPKOldKey, recs[3].Key}, {mysql.HeaderPKOldKey, mysql.HeaderPKNewKey, recs[1].Key}} {
		if want.name == "" {
			// Internal headers (the transaction's position) are the
			// converters' and never reach Kafka.
			for _, h := range recs[i].Headers {
				if !connect.IsInternalHeader(h.Key) {
					t.Errorf("insert has headers %v", recs[i].Headers)
				}
			}
			continue
		}
		h, ok := recs[i].Headers.Last(want.name)
		if !ok || h.Value != want.key || h.Schema != recs[i].KeySchema {
			t.Errorf("%s record: %s = %+v, want key %v with the key schema", ops[i], want.name, h, want.key)
		}
		if _, ok := recs[i].Headers.Last(want.absent); ok {
			t.Errorf("%s record has %s", ops[i], want.absent)
		}
	}
	// Only the last record of a key change marks the row done.
	if fmt.Sprint(recs[1].Offset()) == fmt.Sprint(recs[3].Offset()) {
		t.Errorf("delete and create of a key change share the offset %v", recs[1].Offset())
	}
	myPollQuiet(t, task)
}

func TestMySQLStreamDDL(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE inv", "CREATE TABLE inv.items (id INT PRIMARY KEY, name VARCHAR(20))")
	offsets := &myOffsets{}
	task := myStartTask(t, myStreamProps(m, "skipped.operations", "none"), offsets)
	myExec(t, m, "INSERT INTO inv.items VALUES (1, 'one')",
		"ALTER TABLE inv.items ADD COLUMN price DECIMAL(8,2) NOT NULL DEFAULT 0",
		"INSERT INTO inv.items VALUES (2, 'two', 2.50)",
		"ALTER TABLE inv.items DROP COLUMN name",
		"INSERT INTO inv.items VALUES (3, 3.75)",
		"TRUNCATE TABLE inv.items")
	recs := myPollN(t, task, offsets, 7)
	var kinds []string
	for _, r := range recs {
		if r.Topic == "srv" {
			v := r.Value.(*connect.Struct)
			if err := v.Validate(); err != nil {
				t.Fatalf("schema change record: %v", err)
			}
			h, _ := r.Headers.Last(connect.HeaderDDLType)
			kinds = append(kinds, fmt.Sprint(h.Value))
			if v.Get("databaseName") != "inv" || !strings.Contains(v.GetString("ddl"), "inv.items") {
				t.Errorf("schema change %v", v)
			}
			continue
		}
		op, _, after := myEnvelope(t, r)
		kinds = append(kinds, op)
		if after == nil {
			continue
		}
		names := []string{}
		for _, f := range after.Schema().Fields() {
			names = append(names, f.Name)
		}
		switch after.Get("id") {
		case int32(1):
			if strings.Join(names, ",") != "id,name" || after.Get("name") != "one" {
				t.Errorf("row 1 before the DDL: %v", after)
			}
		case int32(2):
			if strings.Join(names, ",") != "id,name,price" || after.Get("price").(connect.Decimal).String() != "2.50" {
				t.Errorf("row 2 after ADD COLUMN: %v", after)
			}
		case int32(3):
			if strings.Join(names, ",") != "id,price" || after.Get("price").(connect.Decimal).String() != "3.75" {
				t.Errorf("row 3 after DROP COLUMN: %v", after)
			}
		}
	}
	if got := strings.Join(kinds, ","); got != "c,ALTER_TABLE,c,ALTER_TABLE,c,TRUNCATE_TABLE,t" {
		t.Errorf("records %s", got)
	}
}

// TestMySQLStreamResumeMidTransaction stops after part of a transaction was
// acknowledged and checks a restart continues with exactly the next row.
func TestMySQLStreamResumeMidTransaction(t *testing.T) {
	t.Parallel()
	// MariaDB always writes GTIDs; the file/pos case drops them from the
	// stored offset, as an offset written without GTIDs would be.
	for _, gtid := range []bool{false, true} {
		t.Run(fmt.Sprintf("gtid=%v", gtid), func(t *testing.T) {
			m := harness.MariaDBForTest(t, harness.MariaDBOptions{GTIDStrictMode: gtid})
			myExec(t, m, "CREATE DATABASE r", "CREATE TABLE r.t (id INT PRIMARY KEY, v INT)", "CREATE TABLE r.u (id INT PRIMARY KEY)")
			props := myStreamProps(m)
			offsets := &myOffsets{}
			task := myStartTask(t, props, offsets)
			tx, err := m.DB().Begin()
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{
				"INSERT INTO r.t VALUES (1,1),(2,2),(3,3)",
				"INSERT INTO r.u VALUES (1)",
				"INSERT INTO r.t VALUES (4,4),(5,5)",
				"UPDATE r.t SET v = v + 10",
			} {
				if _, err := tx.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			all := myPollN(t, task, nil, 11)
			_ = task.Stop()
			seen := func(r *connect.SourceRecord) string {
				op, _, a := myEnvelope(t, r)
				return fmt.Sprintf("%s:%s:%v", r.Topic, op, a)
			}
			for cut := 1; cut < len(all); cut++ {
				offsets := &myOffsets{}
				stored := map[string]any{}
				for k, v := range all[cut-1].Offset() {
					stored[k] = v
				}
				if stored["gtids"] == nil {
					t.Fatalf("offset %v has no gtids", stored)
				}
				if !gtid {
					delete(stored, "gtids")
				}
				offsets.ack(&connect.SourceRecord{SourcePartition: all[cut-1].SourcePartition, SourceOffset: stored})
				task := myStartTask(t, props, offsets)
				rest := myPollN(t, task, offsets, len(all)-cut)
				for i, r := range rest {
					if seen(r) != seen(all[cut+i]) {
						t.Fatalf("resume after record %d: record %d is %s, want %s", cut, i, seen(r), seen(all[cut+i]))
					}
				}
				myPollQuiet(t, task)
				_ = task.Stop()
			}
			// After the whole transaction: nothing is repeated, new rows come.
			offsets = &myOffsets{}
			offsets.ack(all[len(all)-1])
			task = myStartTask(t, props, offsets)
			myExec(t, m, "INSERT INTO r.u VALUES (2)")
			next := myPollN(t, task, offsets, 1)
			if _, _, a := myEnvelope(t, next[0]); next[0].Topic != "srv.r.u" || a.Get("id") != int32(2) {
				t.Fatalf("after a restart at the end: %s", myDescribe(next))
			}
		})
	}
}

func TestMySQLConnectorErrors(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	props := myStreamProps(m, "database.password", "wrong-secret")
	task := mysql.NewTask()
	err := task.Start(context.Background(), &myTaskContext{props: props, offsets: &myOffsets{}}, props)
	if err == nil || !strings.Contains(err.Error(), "Access denied") || !strings.Contains(err.Error(), "database.password") || strings.Contains(err.Error(), "wrong-secret") {
		t.Fatalf("wrong password: %v", err)
	}
	c := mysql.NewConnector()
	vals := c.Validate(context.Background(), myStreamProps(m))
	for _, v := range vals {
		if len(v.Errors) > 0 {
			t.Errorf("precheck of a good server: %s: %v", v.Name, v.Errors)
		}
	}
	bad := harness.MariaDBForTest(t, harness.MariaDBOptions{BinlogFormat: "STATEMENT", UserPrivileges: []string{"SELECT"}})
	vals = c.Validate(context.Background(), myStreamProps(bad))
	var msgs []string
	for _, v := range vals {
		msgs = append(msgs, v.Errors...)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"binlog_format=ROW", "REPLICATION SLAVE", "REPLICATION CLIENT"} {
		if !strings.Contains(all, want) {
			t.Errorf("precheck errors do not mention %q:\n%s", want, all)
		}
	}
}

// TestMySQLMessageKeyColumns: message.key.columns gives a table without a
// primary key a record key, and replaces a primary key as the key of
// another; a change of the key columns is a delete of the old key (with
// its tombstone) and a create of the new one, as for a primary key.
func TestMySQLMessageKeyColumns(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE shop",
		"CREATE TABLE shop.events (region VARCHAR(8) NOT NULL, seq INT NOT NULL, note VARCHAR(20))",
		"CREATE TABLE shop.users (id INT PRIMARY KEY, email VARCHAR(40))")
	task := myStartTask(t, myStreamProps(m, "table.include.list", `shop\..*`,
		"message.key.columns", `shop.events:region,seq;shop\.us.*:email`), &myOffsets{})
	myExec(t, m, "INSERT INTO shop.events VALUES ('eu', 1, 'a')",
		"UPDATE shop.events SET seq = 2 WHERE seq = 1",
		"DELETE FROM shop.events",
		"INSERT INTO shop.users VALUES (1, 'x@y.z')")
	recs := myPollN(t, task, nil, 1+3+2+1)
	type want struct {
		op  string
		key string
	}
	wants := []want{{"c", "eu/1"}, {"d", "eu/1"}, {"", "eu/1"}, {"c", "eu/2"}, {"d", "eu/2"}, {"", "eu/2"}, {"c", "x@y.z"}}
	for i, r := range recs {
		k, ok := r.Key.(*connect.Struct)
		if !ok || r.KeySchema == nil {
			t.Fatalf("record %d on %s has key %v, want a struct key", i, r.Topic, r.Key)
		}
		var key string
		if r.Topic == "srv.shop.users" {
			key = k.GetString("email")
			if len(r.KeySchema.Fields()) != 1 {
				t.Fatalf("users key schema %v: want email alone, in place of the primary key", r.KeySchema)
			}
		} else {
			key = fmt.Sprintf("%s/%d", k.GetString("region"), k.Get("seq"))
		}
		op := ""
		if r.Value != nil {
			op, _, _ = myEnvelope(t, r)
		}
		if op != wants[i].op || key != wants[i].key {
			t.Fatalf("record %d: op %q key %s, want op %q key %s\n%s", i, op, key, wants[i].op, wants[i].key, myDescribe(recs))
		}
	}
}

// TestMySQLColumnMasking: a masked column is masked in the snapshot and in
// the stream alike, and its field schema says so as Debezium's does.
func TestMySQLColumnMasking(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE crm", "CREATE TABLE crm.people (id INT PRIMARY KEY, email VARCHAR(60), ssn CHAR(11))",
		"INSERT INTO crm.people VALUES (1, 'ann@example.com', '123-45-6789')")
	task := myStartTask(t, myStreamProps(m, "table.include.list", `crm\.people`, "snapshot.mode", "initial",
		"column.mask.with.5.chars", `crm\.people\.ssn`, "column.truncate.to.3.chars", `crm\.people\.email`), &myOffsets{})
	myExec(t, m, "INSERT INTO crm.people VALUES (2, 'bob@example.com', '987-65-4321')")
	recs := myPollN(t, task, nil, 2)
	for _, r := range recs {
		_, _, after := myEnvelope(t, r)
		if after.GetString("ssn") != "*****" || len(after.GetString("email")) != 3 {
			t.Fatalf("%s row %v: want ssn masked and email cut to 3 characters", r.Topic, after)
		}
		// Debezium's column mappers mark the field schemas too.
		ssn, _ := after.Schema().Field("ssn")
		email, _ := after.Schema().Field("email")
		if ssn.Schema.Parameters["masked"] != "true" || email.Schema.Parameters["truncateLength"] != "3" {
			t.Fatalf("field parameters ssn %v email %v, want masked=true and truncateLength=3", ssn.Schema.Parameters, email.Schema.Parameters)
		}
	}
}
