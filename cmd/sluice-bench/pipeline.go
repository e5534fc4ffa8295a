package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/connectors/mysql"
	"github.com/sluicehq/sluice/offsets"
	"github.com/sluicehq/sluice/rest"
	"github.com/sluicehq/sluice/runtime"
)

// converterVariant is one value converter configuration under test.
type converterVariant struct {
	name  string // short name used in tables and file names
	label string // what BENCHMARKS.md calls it
	props map[string]string
}

// variants are the value converters of the catch-up scenario. The key
// converter is the same for all (JsonConverter without schemas), so the
// value converter is the only thing that changes between rows of the table.
func variants(registryURL string) []converterVariant {
	return []converterVariant{
		{"json-schemas", "JsonConverter, schemas.enable=true", map[string]string{
			"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "true"}},
		{"json", "JsonConverter, schemas.enable=false", map[string]string{
			"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false"}},
		{"canal-json", "Canal JSON", map[string]string{
			"value.converter": "io.sluice.converters.CanalJsonConverter"}},
		{"shareplex-json", "Shareplex JSON", map[string]string{
			"value.converter": "io.sluice.converters.ShareplexJsonConverter"}},
		{"maxwell-json", "Maxwell JSON (commit flags on)", map[string]string{
			"value.converter": "io.sluice.converters.MaxwellJsonConverter"}},
		{"dts-avro", "DTS Avro (no registry)", map[string]string{
			"value.converter": "io.sluice.converters.DtsAvroConverter"}},
		{"avro", "Confluent AvroConverter (in-process registry)", map[string]string{
			"value.converter": "io.confluent.connect.avro.AvroConverter", "value.converter.schema.registry.url": registryURL}},
	}
}

// pipelineRun is one connector run on its own standalone worker.
type pipelineRun struct {
	name      string // connector name
	prefix    string // topic.prefix
	table     string
	variant   converterVariant
	start     *binlogRange // nil: no stored offset (snapshot.mode decides)
	snapMode  string
	bootstrap string
	db        dbAddr
	extra     map[string]string
}

type dbAddr struct {
	host           string
	port           int
	user, password string
}

// topic is the data topic of the run's table.
func (p *pipelineRun) topic() string { return p.prefix + "." + benchDB + "." + p.table }

func (p *pipelineRun) connectorConfig() map[string]string {
	c := map[string]string{
		"connector.class":              mysql.ConnectorClass,
		"tasks.max":                    "1",
		"database.hostname":            p.db.host,
		"database.port":                strconv.Itoa(p.db.port),
		"database.user":                p.db.user,
		"database.password":            p.db.password,
		"database.server.id":           "7001",
		"database.ssl.mode":            "disabled",
		"topic.prefix":                 p.prefix,
		"table.include.list":           benchDB + "." + p.table,
		"include.schema.changes":       "false",
		"snapshot.mode":                p.snapMode,
		"key.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"key.converter.schemas.enable": "false",
	}
	maps.Copy(c, p.variant.props)
	maps.Copy(c, p.extra)
	maps.Copy(c, connectorProps())
	return c
}

// running is a started pipeline.
type running struct {
	herder *runtime.StandaloneHerder
	store  offsets.Store
	id     rest.TaskID
	// midway, when set, runs once when half the rows are acknowledged.
	midway func()
}

// start creates a worker and herder with a memory offset store seeded at
// the run's binlog start, and creates the connector.
func (p *pipelineRun) startPipeline(ctx context.Context) (*running, error) {
	props := map[string]string{
		runtime.WorkerBootstrapServers:    p.bootstrap,
		runtime.WorkerKeyConverter:        "org.apache.kafka.connect.json.JsonConverter",
		runtime.WorkerValueConverter:      "org.apache.kafka.connect.json.JsonConverter",
		runtime.WorkerListeners:           "http://127.0.0.1:0",
		runtime.WorkerOffsetFlushInterval: "1000",
	}
	for k, v := range producerProps() {
		props["producer."+k] = v
	}
	wc, err := runtime.ParseWorkerConfig(props)
	if err != nil {
		return nil, err
	}
	store := offsets.NewMemoryStore()
	if p.start != nil {
		// Debezium's offset format: the connector resumes at file/pos as
		// it would after a restart, so it reads the whole range.
		pos := mysql.Position{File: p.start.Start.File, Pos: p.start.Start.Pos}
		if err := store.Set(ctx, p.name, []offsets.Entry{{Partition: mysql.SourcePartition(p.prefix), Offset: pos.Map()}}); err != nil {
			return nil, fmt.Errorf("seed offset: %w", err)
		}
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if *verbose {
		quiet = slog.Default()
	}
	h := runtime.NewStandaloneHerder(runtime.NewWorker(wc, store, runtime.WorkerOptions{WorkerID: "bench:0", Logger: quiet}))
	if _, _, err := h.PutConnectorConfig(ctx, p.name, p.connectorConfig(), false, ""); err != nil {
		h.Stop(context.Background())
		return nil, fmt.Errorf("create connector %s: %w", p.name, err)
	}
	return &running{herder: h, store: store, id: rest.TaskID{Connector: p.name, Task: 0}}, nil
}

func (r *running) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r.herder.Stop(ctx)
	r.store.Close()
}

// acked returns the task's acknowledged record count, or an error if the
// connector or its task failed.
func (r *running) acked(ctx context.Context) (int64, error) {
	if m, ok := r.herder.TaskMetrics(r.id); ok {
		if n := m.RecordsAcked.Load(); n > 0 {
			return n, nil
		}
	}
	st, err := r.herder.ConnectorStatus(ctx, r.id.Connector)
	if err != nil {
		return 0, err
	}
	if st.Connector.State == runtime.StateFailed {
		return 0, fmt.Errorf("connector failed: %s", firstLine(st.Connector.Trace))
	}
	for _, t := range st.Tasks {
		if t.State == runtime.StateFailed {
			return 0, fmt.Errorf("task failed: %s", firstLine(t.Trace))
		}
	}
	return 0, nil
}

// errTimeout says a pipeline did not deliver every row in time.
var errTimeout = errors.New("timed out")

// waitAcked polls the task until want records are acknowledged and returns
// when the first and the last of them were (to within 2 ms).
func (r *running) waitAcked(ctx context.Context, want int64, timeout time.Duration) (first, last time.Time, err error) {
	deadline := time.Now().Add(timeout)
	lastCheck := time.Now()
	for {
		if m, ok := r.herder.TaskMetrics(r.id); ok {
			n := m.RecordsAcked.Load()
			if n > 0 && first.IsZero() {
				first = time.Now()
			}
			if n >= want {
				return first, time.Now(), nil
			}
			if n >= want/2 && r.midway != nil {
				r.midway()
				r.midway = nil
			}
		}
		if time.Since(lastCheck) > 200*time.Millisecond {
			lastCheck = time.Now()
			sampleGoMemory()
			if _, err := r.acked(ctx); err != nil {
				return first, last, err
			}
			if time.Now().After(deadline) {
				var n int64
				if m, ok := r.herder.TaskMetrics(r.id); ok {
					n = m.RecordsAcked.Load()
				}
				return first, last, fmt.Errorf("%w after %s with %d of %d records acknowledged", errTimeout, timeout, n, want)
			}
		}
		select {
		case <-ctx.Done():
			return first, last, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// goPeak is the most memory the Go runtime had mapped (heap, stacks,
// metadata: /memory/classes/total:bytes minus what it released) at any
// sample since resetGoPeak, to tell Go's share of the peak RSS from
// librdkafka's and the rest.
var goPeak atomic.Uint64

func resetGoPeak() { goPeak.Store(0) }

func sampleGoMemory() {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return
	}
	v := s[0].Value.Uint64() - s[1].Value.Uint64()
	for {
		cur := goPeak.Load()
		if v <= cur || goPeak.CompareAndSwap(cur, v) {
			return
		}
	}
}
