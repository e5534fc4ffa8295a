package runtime

import (
	"context"
	"fmt"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/sluicehq/sluice/connect"
)

// ReadTopic reads a partition for the task (connect.TopicReader): an
// assigned consumer, no group membership and no committed offsets, since
// the task keeps its place in its own source offsets.
func (c taskContext) ReadTopic(ctx context.Context, req connect.TopicRead, fn func(connect.TopicRecord)) error {
	cfg := kafka.ConfigMap{
		"enable.auto.commit":       false,
		"enable.auto.offset.store": false,
		"auto.offset.reset":        "earliest",
		"client.id":                fmt.Sprintf("sluice-%s-%d-topic-reader", c.t.id.Connector, c.t.id.Task),
		"group.id":                 "sluice-topic-reader",
		"go.logs.channel.enable":   false,
	}
	for k, v := range req.Client {
		cfg[k] = v
	}
	cons, err := kafka.NewConsumer(&cfg)
	if err != nil {
		return fmt.Errorf("consumer for topic %s: %w", req.Topic, err)
	}
	defer cons.Close()
	from := kafka.OffsetBeginning
	if req.From >= 0 {
		from = kafka.Offset(req.From)
	}
	topic := req.Topic
	if err := cons.Assign([]kafka.TopicPartition{{Topic: &topic, Partition: req.Partition, Offset: from}}); err != nil {
		return fmt.Errorf("reading topic %s partition %d: %w", req.Topic, req.Partition, err)
	}
	warned := false
	for ctx.Err() == nil {
		switch e := cons.Poll(200).(type) {
		case *kafka.Message:
			if e.TopicPartition.Error != nil {
				continue
			}
			fn(connect.TopicRecord{Offset: int64(e.TopicPartition.Offset), Key: e.Key, Value: e.Value})
		case kafka.Error:
			if e.IsFatal() {
				return fmt.Errorf("reading topic %s: %w", req.Topic, e)
			}
			// A topic not created yet, a broker away: librdkafka retries.
			if !warned {
				c.t.log.Warn("reading a topic for the task: retrying", "topic", req.Topic, "error", e.Error())
				warned = true
			}
		}
	}
	return ctx.Err()
}

var _ connect.TopicReader = taskContext{}
