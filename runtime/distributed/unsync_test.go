package distributed

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicehq/sluice/rest"
)

// A worker that could not read the config topic to its leader's offset
// stays out of the group until it has (not a tight rejoin loop), and no
// longer than worker.unsync.backoff.ms; the config topic is a real one on
// kfake.
func TestUnsyncBackoff(t *testing.T) {
	bootstrap, store, logr := configStoreOnKfake(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	member, err := newGroupMember([]string{bootstrap}, "w1", "g", 6*time.Second, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer member.close()
	member.memberID = "w1-member" // as if joined: leaving must forget it
	h := &Herder{cfg: &Config{ConfigTopic: "cfg", WorkerSyncTimeout: 200 * time.Millisecond, WorkerUnsyncBackoff: 30 * time.Second},
		log: logr, configs: store, member: member, conns: map[string]*ownedConn{}, tasks: map[rest.TaskID]*ownedTask{}}

	writer, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.DefaultProduceTopic("cfg"))
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	// The leader's offset is one record ahead; the record lands a second
	// from now.
	target := store.Offset() + 1
	go func() {
		time.Sleep(time.Second)
		writer.ProduceSync(ctx, &kgo.Record{Key: []byte("target-state-x"), Value: []byte(`{"state":"STARTED"}`)})
	}()
	start := time.Now()
	h.unsyncBackoff(ctx, target)
	if took := time.Since(start); took < 900*time.Millisecond || took > 15*time.Second || store.Offset() < target {
		t.Errorf("backoff returned after %v at offset %d (target %d): want once the record is read, well before 30 s", took, store.Offset(), target)
	}
	if member.memberID != "" {
		t.Errorf("still a member (%q): the worker must leave the group while it backs off", member.memberID)
	}
	// An offset never reached: out of the group for the whole backoff.
	h.cfg.WorkerUnsyncBackoff = 1500 * time.Millisecond
	start = time.Now()
	h.unsyncBackoff(ctx, store.Offset()+100)
	if took := time.Since(start); took < 1400*time.Millisecond || took > 10*time.Second {
		t.Errorf("backoff without catching up took %v, want worker.unsync.backoff.ms (1.5 s)", took)
	}
}
