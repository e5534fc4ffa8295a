package harness

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// ReadOptions tune ReadTopic and ReadAll.
type ReadOptions struct {
	// IsolationLevel is "read_uncommitted" or "read_committed", which
	// hides aborted transactions and waits for open ones. "" means
	// read_uncommitted, the Java consumer's default, so nothing a
	// producer wrote is hidden unless a test asks; librdkafka's own
	// default would be read_committed.
	IsolationLevel string
	// Config adds or overrides consumer properties (security settings...).
	Config kafka.ConfigMap
}

// ErrTopicNotFound is returned (wrapped) when the topic to read never
// appeared.
var ErrTopicNotFound = errors.New("topic does not exist")

// ReadTopic reads topic from the beginning of every partition with a real
// librdkafka consumer (no group membership, no commits) and returns as soon
// as want messages have arrived. After timeout it returns what it got with
// an error saying how many were missing. It waits for the topic to appear,
// since the producer under test may not have created it yet.
func ReadTopic(ctx context.Context, bootstrap, topic string, want int, timeout time.Duration, opts ...ReadOptions) ([]*kafka.Message, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := newReader(ctx, bootstrap, topic, opts)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var msgs []*kafka.Message
	for len(msgs) < want {
		m, err := poll(ctx, c)
		if err != nil {
			return msgs, fmt.Errorf("read %s: got %d of %d messages: %w", topic, len(msgs), want, err)
		}
		if m != nil {
			msgs = append(msgs, m)
		}
	}
	return msgs, nil
}

// ReadAll reads topic from the beginning of every partition until no new
// message has arrived for idle (or ctx ends, which is an error), and
// returns everything read. It waits up to idle for the topic to appear.
func ReadAll(ctx context.Context, bootstrap, topic string, idle time.Duration, opts ...ReadOptions) ([]*kafka.Message, error) {
	setupCtx, cancel := context.WithTimeout(ctx, idle)
	c, err := newReader(setupCtx, bootstrap, topic, opts)
	cancel()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var msgs []*kafka.Message
	for {
		idleCtx, cancel := context.WithTimeout(ctx, idle)
		var m *kafka.Message
		for m == nil && err == nil {
			m, err = poll(idleCtx, c)
		}
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return msgs, fmt.Errorf("read %s: got %d messages: %w", topic, len(msgs), ctx.Err())
			}
			if errors.Is(err, context.DeadlineExceeded) {
				return msgs, nil
			}
			return msgs, fmt.Errorf("read %s: got %d messages: %w", topic, len(msgs), err)
		}
		msgs = append(msgs, m)
	}
}

// newReader makes a consumer assigned to every partition of topic at the
// beginning, waiting until ctx ends for the topic to exist.
func newReader(ctx context.Context, bootstrap, topic string, opts []ReadOptions) (*kafka.Consumer, error) {
	cfg := kafka.ConfigMap{
		"bootstrap.servers": bootstrap,
		// Assign does not join the group, but librdkafka insists on an id.
		"group.id":                 "sluice-harness-reader-" + randomHex(4),
		"enable.auto.commit":       false,
		"enable.auto.offset.store": false,
		"auto.offset.reset":        "earliest",
		"isolation.level":          "read_uncommitted",
		"allow.auto.create.topics": false,
		"enable.partition.eof":     false,
		"log.connection.close":     false,
		// kfake answers KIP-714 telemetry requests, and librdkafka then
		// logs every subscription change at info level to stderr.
		"enable.metrics.push":                false,
		"topic.metadata.refresh.interval.ms": 1000,
	}
	for _, o := range opts {
		if o.IsolationLevel != "" {
			cfg["isolation.level"] = o.IsolationLevel
		}
		for k, v := range o.Config {
			cfg[k] = v
		}
	}
	c, err := kafka.NewConsumer(&cfg)
	if err != nil {
		return nil, fmt.Errorf("read %s: new consumer: %w", topic, err)
	}
	var parts []kafka.TopicPartition
	for {
		md, err := c.GetMetadata(&topic, false, timeoutMS(ctx, 5*time.Second))
		if err == nil {
			if tm, ok := md.Topics[topic]; ok && tm.Error.Code() == kafka.ErrNoError && len(tm.Partitions) > 0 {
				for _, p := range tm.Partitions {
					parts = append(parts, kafka.TopicPartition{Topic: &topic, Partition: p.ID, Offset: kafka.OffsetBeginning})
				}
				break
			}
		}
		select {
		case <-ctx.Done():
			c.Close()
			if err != nil {
				return nil, fmt.Errorf("read %s: metadata: %w (%w)", topic, err, ctx.Err())
			}
			return nil, fmt.Errorf("read %s: %w (%w)", topic, ErrTopicNotFound, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	if err := c.Assign(parts); err != nil {
		c.Close()
		return nil, fmt.Errorf("read %s: assign: %w", topic, err)
	}
	return c, nil
}

// poll waits up to 200 ms for one message; it returns (nil, nil) when none
// came, and an error when ctx ended or the consumer hit a fatal error.
func poll(ctx context.Context, c *kafka.Consumer) (*kafka.Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	wait := timeoutMS(ctx, 200*time.Millisecond)
	switch e := c.Poll(wait).(type) {
	case *kafka.Message:
		if e.TopicPartition.Error != nil {
			return nil, e.TopicPartition.Error
		}
		return e, nil
	case kafka.Error:
		// Transient broker errors are retried by librdkafka itself.
		if e.IsFatal() {
			return nil, e
		}
	}
	return nil, nil
}
