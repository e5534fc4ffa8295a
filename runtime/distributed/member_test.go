package distributed

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/sluicehq/sluice/rest"
	"github.com/sluicehq/sluice/runtime"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
)

// saslCluster is a kfake broker that requires SASL/PLAIN, with the worker
// properties a Kafka Connect user would write for it.
func saslCluster(t *testing.T) (string, *runtime.WorkerConfig) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser("PLAIN", "admin", "s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	boot := strings.Join(c.ListenAddrs(), ",")
	wc, err := runtime.ParseWorkerConfig(map[string]string{
		"bootstrap.servers": boot, "key.converter": "org.apache.kafka.connect.storage.StringConverter",
		"value.converter": "org.apache.kafka.connect.storage.StringConverter", "listeners": "http://127.0.0.1:0",
		"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
		"sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="s3cret";`,
	})
	if err != nil {
		t.Fatal(err)
	}
	return boot, wc
}

func TestGroupProtocolOverSASL(t *testing.T) {
	boot, wc := saslCluster(t)
	cm, err := wc.InternalClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	kopts, err := kgoSecurity(cm)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// The internal-topic clients authenticate too.
	cs, err := OpenConfigStore(ctx, ConfigStoreConfig{Bootstrap: boot, Topic: "cfg", ReplicationFactor: -1, ClientID: "g-configs", ClientProps: cm})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	if err := cs.PutConnectorConfig(ctx, "c", map[string]string{"name": "c"}, rest.TargetPaused); err != nil {
		t.Fatal(err)
	}
	if snap := cs.Snapshot(); snap.Target("c") != rest.TargetPaused || snap.Offset != 2 {
		t.Fatalf("snapshot after write: %+v", snap)
	}

	members := make([]*groupMember, 2)
	for i := range members {
		if members[i], err = newGroupMember([]string{boot}, "connect-test", "grp", 6*time.Second, 10*time.Second, kopts...); err != nil {
			t.Fatal(err)
		}
		defer members[i].close()
	}
	meta := func(url string) []protocolMeta {
		return []protocolMeta{
			{ProtocolSessioned, EncodeMetadata(MemberMetadata{Version: 2, URL: url, ConfigOffset: 2})},
			{ProtocolCompatible, EncodeMetadata(MemberMetadata{Version: 1, URL: url, ConfigOffset: 2})},
		}
	}
	round := func(i int) (joinResult, []byte, error) {
		m := members[i]
		url := "http://w" + string(rune('0'+i)) + ":8083/"
		jr, err := m.join(ctx, meta(url))
		if err != nil {
			return jr, nil, err
		}
		var assign map[string][]byte
		if jr.leader {
			assign = map[string][]byte{}
			for _, mem := range jr.members {
				md, err := DecodeMetadata(mem.metadata)
				if err != nil || md.Version != 2 {
					t.Errorf("member metadata %+v %v", md, err)
				}
				assign[mem.id] = EncodeAssignment(Assignment{Version: 2, Leader: jr.memberID, LeaderURL: url, ConfigOffset: 2, Connectors: []string{md.URL}})
			}
		}
		blob, err := m.sync(ctx, assign)
		return jr, blob, err
	}
	// Without the credentials the broker refuses the group client.
	anon, err := newGroupMember([]string{boot}, "connect-anon", "grp", 6*time.Second, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	actx, acancel := context.WithTimeout(ctx, 3*time.Second)
	if _, err := anon.join(actx, meta("http://anon/")); err == nil {
		t.Error("joined a SASL-only broker without credentials")
	}
	acancel()
	anon.close()

	// The first member forms generation 1 alone.
	first, _, err := round(0)
	if err != nil || !first.leader || first.protocol != ProtocolSessioned {
		t.Fatalf("first join %+v %v", first, err)
	}
	// A second member's join starts a rebalance the first learns of from
	// its heartbeat, as a worker does; both then join generation 2.
	results := make([]joinResult, 2)
	blobs := make([][]byte, 2)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		var err error
		if results[1], blobs[1], err = round(1); err != nil {
			t.Errorf("second member: %v", err)
		}
	}()
	go func() {
		defer wg.Done()
		for {
			err := members[0].heartbeat(ctx)
			if errors.Is(err, errRejoin) {
				break
			}
			if err != nil || ctx.Err() != nil {
				t.Errorf("heartbeat before the rebalance: %v", err)
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
		var err error
		if results[0], blobs[0], err = round(0); err != nil {
			t.Errorf("first member's rejoin: %v", err)
		}
	}()
	wg.Wait()
	if t.Failed() {
		return
	}
	if results[0].leader == results[1].leader || results[0].generation != results[1].generation || results[0].generation <= first.generation {
		t.Fatalf("join results %+v", results)
	}
	for i, b := range blobs {
		a, err := DecodeAssignment(b)
		want := "http://w" + string(rune('0'+i)) + ":8083/"
		if err != nil || len(a.Connectors) != 1 || a.Connectors[0] != want {
			t.Errorf("member %d assignment %+v %v", i, a, err)
		}
	}
	for _, m := range members {
		if err := m.heartbeat(ctx); err != nil {
			t.Errorf("heartbeat: %v", err)
		}
	}
	// A leaving member makes the other's heartbeat ask for a rejoin.
	members[1].leave(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := members[0].heartbeat(ctx)
		if errors.Is(err, errRejoin) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("heartbeat after a member left: %v, want errRejoin", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestKgoSecurityErrors(t *testing.T) {
	for _, tc := range []struct {
		cm   kafka.ConfigMap
		want string
	}{
		{kafka.ConfigMap{"security.protocol": "SASL_PLAINTEXT"}, "needs sasl.mechanism"},
		{kafka.ConfigMap{"security.protocol": "SASL_SSL", "sasl.mechanisms": "GSSAPI"}, "GSSAPI is not supported"},
		{kafka.ConfigMap{"security.protocol": "QUIC"}, "QUIC"},
		{kafka.ConfigMap{"security.protocol": "SSL", "ssl.ca.location": "/nonexistent.pem"}, "ssl.truststore.location"},
	} {
		_, err := kgoSecurity(tc.cm)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.cm, err, tc.want)
		}
	}
}

// keepInGroup is one member's side of the group protocol: join, sync (the
// leader hands everyone an empty assignment), heartbeat until a rebalance,
// and again, recording each completed round in latest.
func keepInGroup(ctx context.Context, m *groupMember, protos []protocolMeta, latest func(joinResult)) error {
	for ctx.Err() == nil {
		jr, err := m.join(ctx, protos)
		if err != nil {
			return err
		}
		var assign map[string][]byte
		if jr.leader {
			assign = map[string][]byte{}
			for _, mem := range jr.members {
				assign[mem.id] = EncodeAssignment(Assignment{Version: ProtocolVersion(jr.protocol), Leader: jr.memberID})
			}
		}
		if _, err := m.sync(ctx, assign); errors.Is(err, errRejoin) {
			continue
		} else if err != nil {
			return err
		}
		latest(jr)
		for {
			if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
				return nil
			}
			if err := m.heartbeat(ctx); errors.Is(err, errRejoin) {
				break
			} else if err != nil {
				return err
			}
		}
	}
	return nil
}

// The coordinator settles on a protocol every member offers, preferring
// what most members list first, so one worker with an older
// connect.protocol downgrades the whole cluster; this only works because
// every worker also offers the older protocols after its own.
func TestGroupProtocolSelection(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	boot := c.ListenAddrs()
	offers := func(mode string) []string {
		p := baseProps()
		p["connect.protocol"] = mode
		cfg, err := ParseConfig(p)
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Protocols
	}
	tests := []struct {
		name  string
		modes []string
		want  string
	}{
		{"all sessioned", []string{"sessioned", "sessioned"}, ProtocolSessioned},
		{"one compatible worker", []string{"sessioned", "compatible", "sessioned"}, ProtocolCompatible},
		{"one eager worker", []string{"sessioned", "compatible", "eager"}, ProtocolDefault},
		{"all eager", []string{"eager", "eager"}, ProtocolDefault},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			group := "select-" + string(rune('a'+i))
			var mu sync.Mutex
			rounds := make([]joinResult, len(tc.modes))
			var wg sync.WaitGroup
			for j, mode := range tc.modes {
				m, err := newGroupMember(boot, "connect-w", group, 6*time.Second, 10*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				defer m.close()
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer m.leave(context.Background())
					protos := joinProtocols(offers(mode), "http://w/", 0, Assignment{})
					if err := keepInGroup(ctx, m, protos, func(jr joinResult) {
						mu.Lock()
						rounds[j] = jr
						mu.Unlock()
					}); err != nil && ctx.Err() == nil {
						t.Errorf("%s member: %v", mode, err)
					}
				}()
			}
			var settled []joinResult
			for ctx.Err() == nil && settled == nil {
				mu.Lock()
				cur := append([]joinResult(nil), rounds...)
				mu.Unlock()
				full := false
				for _, r := range cur {
					if r.generation != cur[0].generation || r.generation == 0 {
						full = false
						break
					}
					if r.leader && len(r.members) == len(tc.modes) {
						full = true
					}
				}
				if full {
					settled = cur
				}
				time.Sleep(50 * time.Millisecond)
			}
			cancel()
			wg.Wait()
			if settled == nil {
				t.Fatalf("the group never formed one generation of %d members: %+v", len(tc.modes), rounds)
			}
			for j, r := range settled {
				if r.protocol != tc.want {
					t.Errorf("%s member runs %q, want %q", tc.modes[j], r.protocol, tc.want)
				}
			}
		})
	}

	// Without the older protocols in its list (as Sluice offered before it
	// spoke eager) a sessioned cluster refuses an eager worker outright.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	old, err := newGroupMember(boot, "connect-old", "refuse", 6*time.Second, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer old.close()
	if _, err := old.join(ctx, joinProtocols([]string{ProtocolSessioned, ProtocolCompatible}, "http://old/", 0, Assignment{})); err != nil {
		t.Fatal(err)
	}
	eager, err := newGroupMember(boot, "connect-eager", "refuse", 6*time.Second, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer eager.close()
	if _, err := eager.join(ctx, joinProtocols(offers("eager"), "http://eager/", 0, Assignment{})); !errors.Is(err, kerr.InconsistentGroupProtocol) {
		t.Fatalf("eager worker joining a [sessioned, compatible] group: %v, want INCONSISTENT_GROUP_PROTOCOL", err)
	}
}
