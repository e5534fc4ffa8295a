package mysql

import (
	"encoding/json"
	"log/slog"
	"reflect"
	"testing"
)

func TestPositionRoundTrip(t *testing.T) {
	cases := []Position{
		{File: "mysql-bin.000003", Pos: 154, TsSec: 1700000000, ServerID: 1},
		{File: "binlog.000001", Pos: 4294967295, GTIDs: "0-1-42,1-2-7", Events: 3, Rows: 2, TsSec: 1, ServerID: 7},
		{File: "b.1", Pos: 4, GTIDs: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5", Snapshot: true},
		// In the middle of an ad-hoc snapshot (adhoc.go).
		{File: "binlog.000002", Pos: 77, GTIDs: "0-1-9", Captured: `{"ti":["s\\.a"]}`, AdhocPending: true,
			Adhoc: `{"v":1,"keys":{"s.b":["i:4096"]},"rows":{"s.b":4096}}`},
	}
	for _, p := range cases {
		m := p.Map()
		got, err := ParsePosition(m)
		if err != nil || got != p {
			t.Errorf("round trip of %+v: %+v, %v", p, got, err)
		}
		// Through JSON, as file and Kafka offset stores keep it.
		b, _ := json.Marshal(m)
		var back map[string]any
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if got, err := ParsePosition(back); err != nil || got != p {
			t.Errorf("JSON round trip of %+v: %+v, %v", p, got, err)
		}
	}
}

func TestPositionMapLeavesOutZeroCounters(t *testing.T) {
	m := Position{File: "f", Pos: 10}.Map()
	want := map[string]any{"file": "f", "pos": int64(10), "ts_sec": int64(0)}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("got %v, want %v", m, want)
	}
}

func TestParsePositionDebeziumOffset(t *testing.T) {
	// An offset as Debezium's MySQL connector stores it (JSON numbers).
	var m map[string]any
	if err := json.Unmarshal([]byte(`{"ts_sec":1700000000,"file":"mysql-bin.000003","pos":1234,"gtids":"a:1-3","row":1,"server_id":223344,"event":2}`), &m); err != nil {
		t.Fatal(err)
	}
	p, err := ParsePosition(m)
	want := Position{File: "mysql-bin.000003", Pos: 1234, GTIDs: "a:1-3", Events: 2, Rows: 1, TsSec: 1700000000, ServerID: 223344}
	if err != nil || p != want {
		t.Errorf("got %+v, %v", p, err)
	}
}

func TestParsePositionErrors(t *testing.T) {
	for _, m := range []map[string]any{
		nil,
		{"pos": 4},
		{"file": "f"},
		{"file": "f", "pos": -1},
		{"file": "f", "pos": 1.5},
		{"file": "f", "pos": 4, "row": "x"},
		{"file": "f", "pos": 4, "event": -2},
	} {
		if _, err := ParsePosition(m); err == nil {
			t.Errorf("ParsePosition(%v) accepted it", m)
		}
	}
}

// The progress a restart resumes an ad-hoc snapshot from: only tables that
// are still new count, and offsets without progress (written by the
// earlier method, or unreadable) read the new tables from their start.
func TestAdhocProgressFromOffset(t *testing.T) {
	log := slog.New(discardHandler{})
	names := map[string]bool{"s.b": true, "s.c": true}
	state := `{"v":1,"done":["s.c","s.x"],"keys":{"s.b":["i:4096"],"s.y":["i:1"]},"rows":{"s.b":4096,"s.c":10,"s.x":5}}`
	got := adhocProgress(Position{AdhocPending: true, Adhoc: state}, names, log)
	want := &snapshotState{V: 1, Done: []string{"s.c"}, Keys: map[string][]string{"s.b": {"i:4096"}}, Rows: map[string]int64{"s.b": 4096, "s.c": 10}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("progress %+v, want %+v", got, want)
	}
	for _, p := range []Position{
		{AdhocPending: true}, // the earlier method's offset
		{AdhocPending: true, Adhoc: "{not json"},
		{AdhocPending: true, Adhoc: `{"v":1,"done":["s.x"]}`}, // only tables no longer new
	} {
		if got := adhocProgress(p, names, log); got != nil {
			t.Errorf("progress from %+v: %+v, want none", p, got)
		}
	}
}
