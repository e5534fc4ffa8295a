package mysql

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/sluicehq/sluice/connect"
)

// Debezium's Kafka signal channel: signals are records on partition 0 of
// a topic (signal.kafka.topic), keyed by the connector's topic prefix, with
// the value {"id": ..., "type": ..., "data": {...}}. The runtime reads the
// topic (connect.TopicReader; a connector holds no Kafka client), this
// file hands each signal to the stream goroutine, which acts on it between
// two binlog events exactly as on a signal-table row, and the stream's
// offsets remember the next signal offset (OffsetSignalNext), so a restart
// neither repeats the signals it acted on nor misses those sent while it
// was down.

// kafkaSignals is the hand-over between the reader and the stream.
type kafkaSignals struct {
	opts   *KafkaSignalOptions
	reader connect.TopicReader
	prefix string
	// wake ends the stream's wait for the next binlog event when a signal
	// arrives, so a signal is acted on when the binlog is quiet too.
	wake waker

	mu      sync.Mutex
	pending []kafkaSignal
	err     error // the reader's failure, which fails the stream
}

type kafkaSignal struct {
	offset        int64
	id, typ, data string
}

// readKafkaSignals runs the runtime's reader until the stream ends; a
// reader that fails for good fails the stream, since signals would be
// lost silently otherwise.
func (s *stream) readKafkaSignals(ctx context.Context, from int64) {
	k := s.ksig
	if from <= 0 {
		from = -1
	}
	s.log.Info("reading signals from Kafka", "topic", k.opts.Topic, "partition", 0, "from_offset", from, "key", k.prefix)
	err := k.reader.ReadTopic(ctx, connect.TopicRead{Topic: k.opts.Topic, Partition: 0, From: from, Client: k.opts.Client}, func(r connect.TopicRecord) {
		sig, ok := s.parseKafkaSignal(r)
		if !ok {
			// Still counted as read: the offset moves past it.
			sig = kafkaSignal{offset: r.Offset}
		}
		k.mu.Lock()
		k.pending = append(k.pending, sig)
		k.mu.Unlock()
		k.wake.wake()
	})
	if err != nil && ctx.Err() == nil {
		k.mu.Lock()
		k.err = fmt.Errorf("the Kafka signal channel (%s=%s) stopped: %w", KeySignalKafkaTopic, k.opts.Topic, err)
		k.mu.Unlock()
		k.wake.wake()
	}
}

// parseKafkaSignal reads one signal record; records for other connectors
// and malformed ones are skipped with a log line, as Debezium does.
func (s *stream) parseKafkaSignal(r connect.TopicRecord) (kafkaSignal, bool) {
	if string(r.Key) != s.ksig.prefix {
		s.log.Info("skipping a Kafka signal keyed for another connector", "offset", r.Offset, "key", string(r.Key), "want_key", s.ksig.prefix)
		return kafkaSignal{}, false
	}
	if len(bytes.TrimSpace(r.Value)) == 0 {
		return kafkaSignal{}, false
	}
	sig, err := parseSignalJSON(r.Value)
	if err != nil {
		s.log.Warn("skipping a Kafka signal that is not {\"id\", \"type\", \"data\"} JSON", "offset", r.Offset, "error", err)
		return kafkaSignal{}, false
	}
	sig.offset = r.Offset
	return sig, true
}

// parseSignalJSON reads a channel's {"id", "type", "data"}; data is ""
// when absent or null.
func parseSignalJSON(b []byte) (kafkaSignal, error) {
	var v struct {
		ID   string          `json:"id"`
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return kafkaSignal{}, err
	}
	if v.Type == "" {
		return kafkaSignal{}, errors.New("no type")
	}
	data := string(v.Data)
	if data == "null" {
		data = ""
	}
	return kafkaSignal{id: v.ID, typ: v.Type, data: data}, nil
}

// takeKafkaSignals acts on the signals that arrived, on the stream
// goroutine, and moves the offsets' place in the signal topic past them.
func (s *stream) takeKafkaSignals(ctx context.Context) error {
	k := s.ksig
	k.mu.Lock()
	sigs, failed := k.pending, k.err
	k.pending = nil
	k.mu.Unlock()
	for _, sig := range sigs {
		if sig.typ != "" {
			if err := s.signal(ctx, sig.id, sig.typ, sig.data); err != nil {
				return err
			}
		}
		if sig.offset != fileSignalOffset {
			s.cur.signalNext = sig.offset + 1
		}
	}
	return failed
}
