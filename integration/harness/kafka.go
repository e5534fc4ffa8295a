package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/twmb/franz-go/pkg/kfake"
)

// KafkaEnv names an external Kafka bootstrap (host:port[,host:port]) that
// StartKafka uses instead of an in-process broker.
const KafkaEnv = "SLUICE_TEST_KAFKA"

// KafkaOptions configure StartKafkaWith.
type KafkaOptions struct {
	// Bootstrap uses an existing cluster; "" means $SLUICE_TEST_KAFKA, and
	// if that is unset too, an in-process kfake cluster.
	Bootstrap string
	// NumBrokers is the kfake cluster's size; 0 means 1.
	NumBrokers int
	// DefaultPartitions is how many partitions kfake gives auto-created
	// topics and CreateTopic with partitions < 1; 0 means 1, as
	// num.partitions defaults to on a real broker (kfake's own default
	// is 10).
	DefaultPartitions int
	// BrokerConfigs are kfake broker configs (e.g. "message.max.bytes").
	BrokerConfigs map[string]string
	// DataDir makes kfake keep its logs in files under this directory
	// (the page cache, as a real broker) instead of in its Go heap.
	DataDir string
}

// Kafka is a Kafka-protocol cluster for a test: in-process kfake, or a
// shared external cluster, in which case every name a test uses should
// start with TopicPrefix.
type Kafka struct {
	cluster   *kfake.Cluster // nil when external
	bootstrap string
	prefix    string

	mu     sync.Mutex
	admin  *kafka.AdminClient
	closed bool
}

// StartKafka starts a one-broker kfake cluster that auto-creates topics, or
// connects to $SLUICE_TEST_KAFKA.
func StartKafka(ctx context.Context) (*Kafka, error) {
	return StartKafkaWith(ctx, KafkaOptions{})
}

// StartKafkaWith is StartKafka with options.
func StartKafkaWith(ctx context.Context, opts KafkaOptions) (*Kafka, error) {
	k := &Kafka{prefix: "it-" + randomHex(4) + "-"}
	bootstrap := opts.Bootstrap
	if bootstrap == "" {
		bootstrap = os.Getenv(KafkaEnv)
	}
	if bootstrap != "" {
		k.bootstrap = bootstrap
		// Fail now, not in the middle of a test, if it is unreachable.
		if err := k.ping(ctx); err != nil {
			k.Close()
			return nil, fmt.Errorf("kafka %s (from %s): %w", bootstrap, KafkaEnv, err)
		}
		return k, nil
	}

	nb := opts.NumBrokers
	if nb <= 0 {
		nb = 1
	}
	parts := opts.DefaultPartitions
	if parts <= 0 {
		parts = 1
	}
	kopts := []kfake.Opt{
		kfake.NumBrokers(nb),
		kfake.DefaultNumPartitions(parts),
		// librdkafka producers ask for auto-creation in their metadata
		// requests, as Kafka Connect's producers rely on; kfake refuses
		// unless told otherwise.
		kfake.AllowAutoTopicCreation(),
	}
	if len(opts.BrokerConfigs) > 0 {
		kopts = append(kopts, kfake.BrokerConfigs(opts.BrokerConfigs))
	}
	if opts.DataDir != "" {
		kopts = append(kopts, kfake.DataDir(opts.DataDir))
	}
	c, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, fmt.Errorf("kafka: start kfake: %w", err)
	}
	k.cluster = c
	k.bootstrap = strings.Join(c.ListenAddrs(), ",")
	return k, nil
}

// Bootstrap is the cluster's bootstrap.servers value.
func (k *Kafka) Bootstrap() string { return k.bootstrap }

// TopicPrefix is unique to this Kafka value, so tests sharing an external
// cluster do not see each other's topics or groups.
func (k *Kafka) TopicPrefix() string { return k.prefix }

// Topic returns TopicPrefix + name.
func (k *Kafka) Topic(name string) string { return k.prefix + name }

// External reports whether this is an external cluster rather than kfake.
func (k *Kafka) External() bool { return k.cluster == nil }

// Cluster is the in-process kfake cluster, or nil when external; tests use
// it to inject faults.
func (k *Kafka) Cluster() *kfake.Cluster { return k.cluster }

// Admin returns a shared librdkafka admin client, closed by Close.
func (k *Kafka) Admin() (*kafka.AdminClient, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil, errors.New("kafka: closed")
	}
	if k.admin == nil {
		a, err := kafka.NewAdminClient(&kafka.ConfigMap{
			"bootstrap.servers":    k.bootstrap,
			"log.connection.close": false,
			"enable.metrics.push":  false,
		})
		if err != nil {
			return nil, fmt.Errorf("kafka: admin client: %w", err)
		}
		k.admin = a
	}
	return k.admin, nil
}

func (k *Kafka) ping(ctx context.Context) error {
	a, err := k.Admin()
	if err != nil {
		return err
	}
	_, err = a.GetMetadata(nil, false, timeoutMS(ctx, 10*time.Second))
	return err
}

// CreateTopic creates a topic with the given partition count (< 1: the
// broker default) and topic configs, waiting for the broker's answer.
func (k *Kafka) CreateTopic(ctx context.Context, name string, partitions int, configs map[string]string) error {
	a, err := k.Admin()
	if err != nil {
		return err
	}
	if partitions < 1 {
		partitions = -1
	}
	res, err := a.CreateTopics(ctx, []kafka.TopicSpecification{{
		Topic:             name,
		NumPartitions:     partitions,
		ReplicationFactor: -1, // the broker's default.replication.factor
		Config:            configs,
	}}, kafka.SetAdminOperationTimeout(30*time.Second))
	if err != nil {
		return fmt.Errorf("kafka: create topic %s: %w", name, err)
	}
	for _, r := range res {
		if r.Error.Code() != kafka.ErrNoError {
			return fmt.Errorf("kafka: create topic %s: %w", name, r.Error)
		}
	}
	return nil
}

// DeleteTopics deletes topics.
func (k *Kafka) DeleteTopics(ctx context.Context, names ...string) error {
	if len(names) == 0 {
		return nil
	}
	a, err := k.Admin()
	if err != nil {
		return err
	}
	res, err := a.DeleteTopics(ctx, names)
	if err != nil {
		return fmt.Errorf("kafka: delete topics: %w", err)
	}
	var errs []error
	for _, r := range res {
		if c := r.Error.Code(); c != kafka.ErrNoError && c != kafka.ErrUnknownTopicOrPart {
			errs = append(errs, fmt.Errorf("kafka: delete topic %s: %w", r.Topic, r.Error))
		}
	}
	return errors.Join(errs...)
}

// Topics lists the cluster's topics (those starting with TopicPrefix only,
// on an external cluster).
func (k *Kafka) Topics(ctx context.Context) ([]string, error) {
	a, err := k.Admin()
	if err != nil {
		return nil, err
	}
	md, err := a.GetMetadata(nil, true, timeoutMS(ctx, 10*time.Second))
	if err != nil {
		return nil, fmt.Errorf("kafka: list topics: %w", err)
	}
	var out []string
	for name := range md.Topics {
		if k.External() && !strings.HasPrefix(name, k.prefix) {
			continue
		}
		out = append(out, name)
	}
	return out, nil
}

// Close stops kfake, or on an external cluster deletes the topics this
// test made (best effort). It is idempotent.
func (k *Kafka) Close() error {
	var err error
	if k.External() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		if topics, lerr := k.Topics(ctx); lerr == nil {
			err = k.DeleteTopics(ctx, topics...)
		}
		cancel()
	}
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return nil
	}
	k.closed = true
	admin := k.admin
	k.admin = nil
	k.mu.Unlock()
	if admin != nil {
		admin.Close()
	}
	if k.cluster != nil {
		k.cluster.Close()
	}
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// timeoutMS is the time left before ctx's deadline, capped at def, in the
// milliseconds librdkafka's synchronous calls take.
func timeoutMS(ctx context.Context, def time.Duration) int {
	d := def
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < d {
			d = left
		}
	}
	if d < time.Millisecond {
		d = time.Millisecond
	}
	return int(d / time.Millisecond)
}
