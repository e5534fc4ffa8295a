package distributed

import (
	"strings"
	"testing"
	"time"
)

func baseProps() map[string]string {
	return map[string]string{"bootstrap.servers": "k1:9092, k2:9092", "group.id": "connect-cluster",
		"config.storage.topic": "connect-configs", "offset.storage.topic": "connect-offsets", "status.storage.topic": "connect-status"}
}

func TestParseConfigDefaults(t *testing.T) {
	c, err := ParseConfig(baseProps())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Bootstrap) != 2 || c.ConfigRF != 3 || c.OffsetPartitions != 25 || c.StatusPartitions != 5 ||
		c.ScheduledRebalanceMaxDelay != 300*time.Second || c.SessionTimeout != 10*time.Second || c.HeartbeatInterval != 3*time.Second ||
		c.RebalanceTimeout != time.Minute || strings.Join(c.Protocols, ",") != "sessioned,compatible,default" || c.clientBase() != "connect-cluster-" {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		set  map[string]string
		want string
	}{
		{map[string]string{"group.id": ""}, "group.id is required"},
		{map[string]string{"status.storage.topic": "connect-configs"}, "three different topics"},
		{map[string]string{"offset.storage.partitions": "0"}, "offset.storage.partitions"},
		{map[string]string{"config.storage.replication.factor": "x"}, "config.storage.replication.factor"},
		{map[string]string{"connect.protocol": "cooperative"}, `invalid value "cooperative" for configuration connect.protocol: expected eager, compatible or sessioned`},
		{map[string]string{"session.timeout.ms": "-5"}, "session.timeout.ms"},
		{map[string]string{"exactly.once.source.support": "on"}, "exactly.once.source.support"},
		{map[string]string{"bootstrap.servers": " "}, "bootstrap.servers"},
	}
	for _, tc := range tests {
		p := baseProps()
		for k, v := range tc.set {
			p[k] = v
		}
		if _, err := ParseConfig(p); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.set, err, tc.want)
		}
	}
}

func TestParseConfigTopicSettings(t *testing.T) {
	p := baseProps()
	p["offset.storage.segment.ms"] = "1000"
	p["offset.storage.cleanup.policy"] = "delete"
	p["status.storage.partitions"] = "-1"
	p["client.id"] = "w1"
	p["scheduled.rebalance.max.delay.ms"] = "0"
	c, err := ParseConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.OffsetTopicConfigs["segment.ms"] != "1000" || c.OffsetTopicConfigs["cleanup.policy"] != "" || len(c.OffsetTopicConfigs) != 1 {
		t.Errorf("offset topic configs %v", c.OffsetTopicConfigs)
	}
	if c.StatusPartitions != -1 || c.clientBase() != "connect-cluster-w1-" || c.ScheduledRebalanceMaxDelay != 0 {
		t.Errorf("%+v", c)
	}
}

func TestParseConfigExactlyOnce(t *testing.T) {
	tests := []struct {
		value          string
		mode           string
		configTxn, eos bool
	}{
		{"", EOSDisabled, false, false},
		{"disabled", EOSDisabled, false, false},
		{"preparing", EOSPreparing, true, false},
		{"Enabled", EOSEnabled, true, true},
	}
	for _, tc := range tests {
		p := baseProps()
		p["exactly.once.source.support"] = tc.value
		c, err := ParseConfig(p)
		if err != nil {
			t.Fatalf("%q: %v", tc.value, err)
		}
		if c.ExactlyOnce != tc.mode || c.transactionalConfigWrites() != tc.configTxn || c.exactlyOnceTasks() != tc.eos {
			t.Errorf("%q: mode %s, config txn %v, eos tasks %v", tc.value, c.ExactlyOnce, c.transactionalConfigWrites(), c.exactlyOnceTasks())
		}
	}
}

// connect.protocol offers the named subprotocol first and every older one
// after it, as Kafka Connect's ConnectProtocolCompatibility modes do, so a
// mixed cluster settles on the newest protocol all its workers speak.
func TestParseConfigConnectProtocol(t *testing.T) {
	tests := []struct {
		value string
		want  string
	}{
		{"", "sessioned,compatible,default"},
		{"sessioned", "sessioned,compatible,default"},
		{"SESSIONED", "sessioned,compatible,default"},
		{"compatible", "compatible,default"},
		{"eager", "default"},
		{" Eager ", "default"},
	}
	for _, tc := range tests {
		p := baseProps()
		p["connect.protocol"] = tc.value
		c, err := ParseConfig(p)
		if err != nil {
			t.Fatalf("%q: %v", tc.value, err)
		}
		if got := strings.Join(c.Protocols, ","); got != tc.want {
			t.Errorf("%q: protocols %s, want %s", tc.value, got, tc.want)
		}
	}
}

// Kafka Connect runs exactly-once source support under every protocol (its
// system test test_exactly_once_source covers eager, compatible and
// sessioned), so the combination must not be refused.
func TestParseConfigEagerWithExactlyOnce(t *testing.T) {
	p := baseProps()
	p["connect.protocol"] = "eager"
	p["exactly.once.source.support"] = "enabled"
	c, err := ParseConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Protocols[0] != ProtocolDefault || !c.exactlyOnceTasks() {
		t.Fatalf("%+v", c)
	}
}
