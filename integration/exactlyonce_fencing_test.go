package integration

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/sluicehq/sluice/integration/harness"
	"github.com/sluicehq/sluice/runtime"
)

// KIP-618 zombie fencing when a connector's task count changes: a producer
// still holding the transactional id of task 2 of the 3-task generation (a
// zombie: a task its worker lost track of, say behind a network partition)
// has an open transaction with a record in it. The connector goes from 3
// tasks to 2; the new tasks claim only ids 0 and 1, so only the leader's
// fencing of every id of the previous generation (0..2) ends the zombie:
// its commit then fails as fenced, and a read_committed consumer never
// sees its record. The config topic's tasks-fencing- record holds the new
// count.
func TestDistributedExactlyOnceFencesShrunkGeneration(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts two worker processes")
	}
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ws, _ := startCluster(t, k, 2, map[string]string{
		"exactly.once.source.support":      "enabled",
		"key.converter":                    "org.apache.kafka.connect.storage.StringConverter",
		"value.converter":                  "org.apache.kafka.connect.storage.StringConverter",
		"scheduled.rebalance.max.delay.ms": "1000",
	})
	const conn = "fz"
	topic := k.Topic("fz-data")
	config := func(tasks int) map[string]string {
		return map[string]string{"connector.class": counterClass, "topic": topic, "tasks.max": fmt.Sprint(tasks), "interval.ms": "20"}
	}
	running := func(n int) func() (bool, string) {
		return func() (bool, string) {
			s, ok := status(ws[0], conn)
			if !ok || s.Connector.State != "RUNNING" || len(s.Tasks) != n {
				return false, fmt.Sprintf("%+v", s)
			}
			for _, tk := range s.Tasks {
				if tk.State != "RUNNING" {
					return false, fmt.Sprintf("%+v", s)
				}
			}
			return true, ""
		}
	}
	mustCall(t, "POST", ws[0].url()+"/connectors", map[string]any{"name": conn, "config": config(3)}, 201)
	eventually(t, "3 tasks RUNNING", 60*time.Second, running(3))
	committed := harness.ReadOptions{IsolationLevel: "read_committed"}
	if _, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, 60, 60*time.Second, committed); err != nil {
		t.Fatal(err)
	}

	// Stopped, so that nothing but the zombie holds task 2's id.
	mustCall(t, "PUT", ws[0].url()+"/connectors/"+conn+"/stop", nil, 202, 204)
	eventually(t, "the connector STOPPED", 60*time.Second, func() (bool, string) {
		s, ok := status(ws[0], conn)
		return ok && s.Connector.State == "STOPPED" && len(s.Tasks) == 0, fmt.Sprintf("%+v", s)
	})
	zombie, err := kafka.NewProducer(&kafka.ConfigMap{"bootstrap.servers": k.Bootstrap(),
		"transactional.id": runtime.TransactionalID(k.Topic("cluster"), conn, 2), "log.connection.close": false})
	if err != nil {
		t.Fatal(err)
	}
	defer zombie.Close()
	if err := zombie.InitTransactions(ctx); err != nil {
		t.Fatal(err)
	}
	if err := zombie.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := zombie.Produce(&kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny},
		Key: []byte("zombie"), Value: []byte("zombie")}, nil); err != nil {
		t.Fatal(err)
	}
	zombie.Flush(10_000)

	mustCall(t, "PUT", ws[0].url()+"/connectors/"+conn+"/config", config(2), 200)
	mustCall(t, "PUT", ws[0].url()+"/connectors/"+conn+"/resume", nil, 202, 204)
	eventually(t, "2 tasks RUNNING", 60*time.Second, running(2))

	err = zombie.CommitTransaction(ctx)
	var kerr kafka.Error
	if err == nil {
		t.Fatal("the zombie of task 2 committed its transaction after the task count went from 3 to 2: the previous generation was not fenced")
	}
	if !errors.As(err, &kerr) || !(kerr.IsFatal() || kerr.Code() == kafka.ErrProducerFenced || kerr.Code() == kafka.ErrInvalidProducerEpoch) {
		t.Fatalf("the zombie's commit failed, but not as fenced: %v", err)
	}
	t.Logf("the zombie's commit: %v", err)

	// Records of the new generation follow; the zombie's is not among the
	// committed ones.
	msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, 150, 60*time.Second, committed)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if string(m.Key) == "zombie" {
			t.Fatal("a read_committed consumer sees the zombie's record")
		}
	}
	cfg, err := harness.ReadAll(ctx, k.Bootstrap(), k.Topic("connect-configs"), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	last := ""
	for _, m := range cfg {
		if string(m.Key) == "tasks-fencing-"+conn {
			last = string(m.Value)
		}
	}
	if !strings.Contains(last, `"task-count":2`) {
		t.Fatalf("the last tasks-fencing-%s record is %q, want the new generation's count 2", conn, last)
	}
}
