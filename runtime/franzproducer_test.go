package runtime

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/sluicehq/sluice/integration/harness"
	"github.com/sluicehq/sluice/offsets"
)

// defaultsWith is a task's default producer config with extra settings.
func defaultsWith(extra kafka.ConfigMap) kafka.ConfigMap {
	cm := sourceProducerDefaults("127.0.0.1:9092", "connector-producer-c-0")
	for k, v := range extra {
		cm[k] = v
	}
	return cm
}

func TestFranzGoProducerOptions(t *testing.T) {
	base := defaultsWith
	fp, err := FranzGoProducerOptions(base(kafka.ConfigMap{"compression.type": "lz4", "acks": "all", "message.max.bytes": "11534336",
		"linger.ms": "5", "queue.buffering.max.kbytes": 2048, "security.protocol": "PLAINTEXT"}))
	if err != nil {
		t.Fatalf("the runtime's defaults with the MySQL connector's: %v", err)
	}
	if fp.BufferBytes != 2048<<10 || fp.MaxRecordBytes != 11534336 {
		t.Fatalf("buffer %d, max record %d", fp.BufferBytes, fp.MaxRecordBytes)
	}
	for _, tc := range []struct {
		set  kafka.ConfigMap
		want string
	}{
		{kafka.ConfigMap{"partitioner": "consistent_random"}, "partitioner=consistent_random"},
		{kafka.ConfigMap{"compression.type": "brotli"}, "compression.type=brotli"},
		{kafka.ConfigMap{"acks": "2"}, `acks="2"`},
		{kafka.ConfigMap{"linger.ms": "soon"}, `linger.ms="soon"`},
		{kafka.ConfigMap{"socket.keepalive.enable": "true"}, "socket.keepalive.enable has no franz-go counterpart"},
		{kafka.ConfigMap{"enable.idempotence": "true", "max.in.flight": "6"}, "max.in.flight"},
		{kafka.ConfigMap{"security.protocol": "SASL_SSL", "sasl.mechanisms": "GSSAPI"}, "sasl.mechanism=GSSAPI"},
	} {
		_, err := FranzGoProducerOptions(base(tc.set))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one naming %q", tc.set, err, tc.want)
		}
	}
}

func TestChooseProducerClient(t *testing.T) {
	cm := defaultsWith
	for _, tc := range []struct {
		name      string
		set       kafka.ConfigMap
		eos       bool
		wantFranz bool
		want      string // in the reason (librdkafka) or the error
		wantErr   bool
	}{
		{name: "default", wantFranz: true},
		{name: "forced franz-go", set: kafka.ConfigMap{ProducerClientKey: "franz-go"}, wantFranz: true},
		{name: "librdkafka asked for", set: kafka.ConfigMap{ProducerClientKey: "librdkafka"}, want: "sluice.client=librdkafka"},
		{name: "a librdkafka-only setting", set: kafka.ConfigMap{"queue.buffering.max.messages": "1000"}, want: "queue.buffering.max.messages"},
		{name: "forced with a librdkafka-only setting", set: kafka.ConfigMap{ProducerClientKey: "franz-go", "queue.buffering.max.messages": "1000"}, want: "queue.buffering.max.messages has no franz-go counterpart; remove that setting or set sluice.client=auto", wantErr: true},
		{name: "exactly-once", eos: true, want: "exactly-once"},
		{name: "exactly-once forced", set: kafka.ConfigMap{ProducerClientKey: "franz-go"}, eos: true, want: "librdkafka's transactions", wantErr: true},
		{name: "bad value", set: kafka.ConfigMap{ProducerClientKey: "kafka-go"}, want: `sluice.client="kafka-go": expected auto, franz-go or librdkafka`, wantErr: true},
	} {
		c := cm(tc.set)
		fp, why, err := ChooseProducerClient(c, tc.eos)
		if tc.wantErr {
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
			}
			continue
		}
		if err != nil || (fp != nil) != tc.wantFranz || !strings.Contains(why, tc.want) {
			t.Errorf("%s: franz-go %v, reason %q, error %v; want franz-go %v, reason with %q", tc.name, fp != nil, why, err, tc.wantFranz, tc.want)
		}
		if _, left := c[ProducerClientKey]; left {
			t.Errorf("%s: %s left in the config librdkafka gets", tc.name, ProducerClientKey)
		}
	}
}

// countedRecord is a record of the counting source as read back.
type countedRecord struct {
	n         int64
	partition int32
	valueLen  int
}

func readCounted(t *testing.T, msgs []*kafka.Message) []countedRecord {
	t.Helper()
	out := make([]countedRecord, len(msgs))
	for i, m := range msgs {
		v, _, _ := strings.Cut(string(m.Value), "/")
		n, err := strconv.ParseInt(strings.TrimPrefix(v, "record-"), 10, 64)
		if err != nil || string(m.Key) != strconv.FormatInt(n, 10) || len(m.Headers) != 1 || string(m.Headers[0].Value) != "v" {
			t.Fatalf("message %d: key %q value %.40q headers %v", i, m.Key, m.Value, m.Headers)
		}
		out[i] = countedRecord{n: n, partition: m.TopicPartition.Partition, valueLen: len(m.Value)}
	}
	return out
}

// TestProducerClientsPartitionAlike runs the same records through both
// producer clients into topics of 4 partitions: a record the connector
// pinned lands in its partition, and every keyed record lands where the
// other client (and Kafka's Java producer, whose murmur2 both follow) puts
// it, in order within its partition.
func TestProducerClientsPartitionAlike(t *testing.T) {
	k := harness.KafkaForTest(t)
	ctx := context.Background()
	const total = 2000
	placed := map[string]map[int64]int32{}
	for _, client := range []string{"librdkafka", "franz-go"} {
		topic := k.Topic("alike-" + client)
		store, err := offsets.OpenFileStore(filepath.Join(t.TempDir(), "connect.offsets"))
		if err != nil {
			t.Fatal(err)
		}
		h := newTestHerder(t, k.Bootstrap(), store, nil)
		config := map[string]string{"connector.class": testSourceClass, "topic": topic, "count": strconv.Itoa(total), "batch": "100",
			"pin.every": "7", "pin.partitions": "4",
			"topic.creation.default.partitions": "4", "topic.creation.default.replication.factor": "1",
			"producer.override." + ProducerClientKey: client}
		if _, _, err := h.PutConnectorConfig(ctx, "alike", config, false, ""); err != nil {
			t.Fatal(err)
		}
		msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, total, 60*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", client, err)
		}
		h.Stop(ctx)
		placed[client] = map[int64]int32{}
		last := map[int32]int64{}
		parts := map[int32]bool{}
		for _, r := range readCounted(t, msgs) {
			if prev, ok := last[r.partition]; ok && r.n <= prev {
				t.Fatalf("%s: partition %d has %d after %d", client, r.partition, r.n, prev)
			}
			last[r.partition] = r.n
			parts[r.partition] = true
			placed[client][r.n] = r.partition
			if r.n%7 == 0 && r.partition != int32(r.n%4) {
				t.Fatalf("%s: record %d pinned to partition %d landed in %d", client, r.n, r.n%4, r.partition)
			}
		}
		if len(placed[client]) != total || len(parts) != 4 {
			t.Fatalf("%s: %d distinct records over %d partitions, want %d over 4", client, len(placed[client]), len(parts), total)
		}
	}
	for n, p := range placed["librdkafka"] {
		if placed["franz-go"][n] != p {
			t.Fatalf("record %d: librdkafka put it in partition %d, franz-go in %d", n, p, placed["franz-go"][n])
		}
	}
}

// TestFranzGoLargeRecordsInOrder sends records larger than a producer
// batch (1 MB) between small ones, with buffer.memory smaller than such a
// record: every record arrives, in order.
func TestFranzGoLargeRecordsInOrder(t *testing.T) {
	k := harness.KafkaForTest(t)
	ctx := context.Background()
	topic := k.Topic("large")
	if err := k.CreateTopic(ctx, topic, 1, map[string]string{"max.message.bytes": "8388608"}); err != nil {
		t.Fatal(err)
	}
	store, err := offsets.OpenFileStore(filepath.Join(t.TempDir(), "connect.offsets"))
	if err != nil {
		t.Fatal(err)
	}
	h := newTestHerder(t, k.Bootstrap(), store, nil)
	defer h.Stop(ctx)
	const total, every, big = 300, 37, 1500000
	config := map[string]string{"connector.class": testSourceClass, "topic": topic, "count": strconv.Itoa(total), "batch": "25",
		"big.every": strconv.Itoa(every), "big.bytes": strconv.Itoa(big),
		"producer.override.max.request.size": "4194304", "producer.override.buffer.memory": "1048576",
		"producer.override." + ProducerClientKey: "franz-go"}
	if _, _, err := h.PutConnectorConfig(ctx, "large", config, false, ""); err != nil {
		t.Fatal(err)
	}
	msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, total, 60*time.Second)
	if err != nil {
		st, _ := taskState(h, "large")
		t.Fatalf("%v (task %s)", err, st)
	}
	bigSeen := 0
	for i, r := range readCounted(t, msgs) {
		if r.n != int64(i) {
			t.Fatalf("record %d is %d: out of order or repeated", i, r.n)
		}
		if r.n%every == 0 {
			if r.valueLen < big {
				t.Fatalf("record %d: value of %d bytes, want over %d", r.n, r.valueLen, big)
			}
			bigSeen++
		}
	}
	if bigSeen != (total+every-1)/every {
		t.Fatalf("%d large records, want %d", bigSeen, (total+every-1)/every)
	}
}

// TestFranzGoProducerOverSASL: a worker whose producer.* settings carry a
// SASL/PLAIN login produces through franz-go, authenticated, and creates
// its topic through the admin client with the same login.
func TestFranzGoProducerOverSASL(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser("PLAIN", "admin", "s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	boot := strings.Join(c.ListenAddrs(), ",")
	jaas := `org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="s3cret";`
	store, err := offsets.OpenFileStore(filepath.Join(t.TempDir(), "connect.offsets"))
	if err != nil {
		t.Fatal(err)
	}
	h := newTestHerder(t, boot, store, map[string]string{
		"producer.security.protocol": "SASL_PLAINTEXT", "producer.sasl.mechanism": "PLAIN", "producer.sasl.jaas.config": jaas,
		"producer." + ProducerClientKey: "franz-go"})
	ctx := context.Background()
	defer h.Stop(ctx)
	const total = 300
	config := map[string]string{"connector.class": testSourceClass, "topic": "sasl-counting", "count": strconv.Itoa(total), "batch": "50",
		"topic.creation.default.partitions": "2", "topic.creation.default.replication.factor": "1"}
	if _, _, err := h.PutConnectorConfig(ctx, "sasl", config, false, ""); err != nil {
		t.Fatal(err)
	}
	msgs, err := harness.ReadTopic(ctx, boot, "sasl-counting", total, 60*time.Second, harness.ReadOptions{Config: kafka.ConfigMap{
		"security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "PLAIN", "sasl.username": "admin", "sasl.password": "s3cret"}})
	if err != nil {
		st, tr := taskState(h, "sasl")
		t.Fatalf("%v (task %s: %s)", err, st, tr)
	}
	parts := map[int32]bool{}
	for _, r := range readCounted(t, msgs) {
		parts[r.partition] = true
	}
	if len(parts) != 2 {
		t.Fatalf("records in %d partitions, want the 2 the task's topic creation asked for", len(parts))
	}
}
