// Package kafkalog is a compacted Kafka topic used as a replicated log, as
// Kafka Connect's KafkaBasedLog: the topic is created (compacted) when
// missing and checked when present; a reader assigns every partition from
// the beginning and hands each record to a callback, forever; ReadToEnd waits
// until the reader has caught up with the end offsets of the moment; a
// producer writes records with the settings Kafka Connect forces on its
// internal producers.
package kafkalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// Config configures Open.
type Config struct {
	// Bootstrap is the brokers' host:port list.
	Bootstrap string
	// Topic is the compacted topic; TopicKey is the worker property that
	// names it, for error messages (e.g. "config.storage.topic").
	Topic    string
	TopicKey string
	// Partitions and ReplicationFactor apply when the topic is created;
	// -1 means the broker default and 0 means 1 partition / the broker
	// default replication.
	Partitions        int
	ReplicationFactor int
	// TopicConfigs are extra topic-level configs for creation;
	// cleanup.policy is always compact.
	TopicConfigs map[string]string
	// SinglePartition fails Open if the topic has more than one partition
	// (the config topic's rule).
	SinglePartition bool
	// ClientID is the base client id of the reader, writer and admin.
	ClientID string
	// ClientProps are librdkafka properties added to every client
	// (security settings and the like).
	ClientProps kafka.ConfigMap
	// Apply receives every record in partition order, from one goroutine.
	// A nil value is a tombstone. It must not call back into the Log's
	// ReadToEnd.
	Apply func(partition int32, offset int64, key, value []byte)
	// Logger; nil uses slog.Default().
	Logger *slog.Logger
	// IsolationLevel of the reader: "read_committed" (the default, "")
	// hides aborted transactions and stops at open ones;
	// "read_uncommitted" reads up to the high watermark.
	IsolationLevel string
}

// Log is an open compacted-topic log. Close it to stop its goroutines.
type Log struct {
	cfg        Config
	log        *slog.Logger
	consumer   *kafka.Consumer
	producer   *kafka.Producer
	admin      *kafka.AdminClient
	partitions []kafka.TopicPartition

	mu      sync.Mutex
	pos     map[int32]int64 // next offset to read, per partition
	waiters []*waiter
	closed  bool

	stop     chan struct{}
	tailDone chan struct{}
	evDone   chan struct{}

	// txn is the transactional writer claimed with ClaimTransactions.
	txnMu sync.Mutex
	txn   *kafka.Producer
}

type waiter struct {
	target map[int32]int64
	done   chan struct{}
}

// Open creates or checks the topic, then starts reading it from the
// beginning. It does not wait for the reader to catch up: call ReadToEnd.
func Open(ctx context.Context, cfg Config) (*Log, error) {
	if cfg.Topic == "" {
		return nil, fmt.Errorf("%s is empty; set it to the name of a compacted topic for this cluster", orKey(cfg.TopicKey))
	}
	switch cfg.IsolationLevel {
	case "":
		cfg.IsolationLevel = "read_committed"
	case "read_committed", "read_uncommitted":
	default:
		return nil, fmt.Errorf("topic %s: isolation level %q: want read_committed or read_uncommitted", cfg.Topic, cfg.IsolationLevel)
	}
	l := &Log{cfg: cfg, log: cfg.Logger, pos: map[int32]int64{}, stop: make(chan struct{}), tailDone: make(chan struct{}), evDone: make(chan struct{})}
	if l.log == nil {
		l.log = slog.Default()
	}
	l.log = l.log.With("topic", cfg.Topic)
	ac := l.clientConfig("-admin")
	var err error
	if l.admin, err = kafka.NewAdminClient(&ac); err != nil {
		return nil, fmt.Errorf("topic %s: admin client: %w", cfg.Topic, err)
	}
	n, err := l.ensureTopic(ctx)
	if err != nil {
		l.admin.Close()
		return nil, err
	}
	if cfg.SinglePartition && n != 1 {
		l.admin.Close()
		return nil, fmt.Errorf("topic %s (%s) has %d partitions; it must have exactly one: delete it or point %s at a new topic", cfg.Topic, orKey(cfg.TopicKey), n, orKey(cfg.TopicKey))
	}
	for p := 0; p < n; p++ {
		topic := cfg.Topic
		l.partitions = append(l.partitions, kafka.TopicPartition{Topic: &topic, Partition: int32(p), Offset: kafka.OffsetBeginning})
	}

	pc := l.clientConfig("")
	for k, v := range (kafka.ConfigMap{
		"enable.idempotence": false,
		// Kafka Connect uses Integer.MAX_VALUE; librdkafka's ceiling is
		// the same number.
		"message.timeout.ms": 2147483647,
		"acks":               "all",
		// Kafka's default partitioner: murmur2 of the key bytes, so a key
		// lands where a Java worker would put it and compaction works.
		"partitioner": "murmur2_random",
		"linger.ms":   1,
	}) {
		pc[k] = v
	}
	if l.producer, err = kafka.NewProducer(&pc); err != nil {
		l.admin.Close()
		return nil, fmt.Errorf("topic %s: producer: %w", cfg.Topic, err)
	}
	cc := l.clientConfig("")
	for k, v := range (kafka.ConfigMap{
		// Required by the client, never used: partitions are assigned.
		"group.id":           cfg.ClientID + "-log-reader",
		"enable.auto.commit": false,
		"auto.offset.reset":  "earliest",
		"isolation.level":    cfg.IsolationLevel,
	}) {
		cc[k] = v
	}
	if l.consumer, err = kafka.NewConsumer(&cc); err != nil {
		l.producer.Close()
		l.admin.Close()
		return nil, fmt.Errorf("topic %s: consumer: %w", cfg.Topic, err)
	}
	if err := l.consumer.Assign(l.partitions); err != nil {
		l.producer.Close()
		l.consumer.Close()
		l.admin.Close()
		return nil, fmt.Errorf("topic %s: assign partitions: %w", cfg.Topic, err)
	}
	go l.tail()
	go l.deliveries()
	return l, nil
}

func orKey(k string) string {
	if k == "" {
		return "the topic setting"
	}
	return k
}

func (l *Log) clientConfig(suffix string) kafka.ConfigMap {
	cm := kafka.ConfigMap{}
	for k, v := range l.cfg.ClientProps {
		cm[k] = v
	}
	cm["bootstrap.servers"] = l.cfg.Bootstrap
	cm["client.id"] = l.cfg.ClientID + suffix
	cm["log.connection.close"] = false
	cm["enable.metrics.push"] = false
	return cm
}

// ensureTopic creates the topic if missing, checks its cleanup.policy if
// present, and returns its partition count. It asks to create first, as
// Kafka Connect does: a metadata request for a missing topic could make a
// broker with auto-creation on create it with the wrong settings.
func (l *Log) ensureTopic(ctx context.Context) (int, error) {
	admin := l.admin
	if err := l.create(ctx, admin); err != nil {
		return 0, err
	}
	for {
		n, err := partitionCount(admin, l.cfg.Topic, timeoutMs(ctx, 10*time.Second))
		if err == nil && n > 0 {
			return n, l.checkCompacted(ctx, admin)
		}
		if err != nil && !errors.Is(err, errUnknownTopic) {
			return 0, fmt.Errorf("topic %s: metadata: %w", l.cfg.Topic, err)
		}
		// Created but not yet in the metadata.
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("topic %s: waiting for it to appear: %w", l.cfg.Topic, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

var errUnknownTopic = errors.New("unknown topic")

func partitionCount(admin *kafka.AdminClient, topic string, ms int) (int, error) {
	md, err := admin.GetMetadata(&topic, false, ms)
	if err != nil {
		return 0, err
	}
	t, ok := md.Topics[topic]
	if !ok || t.Error.Code() == kafka.ErrUnknownTopicOrPart || t.Error.Code() == kafka.ErrUnknownTopic {
		return 0, errUnknownTopic
	}
	if t.Error.Code() != kafka.ErrNoError {
		return 0, t.Error
	}
	if len(t.Partitions) == 0 {
		return 0, errUnknownTopic
	}
	return len(t.Partitions), nil
}

func (l *Log) create(ctx context.Context, admin *kafka.AdminClient) error {
	parts, rf := l.cfg.Partitions, l.cfg.ReplicationFactor
	if parts == 0 {
		parts = 1
	}
	if rf == 0 {
		rf = -1
	}
	configs := map[string]string{}
	for k, v := range l.cfg.TopicConfigs {
		configs[k] = v
	}
	configs["cleanup.policy"] = "compact"
	res, err := admin.CreateTopics(ctx, []kafka.TopicSpecification{{Topic: l.cfg.Topic, NumPartitions: parts, ReplicationFactor: rf, Config: configs}})
	if err != nil {
		return fmt.Errorf("create topic %s: %w", l.cfg.Topic, err)
	}
	for _, r := range res {
		switch r.Error.Code() {
		case kafka.ErrNoError:
			l.log.Info("created compacted topic", "partitions", parts, "replication_factor", rf)
		case kafka.ErrTopicAlreadyExists:
		default:
			return fmt.Errorf("create topic %s (%s): %v; create it yourself with cleanup.policy=compact or fix the partitions/replication factor settings", l.cfg.Topic, orKey(l.cfg.TopicKey), r.Error)
		}
	}
	return nil
}

func (l *Log) checkCompacted(ctx context.Context, admin *kafka.AdminClient) error {
	res, err := admin.DescribeConfigs(ctx, []kafka.ConfigResource{{Type: kafka.ResourceTopic, Name: l.cfg.Topic}})
	if err != nil {
		// Kafka Connect skips the check when describeConfigs is not
		// permitted; do the same for any failure to ask.
		l.log.Warn("could not check the topic's cleanup.policy", "error", err.Error())
		return nil
	}
	for _, r := range res {
		if r.Error.Code() != kafka.ErrNoError {
			l.log.Warn("could not check the topic's cleanup.policy", "error", r.Error.Error())
			return nil
		}
		if e, ok := r.Config["cleanup.policy"]; ok && e.Value != "compact" {
			return fmt.Errorf("topic %s (%s) has cleanup.policy=%s, but Kafka Connect's internal topics must be compacted: set cleanup.policy=compact on it (kafka-configs --alter --entity-type topics --entity-name %s --add-config cleanup.policy=compact) or use another topic", l.cfg.Topic, orKey(l.cfg.TopicKey), e.Value, l.cfg.Topic)
		}
	}
	return nil
}

func timeoutMs(ctx context.Context, def time.Duration) int {
	if dl, ok := ctx.Deadline(); ok {
		if d := time.Until(dl); d < def {
			def = d
		}
	}
	if def < time.Millisecond {
		def = time.Millisecond
	}
	return int(def / time.Millisecond)
}

// Partitions is the topic's partition count.
func (l *Log) Partitions() int { return len(l.partitions) }

// Topic is the topic's name.
func (l *Log) Topic() string { return l.cfg.Topic }

func (l *Log) tail() {
	defer close(l.tailDone)
	for {
		select {
		case <-l.stop:
			return
		default:
		}
		ev := l.consumer.Poll(50)
		switch e := ev.(type) {
		case *kafka.Message:
			if e.TopicPartition.Error != nil {
				l.log.Warn("read error", "error", e.TopicPartition.Error.Error())
				break
			}
			if l.cfg.Apply != nil {
				l.cfg.Apply(e.TopicPartition.Partition, int64(e.TopicPartition.Offset), e.Key, e.Value)
			}
			l.mu.Lock()
			if next := int64(e.TopicPartition.Offset) + 1; next > l.pos[e.TopicPartition.Partition] {
				l.pos[e.TopicPartition.Partition] = next
			}
			l.mu.Unlock()
		case kafka.Error:
			if e.IsFatal() {
				l.log.Error("reader failed", "error", e.Error())
			}
		}
		l.wakeWaiters()
	}
}

// wakeWaiters releases ReadToEnd callers whose targets were reached. The
// consumer's position counts too: it moves past transaction markers and
// compacted gaps that no record reports.
func (l *Log) wakeWaiters() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.waiters) == 0 {
		return
	}
	if ps, err := l.consumer.Position(l.partitions); err == nil {
		for _, p := range ps {
			if p.Offset >= 0 && int64(p.Offset) > l.pos[p.Partition] {
				l.pos[p.Partition] = int64(p.Offset)
			}
		}
	}
	kept := l.waiters[:0]
	for _, w := range l.waiters {
		if l.reachedLocked(w.target) {
			close(w.done)
		} else {
			kept = append(kept, w)
		}
	}
	l.waiters = kept
}

func (l *Log) reachedLocked(target map[int32]int64) bool {
	for p, end := range target {
		if l.pos[p] < end {
			return false
		}
	}
	return true
}

// ReadToEnd returns once every record that was in the topic when it was
// called has been handed to Apply.
func (l *Log) ReadToEnd(ctx context.Context) error {
	// One ListOffsets request for every partition, on the admin client's
	// own connection (the reader's is busy with long-polling fetches).
	req := make(map[kafka.TopicPartition]kafka.OffsetSpec, len(l.partitions))
	for _, p := range l.partitions {
		req[kafka.TopicPartition{Topic: p.Topic, Partition: p.Partition}] = kafka.LatestOffsetSpec
	}
	qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	iso := kafka.IsolationLevelReadCommitted
	if l.cfg.IsolationLevel == "read_uncommitted" {
		iso = kafka.IsolationLevelReadUncommitted
	}
	res, err := l.admin.ListOffsets(qctx, req, kafka.SetAdminIsolationLevel(iso))
	cancel()
	if err != nil {
		return fmt.Errorf("topic %s: end offsets: %w", l.cfg.Topic, err)
	}
	target := make(map[int32]int64, len(l.partitions))
	for tp, info := range res.ResultInfos {
		if info.Error.Code() != kafka.ErrNoError {
			return fmt.Errorf("topic %s partition %d: end offset: %w", l.cfg.Topic, tp.Partition, info.Error)
		}
		target[tp.Partition] = int64(info.Offset)
	}
	w := &waiter{target: target, done: make(chan struct{})}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return fmt.Errorf("topic %s: log closed", l.cfg.Topic)
	}
	if l.reachedLocked(target) {
		l.mu.Unlock()
		return nil
	}
	l.waiters = append(l.waiters, w)
	l.mu.Unlock()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		for i, x := range l.waiters {
			if x == w {
				l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
				break
			}
		}
		l.mu.Unlock()
		return fmt.Errorf("topic %s: reading to the end: %w", l.cfg.Topic, ctx.Err())
	}
}

// Send writes a record (nil value = tombstone); done, if set, is called
// from another goroutine with the delivery result.
func (l *Log) Send(key, value []byte, done func(error)) {
	topic := l.cfg.Topic
	msg := &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny}, Key: key, Value: value, Opaque: done}
	if err := l.producer.Produce(msg, nil); err != nil && done != nil {
		done(fmt.Errorf("topic %s: %w", topic, err))
	}
}

// SendSync writes a record and waits for the broker's acknowledgement.
func (l *Log) SendSync(ctx context.Context, key, value []byte) error {
	ch := make(chan error, 1)
	l.Send(key, value, func(err error) { ch <- err })
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return fmt.Errorf("topic %s: waiting for the write of %q: %w", l.cfg.Topic, key, ctx.Err())
	}
}

func (l *Log) deliveries() {
	defer close(l.evDone)
	for ev := range l.producer.Events() {
		m, ok := ev.(*kafka.Message)
		if !ok {
			continue
		}
		done, _ := m.Opaque.(func(error))
		if done == nil {
			continue
		}
		if m.TopicPartition.Error != nil {
			done(fmt.Errorf("topic %s: write %q: %w", l.cfg.Topic, m.Key, m.TopicPartition.Error))
		} else {
			done(nil)
		}
	}
}

// Flush waits for every sent record to be acknowledged or failed.
func (l *Log) Flush(ctx context.Context) error {
	for l.producer.Flush(100) > 0 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("topic %s: flush: %w", l.cfg.Topic, err)
		}
	}
	return nil
}

// Close flushes pending writes (up to a few seconds), stops the reader and
// releases the clients.
func (l *Log) Close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	l.mu.Unlock()
	l.producer.Flush(5000)
	l.ReleaseTransactions()
	close(l.stop)
	<-l.tailDone
	l.consumer.Close()
	l.producer.Close()
	<-l.evDone
	l.admin.Close()
}

// Record is a key and value to write; a nil Value is a tombstone.
type Record struct{ Key, Value []byte }

// ClaimTransactions creates a transactional writer with transactionalID
// and initializes it, which fences any other writer that used the same id
// (Kafka Connect's leader claims "connect-cluster-<group.id>" this way
// when it becomes leader under exactly-once source support). A writer
// claimed before is released first.
func (l *Log) ClaimTransactions(ctx context.Context, transactionalID string) error {
	l.ReleaseTransactions()
	pc := l.clientConfig("-leader")
	for k, v := range (kafka.ConfigMap{
		"transactional.id":   transactionalID,
		"enable.idempotence": true,
		"acks":               "all",
		"partitioner":        "murmur2_random",
		"linger.ms":          1,
	}) {
		pc[k] = v
	}
	p, err := kafka.NewProducer(&pc)
	if err != nil {
		return fmt.Errorf("topic %s: transactional producer %s: %w", l.cfg.Topic, transactionalID, err)
	}
	if err := p.InitTransactions(ctx); err != nil {
		p.Close()
		return fmt.Errorf("topic %s: claim transactional id %s: %w", l.cfg.Topic, transactionalID, err)
	}
	go func() {
		// Delivery reports are not needed: CommitTransaction reports
		// any failed record.
		for range p.Events() {
		}
	}()
	l.txnMu.Lock()
	l.txn = p
	l.txnMu.Unlock()
	return nil
}

// ReleaseTransactions closes the transactional writer, if any.
func (l *Log) ReleaseTransactions() {
	l.txnMu.Lock()
	p := l.txn
	l.txn = nil
	l.txnMu.Unlock()
	if p != nil {
		p.Close()
	}
}

// Transactional reports whether a transactional writer is claimed.
func (l *Log) Transactional() bool {
	l.txnMu.Lock()
	defer l.txnMu.Unlock()
	return l.txn != nil
}

// ErrNoTransactions is returned by SendTransaction without a claimed
// writer.
var ErrNoTransactions = errors.New("no transactional writer claimed")

// SendTransaction writes recs in one transaction through the claimed
// writer and returns once it is committed. On failure the transaction is
// aborted; a writer fenced by a newer claim is released, so later calls
// return ErrNoTransactions.
func (l *Log) SendTransaction(ctx context.Context, recs []Record) error {
	l.txnMu.Lock()
	defer l.txnMu.Unlock()
	p := l.txn
	if p == nil {
		return ErrNoTransactions
	}
	err := l.sendTxnLocked(ctx, p, recs)
	if err == nil {
		return nil
	}
	var ke kafka.Error
	if errors.As(err, &ke) && ke.TxnRequiresAbort() {
		actx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = p.AbortTransaction(actx)
		cancel()
	} else if errors.As(err, &ke) && ke.IsFatal() {
		p.Close()
		l.txn = nil
	}
	return fmt.Errorf("topic %s: transactional write: %w", l.cfg.Topic, err)
}

func (l *Log) sendTxnLocked(ctx context.Context, p *kafka.Producer, recs []Record) error {
	if err := p.BeginTransaction(); err != nil {
		return err
	}
	topic := l.cfg.Topic
	for _, r := range recs {
		msg := &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny}, Key: r.Key, Value: r.Value}
		if err := p.Produce(msg, nil); err != nil {
			return err
		}
	}
	for {
		err := p.CommitTransaction(ctx)
		var ke kafka.Error
		if err != nil && errors.As(err, &ke) && ke.IsRetriable() && ctx.Err() == nil {
			continue
		}
		return err
	}
}
