package integration

import (
	"context"
	"testing"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLReselectPostProcessor: Debezium's ReselectColumnsPostProcessor
// configured in post.processors fills the columns a minimal row image
// leaves out of an update with the table's current values: by the primary
// key (a latin1 key with a non-ASCII value among them), only for the
// columns the include list names, and by the record key's columns
// (message.key.columns) for a table without a primary key.
func TestMySQLReselectPostProcessor(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE shop",
		`CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(20), qty INT, note TEXT, extra INT, gone VARCHAR(5))`,
		`INSERT INTO shop.items VALUES (1, 'apple', 1, 'crisp', 7, NULL)`,
		`CREATE TABLE shop.tags (code VARCHAR(10) CHARACTER SET latin1 PRIMARY KEY, label VARCHAR(20) CHARACTER SET utf8mb4, n INT)`,
		`INSERT INTO shop.tags VALUES ('café', 'Crème', 1)`,
		`CREATE TABLE shop.nokey (a INT NOT NULL, b VARCHAR(10), c INT)`,
		`INSERT INTO shop.nokey VALUES (3, 'three', 0)`,
		`CREATE TABLE shop.events (day DATE, at DATETIME(3), seq BIGINT UNSIGNED, amount DECIMAL(8,2), what TEXT, n INT, PRIMARY KEY (day, at, seq, amount))`,
		`INSERT INTO shop.events VALUES ('2024-02-29', '2024-02-29 23:59:59.125', 18446744073709551615, -12.50, 'leap', 0)`)

	offsets := &myOffsets{}
	task := myStartTask(t, myStreamProps(m, "table.include.list", `shop\.(items|tags|nokey|events)`,
		"message.key.columns", "shop.nokey:a",
		"post.processors", "reselector,other",
		"reselector.type", "io.debezium.processors.reselect.ReselectColumnsPostProcessor",
		"reselector.reselect.columns.include.list", `shop\.items:(name|note|gone),shop\.tags:.*,shop\.nokey:b,shop\.events:what`,
		"reselector.reselect.use.event.key", "true",
		"other.type", "com.example.SomeProcessor"), offsets)

	ctx := context.Background()
	conn, err := m.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{
		"SET SESSION binlog_row_image = 'MINIMAL'",
		"UPDATE shop.items SET qty = 5 WHERE id = 1",
		"UPDATE shop.tags SET n = 2 WHERE code = 'café'",
		"UPDATE shop.nokey SET c = 9 WHERE a = 3",
		"UPDATE shop.events SET n = 1",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	recs := myPollN(t, task, offsets, 4)
	after := map[string]*connect.Struct{}
	for _, r := range recs {
		op, _, a := myEnvelope(t, r)
		if op != "u" {
			t.Fatalf("op %s, want u: %s", op, myDescribe(recs))
		}
		after[r.Topic] = a
	}
	items, tags, nokey, events := after["srv.shop.items"], after["srv.shop.tags"], after["srv.shop.nokey"], after["srv.shop.events"]
	if items == nil || tags == nil || nokey == nil || events == nil {
		t.Fatalf("records: %s", myDescribe(recs))
	}
	// The minimal image carries id and qty; name and note are read again,
	// extra is not in the include list and stays NULL, gone is NULL in
	// the table as well.
	if items.Get("qty") != int32(5) || items.Get("name") != "apple" || items.Get("note") != "crisp" || items.Get("extra") != nil || items.Get("gone") != nil {
		t.Fatalf("items after image: %v", items)
	}
	if tags.Get("code") != "café" || tags.Get("label") != "Crème" || tags.Get("n") != int32(2) {
		t.Fatalf("tags after image: %v", tags)
	}
	if nokey.Get("a") != int32(3) || nokey.Get("b") != "three" || nokey.Get("c") != int32(9) {
		t.Fatalf("nokey after image: %v", nokey)
	}
	// A key of DATE, DATETIME(3), BIGINT UNSIGNED at its maximum and a
	// negative DECIMAL finds its row.
	if events.Get("what") != "leap" || events.Get("n") != int32(1) {
		t.Fatalf("events after image: %v", events)
	}
}

// TestMySQLReselectOff: without the post processor, and with
// reselect.null.values=false, the same minimal update keeps its NULLs:
// the reselect test above is not passing on values the image had anyway.
func TestMySQLReselectOff(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE shop",
		`CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(20), qty INT)`,
		`INSERT INTO shop.items VALUES (1, 'apple', 1)`)
	for i, extra := range [][]string{nil, {"post.processors", "r", "r.type", "io.debezium.processors.reselect.ReselectColumnsPostProcessor", "r.reselect.null.values", "false"}} {
		offsets := &myOffsets{}
		task := myStartTask(t, myStreamProps(m, append([]string{"table.include.list", `shop\.items`}, extra...)...), offsets)
		ctx := context.Background()
		conn, err := m.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"SET SESSION binlog_row_image = 'MINIMAL'", "UPDATE shop.items SET qty = qty + 1 WHERE id = 1"} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		_ = conn.Close()
		recs := myPollN(t, task, offsets, 1)
		_, _, a := myEnvelope(t, recs[0])
		if a.Get("name") != nil || a.Get("qty") != int32(2+i) {
			t.Fatalf("run %d: after image %v", i, a)
		}
		_ = task.Stop()
	}
}
