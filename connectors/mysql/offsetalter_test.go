package mysql

import (
	"strings"
	"testing"
)

// TestAlterOffsets: PATCH …/offsets is refused for what the task would
// refuse on resume, naming the problem and the valid shape; resets and
// Debezium-shaped offsets pass, with Kafka's framework-managed answer.
func TestAlterOffsets(t *testing.T) {
	const own = `{"server":"inventory"}`
	props := map[string]string{"connector.class": "MySqlConnector", "topic.prefix": " inventory ", "database.port": "${env:PORT}"}
	cases := []struct {
		name    string
		part    string
		off     map[string]any
		wantErr []string
	}{
		{name: "file and pos", part: own, off: map[string]any{"file": "mysql-bin.000003", "pos": int64(154)}},
		{name: "Debezium's full offset", part: own, off: map[string]any{"file": "mysql-bin.000003", "pos": int64(154), "row": int64(1), "event": int64(2),
			"ts_sec": int64(1700000000), "server_id": int64(1), "gtids": "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5", "transaction_id": nil}},
		{name: "MariaDB gtids alone", part: own, off: map[string]any{"gtids": "0-1-100"}},
		{name: "number as decimal string, as the task reads it", part: own, off: map[string]any{"file": "b.000001", "pos": "4"}},
		{name: "key order", part: `{ "server" : "inventory" }`, off: map[string]any{"file": "b.000001", "pos": int64(4)}},
		{name: "reset own", part: own},
		{name: "reset a foreign partition", part: `{"server":"other"}`},
		{name: "unknown keys only", part: own, off: map[string]any{"foo": int64(4)},
			wantErr: []string{`offset for partition {"server":"inventory"} cannot be used: offset has neither "file" nor "gtids": {"foo":4}`, `a valid offset is what Debezium stores: {"file": "mysql-bin.000003", "pos": 154}`}},
		{name: "pos not a number", part: own, off: map[string]any{"pos": "x"}, wantErr: []string{`neither "file" nor "gtids"`}},
		{name: "pos a string", part: own, off: map[string]any{"file": "b.000001", "pos": "x"}, wantErr: []string{`offset field "pos": x is not a binlog position`}},
		{name: "pos out of range", part: own, off: map[string]any{"file": "b.000001", "pos": int64(1) << 33}, wantErr: []string{`is not a binlog position`}},
		{name: "file without pos", part: own, off: map[string]any{"file": "b.000001"}, wantErr: []string{`offset has "file" but no "pos"`}},
		{name: "file not a string", part: own, off: map[string]any{"file": int64(3), "pos": int64(4), "gtids": "0-1-1"}, wantErr: []string{`offset field "file" must be a string, got 3`}},
		{name: "row negative", part: own, off: map[string]any{"file": "b.000001", "pos": int64(4), "row": int64(-1)}, wantErr: []string{`negative "event" or "row"`}},
		{name: "event fractional", part: own, off: map[string]any{"file": "b.000001", "pos": int64(4), "event": 1.5}, wantErr: []string{`offset field "event"`}},
		{name: "bad gtids", part: own, off: map[string]any{"gtids": "not a gtid set"}, wantErr: []string{`"not a gtid set" is neither a MySQL nor a MariaDB GTID set`}},
		{name: "foreign partition", part: `{"server":"other"}`, off: map[string]any{"file": "b.000001", "pos": int64(4)},
			wantErr: []string{`partition {"server":"other"} is not this connector's: its offset is stored under the partition {"server":"inventory"}`, "only a null offset"}},
		{name: "extra partition key", part: `{"server":"inventory","db":"x"}`, off: map[string]any{"file": "b.000001", "pos": int64(4)}, wantErr: []string{"is not this connector's"}},
		{name: "other partition key", part: `{"bogus":"inventory"}`, off: map[string]any{"file": "b.000001", "pos": int64(4)}, wantErr: []string{"is not this connector's"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			managed, err := NewConnector().AlterOffsets(props, map[string]map[string]any{c.part: c.off})
			if managed {
				t.Error("AlterOffsets reported true; the offsets are framework-managed, as Debezium's")
			}
			if len(c.wantErr) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted; want an error containing %q", c.wantErr)
			}
			for _, w := range c.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestAlterOffsetsLegacyServerName: database.server.name names the
// partition when topic.prefix is unset, as it does for the task.
func TestAlterOffsetsLegacyServerName(t *testing.T) {
	props := map[string]string{"database.server.name": "legacy"}
	off := map[string]any{"file": "b.000001", "pos": int64(4)}
	if _, err := NewConnector().AlterOffsets(props, map[string]map[string]any{`{"server":"legacy"}`: off}); err != nil {
		t.Fatalf("own partition refused: %v", err)
	}
	if _, err := NewConnector().AlterOffsets(props, map[string]map[string]any{`{"server":"inventory"}`: off}); err == nil {
		t.Fatal("foreign partition accepted")
	}
}
