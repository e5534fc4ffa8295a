package runtime

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/connect"
)

// Test plugins, registered under names no real plugin uses.
const (
	testSourceClass    = "sluice.runtimetest.CountingSourceConnector"
	testConverterClass = "sluice.runtimetest.StringBytesConverter"
	testHeaderClass    = "sluice.runtimetest.StringBytesHeaderConverter"
)

func init() {
	connect.Register(connect.Plugin{Class: testSourceClass, Type: connect.PluginSource, Version: "1.0", New: func() any { return &countingSource{} }})
	connect.Register(connect.Plugin{Class: testConverterClass, Type: connect.PluginConverter, New: func() any { return &stringBytes{} }})
	connect.Register(connect.Plugin{Class: testHeaderClass, Type: connect.PluginHeaderConverter, New: func() any { return &stringHeaders{} }})
}

var countingDef = connect.NewConfigDef().
	Define(connect.ConfigKey{Name: "topic", Type: connect.ConfigString, Required: true, Group: "Counting", Doc: "Topic to write to."}).
	Define(connect.ConfigKey{Name: "count", Type: connect.ConfigLong, Default: "100", Validator: connect.AtLeast(0), Group: "Counting", Doc: "Records to emit."}).
	Define(connect.ConfigKey{Name: "batch", Type: connect.ConfigInt, Default: "50", Validator: connect.AtLeast(1), Group: "Counting", Doc: "Records per poll."}).
	Define(connect.ConfigKey{Name: "panic.at", Type: connect.ConfigLong, Default: "-1", Group: "Counting", Doc: "Panic in Poll at this record."}).
	Define(connect.ConfigKey{Name: "retriable.at", Type: connect.ConfigLong, Default: "-1", Group: "Counting", Doc: "Fail Poll once with a retriable error at this record."}).
	Define(connect.ConfigKey{Name: "db.pw", Type: connect.ConfigPassword, Default: "", Group: "Counting", Doc: "A secret."})

// countingSource emits records 0..count-1 of one source partition, with
// offset {"n": i}, resuming after the committed offset.
type countingSource struct{ props map[string]string }

func (c *countingSource) Version() string            { return "1.0" }
func (c *countingSource) Config() *connect.ConfigDef { return countingDef }
func (c *countingSource) Start(_ context.Context, _ connect.ConnectorContext, props map[string]string) error {
	if props["start.fails"] == "true" {
		return errors.New("start.fails is set")
	}
	c.props = props
	return nil
}
func (c *countingSource) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	tc := map[string]string{}
	for _, k := range []string{"topic", "count", "batch", "panic.at", "retriable.at", "pin.every", "pin.partitions", "big.every", "big.bytes"} {
		tc[k] = c.props[k]
	}
	return []map[string]string{tc}, nil
}
func (c *countingSource) NewTask() connect.SourceTask { return &countingTask{} }
func (c *countingSource) Stop() error                 { return nil }

// Validate adds a cross-key rule, to exercise ConfigValidator merging.
func (c *countingSource) Validate(_ context.Context, props map[string]string) []connect.ConfigValue {
	if props["topic"] == "forbidden" {
		return []connect.ConfigValue{{Name: "topic", Value: "forbidden", Errors: []string{"topic may not be 'forbidden'"}, Visible: true}}
	}
	return nil
}

var countingPartition = map[string]any{"source": "counter"}

type countingTask struct {
	topic   string
	count   int64
	batch   int
	next    int64
	panicAt int64
	// retriableAt fails one Poll with a retriable error.
	retriableAt int64
	// Every pinEvery-th record names its partition (n mod pinPartitions);
	// every bigEvery-th record's value is padded to bigBytes.
	pinEvery, pinPartitions, bigEvery, bigBytes int64
	commits                                     atomic.Int64
	emitted                                     atomic.Int64
}

func (t *countingTask) Version() string { return "1.0" }

// startEntered holds, by a task's start.block value, a channel Start
// closes when it begins to block, so a test can stop the task mid-start.
var startEntered sync.Map

func (t *countingTask) Start(ctx context.Context, tctx connect.SourceTaskContext, props map[string]string) error {
	if c, ok := props[TaskClassConfig]; ok {
		// task.class is the runtime's, not a key the task declares.
		return fmt.Errorf("the task was started with task.class=%s", c)
	}
	if msg := props["start.fail"]; msg != "" {
		return errors.New(msg)
	}
	if id := props["start.block"]; id != "" {
		if ch, ok := startEntered.Load(id); ok {
			close(ch.(chan struct{}))
		}
		<-ctx.Done()
		// As a connector whose dial was cancelled: the error says
		// "operation was canceled" but does not wrap ctx.Err().
		return fmt.Errorf("cannot connect to 127.0.0.1:1 (check database.hostname): dial tcp 127.0.0.1:1: operation was canceled")
	}
	t.topic = props["topic"]
	t.count, _ = strconv.ParseInt(props["count"], 10, 64)
	t.batch, _ = strconv.Atoi(props["batch"])
	t.panicAt = -1
	if p := props["panic.at"]; p != "" {
		t.panicAt, _ = strconv.ParseInt(p, 10, 64)
	}
	t.retriableAt = -1
	if p := props["retriable.at"]; p != "" {
		t.retriableAt, _ = strconv.ParseInt(p, 10, 64)
	}
	if t.batch == 0 {
		t.batch = 50
	}
	t.pinEvery, _ = strconv.ParseInt(props["pin.every"], 10, 64)
	t.pinPartitions, _ = strconv.ParseInt(props["pin.partitions"], 10, 64)
	t.bigEvery, _ = strconv.ParseInt(props["big.every"], 10, 64)
	t.bigBytes, _ = strconv.ParseInt(props["big.bytes"], 10, 64)
	off, err := tctx.OffsetStorageReader().Offset(ctx, countingPartition)
	if err != nil {
		return err
	}
	if off != nil {
		n, ok := off["n"].(int64)
		if !ok {
			return fmt.Errorf("stored offset %v has no integer n", off)
		}
		t.next = n + 1
	}
	return nil
}

func (t *countingTask) Poll(ctx context.Context) ([]*connect.SourceRecord, error) {
	if t.next >= t.count {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		return nil, nil
	}
	time.Sleep(2 * time.Millisecond)
	if t.next == t.retriableAt {
		t.retriableAt = -1
		return nil, connect.Retriable(fmt.Errorf("source busy"))
	}
	var out []*connect.SourceRecord
	for i := 0; i < t.batch && t.next < t.count; i++ {
		n := t.next
		if n == t.panicAt {
			panic(fmt.Sprintf("counting task hit record %d", n))
		}
		t.next++
		rec := &connect.SourceRecord{
			SourcePartition: countingPartition,
			SourceOffset:    map[string]any{"n": n},
			Topic:           t.topic,
			KeySchema:       connect.StringSchema, Key: strconv.FormatInt(n, 10),
			ValueSchema: connect.StringSchema, Value: "record-" + strconv.FormatInt(n, 10),
			// The internal header is for the converters and must not reach
			// Kafka (numbers checks the messages' headers).
			Headers: connect.Headers{{Key: "h", Schema: connect.StringSchema, Value: "v"},
				{Key: connect.HeaderSourcePosition, Schema: connect.StringSchema, Value: "binlog.000001:4"}},
		}
		if t.pinEvery > 0 && n%t.pinEvery == 0 {
			rec.Partition = connect.PartitionPtr(int32(n % t.pinPartitions))
		}
		if t.bigEvery > 0 && n%t.bigEvery == 0 {
			rec.Value = rec.Value.(string) + "/" + strings.Repeat("x", int(t.bigBytes))
		}
		out = append(out, rec)
	}
	t.emitted.Add(int64(len(out)))
	return out, nil
}

func (t *countingTask) Commit() error { t.commits.Add(1); return nil }
func (t *countingTask) Stop() error   { return nil }

// stringBytes writes strings as their bytes.
type stringBytes struct{}

func (stringBytes) Configure(map[string]string, bool) error { return nil }

type stringHeaders struct{ stringBytes }

func (stringHeaders) Configure(map[string]string) error { return nil }

func (s *stringBytes) FromConnectData(_ string, _ connect.Headers, _ *connect.Schema, v any) ([]byte, error) {
	return s.bytes(v)
}
func (s *stringBytes) ToConnectData(string, connect.Headers, []byte) (connect.SchemaAndValue, error) {
	return connect.SchemaAndValue{}, fmt.Errorf("not supported")
}
func (s *stringHeaders) FromConnectHeader(_, _ string, _ *connect.Schema, v any) ([]byte, error) {
	return s.bytes(v)
}
func (s *stringHeaders) ToConnectHeader(string, string, []byte) (connect.SchemaAndValue, error) {
	return connect.SchemaAndValue{}, fmt.Errorf("not supported")
}
func (stringBytes) bytes(v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []byte(x), nil
	}
	return nil, fmt.Errorf("stringBytes converter takes strings, got %T", v)
}
