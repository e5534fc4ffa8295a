package runtime

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicehq/sluice/connect"
)

// A source task that is not exactly-once produces through franz-go rather
// than librdkafka when its producer settings allow: measured on the bench's
// broker with the same settings (acks=all, one request in flight, lz4,
// 12+599-byte records), librdkafka through confluent-kafka-go costs 2.8–2.9
// µs of CPU per message (a cgo call and a map entry per message, a Go
// message per delivery report, its own threads) and franz-go 1.05–1.2 µs,
// at 2.5 × the messages per second. Exactly-once tasks keep librdkafka's
// transactions, and so does any producer setting franz-go has no
// counterpart for (FranzGoProducerOptions says which).

// ProducerClientKey chooses the source-task producer's client:
// producer.sluice.client (worker) or producer.override.sluice.client
// (connector) = auto (default), franz-go or librdkafka.
const ProducerClientKey = "sluice.client"

// FranzGoProducer is a source task's franz-go producer settings, built
// from the librdkafka-named config the task would give librdkafka.
type FranzGoProducer struct {
	Opts []kgo.Opt
	// BufferBytes bounds the bytes of records awaiting delivery
	// (buffer.memory), enforced by the task as librdkafka enforces
	// queue.buffering.max.kbytes.
	BufferBytes int64
	// MaxRecordBytes is message.max.bytes (max.request.size): the largest
	// record the producer sends, alone in its batch when it is larger
	// than a batch (franz-go caps a record by its batch size).
	MaxRecordBytes int64
}

// franzBatchBytes is the batches' size cap, franz-go's default and the
// broker's default max.message.bytes (a compressed batch must fit it).
const franzBatchBytes = 1000000

// librdkafka-named keys a franz-go producer ignores: the Go wrapper's
// channel settings and log switches that mean nothing to it.
var franzIgnored = map[string]bool{
	"go.delivery.reports": true, "go.delivery.report.fields": true, "go.events.channel.size": true,
	"go.produce.channel.size": true, "log.connection.close": true, ProducerClientKey: true,
	// A batching hint in Kafka's producer; franz-go batches up to
	// message.max.bytes, which bounds a record as max.request.size does.
	"batch.size": true, "batch.num.messages": true,
	// The security settings KgoSecurity reads.
	"security.protocol": true, "sasl.mechanisms": true, "sasl.username": true, "sasl.password": true,
	"ssl.ca.location": true, "ssl.ca.pem": true, "ssl.certificate.location": true, "ssl.key.location": true,
	"ssl.certificate.pem": true, "ssl.key.pem": true,
	"ssl.endpoint.identification.algorithm": true,
}

// franzDurations are the millisecond settings that map straight onto a
// franz-go option, with the range each accepts.
var franzDurations = map[string]struct {
	min, max int64
	opt      func(time.Duration) kgo.Opt
}{
	"linger.ms":               {0, 900000, func(d time.Duration) kgo.Opt { return kgo.ProducerLinger(d) }},
	"queue.buffering.max.ms":  {0, 900000, func(d time.Duration) kgo.Opt { return kgo.ProducerLinger(d) }},
	"request.timeout.ms":      {1, math.MaxInt32, func(d time.Duration) kgo.Opt { return kgo.ProduceRequestTimeout(d) }},
	"metadata.max.age.ms":     {1, math.MaxInt32, kgo.MetadataMaxAge},
	"connections.max.idle.ms": {1, math.MaxInt32, kgo.ConnIdleTimeout},
}

// FranzGoProducerOptions translates cm (librdkafka's names, as
// producerConfig builds it) into franz-go options. It returns an error
// naming the first setting franz-go cannot honour; such a task produces
// through librdkafka instead.
func FranzGoProducerOptions(cm kafka.ConfigMap) (*FranzGoProducer, error) {
	str := func(k string) string {
		v, ok := cm[k]
		if !ok || v == nil {
			return ""
		}
		return strings.TrimSpace(fmt.Sprint(v))
	}
	num := func(k string, lo, hi int64) (int64, error) {
		n, err := strconv.ParseInt(str(k), 10, 64)
		if err != nil || n < lo || n > hi {
			return 0, fmt.Errorf("%s=%q is not a number from %d to %d", k, str(k), lo, hi)
		}
		return n, nil
	}
	fp := &FranzGoProducer{BufferBytes: 32 << 20, MaxRecordBytes: franzBatchBytes}
	idempotent := strings.EqualFold(str("enable.idempotence"), "true")
	keys := make([]string, 0, len(cm))
	for k := range cm {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// Kafka's producer waits as long as it must for a full batch's room;
	// the task bounds what is buffered itself, so franz-go never blocks.
	// librdkafka's 5 ms linger (Kafka 4's linger.ms) unless one is set;
	// franz-go's own is 10 ms.
	opts := []kgo.Opt{kgo.ProducerLinger(5 * time.Millisecond), kgo.MaxBufferedRecords(math.MaxInt32), kgo.AllowAutoTopicCreation(),
		kgo.RecordPartitioner(connectPartitioner{kgo.StickyKeyPartitioner(nil)})}
	for _, k := range keys {
		if franzIgnored[k] {
			continue
		}
		v := str(k)
		if d, ok := franzDurations[k]; ok {
			n, err := num(k, d.min, d.max)
			if err != nil {
				return nil, err
			}
			opts = append(opts, d.opt(time.Duration(n)*time.Millisecond))
			continue
		}
		switch k {
		case "bootstrap.servers":
			var seeds []string
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					seeds = append(seeds, s)
				}
			}
			opts = append(opts, kgo.SeedBrokers(seeds...))
		case "client.id":
			opts = append(opts, kgo.ClientID(v))
		case "acks":
			switch strings.ToLower(v) {
			case "all", "-1":
				opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
			case "1":
				opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()))
			case "0":
				opts = append(opts, kgo.RequiredAcks(kgo.NoAck()))
			default:
				return nil, fmt.Errorf("acks=%q is not all, -1, 1 or 0", v)
			}
			if lv := strings.ToLower(v); lv != "all" && lv != "-1" && idempotent {
				return nil, fmt.Errorf("enable.idempotence=true needs acks=all")
			}
		case "enable.idempotence":
			if !idempotent {
				opts = append(opts, kgo.DisableIdempotentWrite())
			}
		case "max.in.flight":
			hi := int64(math.MaxInt32)
			if idempotent {
				hi = 5
			}
			n, err := num(k, 1, hi)
			if err != nil {
				return nil, err
			}
			opts = append(opts, kgo.MaxProduceRequestsInflightPerBroker(int(n)))
		case "message.timeout.ms":
			n, err := num(k, 0, math.MaxInt64)
			if err != nil {
				return nil, err
			}
			if n > 0 && n < math.MaxInt32 {
				opts = append(opts, kgo.RecordDeliveryTimeout(time.Duration(n)*time.Millisecond))
			}
		case "partitioner":
			// Java's default partitioner: murmur2 of the key (the sticky
			// partitioner for records without one).
			if v != "murmur2_random" && v != "murmur2" {
				return nil, fmt.Errorf("partitioner=%s: only Kafka's default (murmur2) partitioning is done by franz-go", v)
			}
		case "queue.buffering.max.kbytes":
			n, err := num(k, 1, math.MaxInt32)
			if err != nil {
				return nil, err
			}
			fp.BufferBytes = n << 10
		case "enable.metrics.push":
			if !strings.EqualFold(v, "false") {
				return nil, fmt.Errorf("enable.metrics.push=%s: franz-go pushes no client metrics", v)
			}
		case "compression.type", "compression.codec":
			var c kgo.CompressionCodec
			switch strings.ToLower(v) {
			case "none":
				c = kgo.NoCompression()
			case "gzip":
				c = kgo.GzipCompression()
			case "snappy":
				c = kgo.SnappyCompression()
			case "lz4":
				opts = append(opts, kgo.WithCompressor(newKafkaLZ4()))
				continue
			case "zstd":
				c = kgo.ZstdCompression()
			default:
				return nil, fmt.Errorf("%s=%s is not none, gzip, snappy, lz4 or zstd", k, v)
			}
			opts = append(opts, kgo.ProducerBatchCompression(c))
		case "message.max.bytes":
			n, err := num(k, 1000, 1<<30)
			if err != nil {
				return nil, err
			}
			fp.MaxRecordBytes = n
		case "message.send.max.retries":
			n, err := num(k, 0, math.MaxInt64)
			if err != nil {
				return nil, err
			}
			if n < math.MaxInt32 {
				opts = append(opts, kgo.RecordRetries(int(n)))
			}
		case "retry.backoff.ms":
			n, err := num(k, 0, 3600000)
			if err != nil {
				return nil, err
			}
			d := time.Duration(n) * time.Millisecond
			opts = append(opts, kgo.RetryBackoffFn(func(int) time.Duration { return d }))
		default:
			return nil, fmt.Errorf("%s has no franz-go counterpart", k)
		}
	}
	sec, err := KgoSecurity(cm)
	if err != nil {
		return nil, err
	}
	fp.Opts = append(opts, sec...)
	return fp, nil
}

// ChooseProducerClient says whether a task with producer config cm uses
// franz-go, and why not when it does not. It takes ProducerClientKey out
// of cm, which librdkafka would refuse.
func ChooseProducerClient(cm kafka.ConfigMap, exactlyOnce bool) (*FranzGoProducer, string, error) {
	choice := "auto"
	if v, ok := cm[ProducerClientKey]; ok {
		choice = strings.ToLower(strings.TrimSpace(fmt.Sprint(v)))
		delete(cm, ProducerClientKey)
	}
	switch choice {
	case "auto", "franz-go", "librdkafka":
	default:
		return nil, "", fmt.Errorf("producer %s=%q: expected auto, franz-go or librdkafka", ProducerClientKey, choice)
	}
	if choice == "librdkafka" {
		return nil, "producer " + ProducerClientKey + "=librdkafka", nil
	}
	if exactlyOnce {
		if choice == "franz-go" {
			return nil, "", fmt.Errorf("producer %s=franz-go: exactly-once source tasks produce through librdkafka's transactions; remove the setting or set it to auto", ProducerClientKey)
		}
		return nil, "exactly-once source task (librdkafka's transactions)", nil
	}
	fp, err := FranzGoProducerOptions(cm)
	if err != nil {
		if choice == "franz-go" {
			return nil, "", fmt.Errorf("producer %s=franz-go: %w; remove that setting or set %s=auto", ProducerClientKey, err, ProducerClientKey)
		}
		return nil, err.Error(), nil
	}
	return fp, "", nil
}

// adminConfig is the topic-creation admin client's config when no
// librdkafka producer shares its connections: the producer's, less the Go
// wrapper's own keys, which librdkafka does not know.
func adminConfig(cm kafka.ConfigMap) kafka.ConfigMap {
	out := kafka.ConfigMap{}
	for k, v := range cm {
		if !strings.HasPrefix(k, "go.") && k != ProducerClientKey {
			out[k] = v
		}
	}
	return out
}

// connectPartitioner puts a record with a partition of its own there (a
// connector's or a transform's choice), and any other by Kafka's default:
// murmur2 of the key, sticky for records without one. A record's
// Partition is -1 for "any".
type connectPartitioner struct{ keyed kgo.Partitioner }

func (p connectPartitioner) ForTopic(topic string) kgo.TopicPartitioner {
	tp := p.keyed.ForTopic(topic)
	nb, _ := tp.(kgo.TopicPartitionerOnNewBatch)
	return &connectTopicPartitioner{keyed: tp, onNewBatch: nb}
}

type connectTopicPartitioner struct {
	keyed      kgo.TopicPartitioner
	onNewBatch kgo.TopicPartitionerOnNewBatch
}

func (p *connectTopicPartitioner) RequiresConsistency(r *kgo.Record) bool {
	return r.Partition >= 0 || p.keyed.RequiresConsistency(r)
}

func (p *connectTopicPartitioner) Partition(r *kgo.Record, n int) int {
	if r.Partition >= 0 {
		// Out of range is refused by the client with the record's error,
		// as Kafka's producer refuses it.
		return int(r.Partition)
	}
	return p.keyed.Partition(r, n)
}

func (p *connectTopicPartitioner) OnNewBatch() {
	if p.onNewBatch != nil {
		p.onNewBatch.OnNewBatch()
	}
}

// franzRecord is a record on its way through franz-go: the promise gets
// the *kgo.Record back, which is the first field, so the record it was
// made for is found without a closure or a map entry per record.
type franzRecord struct {
	kgo.Record
	sr   *submittedRecord
	size int64
}

var franzRecords = sync.Pool{New: func() any { return new(franzRecord) }}

// franzState is a task's franz-go producer.
type franzState struct {
	cl          *kgo.Client
	bufferBytes int64
	buffered    atomic.Int64
	promise     func(*kgo.Record, error)
	// A record larger than a batch goes alone through big, a client whose
	// batches may be as large as message.max.bytes, after everything
	// before it is delivered, and is delivered before anything after it
	// is produced: per-partition order holds across the two clients.
	batchBytes int64
	bigOpts    []kgo.Opt
	big        *kgo.Client
}

func (t *workerTask) newFranzProducer(fp *FranzGoProducer) error {
	batch := min(fp.MaxRecordBytes, franzBatchBytes)
	cl, err := kgo.NewClient(append(fp.Opts, kgo.ProducerBatchMaxBytes(int32(batch)))...)
	if err != nil {
		return err
	}
	t.franz = &franzState{cl: cl, bufferBytes: fp.BufferBytes, batchBytes: batch}
	if fp.MaxRecordBytes > batch {
		t.franz.bigOpts = append(fp.Opts[:len(fp.Opts):len(fp.Opts)], kgo.ProducerBatchMaxBytes(int32(fp.MaxRecordBytes)),
			kgo.BrokerMaxWriteBytes(int32(min(fp.MaxRecordBytes+(1<<20), math.MaxInt32))))
	}
	t.franz.promise = t.franzDelivered
	return nil
}

// franzRecordOverhead over-counts what a record adds to a batch beyond
// its key, value and headers (varint lengths, attributes, deltas), and a
// batch's header, so a record routed to the batch-sized client fits.
const franzRecordOverhead = 1024

// produceFranz hands msg (the converted record, whose buffers the task
// reuses) to franz-go, waiting while buffer.memory is used up as the
// librdkafka path waits on a full queue. It returns false if the task
// stopped meanwhile; the record then stays unacknowledged.
func (t *workerTask) produceFranz(msg *kafka.Message, sr *submittedRecord) (bool, error) {
	f := t.franz
	size := int64(len(msg.Key) + len(msg.Value))
	for _, h := range msg.Headers {
		size += int64(len(h.Key)+len(h.Value)) + 16
	}
	for f.buffered.Load() > 0 && f.buffered.Load()+size > f.bufferBytes {
		if t.stopping.Load() {
			return false, nil
		}
		if e := t.sendFailure.Load(); e != nil {
			return false, *e
		}
		select {
		case <-t.tracker.notify:
		case <-time.After(50 * time.Millisecond):
		}
	}
	fr := franzRecords.Get().(*franzRecord)
	fr.sr, fr.size = sr, size
	r := &fr.Record
	r.Topic = *msg.TopicPartition.Topic
	r.Partition = -1
	if msg.TopicPartition.Partition != kafka.PartitionAny {
		r.Partition = msg.TopicPartition.Partition
	}
	r.Key, t.keyBuf = adoptInto(r.Key, msg.Key, t.keyBuf)
	r.Value, t.valBuf = adoptInto(r.Value, msg.Value, t.valBuf)
	r.Headers = r.Headers[:0]
	for _, h := range msg.Headers {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: h.Key, Value: append([]byte(nil), h.Value...)})
	}
	r.Timestamp = msg.Timestamp
	if size+franzRecordOverhead > f.batchBytes && f.bigOpts != nil {
		return t.produceBig(fr)
	}
	f.buffered.Add(size)
	// The task's records outlive its poll context: a stopping task
	// flushes what it handed over, as librdkafka's Flush does.
	f.cl.Produce(context.Background(), r, f.promise)
	return true, nil
}

// produceBig sends a record larger than a batch alone, in order (see
// franzState).
func (t *workerTask) produceBig(fr *franzRecord) (bool, error) {
	f := t.franz
	if f.big == nil {
		big, err := kgo.NewClient(f.bigOpts...)
		if err != nil {
			return false, fmt.Errorf("create producer for records over %d bytes: %w", f.batchBytes-franzRecordOverhead, err)
		}
		f.big = big
	}
	release := func() {
		*fr = franzRecord{}
		franzRecords.Put(fr)
	}
	if err := f.cl.Flush(t.pollCtx); err != nil {
		release()
		return false, nil // stopping: the record stays unacknowledged
	}
	f.buffered.Add(fr.size)
	f.big.Produce(context.Background(), &fr.Record, f.promise)
	// Stopping interrupts the wait; run's flush then waits with the rest.
	_ = f.big.Flush(t.pollCtx)
	return true, nil
}

// adoptInto gives the record b itself when b is the task's conversion
// buffer, and the task the record's old storage for its next conversion:
// a swap where a copy of every value was 2–3 % of a row's CPU, much of it
// cache misses on the pooled record's cold buffer. Anything else is
// copied.
func adoptInto(dst, b, taskBuf []byte) (rec, nextTaskBuf []byte) {
	if len(b) > 0 && cap(taskBuf) > 0 && &b[0] == &taskBuf[:1][0] {
		return b, dst[:0]
	}
	return cloneInto(dst, b), taskBuf
}

// cloneInto copies b into dst's storage, keeping nil for nil (a null key
// or value on the wire).
func cloneInto(dst, b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(dst[:0], b...)
}

// franzDelivered is franz-go's promise: it runs serially, in each
// partition's produce order.
func (t *workerTask) franzDelivered(r *kgo.Record, err error) {
	fr := (*franzRecord)(unsafe.Pointer(r))
	sr := fr.sr
	t.franz.buffered.Add(-fr.size)
	topic, part, offset, ts := r.Topic, r.Partition, r.Offset, r.Timestamp
	key, val := r.Key[:0], r.Value[:0]
	*fr = franzRecord{}
	fr.Key, fr.Value = key, val
	franzRecords.Put(fr)
	if errors.Is(err, kgo.ErrClientClosed) || (err != nil && t.stopping.Load() && errors.Is(err, context.Canceled)) {
		// Not delivered before the task stopped or failed: left
		// unacknowledged, so its offset is not committed and it is sent
		// again on restart.
		return
	}
	t.delivered(sr, topic, part, offset, ts, err)
}

// delivered settles a record's delivery report, from either client.
func (t *workerTask) delivered(sr *submittedRecord, topic string, part int32, offset int64, ts time.Time, err error) {
	if err != nil {
		var rec *connect.SourceRecord
		if perr := t.ops.run(context.Background(), stageProducer, rec, func() error { return err }); perr != errSkip {
			// The record stays unacknowledged, so no offset at or after
			// it in its partition is ever committed.
			ferr := fmt.Errorf("Unrecoverable exception from producer send callback: topic %s: %w", topic, err)
			if partitionMissing(err) {
				ferr = fmt.Errorf("%w; the connector chose a partition topic %s does not have: create the topic with as many partitions as the connector's partition count (topic.partitions, canal.mq.partitionsNum) or let the worker create it with topic.creation.default.partitions and topic.creation.default.replication.factor", ferr, topic)
			}
			t.sendFailure.CompareAndSwap(nil, &ferr)
			t.nudge()
			return
		}
		t.tracker.ack(sr)
		return
	}
	t.Metrics.RecordsAcked.Add(1)
	rec := sr.rec
	t.tracker.ack(sr)
	if t.recCommitter != nil && rec != nil {
		meta := &connect.RecordMetadata{Topic: topic, Partition: part, Offset: offset, Timestamp: ts.UnixMilli()}
		if err := safeCall(func() error { return t.recCommitter.CommitRecord(rec, meta) }); err != nil {
			t.log.Warn("commitRecord failed", "error", err.Error())
		}
	}
}

// flushFranz waits up to timeout for what franz-go holds to be delivered.
func (t *workerTask) flushFranz(timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := t.franz.cl.Flush(ctx)
	if t.franz.big != nil && err == nil {
		err = t.franz.big.Flush(ctx)
	}
	if err != nil {
		t.log.Warn("records not delivered within offset.flush.timeout.ms; their offsets are not committed", "error", err.Error())
	}
}

func (f *franzState) close() {
	f.cl.Close()
	if f.big != nil {
		f.big.Close()
	}
}

// partitionMissing reports a record sent to a partition its topic lacks:
// franz-go's and librdkafka's words for it.
func partitionMissing(err error) bool {
	s := err.Error()
	return strings.Contains(s, "invalid record partitioning choice") || strings.Contains(s, "Unknown partition")
}
