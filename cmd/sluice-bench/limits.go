package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicehq/sluice/connectors/mysql"
	"github.com/sluicehq/sluice/integration/harness"
	sluiceruntime "github.com/sluicehq/sluice/runtime"
)

// parseOnly reads the binlog range with go-mysql's BinlogSyncer configured
// as connectors/mysql configures it (ParseTime, go-mysql's cheapest
// decoding of temporal values; the connector's rendering of them to text
// is left out as Sluice's own work), lets it decode every row event, and
// does nothing else. It returns rows/s until the last row of the table.
func parseOnly(ctx context.Context, db *harness.MariaDB, r binlogRange, tableName string) (float64, error) {
	syncer := replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
		ServerID:                7002,
		Flavor:                  gomysql.MariaDBFlavor,
		Host:                    db.Host(),
		Port:                    uint16(db.Port()),
		User:                    db.User(),
		Password:                db.Password(),
		ParseTime:               true,
		TimestampStringLocation: time.UTC,
		UseDecimal:              false,
		HeartbeatPeriod:         10 * time.Second,
		ReadTimeout:             60 * time.Second,
		DisableRetrySync:        true,
		Logger:                  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	defer syncer.Close()
	began := time.Now()
	st, err := syncer.StartSync(gomysql.Position{Name: r.Start.File, Pos: r.Start.Pos})
	if err != nil {
		return 0, fmt.Errorf("parse-only: start sync: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	var rows int64
	for rows < r.Rows {
		ev, err := st.GetEvent(ctx)
		if err != nil {
			return 0, fmt.Errorf("parse-only: after %d rows: %w", rows, err)
		}
		if re, ok := ev.Event.(*replication.RowsEvent); ok && string(re.Table.Table) == tableName {
			rows += int64(len(re.Rows))
		}
	}
	return float64(rows) / time.Since(began).Seconds(), nil
}

// benchProducerConfig is the producer config the runtime gives a source
// task (runtime/producer.go sourceProducerDefaults: Kafka Connect's forced
// source-producer settings in librdkafka's terms), so produce-only measures
// the same client with the same settings.
func benchProducerConfig(bootstrap string) kafka.ConfigMap {
	cm := kafka.ConfigMap{
		"bootstrap.servers":          bootstrap,
		"client.id":                  "sluice-bench-produce-only",
		"acks":                       "all",
		"max.in.flight":              1,
		"enable.idempotence":         false,
		"message.timeout.ms":         2147483647,
		"partitioner":                "murmur2_random",
		"queue.buffering.max.kbytes": 32768,
		"go.delivery.reports":        true,
		"go.delivery.report.fields":  "none",
		"log.connection.close":       false,
		// As the runtime's producers: no KIP-714 telemetry push.
		"enable.metrics.push": false,
	}
	// The MySQL connector's own producer defaults (kafka.compression.type,
	// kafka.acks, max.request.size), as runtime/producer_defaults.go
	// applies them, then the -producer settings the pipeline gets too.
	var conn mysql.Connector
	for k, v := range conn.ProducerDefaults(map[string]string{}) {
		if k == "max.request.size" {
			k = "message.max.bytes"
		}
		cm[k] = v
	}
	for k, v := range producerProps() {
		cm[k] = v
	}
	return cm
}

// produceOnly produces n pre-built messages with keys of keyLen bytes and
// values of valLen bytes to topic and returns messages/s until the last
// delivery report.
func produceOnly(ctx context.Context, bootstrap, topic string, n int64, keyLen, valLen int) (float64, time.Duration, error) {
	cm := benchProducerConfig(bootstrap)
	// The client the pipeline's task picks for these settings.
	fp, _, err := sluiceruntime.ChooseProducerClient(cm, false)
	if err != nil {
		return 0, 0, err
	}
	if fp != nil {
		return produceOnlyFranz(ctx, fp, topic, n, keyLen, valLen)
	}
	p, err := kafka.NewProducer(&cm)
	if err != nil {
		return 0, 0, err
	}
	defer p.Close()
	keys, val := produceOnlyData(n, keyLen, valLen)
	// One message, reused, as the runtime's task does: librdkafka copies
	// what it is given, and an array of n messages would make the
	// collector's work part of the measure.
	msg := kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny}, Value: val}
	// Warm up the topic's metadata so the timing starts with a known topic.
	if err := p.Produce(&kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny}, Value: val}, nil); err != nil {
		return 0, 0, err
	}
	for ev := range p.Events() {
		if m, ok := ev.(*kafka.Message); ok {
			if m.TopicPartition.Error != nil {
				return 0, 0, fmt.Errorf("produce-only warm-up: %w", m.TopicPartition.Error)
			}
			break
		}
	}
	done := make(chan error, 1)
	go func() {
		var got int64
		for ev := range p.Events() {
			switch e := ev.(type) {
			case *kafka.Message:
				if e.TopicPartition.Error != nil {
					done <- e.TopicPartition.Error
					return
				}
				got++
				if got == n {
					done <- nil
					return
				}
			}
		}
		done <- fmt.Errorf("producer closed after %d deliveries", got)
	}()
	runtime.GC()
	began, cpu0 := time.Now(), cpuTime()
	for i := range int(n) {
		msg.Key = keys[i*keyLen : (i+1)*keyLen]
		for {
			err := p.Produce(&msg, nil)
			if err == nil {
				break
			}
			if ke, ok := err.(kafka.Error); ok && ke.Code() == kafka.ErrQueueFull {
				time.Sleep(time.Millisecond)
				continue
			}
			return 0, 0, err
		}
	}
	select {
	case err := <-done:
		if err != nil {
			return 0, 0, fmt.Errorf("produce-only: %w", err)
		}
	case <-ctx.Done():
		return 0, 0, ctx.Err()
	}
	// The client's own cost per message (librdkafka's threads included):
	// the part of the pipeline's CPU per row that producing takes.
	return float64(n) / time.Since(began).Seconds(), (cpuTime() - cpu0) / time.Duration(n), nil
}

// produceOnlyData is produce-only's messages: distinct keys of the same
// length, so partitioning and batching see what the connector's records
// give them, and one value they all share (both clients copy what they
// are given).
func produceOnlyData(n int64, keyLen, valLen int) (keys, val []byte) {
	keys = make([]byte, int(n)*keyLen)
	for i := range keys {
		keys[i] = letters[i%len(letters)]
	}
	val = make([]byte, valLen)
	for i := range val {
		val[i] = letters[(i*7)%len(letters)]
	}
	return keys, val
}

// produceOnlyFranz is produceOnly through franz-go, the way a source task
// uses it: each message copied into a pooled record (the task's converter
// buffers are reused), one promise for all.
func produceOnlyFranz(ctx context.Context, fp *sluiceruntime.FranzGoProducer, topic string, n int64, keyLen, valLen int) (float64, time.Duration, error) {
	cl, err := kgo.NewClient(append(fp.Opts, kgo.ProducerBatchMaxBytes(1000000))...)
	if err != nil {
		return 0, 0, err
	}
	defer cl.Close()
	keys, val := produceOnlyData(n, keyLen, valLen)
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: val}).FirstErr(); err != nil {
		return 0, 0, fmt.Errorf("produce-only warm-up: %w", err)
	}
	pool := sync.Pool{New: func() any { return new(kgo.Record) }}
	var got, buffered atomic.Int64
	var failed atomic.Pointer[error]
	done, freed := make(chan struct{}), make(chan struct{}, 1)
	size := int64(keyLen + valLen)
	promise := func(r *kgo.Record, err error) {
		if err != nil {
			failed.CompareAndSwap(nil, &err)
		}
		// buffer.memory, bounded as the task bounds it.
		buffered.Add(-size)
		select {
		case freed <- struct{}{}:
		default:
		}
		k, v := r.Key[:0], r.Value[:0]
		*r = kgo.Record{Key: k, Value: v}
		pool.Put(r)
		if got.Add(1) == n {
			close(done)
		}
	}
	runtime.GC()
	began, cpu0 := time.Now(), cpuTime()
	for i := range int(n) {
		for buffered.Load()+size > fp.BufferBytes {
			select {
			case <-freed:
			case <-time.After(time.Millisecond):
			}
		}
		buffered.Add(size)
		r := pool.Get().(*kgo.Record)
		r.Topic, r.Partition = topic, -1
		r.Key = append(r.Key, keys[i*keyLen:(i+1)*keyLen]...)
		r.Value = append(r.Value, val...)
		cl.Produce(ctx, r, promise)
	}
	select {
	case <-done:
	case <-ctx.Done():
		return 0, 0, ctx.Err()
	}
	if e := failed.Load(); e != nil {
		return 0, 0, fmt.Errorf("produce-only: %w", *e)
	}
	return float64(n) / time.Since(began).Seconds(), (cpuTime() - cpu0) / time.Duration(n), nil
}

// rawSelect reads SELECT * of the table through go-mysql's client, the
// driver connectors/mysql uses, decoding every row, and returns rows/s.
func rawSelect(ctx context.Context, db *harness.MariaDB, tableName string) (float64, int64, error) {
	conn, err := client.ConnectWithContext(ctx, db.Addr(), db.User(), db.Password(), benchDB, 30*time.Second)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Quit()
	var rows int64
	var res gomysql.Result
	began := time.Now()
	err = conn.ExecuteSelectStreaming("SELECT * FROM "+tableName, &res, func(row []gomysql.FieldValue) error {
		rows++
		return nil
	}, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("raw select: %w", err)
	}
	return float64(rows) / time.Since(began).Seconds(), rows, nil
}
