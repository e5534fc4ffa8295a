package integration

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLTopicNamesNonASCIIOnLatin1Server: on a server whose default
// character set is latin1 (MariaDB's default before 11.6), tables and
// columns named outside ASCII, or with a backtick, keep their names from
// the snapshot to the stream: each table's snapshot and streamed records
// land in one topic, which is a name Kafka accepts (Debezium's
// sanitising: each character outside [A-Za-z0-9._-] becomes '_'), with
// the columns' real names as fields and the text of a latin1 column
// intact. The worker warns once per table whose topic it renamed. A real
// worker produces to the broker and a consumer reads the records back.
func TestMySQLTopicNamesNonASCIIOnLatin1Server(t *testing.T) {
	t.Parallel()
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{
		ExtraArgs: []string{"--character-set-server=latin1", "--collation-server=latin1_swedish_ci"},
	})
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if cs, err := db.Variable(ctx, "character_set_server"); err != nil || cs != "latin1" {
		t.Fatalf("character_set_server = %q (%v), want latin1", cs, err)
	}
	// The harness's own connections are latin1 on this server too: the
	// scripts say which character set their text is in.
	exec := func(script string) {
		t.Helper()
		if err := db.ExecScript(ctx, "SET NAMES utf8mb4;\n"+script); err != nil {
			t.Fatal(err)
		}
	}
	exec("CREATE DATABASE d5 CHARACTER SET utf8mb4;\n" +
		"CREATE TABLE d5.`tä` (`ñ` INT PRIMARY KEY, v VARCHAR(5), l VARCHAR(5) CHARACTER SET latin1);\n" +
		"CREATE TABLE d5.`back``tick` (id INT PRIMARY KEY, `wért` VARCHAR(5));\n" +
		"CREATE TABLE d5.plain (id INT PRIMARY KEY);\n" +
		"INSERT INTO d5.`tä` VALUES (1, 'é', 'ü');\n" +
		"INSERT INTO d5.`back``tick` VALUES (1, 'a');\n" +
		"INSERT INTO d5.plain VALUES (1);\n")

	prefix := k.Topic("c9")
	rest, w := gapsWorker(t, k)
	gapsCreateConnector(t, rest, "names", map[string]string{
		"connector.class":    "MySqlConnector",
		"database.hostname":  db.Host(),
		"database.port":      strconv.Itoa(db.Port()),
		"database.user":      db.User(),
		"database.password":  db.Password(),
		"database.server.id": "6405",
		"database.ssl.mode":  "disabled",
		"topic.prefix":       prefix,
		"table.include.list": `d5\..*`,
	})
	w.waitTaskRunning("names")
	exec("INSERT INTO d5.`tä` VALUES (2, 'è', 'ß');\n" +
		"INSERT INTO d5.`back``tick` VALUES (2, 'b');\n" +
		"INSERT INTO d5.plain VALUES (2);\n")

	type event struct {
		Op     string
		After  map[string]any
		Source struct{ Table string }
	}
	read := func(topic string) ([]map[string]any, []event) {
		t.Helper()
		msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, 2, 60*time.Second)
		if err != nil {
			topics, _ := k.Topics(ctx)
			t.Fatalf("%s: %v; the broker has %q\n%s", topic, err, topics, w.log.String())
		}
		var keys []map[string]any
		var evs []event
		for _, m := range msgs {
			var key map[string]any
			var ev event
			if err := json.Unmarshal(m.Key, &key); err != nil {
				t.Fatalf("%s: key %q: %v", topic, m.Key, err)
			}
			if err := json.Unmarshal(m.Value, &ev); err != nil {
				t.Fatalf("%s: value %q: %v", topic, m.Value, err)
			}
			keys, evs = append(keys, key), append(evs, ev)
		}
		return keys, evs
	}
	for _, c := range []struct {
		topic, table, keyField string
		after                  []map[string]any
	}{
		{prefix + ".d5.t_", "tä", "ñ", []map[string]any{{"ñ": 1.0, "v": "é", "l": "ü"}, {"ñ": 2.0, "v": "è", "l": "ß"}}},
		{prefix + ".d5.back_tick", "back`tick", "id", []map[string]any{{"id": 1.0, "wért": "a"}, {"id": 2.0, "wért": "b"}}},
		{prefix + ".d5.plain", "plain", "id", []map[string]any{{"id": 1.0}, {"id": 2.0}}},
	} {
		keys, evs := read(c.topic)
		for i, ev := range evs {
			wantOp := []string{"r", "c"}[i]
			if ev.Op != wantOp || ev.Source.Table != c.table {
				t.Errorf("%s record %d: op %q table %q, want op %q table %q", c.topic, i, ev.Op, ev.Source.Table, wantOp, c.table)
			}
			if want := map[string]any{c.keyField: float64(i + 1)}; !jsonEqual(keys[i], want) {
				t.Errorf("%s record %d (op %s): key %v, want %v", c.topic, i, ev.Op, keys[i], want)
			}
			if !jsonEqual(ev.After, c.after[i]) {
				t.Errorf("%s record %d (op %s): after %v, want %v", c.topic, i, ev.Op, ev.After, c.after[i])
			}
		}
	}
	// Nothing went to a topic named after the mangled or the raw names.
	topics, err := k.Topics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	valid := regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)
	var data []string
	for _, topic := range topics {
		if !valid.MatchString(topic) {
			t.Errorf("topic %q is not a valid Kafka topic name", topic)
		}
		if strings.HasPrefix(topic, prefix+".d5.") {
			data = append(data, topic)
		}
	}
	slices.Sort(data)
	if want := []string{prefix + ".d5.back_tick", prefix + ".d5.plain", prefix + ".d5.t_"}; !slices.Equal(data, want) {
		t.Errorf("data topics %q, want %q", data, want)
	}
	// The snapshot and the stream route each table, but the renaming is
	// reported once per table.
	log := w.log.String()
	for topic, want := range map[string]int{prefix + ".d5.t_": 1, prefix + ".d5.back_tick": 1, prefix + ".d5.plain": 0} {
		n := 0
		for _, line := range strings.Split(log, "\n") {
			if strings.Contains(line, "not a valid Kafka topic name") && strings.Contains(line, topic) {
				n++
			}
		}
		if n != want {
			t.Errorf("%d warnings name %s, want %d:\n%s", n, topic, want, log)
		}
	}
}

// jsonEqual compares decoded JSON objects.
func jsonEqual(a, b map[string]any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
