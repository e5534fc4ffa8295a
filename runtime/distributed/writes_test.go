package distributed

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	_ "github.com/sluicehq/sluice/connectors/filestream"
	"github.com/sluicehq/sluice/offsets"
	"github.com/sluicehq/sluice/rest"
	"github.com/sluicehq/sluice/runtime"
)

// configStoreOnKfake opens a config store on topic "cfg" of a one-broker
// kfake cluster, both closed when the test ends.
func configStoreOnKfake(t *testing.T, brokerConfigs map[string]string) (bootstrap string, store *ConfigStore, logr *slog.Logger) {
	t.Helper()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.BrokerConfigs(brokerConfigs))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	bootstrap = strings.Join(cluster.ListenAddrs(), ",")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	logr = slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err = OpenConfigStore(ctx, ConfigStoreConfig{Bootstrap: bootstrap, Topic: "cfg", ReplicationFactor: -1, ClientID: "w1", Logger: logr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	return bootstrap, store, logr
}

// leaderOnKfake is a herder that is the leader of its group outside a
// rebalance, with a real config topic on kfake: what the REST calls that
// write configs need. The loop is not running.
func leaderOnKfake(t *testing.T, brokerConfigs map[string]string) *Herder {
	t.Helper()
	bootstrap, store, logr := configStoreOnKfake(t, brokerConfigs)
	wc, err := runtime.ParseWorkerConfig(map[string]string{"bootstrap.servers": bootstrap,
		"key.converter": "org.apache.kafka.connect.storage.StringConverter", "value.converter": "org.apache.kafka.connect.storage.StringConverter"})
	if err != nil {
		t.Fatal(err)
	}
	return &Herder{w: runtime.NewWorker(wc, offsets.NewMemoryStore(), runtime.WorkerOptions{WorkerID: "w1:8083"}),
		cfg: &Config{ConfigTopic: "cfg"}, log: logr, configs: store, joinedOnce: true, isLeader: true}
}

func fileSource(extra ...string) map[string]string {
	c := map[string]string{"connector.class": "FileStreamSource", "file": "/tmp/in.txt", "topic": "t"}
	for i := 0; i+1 < len(extra); i += 2 {
		c[extra[i]] = extra[i+1]
	}
	return c
}

// Concurrent creates of one name: exactly one is created, every other gets
// Kafka Connect's 409, and the stored config is the winner's (finding 3).
func TestConcurrentCreatesOfOneName(t *testing.T) {
	h := leaderOnKfake(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 12
	type result struct {
		i       int
		created bool
		err     error
	}
	results := make(chan result, n)
	var start sync.WaitGroup
	start.Add(1)
	for i := 0; i < n; i++ {
		go func() {
			start.Wait()
			_, created, err := h.PutConnectorConfig(ctx, "dup", fileSource("batch.size", fmt.Sprint(i+1)), false, "")
			results <- result{i, created, err}
		}()
	}
	start.Done()
	winner := -1
	for range n {
		r := <-results
		switch {
		case r.err == nil && r.created:
			if winner >= 0 {
				t.Errorf("both %d and %d were created", winner, r.i)
			}
			winner = r.i
		case r.err != nil && rest.StatusOf(r.err) == 409 && r.err.Error() == "Connector dup already exists":
		default:
			t.Errorf("create %d: created=%v err=%v, want the 201 or a 409", r.i, r.created, r.err)
		}
	}
	if winner < 0 {
		t.Fatal("no create succeeded")
	}
	cfg, err := h.ConnectorConfig(ctx, "dup")
	if err != nil || cfg["batch.size"] != fmt.Sprint(winner+1) {
		t.Errorf("stored config %v (%v), want the winner's batch.size=%d", cfg, err, winner+1)
	}
}

// Concurrent patches of different keys all stay (finding 4), and a mixed
// storm of creates and deletes of one name alternates as a serial order
// must: each successful create is followed by at most one successful
// delete.
func TestConcurrentPatchesAndCreateDeleteStorm(t *testing.T) {
	h := leaderOnKfake(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if _, _, err := h.PutConnectorConfig(ctx, "p", fileSource(), false, ""); err != nil {
		t.Fatal(err)
	}
	const n = 10
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := "v"
			_, err := h.PatchConnectorConfig(ctx, "p", map[string]*string{fmt.Sprintf("k%d", i): &v})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("patch: %v", err)
		}
	}
	cfg, _ := h.ConnectorConfig(ctx, "p")
	for i := 0; i < n; i++ {
		if cfg[fmt.Sprintf("k%d", i)] != "v" {
			t.Errorf("k%d lost: %v", i, cfg)
		}
	}
	if _, err := h.PatchConnectorConfig(ctx, "nope", map[string]*string{}); rest.StatusOf(err) != 404 {
		t.Errorf("patch of an unknown connector: %v, want 404", err)
	}

	var mu sync.Mutex
	creates, deletes := 0, 0
	for i := 0; i < 2*n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if i%2 == 0 {
				_, _, err = h.PutConnectorConfig(ctx, "cd", fileSource(), false, "")
			} else {
				err = h.DeleteConnector(ctx, "cd")
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && i%2 == 0:
				creates++
			case err == nil:
				deletes++
			case rest.StatusOf(err) != 409 && rest.StatusOf(err) != 404:
				t.Errorf("op %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	_, err := h.ConnectorConfig(ctx, "cd")
	exists := 0
	if err == nil {
		exists = 1
	}
	if creates-deletes != exists {
		t.Errorf("%d creates and %d deletes succeeded but the connector exists=%d: no serial order gives that", creates, deletes, exists)
	}
}

// A config over the config topic's limit says which limits apply.
func TestOversizedConfigNamesTheLimits(t *testing.T) {
	h := leaderOnKfake(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, _, err := h.PutConnectorConfig(ctx, "big", fileSource("big", strings.Repeat("x", 3<<20)), false, "")
	if err == nil {
		t.Fatal("a 3 MB config was written")
	}
	for _, want := range []string{"max.request.size", "message.max.bytes", "config topic cfg", "1000000 bytes"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if rest.StatusOf(err) != 500 {
		t.Errorf("status %d, want 500 as Kafka Connect", rest.StatusOf(err))
	}
	if _, err := h.ConnectorConfig(ctx, "big"); err == nil {
		t.Error("the oversized connector exists")
	}
}

// Under the producer's limit but over the broker's, the hint is the
// topic's max.message.bytes.
func TestConfigOverTheBrokerLimitNamesTheTopicSetting(t *testing.T) {
	h := leaderOnKfake(t, map[string]string{"message.max.bytes": "200000"})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, _, err := h.PutConnectorConfig(ctx, "mid", fileSource("big", strings.Repeat("x", 500_000)), false, "")
	if err == nil {
		t.Fatal("a config over the broker's limit was written")
	}
	if !strings.Contains(err.Error(), "broker refused it: raise the topic's max.message.bytes") {
		t.Errorf("error %q does not point at the topic's max.message.bytes", err)
	}
}
