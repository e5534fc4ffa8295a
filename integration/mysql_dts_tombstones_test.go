package integration

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLDTSFormatsNoTombstones: DTS, Canal, Shareplex and Maxwell
// consumers read every message of a topic as a change in their format, and
// none of those formats has a tombstone. With the connector's
// value.converter set to one of them, a delete was still followed by a null
// message (tombstones.on.delete defaulted to true): a DTS consumer reading
// the topic hit an empty message after every delete. Asked for explicitly,
// tombstones still come.
func TestMySQLDTSFormatsNoTombstones(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts MariaDB and a worker process")
	}
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	myExec(t, db, "CREATE DATABASE dt")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, tc := range []struct {
		name, tombstones string
		want             int // messages: 2 snapshot rows, a delete, its tombstone when asked for
	}{
		{"default", "", 3},
		{"asked", "true", 4},
	} {
		table := "dt.t_" + tc.name
		myExec(t, db, "CREATE TABLE "+table+" (id INT PRIMARY KEY, v VARCHAR(10))", "INSERT INTO "+table+" VALUES (1, 'a'), (2, 'b')")
		conn := map[string]string{
			"database.server.id": map[string]string{"default": "5745", "asked": "5746"}[tc.name],
			"table.include.list": `dt\.t_` + tc.name,
			"value.converter":    "io.sluice.converters.CanalJsonConverter",
			"snapshot.mode":      "initial",
		}
		if tc.tombstones != "" {
			conn["tombstones.on.delete"] = tc.tombstones
		}
		kw := newK9Worker(t, k, db, "dt"+tc.name, conn)
		w := kw.start()
		topic := kw.prefix + "." + table
		if _, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, 2, 30*time.Second); err != nil {
			w.stop()
			t.Fatalf("%s: snapshot: %v\n%s", tc.name, err, w.log.String())
		}
		myExec(t, db, "DELETE FROM "+table+" WHERE id = 1")
		msgs, err := harness.ReadAll(ctx, k.Bootstrap(), topic, 2*time.Second)
		w.stop()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		nulls := 0
		for _, m := range msgs {
			if m.Value == nil {
				nulls++
				continue
			}
			var v map[string]any
			if err := json.Unmarshal(m.Value, &v); err != nil || v["type"] == nil {
				t.Errorf("%s: offset %v is not Canal JSON: %q", tc.name, m.TopicPartition.Offset, m.Value)
			}
		}
		if len(msgs) != tc.want || (tc.tombstones == "" && nulls != 0) || (tc.tombstones == "true" && nulls != 1) {
			t.Errorf("%s (tombstones.on.delete=%q): %d messages, %d null; want %d", tc.name, tc.tombstones, len(msgs), nulls, tc.want)
		}
	}
}
