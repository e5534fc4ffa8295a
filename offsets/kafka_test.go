package offsets

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/twmb/franz-go/pkg/kfake"
)

// javaMurmur2 is Kafka's Utils.murmur2, restated from its definition, to
// check where the store's producer puts each key.
func javaMurmur2(data []byte) int32 {
	const seed, m, r = uint32(0x9747b28c), uint32(0x5bd1e995), 24
	n := len(data)
	h := seed ^ uint32(n)
	for i := 0; i+4 <= n; i += 4 {
		k := uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	tail := data[n&^3:]
	switch len(tail) {
	case 3:
		h ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(tail[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

func TestKafkaStoreFormatPartitioningAndTakeover(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	boot := strings.Join(c.ListenAddrs(), ",")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := KafkaStoreConfig{Bootstrap: boot, Topic: "connect-offsets", ReplicationFactor: -1, ClientID: "cluster-offsets"}
	a, err := OpenKafkaStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	part := map[string]any{"server": "db1"}
	if err := a.Set(ctx, "mysql-src", []Entry{{Partition: part, Offset: map[string]any{"file": "mysql-bin.000003", "pos": 154}}}); err != nil {
		t.Fatal(err)
	}
	if err := a.Set(ctx, "other", []Entry{{Partition: map[string]any{"f": "x"}, Offset: map[string]any{"n": 1}}}); err != nil {
		t.Fatal(err)
	}

	// A second worker's store sees the first one's offsets.
	b, err := OpenKafkaStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got, err := b.Get(ctx, "mysql-src", map[string]any{"server": "db1"})
	if err != nil || got["file"] != "mysql-bin.000003" || got["pos"] != int64(154) {
		t.Fatalf("Get = %v, %v", got, err)
	}
	if err := b.Set(ctx, "mysql-src", []Entry{{Partition: part, Offset: map[string]any{"file": "mysql-bin.000004", "pos": 4}}}); err != nil {
		t.Fatal(err)
	}
	got, err = a.Get(ctx, "mysql-src", part)
	if err != nil || got["file"] != "mysql-bin.000004" {
		t.Fatalf("Get after the other worker's write = %v, %v", got, err)
	}
	if err := a.Delete(ctx, "mysql-src"); err != nil {
		t.Fatal(err)
	}
	if l, err := b.List(ctx, "mysql-src"); err != nil || len(l) != 0 {
		t.Fatalf("List after Delete = %v, %v", l, err)
	}
	if l, err := b.List(ctx, "other"); err != nil || len(l) != 1 {
		t.Fatalf("List of another connector = %v, %v", l, err)
	}

	// Raw records: Kafka Connect's bytes, in murmur2's partition, with
	// tombstones for the delete.
	cons, err := kafka.NewConsumer(&kafka.ConfigMap{"bootstrap.servers": boot, "group.id": "raw", "auto.offset.reset": "earliest"})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	if err := cons.Subscribe("connect-offsets", nil); err != nil {
		t.Fatal(err)
	}
	want := []struct{ key, value string }{
		{`["mysql-src",{"server":"db1"}]`, `{"file":"mysql-bin.000003","pos":154}`},
		{`["other",{"f":"x"}]`, `{"n":1}`},
		{`["mysql-src",{"server":"db1"}]`, `{"file":"mysql-bin.000004","pos":4}`},
		{`["mysql-src",{"server":"db1"}]`, ""},
	}
	seen := map[string][]string{}
	for n := 0; n < len(want); {
		m, err := cons.ReadMessage(20 * time.Second)
		if err != nil {
			t.Fatalf("read raw: %v (got %v)", err, seen)
		}
		n++
		wantPart := (javaMurmur2(m.Key) & 0x7fffffff) % DefaultOffsetPartitions
		if m.TopicPartition.Partition != wantPart {
			t.Errorf("key %s in partition %d, murmur2 says %d", m.Key, m.TopicPartition.Partition, wantPart)
		}
		if m.Value == nil {
			seen[string(m.Key)] = append(seen[string(m.Key)], "")
		} else {
			seen[string(m.Key)] = append(seen[string(m.Key)], string(m.Value))
		}
	}
	for _, w := range want[:2] {
		if seen[w.key][0] != w.value {
			t.Errorf("first value of %s = %q, want %q", w.key, seen[w.key][0], w.value)
		}
	}
	if v := seen[want[0].key]; len(v) != 3 || v[1] != want[2].value || v[2] != "" {
		t.Errorf("values of %s = %q", want[0].key, v)
	}
}

func TestJavaMurmur2KnownValues(t *testing.T) {
	// Values from Kafka's UtilsTest.testMurmur2.
	for in, want := range map[string]int32{"21": -973932308, "foobar": -790332482, "a-little-bit-long-string": -985981536, "a-little-bit-longer-string": -1486304829, "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971} {
		if got := javaMurmur2([]byte(in)); got != want {
			t.Errorf("murmur2(%q) = %d, want %d", in, got, want)
		}
	}
}
