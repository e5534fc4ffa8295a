package integration

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/connect"
	jsonconv "github.com/sluicehq/sluice/converters/json"
	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLIncludeSchemaComments: with include.schema.comments a column's
// COMMENT is its field schema's doc, in the snapshot and after DDL changes
// it in the stream (read from information_schema, and from the DDL itself
// with a schema history file), and JsonConverter with schemas carries it.
func TestMySQLIncludeSchemaComments(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE shop",
		`CREATE TABLE shop.c (id INT PRIMARY KEY COMMENT 'row id', price DECIMAL(8,2) COMMENT 'in "EUR", net — before tax', plain INT)`,
		`INSERT INTO shop.c VALUES (1, 2.50, 3)`)
	doc := func(t *testing.T, rec *connect.SourceRecord, field string) string {
		t.Helper()
		_, _, after := myEnvelope(t, rec)
		f, ok := after.Schema().Field(field)
		if !ok {
			t.Fatalf("no field %s in %v", field, after.Schema())
		}
		return f.Schema.Doc
	}
	jc := jsonconv.NewConverter()
	if err := jc.Configure(map[string]string{"schemas.enable": "true"}, false); err != nil {
		t.Fatal(err)
	}
	plainDoc := "" // what the previous pass's ALTER left
	for i, history := range []string{"", t.TempDir() + "/history.jsonl"} {
		props := []string{"table.include.list", `shop\.c`, "snapshot.mode", "initial", "include.schema.comments", "true", "include.schema.changes", "false"}
		if history != "" {
			props = append(props, "schema.history.internal.file.filename", history)
		}
		offsets := &myOffsets{}
		task := myStartTask(t, myStreamProps(m, props...), offsets)
		snap := myPollN(t, task, offsets, 1)
		if got := doc(t, snap[0], "price"); got != `in "EUR", net — before tax` {
			t.Fatalf("pass %d snapshot: price doc %q", i, got)
		}
		if got := doc(t, snap[0], "id"); got != "row id" {
			t.Fatalf("pass %d snapshot: id doc %q", i, got)
		}
		if got := doc(t, snap[0], "plain"); got != plainDoc {
			t.Fatalf("pass %d snapshot: plain doc %q, want %q", i, got, plainDoc)
		}
		out, err := jc.FromConnectData(snap[0].Topic, nil, snap[0].ValueSchema, snap[0].Value)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), `"doc":"in \"EUR\", net — before tax"`) {
			t.Fatalf("JsonConverter output lacks the doc: %s", out)
		}
		newComment := "pass " + string(rune('a'+i))
		myExec(t, m, `ALTER TABLE shop.c MODIFY plain INT COMMENT '`+newComment+`'`, `UPDATE shop.c SET plain = plain + 1`)
		recs := myPollN(t, task, offsets, 1)
		if got := doc(t, recs[0], "plain"); got != newComment {
			t.Fatalf("pass %d stream after ALTER: plain doc %q, want %q", i, got, newComment)
		}
		if got := doc(t, recs[0], "price"); got != `in "EUR", net — before tax` {
			t.Fatalf("pass %d stream: price doc %q", i, got)
		}
		_ = task.Stop()
		plainDoc = newComment
	}
	// Without the key the schemas carry no docs.
	offsets := &myOffsets{}
	task := myStartTask(t, myStreamProps(m, "table.include.list", `shop\.c`, "snapshot.mode", "initial", "include.schema.changes", "false"), offsets)
	if got := doc(t, myPollN(t, task, offsets, 1)[0], "price"); got != "" {
		t.Fatalf("without include.schema.comments: price doc %q", got)
	}
}
