package kafkalog

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/twmb/franz-go/pkg/kfake"
)

func startBroker(t *testing.T) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DefaultNumPartitions(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return strings.Join(c.ListenAddrs(), ",")
}

type collected struct {
	mu   sync.Mutex
	recs map[string]string
	n    int
}

func (c *collected) apply(_ int32, _ int64, k, v []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	if v == nil {
		delete(c.recs, string(k))
		return
	}
	c.recs[string(k)] = string(v)
}

func TestLogWritesReadsAndCatchesUp(t *testing.T) {
	boot := startBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a := &collected{recs: map[string]string{}}
	l, err := Open(ctx, Config{Bootstrap: boot, Topic: "log", Partitions: 5, ReplicationFactor: -1, ClientID: "t", Apply: a.apply})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Partitions() != 5 {
		t.Fatalf("partitions = %d, want 5", l.Partitions())
	}
	if err := l.ReadToEnd(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		if err := l.SendSync(ctx, []byte(fmt.Sprintf("k%d", i%10)), []byte(fmt.Sprintf("v%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.SendSync(ctx, []byte("k3"), nil); err != nil {
		t.Fatal(err)
	}
	// A second reader of the same topic sees everything after ReadToEnd.
	b := &collected{recs: map[string]string{}}
	l2, err := Open(ctx, Config{Bootstrap: boot, Topic: "log", Partitions: 5, ClientID: "t2", Apply: b.apply})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if err := l2.ReadToEnd(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*collected{a, b} {
		if err := l.ReadToEnd(ctx); err != nil {
			t.Fatal(err)
		}
		c.mu.Lock()
		if c.n != 51 || len(c.recs) != 9 || c.recs["k9"] != "v49" {
			t.Errorf("read %d records, state %v", c.n, c.recs)
		}
		if _, ok := c.recs["k3"]; ok {
			t.Errorf("tombstoned key k3 still present")
		}
		c.mu.Unlock()
	}
}

func TestLogRejectsNonCompactedTopic(t *testing.T) {
	boot := startBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := kafka.NewAdminClient(&kafka.ConfigMap{"bootstrap.servers": boot})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.CreateTopics(ctx, []kafka.TopicSpecification{{Topic: "plain", NumPartitions: 1, ReplicationFactor: 1, Config: map[string]string{"cleanup.policy": "delete"}}}); err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, Config{Bootstrap: boot, Topic: "plain", TopicKey: "status.storage.topic", ClientID: "t"})
	if err == nil || !strings.Contains(err.Error(), "cleanup.policy=delete") || !strings.Contains(err.Error(), "status.storage.topic") {
		t.Fatalf("err = %v, want a cleanup.policy error naming the topic setting", err)
	}
}

func TestLogConfigTopicMustHaveOnePartition(t *testing.T) {
	boot := startBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, err := Open(ctx, Config{Bootstrap: boot, Topic: "cfg3", Partitions: 3, ClientID: "t"})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	_, err = Open(ctx, Config{Bootstrap: boot, Topic: "cfg3", TopicKey: "config.storage.topic", SinglePartition: true, ClientID: "t"})
	if err == nil || !strings.Contains(err.Error(), "exactly one") {
		t.Fatalf("err = %v, want a one-partition error", err)
	}
}
