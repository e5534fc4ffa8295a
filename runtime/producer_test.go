package runtime

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func testWorkerConfig(t *testing.T, extra map[string]string) *WorkerConfig {
	t.Helper()
	props := map[string]string{
		"bootstrap.servers": "b:9092",
		"key.converter":     "k",
		"value.converter":   "v",
	}
	for k, v := range extra {
		props[k] = v
	}
	w, err := ParseWorkerConfig(props)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestProducerConfig(t *testing.T) {
	w := testWorkerConfig(t, map[string]string{
		"producer.compression.type": "lz4",
		"producer.buffer.memory":    "1048576",
		"producer.key.serializer":   "org.apache.kafka.common.serialization.ByteArraySerializer",
		"producer.linger.ms":        "10",
	})
	cm, err := producerConfig(w, map[string]string{
		"producer.override.linger.ms":           "20",
		"producer.override.max.request.size":    "2000000",
		"producer.override.delivery.timeout.ms": "120000",
		"producer.override.sasl.jaas.config":    `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p\"w";`,
	}, "c", 3)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"bootstrap.servers":          "b:9092",
		"client.id":                  "connector-producer-c-3",
		"acks":                       "all",
		"max.in.flight":              1,
		"enable.idempotence":         false,
		"compression.type":           "lz4",
		"queue.buffering.max.kbytes": 1024,
		"linger.ms":                  "20",
		"message.max.bytes":          "2000000",
		"message.timeout.ms":         "120000",
		"sasl.username":              "u",
		"sasl.password":              `p"w`,
		"partitioner":                "murmur2_random",
	}
	for k, v := range want {
		if cm[k] != v {
			t.Errorf("%s = %#v, want %#v", k, cm[k], v)
		}
	}
	for _, k := range []string{"key.serializer", "sasl.jaas.config", "buffer.memory"} {
		if _, ok := cm[k]; ok {
			t.Errorf("%s passed to librdkafka", k)
		}
	}
}

func TestProducerConfigIdempotenceAndPolicy(t *testing.T) {
	w := testWorkerConfig(t, nil)
	cm, err := producerConfig(w, map[string]string{"producer.override.enable.idempotence": "true"}, "c", 0)
	if err != nil {
		t.Fatal(err)
	}
	if cm["max.in.flight"] != 5 {
		t.Errorf("idempotent max.in.flight = %v, want 5", cm["max.in.flight"])
	}
	none := testWorkerConfig(t, map[string]string{"connector.client.config.override.policy": "None"})
	_, err = producerConfig(none, map[string]string{"producer.override.linger.ms": "1"}, "c", 0)
	if err == nil || !strings.Contains(err.Error(), "linger.ms") {
		t.Errorf("None policy: err = %v, want one naming linger.ms", err)
	}
	_, err = producerConfig(w, map[string]string{"producer.override.ssl.truststore.location": "/x.jks"}, "c", 0)
	if err == nil || !strings.Contains(err.Error(), "producer.override.ssl.truststore.location /x.jks") {
		t.Errorf("missing JKS truststore: err = %v, want one naming the key and the file", err)
	}
}

func TestMaskConfig(t *testing.T) {
	in := map[string]string{"database.password": "s3cret", "producer.override.sasl.jaas.config": "x password=\"p\"", "aws.secret.access": "z", "name": "c", "key.converter": "json"}
	out := maskConfig(in)
	for _, k := range []string{"database.password", "producer.override.sasl.jaas.config", "aws.secret.access"} {
		if out[k] != "[hidden]" {
			t.Errorf("%s = %q, want [hidden]", k, out[k])
		}
	}
	if out["name"] != "c" || out["key.converter"] != "json" {
		t.Errorf("non-secret values changed: %v", out)
	}
}

func TestLoggableConfigHidesDeclaredPasswords(t *testing.T) {
	// countingSource declares db.pw as PASSWORD; its name alone says nothing.
	out := loggableConfig(map[string]string{"connector.class": testSourceClass, "db.pw": "pw", "topic": "t"})
	if out["db.pw"] != "[hidden]" || out["topic"] != "t" {
		t.Errorf("got %v", out)
	}
}

// TestProducerTelemetryPush: the source producer turns KIP-714 telemetry
// off, whose handshake makes librdkafka log "Telemetry client instance id
// changed" on every connect, unless the worker or connector asks for it.
// The key reaches librdkafka under its Java name; the logs are read from
// a real producer against kfake.
func TestProducerTelemetryPush(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "telemetry"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	bootstrap := strings.Join(cluster.ListenAddrs(), ",")
	cases := []struct {
		name     string
		worker   map[string]string
		conn     map[string]string
		want     any
		wantLogs bool
	}{
		{name: "default", want: false},
		{name: "worker turns it on", worker: map[string]string{"producer.enable.metrics.push": "true"}, want: "true", wantLogs: true},
		{name: "connector override", worker: map[string]string{"producer.enable.metrics.push": "true"},
			conn: map[string]string{"producer.override.enable.metrics.push": "false"}, want: "false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := testWorkerConfig(t, tc.worker)
			cm, err := producerConfig(w, tc.conn, "c", 0)
			if err != nil {
				t.Fatal(err)
			}
			if cm["enable.metrics.push"] != tc.want {
				t.Fatalf("enable.metrics.push = %#v, want %#v", cm["enable.metrics.push"], tc.want)
			}
			cm["bootstrap.servers"] = bootstrap
			cm["go.logs.channel.enable"] = true
			p, err := kafka.NewProducer(&cm)
			if err != nil {
				t.Fatalf("librdkafka refuses the config: %v", err)
			}
			defer p.Close()
			var telemetry atomic.Int32
			stop := make(chan struct{})
			logsDone := make(chan struct{})
			go func() {
				defer close(logsDone)
				for {
					select {
					case l := <-p.Logs():
						if strings.Contains(l.Message, "Telemetry") || l.Tag == "GETSUBSCRIPTIONS" {
							telemetry.Add(1)
						}
					case <-stop:
						return
					}
				}
			}()
			topic := "telemetry"
			// The delivery report goes to its own channel: Flush counts the
			// undrained Events channel as outstanding.
			report := make(chan kafka.Event, 1)
			if err := p.Produce(&kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny}, Value: []byte("x")}, report); err != nil {
				t.Fatal(err)
			}
			n := p.Flush(10_000)
			// The telemetry handshake follows the first connection closely.
			time.Sleep(time.Second)
			close(stop)
			<-logsDone
			if n != 0 {
				t.Fatalf("%d messages not delivered", n)
			}
			if got := telemetry.Load() > 0; got != tc.wantLogs {
				t.Errorf("telemetry log lines: %d, want them: %v", telemetry.Load(), tc.wantLogs)
			}
		})
	}
}

// A connector name is not bounded, but franz-go refuses a client id over 256
// bytes, which failed every task of a connector named with ~240 characters
// or more ("create producer: client id length 3021 is larger than max allowed
// 256") where Kafka Connect runs it. The derived client id is shortened,
// keeping it distinct per connector and task.
func TestProducerClientIDOfLongConnectorName(t *testing.T) {
	w := testWorkerConfig(t, nil)
	long := strings.Repeat("n", 3000)
	ids := map[string]bool{}
	for _, name := range []string{long + "a", long + "b"} {
		for task := 0; task < 2; task++ {
			cm, err := producerConfig(w, map[string]string{}, name, task)
			if err != nil {
				t.Fatal(err)
			}
			id, _ := cm["client.id"].(string)
			if len(id) > 256 || !strings.HasPrefix(id, "connector-producer-nnn") || ids[id] {
				t.Fatalf("client.id %.60q... (%d bytes): want at most 256, distinct per connector and task", id, len(id))
			}
			ids[id] = true
			fp, why, err := ChooseProducerClient(cm, false)
			if err != nil || fp == nil {
				t.Fatalf("franz-go refused the config: %v %s", err, why)
			}
			cl, err := kgo.NewClient(fp.Opts...)
			if err != nil {
				t.Fatalf("franz-go client: %v", err)
			}
			cl.Close()
		}
	}
	// A short name keeps Kafka Connect's id exactly.
	cm, err := producerConfig(w, map[string]string{}, "inventory", 3)
	if err != nil || cm["client.id"] != "connector-producer-inventory-3" {
		t.Fatalf("client.id %v, %v", cm["client.id"], err)
	}
}
