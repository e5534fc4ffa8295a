// Command testworker is a distributed Sluice worker for the end-to-end tests
// in integration/: the plugins of the sluice binary plus a test-only
// multi-task source connector (io.sluice.testing.CounterSourceConnector),
// which the production binary must not contain.
//
//	testworker worker.properties
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"log/slog"

	"github.com/sluicehq/sluice/connect"
	_ "github.com/sluicehq/sluice/connectors/filestream"
	_ "github.com/sluicehq/sluice/connectors/mysql"
	_ "github.com/sluicehq/sluice/converters/all"
	"github.com/sluicehq/sluice/runtime"
	"github.com/sluicehq/sluice/runtime/distributed"
	_ "github.com/sluicehq/sluice/runtime/transforms"
)

// CounterClass is the test connector's class name.
const CounterClass = "io.sluice.testing.CounterSourceConnector"

func init() {
	connect.Register(connect.Plugin{Class: CounterClass, Type: connect.PluginSource, Version: "1.0", New: func() any { return &counterConnector{} }})
}

func counterDef() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "topic", Type: connect.ConfigString, Required: true, Importance: connect.High, Doc: "Topic to write to."}).
		Define(connect.ConfigKey{Name: "interval.ms", Type: connect.ConfigInt, Default: "20", Importance: connect.Low, Doc: "Pause between records."}).
		Define(connect.ConfigKey{Name: "max.records", Type: connect.ConfigInt, Default: "0", Importance: connect.Low, Doc: "Records per task; 0 = unbounded."}).
		Define(connect.ConfigKey{Name: "stop.linger.ms", Type: connect.ConfigInt, Default: "0", Importance: connect.Low, Doc: "How long a poll under way when the task is stopped takes to return: a task slow to stop, whose final offset commit comes late."})
}

// counterConnector splits the work into tasks.max tasks.
type counterConnector struct{ props map[string]string }

func (c *counterConnector) Version() string            { return "1.0" }
func (c *counterConnector) Config() *connect.ConfigDef { return counterDef() }
func (c *counterConnector) Start(_ context.Context, _ connect.ConnectorContext, props map[string]string) error {
	c.props = props
	return nil
}
func (c *counterConnector) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	out := make([]map[string]string, maxTasks)
	for i := range out {
		out[i] = map[string]string{"topic": c.props["topic"], "task.index": strconv.Itoa(i),
			"interval.ms": c.props["interval.ms"], "max.records": c.props["max.records"], "name": c.props["name"],
			"stop.linger.ms": c.props["stop.linger.ms"]}
	}
	return out, nil
}
func (c *counterConnector) NewTask() connect.SourceTask { return &counterTask{} }
func (c *counterConnector) Stop() error                 { return nil }

// counterTask writes "<connector>-<task>-<n>" keys with n counting up from
// its committed offset, so a takeover continues where the last commit was.
type counterTask struct {
	topic     string
	partition map[string]any
	next      int64
	max       int64
	interval  time.Duration
	linger    time.Duration
	prefix    string
}

func (t *counterTask) Version() string { return "1.0" }
func (t *counterTask) Start(ctx context.Context, tctx connect.SourceTaskContext, props map[string]string) error {
	t.topic = props["topic"]
	t.prefix = props["name"] + "-" + props["task.index"]
	t.partition = map[string]any{"task": t.prefix}
	ms, _ := strconv.Atoi(props["interval.ms"])
	if ms <= 0 {
		ms = 20
	}
	t.interval = time.Duration(ms) * time.Millisecond
	t.max, _ = strconv.ParseInt(props["max.records"], 10, 64)
	linger, _ := strconv.Atoi(props["stop.linger.ms"])
	t.linger = time.Duration(linger) * time.Millisecond
	off, err := tctx.OffsetStorageReader().Offset(ctx, t.partition)
	if err != nil {
		return err
	}
	if n, ok := off["next"].(int64); ok {
		t.next = n
	}
	return nil
}

func (t *counterTask) Poll(ctx context.Context) ([]*connect.SourceRecord, error) {
	if t.max > 0 && t.next >= t.max {
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
		return nil, nil
	}
	select {
	case <-ctx.Done():
		time.Sleep(t.linger)
		return nil, nil
	case <-time.After(t.interval):
	}
	n := t.next
	t.next++
	return []*connect.SourceRecord{{
		SourcePartition: t.partition, SourceOffset: map[string]any{"next": n + 1}, Topic: t.topic,
		KeySchema: connect.StringSchema, Key: fmt.Sprintf("%s-%d", t.prefix, n), ValueSchema: connect.StringSchema, Value: strconv.FormatInt(n, 10),
	}}, nil
}

func (t *counterTask) Stop() error { return nil }

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: testworker worker.properties")
		os.Exit(2)
	}
	props, err := runtime.LoadProperties(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := distributed.Run(ctx, props, distributed.RunOptions{Logger: log, Version: "test"}); err != nil {
		fmt.Fprintln(os.Stderr, "testworker:", err)
		os.Exit(1)
	}
}
