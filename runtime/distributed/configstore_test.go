package distributed

import (
	"io"
	"log/slog"
	"reflect"
	"testing"

	"github.com/sluicehq/sluice/rest"
)

func newTestConfigStore() (*ConfigStore, *[]ConfigEvent) {
	var evs []ConfigEvent
	s := &ConfigStore{logr: slog.New(slog.NewTextHandler(io.Discard, nil)), deferred: map[string]map[int]map[string]string{}, snap: emptySnapshot(), started: true}
	s.onEvent = func(e ConfigEvent) { evs = append(evs, e) }
	return s, &evs
}

type rec struct{ key, value string }

func feed(s *ConfigStore, recs ...rec) {
	for _, r := range recs {
		var v []byte
		if r.value != "-" {
			v = []byte(r.value)
		}
		s.apply(0, s.snap.Offset, []byte(r.key), v)
	}
}

func TestConfigReadBackRules(t *testing.T) {
	conn := rec{"connector-my-conn", `{"properties":{"name":"my-conn","connector.class":"X","tasks.max":"2"}}`}
	tests := []struct {
		name         string
		recs         []rec
		wantTasks    int
		inconsistent bool
		target       rest.TargetState
		generation   int
	}{
		{"no target state defaults to STARTED", []rec{conn}, 0, false, rest.TargetStarted, 0},
		{"covering commit applies task configs", []rec{conn,
			{"task-my-conn-0", `{"properties":{"a":"0"}}`}, {"task-my-conn-1", `{"properties":{"a":"1"}}`}, {"commit-my-conn", `{"tasks":2}`}},
			2, false, rest.TargetStarted, 1},
		{"stale higher task ids are allowed", []rec{conn,
			{"task-my-conn-0", `{"properties":{"a":"0"}}`}, {"task-my-conn-5", `{"properties":{"a":"5"}}`}, {"commit-my-conn", `{"tasks":1}`}},
			1, false, rest.TargetStarted, 1},
		{"a commit missing a task makes the connector inconsistent", []rec{conn,
			{"task-my-conn-1", `{"properties":{"a":"1"}}`}, {"commit-my-conn", `{"tasks":2}`}},
			0, true, rest.TargetStarted, 0},
		{"a later complete commit clears inconsistency", []rec{conn,
			{"task-my-conn-1", `{"properties":{"a":"1"}}`}, {"commit-my-conn", `{"tasks":2}`},
			{"task-my-conn-0", `{"properties":{"a":"0"}}`}, {"task-my-conn-1", `{"properties":{"a":"1"}}`}, {"commit-my-conn", `{"tasks":2}`}},
			2, false, rest.TargetStarted, 1},
		{"task configs need their commit", []rec{conn, {"task-my-conn-0", `{"properties":{"a":"0"}}`}}, 0, false, rest.TargetStarted, 0},
		{"STOPPED is read from state.v2", []rec{conn, {"target-state-my-conn", `{"state":"PAUSED","state.v2":"STOPPED"}`}}, 0, false, rest.TargetStopped, 0},
		{"old records have only state", []rec{conn, {"target-state-my-conn", `{"state":"PAUSED"}`}}, 0, false, rest.TargetPaused, 0},
		{"an empty commit stops the tasks", []rec{conn,
			{"task-my-conn-0", `{"properties":{"a":"0"}}`}, {"commit-my-conn", `{"tasks":1}`}, {"commit-my-conn", `{"tasks":0}`}},
			0, false, rest.TargetStarted, 2},
		{"counts are read leniently", []rec{conn, {"task-my-conn-0", `{"properties":{}}`}, {"commit-my-conn", `{"tasks":1.0}`}}, 1, false, rest.TargetStarted, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestConfigStore()
			feed(s, tc.recs...)
			snap := s.Snapshot()
			if len(snap.Tasks["my-conn"]) != tc.wantTasks || snap.Inconsistent["my-conn"] != tc.inconsistent ||
				snap.Target("my-conn") != tc.target || snap.TaskGeneration["my-conn"] != tc.generation {
				t.Fatalf("tasks %v inconsistent %v target %s generation %d", snap.Tasks["my-conn"], snap.Inconsistent, snap.Target("my-conn"), snap.TaskGeneration["my-conn"])
			}
			if snap.Offset != int64(len(tc.recs)) {
				t.Errorf("offset %d, want %d", snap.Offset, len(tc.recs))
			}
		})
	}
}

func TestConfigDeleteAndCommitForDeletedConnector(t *testing.T) {
	s, evs := newTestConfigStore()
	feed(s,
		rec{"connector-c", `{"properties":{"name":"c"}}`},
		rec{"target-state-c", `{"state":"PAUSED","state.v2":"PAUSED"}`},
		rec{"task-c-0", `{"properties":{}}`}, rec{"commit-c", `{"tasks":1}`},
		rec{"connector-c", "-"}, rec{"target-state-c", "-"},
		// Compaction can leave a commit whose connector is gone.
		rec{"task-c-0", `{"properties":{}}`}, rec{"commit-c", `{"tasks":1}`},
	)
	snap := s.Snapshot()
	if len(snap.Connectors) != 0 || len(snap.Tasks) != 0 || len(snap.Targets) != 0 || len(snap.TaskCounts) != 0 {
		t.Fatalf("state left after delete: %+v", snap)
	}
	var kinds []ConfigEventKind
	for _, e := range *evs {
		kinds = append(kinds, e.Kind)
	}
	want := []ConfigEventKind{EventConnectorConfig, EventTargetState, EventTaskConfigs, EventConnectorConfig, EventTargetState}
	if !reflect.DeepEqual(kinds, want) || !(*evs)[3].Removed {
		t.Fatalf("events %+v", *evs)
	}
}

func TestConfigKeyDispatch(t *testing.T) {
	s, evs := newTestConfigStore()
	feed(s,
		// A connector named "target-x" is still a connector record.
		rec{"connector-target-x", `{"properties":{"name":"target-x"}}`},
		rec{"task-a-b-c-3", `{"properties":{"k":"v"}}`},
		rec{"connector-a-b-c", `{"properties":{"name":"a-b-c"}}`},
		rec{"task-a-b-c-0", `{"properties":{}}`}, rec{"task-a-b-c-1", `{"properties":{}}`}, rec{"task-a-b-c-2", `{"properties":{}}`},
		rec{"commit-a-b-c", `{"tasks":4}`},
		rec{"restart-connector-a-b-c", `{"include-tasks":true,"only-failed":"yes"}`},
		rec{"tasks-fencing-a-b-c", `{"task-count":4}`},
		rec{"session-key", `{"key":"AAEC","algorithm":"HmacSHA256","creation-timestamp":1700000000000}`},
		rec{"logger-cluster-org.apache", `{"level":"DEBUG"}`},
		rec{"something-else", `{}`},
		rec{"connector-bad", `not json`},
	)
	snap := s.Snapshot()
	if _, ok := snap.Connectors["target-x"]; !ok {
		t.Error("connector-target-x not read as a connector")
	}
	if got := snap.Tasks["a-b-c"]; len(got) != 4 || got[3]["k"] != "v" {
		t.Errorf("tasks of a-b-c = %v", got)
	}
	if snap.FencingCounts["a-b-c"] != 4 {
		t.Errorf("fencing count %v", snap.FencingCounts)
	}
	if snap.SessionKey == nil || !reflect.DeepEqual(snap.SessionKey.Key, []byte{0, 1, 2}) || snap.SessionKey.Created != 1700000000000 {
		t.Errorf("session key %+v", snap.SessionKey)
	}
	var restart, logger *ConfigEvent
	for i, e := range *evs {
		switch e.Kind {
		case EventRestartRequest:
			restart = &(*evs)[i]
		case EventLoggerLevel:
			logger = &(*evs)[i]
		}
	}
	// Invalid fields default to false.
	if restart == nil || restart.Connector != "a-b-c" || !restart.Restart.IncludeTasks || restart.Restart.OnlyFailed {
		t.Errorf("restart event %+v", restart)
	}
	if logger == nil || logger.Namespace != "org.apache" || logger.Level != "DEBUG" {
		t.Errorf("logger event %+v", logger)
	}
	if _, ok := snap.Connectors["bad"]; ok {
		t.Error("a record with an invalid value was applied")
	}
}

func TestConfigEventsOnlyAfterStartup(t *testing.T) {
	s, evs := newTestConfigStore()
	s.started = false
	feed(s, rec{"restart-connector-c", `{"include-tasks":false,"only-failed":false}`})
	if len(*evs) != 0 {
		t.Fatalf("events during the initial read: %+v", *evs)
	}
}

func TestConfigRecordEncodings(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{string(EncodeProperties(map[string]string{"name": "c", "a<b": "x&y"})), `{"properties":{"a<b":"x&y","name":"c"}}`},
		{string(EncodeTargetState(rest.TargetStopped)), `{"state":"PAUSED","state.v2":"STOPPED"}`},
		{string(EncodeTargetState(rest.TargetStarted)), `{"state":"STARTED","state.v2":"STARTED"}`},
		{string(encodeCommit(3)), `{"tasks":3}`},
		{string(encodeRestart(rest.RestartRequest{IncludeTasks: true})), `{"include-tasks":true,"only-failed":false}`},
		{string(encodeFencing(2)), `{"task-count":2}`},
		{string(EncodeStatus(Status{State: "RUNNING", WorkerID: "h:8083", Generation: 7})), `{"state":"RUNNING","trace":null,"worker_id":"h:8083","generation":7,"version":null}`},
		{string(EncodeStatus(Status{State: "FAILED", Trace: "boom\n\tat x", WorkerID: "h:1", Generation: 1, Version: "1.0"})), `{"state":"FAILED","trace":"boom\n\tat x","worker_id":"h:1","generation":1,"version":"1.0"}`},
	} {
		if tc.got != tc.want {
			t.Errorf("got  %s\nwant %s", tc.got, tc.want)
		}
	}
}

func TestStatusReaderRules(t *testing.T) {
	s := &StatusStore{logr: slog.New(slog.NewTextHandler(io.Discard, nil)), conns: map[string]Status{}, tasks: map[rest.TaskID]Status{}, topics: map[string]map[string]bool{}}
	id := rest.TaskID{Connector: "my-c", Task: 2}
	s.apply(0, 0, []byte("status-task-my-c-2"), EncodeStatus(Status{State: "RUNNING", WorkerID: "new:1", Generation: 5}))
	// The old owner's late UNASSIGNED must not hide the new owner.
	s.apply(0, 1, []byte("status-task-my-c-2"), EncodeStatus(Status{State: "UNASSIGNED", WorkerID: "old:1", Generation: 4}))
	if st, _ := s.Task(id); st.State != "RUNNING" || st.WorkerID != "new:1" {
		t.Errorf("task status %+v", st)
	}
	// Extra fields and any integer generation are accepted.
	s.apply(0, 2, []byte("status-connector-my-c"), []byte(`{"state":"PAUSED","trace":null,"worker_id":"w:1","generation":9.0,"version":"2","extra":1}`))
	if st, ok := s.Connector("my-c"); !ok || st.State != "PAUSED" || st.Generation != 9 || st.Version != "2" {
		t.Errorf("connector status %+v", st)
	}
	s.apply(0, 3, []byte("status-topic-orders:connector-my-c"), []byte(`{"topic":{"name":"orders","connector":"my-c","task":0,"discoverTimestamp":1}}`))
	if got := s.Topics("my-c"); !reflect.DeepEqual(got, []string{"orders"}) {
		t.Errorf("topics %v", got)
	}
	s.apply(0, 4, []byte("status-connector-my-c"), nil)
	if _, ok := s.Connector("my-c"); ok {
		t.Error("tombstone did not remove the status")
	}
	// Safe writes: a stale generation from another worker is dropped.
	cached := Status{State: "RUNNING", WorkerID: "a:1", Generation: 5}
	for _, tc := range []struct {
		st   Status
		want bool
	}{
		{Status{State: "FAILED", WorkerID: "b:1", Generation: 4}, false},
		{Status{State: "FAILED", WorkerID: "a:1", Generation: 1}, true},
		{Status{State: "FAILED", WorkerID: "b:1", Generation: 5}, true},
	} {
		if got := safe(cached, true, tc.st); got != tc.want {
			t.Errorf("safe(%+v) = %v", tc.st, got)
		}
	}
}

// A connector needs a zombie fencing when its latest task commit was read
// after its latest tasks-fencing- record (spec §2.6).
func TestConfigPendingFencing(t *testing.T) {
	conn := rec{"connector-c-1", `{"properties":{"name":"c-1","connector.class":"X"}}`}
	task := rec{"task-c-1-0", `{"properties":{"k":"v"}}`}
	commit := rec{"commit-c-1", `{"tasks":1}`}
	tests := []struct {
		name      string
		recs      []rec
		pending   bool
		count     int
		haveCount bool
	}{
		{"no commit", []rec{conn}, false, 0, false},
		{"commit without fencing", []rec{conn, task, commit}, true, 0, false},
		{"fenced after the commit", []rec{conn, task, commit, {"tasks-fencing-c-1", `{"task-count":1}`}}, false, 1, true},
		{"new commit after the fencing", []rec{conn, task, commit, {"tasks-fencing-c-1", `{"task-count":1}`}, task, commit}, true, 1, true},
		{"fencing record as a long", []rec{conn, task, commit, {"tasks-fencing-c-1", `{"task-count":3.0}`}}, false, 3, true},
		{"deleted connector", []rec{conn, task, commit, {"connector-c-1", "-"}}, false, 0, false},
	}
	for _, tc := range tests {
		s, _ := newTestConfigStore()
		feed(s, tc.recs...)
		snap := s.Snapshot()
		n, ok := snap.FencingCounts["c-1"]
		if snap.PendingFencing["c-1"] != tc.pending || n != tc.count || ok != tc.haveCount {
			t.Errorf("%s: pending %v count %d (%v), want %v %d (%v)", tc.name, snap.PendingFencing["c-1"], n, ok, tc.pending, tc.count, tc.haveCount)
		}
	}
}

// Task records as Kafka Connect writes them carry task.class next to the
// connector's keys; they are read like any other, task.class included (it
// is what the herder compares regenerated task configs with).
func TestConfigKafkaConnectTaskRecords(t *testing.T) {
	s, _ := newTestConfigStore()
	feed(s,
		rec{"connector-inv", `{"properties":{"connector.class":"io.debezium.connector.mysql.MySqlConnector","name":"inv","tasks.max":"1"}}`},
		rec{"task-inv-0", `{"properties":{"connector.class":"io.debezium.connector.mysql.MySqlConnector","name":"inv","tasks.max":"1","task.class":"io.debezium.connector.mysql.MySqlConnectorTask"}}`},
		rec{"commit-inv", `{"tasks":1}`},
	)
	got := s.Snapshot().Tasks["inv"]
	if len(got) != 1 || got[0]["task.class"] != "io.debezium.connector.mysql.MySqlConnectorTask" || got[0]["connector.class"] == "" {
		t.Errorf("tasks of inv = %v", got)
	}
}
