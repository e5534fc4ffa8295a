package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLUniqueKeyAsKey: a table without a primary key is keyed by its
// first unique index of NOT NULL columns (in the server's key order), as
// Debezium keys it, in its snapshot records and its streamed changes alike,
// read back from Kafka with a real consumer. Covered: the tester's table (a
// UNIQUE KEY on a NOT NULL column; its topic folds by key to exactly
// SELECT *), two such unique keys behind a nullable one (the first defined
// of the NOT NULL ones keys, even when it is not the first by name, and a
// change of it moves the row to its new key), a unique key with a nullable
// column (no key), and keys added and dropped by DDL (a primary key added
// to a table without a key, a unique key beside it that changes nothing,
// the primary key dropped so that the unique key keys, the unique key
// dropped, CREATE UNIQUE INDEX).
// Twice: with binlog_row_metadata=FULL, whose TABLE_MAP events name the
// promoted unique key as the primary key, keyed from information_schema;
// and with MINIMAL, whose events carry no key at all, keyed from the schema
// history's definitions computed from the DDL.
func TestMySQLUniqueKeyAsKey(t *testing.T) {
	t.Parallel()
	t.Run("full metadata", func(t *testing.T) {
		t.Parallel()
		uniqueKeyAsKey(t, harness.MariaDBOptions{}, false)
	})
	t.Run("minimal metadata, schema history", func(t *testing.T) {
		t.Parallel()
		uniqueKeyAsKey(t, harness.MariaDBOptions{BinlogRowMetadata: "MINIMAL"}, true)
	})
}

// ukRecord is a change record as a consumer reads it from a topic with
// JsonConverter and schemas disabled; key "" is a null key.
type ukRecord struct {
	key, op       string
	before, after map[string]any
}

func uniqueKeyAsKey(t *testing.T, opts harness.MariaDBOptions, history bool) {
	m := harness.MariaDBForTest(t, opts)
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	myExec(t, m, "CREATE DATABASE d5",
		"CREATE TABLE d5.uq (a INT NOT NULL, b INT, UNIQUE KEY ua(a))",
		"INSERT INTO d5.uq VALUES (1,1),(2,2)",
		"CREATE TABLE d5.two (a INT NOT NULL, b INT NOT NULL, c INT, UNIQUE KEY xc(c), UNIQUE KEY zb(b), UNIQUE KEY ya(a))",
		"INSERT INTO d5.two VALUES (1,10,100),(2,20,NULL)",
		"CREATE TABLE d5.nul (a INT, b INT, UNIQUE KEY ua(a))",
		"INSERT INTO d5.nul VALUES (1,1),(NULL,2)",
		"CREATE TABLE d5.later (a INT NOT NULL, b INT NOT NULL, c INT)",
		"INSERT INTO d5.later VALUES (1,10,0),(2,20,0)")
	rest, w := gapsWorker(t, k)
	prefix := k.Topic("uk")
	cfg := map[string]string{
		"connector.class":      "MySqlConnector",
		"database.hostname":    m.Host(),
		"database.port":        strconv.Itoa(m.Port()),
		"database.user":        m.User(),
		"database.password":    m.Password(),
		"database.server.id":   "6401",
		"database.ssl.mode":    "disabled",
		"topic.prefix":         prefix,
		"table.include.list":   `d5\..*`,
		"snapshot.mode":        "initial",
		"tombstones.on.delete": "false",
	}
	if history {
		cfg["schema.history.internal.file.filename"] = filepath.Join(t.TempDir(), "history.jsonl")
	}
	gapsCreateConnector(t, rest, "ukey", cfg)
	w.waitTaskRunning("ukey")

	read := func(table string, n int) []ukRecord {
		t.Helper()
		msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), prefix+".d5."+table, n, 60*time.Second)
		if err != nil {
			t.Fatalf("%v\n%s", err, w.log.String())
		}
		var out []ukRecord
		for _, msg := range msgs {
			var v struct {
				Op            string
				Before, After map[string]any
			}
			dec := json.NewDecoder(bytes.NewReader(msg.Value))
			dec.UseNumber()
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("%s: value %s: %v", table, msg.Value, err)
			}
			key := string(msg.Key)
			if key == "null" {
				key = ""
			}
			out = append(out, ukRecord{key: key, op: v.Op, before: v.Before, after: v.After})
		}
		return out
	}
	// keys checks a topic's records against "op key" lines ("" keys are
	// null keys).
	keys := func(table string, recs []ukRecord, want ...string) {
		t.Helper()
		var got []string
		for _, r := range recs {
			got = append(got, strings.TrimSpace(r.op+" "+r.key))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%s records (op key):\n%s\nwant:\n%s", table, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}

	// The snapshot keys each row as its later changes will be keyed.
	keys("uq", read("uq", 2), `r {"a":1}`, `r {"a":2}`)
	keys("two", read("two", 2), `r {"b":10}`, `r {"b":20}`)
	keys("nul", read("nul", 2), "r", "r")
	keys("later", read("later", 2), "r", "r")

	myExec(t, m, "UPDATE d5.uq SET b = 10 WHERE a = 1",
		"UPDATE d5.two SET c = 7 WHERE a = 2", "UPDATE d5.two SET b = 30 WHERE a = 1",
		"UPDATE d5.nul SET b = b + 10")
	uq := read("uq", 3)
	keys("uq", uq, `r {"a":1}`, `r {"a":2}`, `u {"a":1}`)
	two := read("two", 5)
	keys("two", two, `r {"b":10}`, `r {"b":20}`, `u {"b":20}`, `d {"b":10}`, `c {"b":30}`)
	keys("nul", read("nul", 4), "r", "r", "u", "u")
	ukFoldEqualsTable(t, m, "uq", uq)
	ukFoldEqualsTable(t, m, "two", two)

	// Keys added and dropped by DDL: each step's change is read before the
	// next DDL runs.
	steps := []struct{ ddl, key string }{
		{"", ""},
		{"ALTER TABLE d5.later ADD PRIMARY KEY (a)", `{"a":1}`},
		{"ALTER TABLE d5.later ADD UNIQUE KEY ub (b)", `{"a":1}`},
		{"ALTER TABLE d5.later DROP PRIMARY KEY", `{"b":10}`},
		{"ALTER TABLE d5.later DROP INDEX ub", ""},
		{"CREATE UNIQUE INDEX ub2 ON d5.later (b)", `{"b":10}`},
	}
	want := []string{"r", "r"}
	for i, st := range steps {
		if st.ddl != "" {
			myExec(t, m, st.ddl)
		}
		myExec(t, m, "UPDATE d5.later SET c = c + 1 WHERE a = 1")
		want = append(want, strings.TrimSpace("u "+st.key))
		recs := read("later", 3+i)
		keys("later", recs, want...)
	}
}

// ukFoldEqualsTable folds a topic's records by key and compares the result
// with SELECT * of the table.
func ukFoldEqualsTable(t *testing.T, m *harness.MariaDB, table string, recs []ukRecord) {
	t.Helper()
	fold := map[string]map[string]any{}
	for _, r := range recs {
		if r.key == "" {
			t.Fatalf("%s: a %s record without a key", table, r.op)
		}
		if r.op == "d" {
			delete(fold, r.key)
		} else {
			fold[r.key] = r.after
		}
	}
	rows, err := m.QueryMaps(context.Background(), "SELECT * FROM d5."+table)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(fold) {
		t.Fatalf("%s: the topic folds to %d rows, the table has %d: %v", table, len(fold), len(rows), fold)
	}
	for _, row := range rows {
		var match map[string]any
		for _, after := range fold {
			if fmt.Sprint(after["a"]) == row["a"] {
				match = after
			}
		}
		if match == nil {
			t.Fatalf("%s: row %v is not in the folded topic %v", table, row, fold)
		}
		for col, v := range match {
			want, ok := row[col]
			if got := fmt.Sprint(v); (v == nil) != !ok || (ok && got != want) {
				t.Errorf("%s: row a=%s column %s: topic %v, table %q (present %v)", table, row["a"], col, v, want, ok)
			}
		}
	}
}
