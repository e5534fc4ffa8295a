package offsets

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/sluicehq/sluice/runtime/kafkalog"
)

// DefaultOffsetPartitions is offset.storage.partitions' default.
const DefaultOffsetPartitions = 25

// KafkaStoreConfig configures OpenKafkaStore.
type KafkaStoreConfig struct {
	Bootstrap string
	// Topic is offset.storage.topic.
	Topic string
	// Partitions (offset.storage.partitions; 0 means 25) and
	// ReplicationFactor (offset.storage.replication.factor) apply when the
	// topic is created; -1 is the broker default.
	Partitions        int
	ReplicationFactor int
	TopicConfigs      map[string]string
	// ClientID is the clients' id, Kafka Connect's "<group.id>-offsets".
	ClientID    string
	ClientProps kafka.ConfigMap
	// IsolationLevel of the reader: read_committed (the default) or
	// read_uncommitted. Exactly-once source tasks write offsets in their
	// transactions, so their readers must be read_committed.
	IsolationLevel string
}

// KafkaStore keeps offsets in a compacted topic (offset.storage.topic) in
// Kafka Connect's format: key ["<connector>",{partition}], value the offset
// map as JSON, null value = deleted. Workers of a cluster share it: reads
// first catch up with the topic, so a task that moves to another worker
// resumes from the offsets its previous owner committed.
type KafkaStore struct {
	log *kafkalog.Log

	mu sync.Mutex
	t  table
}

// OpenKafkaStore creates or checks the topic and reads it to the end.
func OpenKafkaStore(ctx context.Context, cfg KafkaStoreConfig) (*KafkaStore, error) {
	s := &KafkaStore{t: newTable()}
	parts := cfg.Partitions
	if parts == 0 {
		parts = DefaultOffsetPartitions
	}
	l, err := kafkalog.Open(ctx, kafkalog.Config{
		Bootstrap: cfg.Bootstrap, Topic: cfg.Topic, TopicKey: "offset.storage.topic",
		Partitions: parts, ReplicationFactor: cfg.ReplicationFactor, TopicConfigs: cfg.TopicConfigs,
		ClientID: cfg.ClientID, ClientProps: cfg.ClientProps, IsolationLevel: cfg.IsolationLevel,
		Apply: func(_ int32, _ int64, key, value []byte) {
			s.mu.Lock()
			s.t.applyRaw(key, value)
			s.mu.Unlock()
		},
	})
	if err != nil {
		return nil, fmt.Errorf("offset store: %w", err)
	}
	s.log = l
	if err := l.ReadToEnd(ctx); err != nil {
		l.Close()
		return nil, fmt.Errorf("offset store: %w", err)
	}
	return s, nil
}

// catchUp reads the topic to its end, bounded so that a read never hangs on
// a broker that went away.
func (s *KafkaStore) catchUp(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return s.log.ReadToEnd(ctx)
}

func (s *KafkaStore) Get(ctx context.Context, connector string, partition map[string]any) (map[string]any, error) {
	if err := s.catchUp(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.t.get(connector, partition)
}

// Set writes the entries and returns once Kafka acknowledged all of them.
func (s *KafkaStore) Set(ctx context.Context, connector string, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	s.mu.Lock()
	p, err := s.t.prepare(connector, entries)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	errs := make(chan error, len(p))
	for i := range p {
		s.log.Send(p[i].rec.key, p[i].rec.value, func(err error) { errs <- err })
	}
	for range p {
		select {
		case err := <-errs:
			if err != nil {
				return fmt.Errorf("write offsets of connector %q: %w", connector, err)
			}
		case <-ctx.Done():
			return fmt.Errorf("write offsets of connector %q: %w", connector, ctx.Err())
		}
	}
	// The reader applies the same records when it reads them back; doing it
	// now as well makes a Get right after Set see them at once.
	s.mu.Lock()
	s.t.commit(p)
	s.mu.Unlock()
	return nil
}

func (s *KafkaStore) List(ctx context.Context, connector string) ([]Entry, error) {
	if err := s.catchUp(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.t.list(connector)
}

// Delete writes a tombstone for every stored partition of the connector.
func (s *KafkaStore) Delete(ctx context.Context, connector string) error {
	if err := s.catchUp(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	ts := s.t.tombstones(connector)
	s.mu.Unlock()
	return s.Set(ctx, connector, ts)
}

// Topic is the offsets topic.
func (s *KafkaStore) Topic() string { return s.log.Topic() }

// EncodeRecords returns the offsets-topic records for entries, for a
// writer that sends them itself (an exactly-once task puts them in the
// transaction of its records). Partitions already stored keep their
// stored key bytes, as Set does. The reader applies them when it reads
// them back, committed.
func (s *KafkaStore) EncodeRecords(connector string, entries []Entry) ([]kafkalog.Record, error) {
	s.mu.Lock()
	p, err := s.t.prepare(connector, entries)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	out := make([]kafkalog.Record, len(p))
	for i := range p {
		out[i] = kafkalog.Record{Key: p[i].rec.key, Value: p[i].rec.value}
	}
	return out, nil
}

// Close stops the reader and the producer.
func (s *KafkaStore) Close() error {
	s.log.Close()
	return nil
}
