package runtime

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
	"github.com/sluicehq/sluice/offsets"
	"github.com/sluicehq/sluice/rest"
)

func TestTransactionalIDAndValidation(t *testing.T) {
	if got := TransactionalID("connect-cluster", "my-conn", 3); got != "connect-cluster-my-conn-3" {
		t.Errorf("TransactionalID = %q", got)
	}
	tests := []struct {
		config map[string]string
		keys   []string
	}{
		{map[string]string{ConnClass: testSourceClass}, nil},
		{map[string]string{ConnClass: testSourceClass, ConnExactlyOnceSupport: "requested"}, nil},
		// The test connector does not implement ExactlyOnceSupporter.
		{map[string]string{ConnClass: testSourceClass, ConnExactlyOnceSupport: "REQUIRED"}, []string{ConnExactlyOnceSupport}},
		{map[string]string{ConnClass: testSourceClass, ConnTransactionBoundary: "connector"}, []string{ConnTransactionBoundary}},
		{map[string]string{ConnClass: testSourceClass, ConnTransactionBoundary: "interval"}, nil},
	}
	for _, tc := range tests {
		got := ValidateExactlyOnce(tc.config)
		if len(got) != len(tc.keys) {
			t.Errorf("%v: %v, want errors for %v", tc.config, got, tc.keys)
			continue
		}
		for _, k := range tc.keys {
			if !strings.Contains(got[k], k) {
				t.Errorf("%v: error for %s = %q, want it to name the key", tc.config, k, got[k])
			}
		}
	}
}

type stateLog struct {
	mu     sync.Mutex
	states []string
	err    error
}

func (s *stateLog) on(state string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.states = append(s.states, state)
	if err != nil {
		s.err = err
	}
}

func (s *stateLog) last() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.states) == 0 {
		return "", nil
	}
	return s.states[len(s.states)-1], s.err
}

// TestExactlyOnceTask: a transactional task's records and offsets commit
// together; a second instance with the same transactional id fences the
// first (which fails) and resumes from the committed offset, so a
// read_committed consumer sees every record once, in order.
func TestExactlyOnceTask(t *testing.T) {
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	topic := k.Topic("eos-counting")
	store, err := offsets.OpenKafkaStore(ctx, offsets.KafkaStoreConfig{Bootstrap: k.Bootstrap(), Topic: k.Topic("eos-offsets"),
		Partitions: 3, ReplicationFactor: -1, ClientID: "eos-test-offsets", IsolationLevel: "read_committed"})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	const total = 4000
	connCfg := map[string]string{"name": "eos", ConnClass: testSourceClass, "topic": topic, "count": strconv.Itoa(total), "batch": "25",
		ConnTransactionBoundary: "poll"}
	taskCfg := map[string]string{"topic": topic, "count": strconv.Itoa(total), "batch": "25"}
	newWorker := func(id string) *Worker {
		wc, err := ParseWorkerConfig(map[string]string{"bootstrap.servers": k.Bootstrap(), "key.converter": testConverterClass,
			"value.converter": testConverterClass, "header.converter": testHeaderClass, "listeners": "http://127.0.0.1:0"})
		if err != nil {
			t.Fatal(err)
		}
		return NewWorker(wc, store, WorkerOptions{WorkerID: id})
	}
	var pre, post sync.WaitGroup
	pre.Add(1)
	post.Add(1)
	eos := ExactlyOnce{TransactionalID: TransactionalID("eos-group", "eos", 0), Offsets: store,
		PreProducer:  func(context.Context) error { pre.Done(); return nil },
		PostProducer: func(context.Context) error { post.Done(); return nil }}
	var first stateLog
	h1, err := newWorker("w1:8083").StartExactlyOnceTask(rest.TaskID{Connector: "eos", Task: 0}, connCfg, taskCfg, false, eos, first.on, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	defer h1.Stop()
	pre.Wait()
	post.Wait()
	if _, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, 1000, 30*time.Second, harness.ReadOptions{IsolationLevel: "read_committed"}); err != nil {
		t.Fatal(err)
	}

	// A second owner of the same task: its InitTransactions fences the
	// first, whose next transaction fails.
	eos.PreProducer, eos.PostProducer = nil, nil
	var second stateLog
	h2, err := newWorker("w2:8083").StartExactlyOnceTask(rest.TaskID{Connector: "eos", Task: 0}, connCfg, taskCfg, false, eos, second.on, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	defer h2.Stop()
	waitFor(t, "the fenced task to fail", 30*time.Second, func() bool { s, _ := first.last(); return s == StateFailed })
	// The zombie learns it lost in one of two ways, depending on whether its
	// produce request reaches the broker before or after the new epoch
	// aborted its open transaction: fenced, or an invalid transaction state.
	// Either way it must fail and commit nothing more (checked below).
	if _, err := first.last(); err == nil || !(strings.Contains(strings.ToLower(err.Error()), "fenced") ||
		strings.Contains(err.Error(), "invalid state")) {
		t.Errorf("first task failed with %v, want a fencing or invalid-transaction-state error", err)
	}
	waitFor(t, "the last offset to be committed", 60*time.Second, func() bool {
		off, _ := store.Get(ctx, "eos", countingPartition)
		return off != nil && off["n"] == int64(total-1)
	})
	msgs, err := harness.ReadAll(ctx, k.Bootstrap(), topic, 2*time.Second, harness.ReadOptions{IsolationLevel: "read_committed"})
	if err != nil {
		t.Fatal(err)
	}
	got := numbers(t, msgs)
	if len(got) != total {
		t.Errorf("read_committed saw %d records, want %d", len(got), total)
	}
	for i, n := range got {
		if n != int64(i) {
			t.Fatalf("record %d is %d: duplicates or gaps across the fencing", i, n)
		}
	}
	all, err := harness.ReadAll(ctx, k.Bootstrap(), topic, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d records committed; %d in the log including aborted ones", len(got), len(all))
	if s, _ := second.last(); s != StateRunning {
		t.Errorf("second task is %s", s)
	}
}
