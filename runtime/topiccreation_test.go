package runtime

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/sluicehq/sluice/integration/harness"
	"github.com/sluicehq/sluice/offsets"
)

func TestTopicCreationGroups(t *testing.T) {
	props := map[string]string{
		"topic.creation.groups":                     "compacted,big",
		"topic.creation.default.replication.factor": "3",
		"topic.creation.default.partitions":         "-1",
		"topic.creation.default.retention.ms":       "1000",
		"topic.creation.compacted.include":          "db\\.compact.*, audit",
		"topic.creation.compacted.exclude":          "db\\.compact_skip",
		"topic.creation.compacted.cleanup.policy":   "compact",
		"topic.creation.big.include":                "db\\..*",
		"topic.creation.big.partitions":             "12",
	}
	tc, err := newTopicCreation(true, props)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		topic, group string
		rf, parts    int
		configs      string
	}{
		{"db.compact_a", "compacted", 3, -1, "cleanup.policy=compact"},
		{"audit", "compacted", 3, -1, "cleanup.policy=compact"},
		{"audit2", "default", 3, -1, "retention.ms=1000"}, // include is a whole-name match
		{"db.compact_skip", "big", 3, 12, ""},
		{"db.orders", "big", 3, 12, ""},
		{"other", "default", 3, -1, "retention.ms=1000"},
	} {
		g := tc.groupFor(c.topic)
		var cfg []string
		for k, v := range g.configs {
			cfg = append(cfg, k+"="+v)
		}
		if g.name != c.group || g.replicationFactor != c.rf || g.partitions != c.parts || strings.Join(cfg, ",") != c.configs {
			t.Errorf("%s → group %s rf %d partitions %d configs %v; want %s %d %d %s", c.topic, g.name, g.replicationFactor, g.partitions, cfg, c.group, c.rf, c.parts, c.configs)
		}
	}

	for _, c := range []struct {
		enabled bool
		props   map[string]string
		nil     bool
		errHas  string
	}{
		{false, props, true, ""},
		{true, map[string]string{"topic.creation.groups": "x"}, true, ""},
		{true, map[string]string{"topic.creation.default.partitions": "1"}, false, "needs both"},
		{true, map[string]string{"topic.creation.default.partitions": "0", "topic.creation.default.replication.factor": "1"}, false, "topic.creation.default.partitions"},
		{true, map[string]string{"topic.creation.default.partitions": "1", "topic.creation.default.replication.factor": "1", "topic.creation.groups": "g", "topic.creation.g.include": "("}, false, "invalid regex"},
	} {
		tc, err := newTopicCreation(c.enabled, c.props)
		if c.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), c.errHas) {
				t.Errorf("%v: error %v, want %q", c.props, err, c.errHas)
			}
			continue
		}
		if err != nil || (tc == nil) != c.nil {
			t.Errorf("%v: %v, %v", c.props, tc, err)
		}
	}
}

// TestTopicCreationOnBroker: topics are created before the first record
// with their group's settings; an existing topic is left alone.
func TestTopicCreationOnBroker(t *testing.T) {
	k := harness.KafkaForTest(t)
	ctx := context.Background()
	existing := k.Topic("existing")
	if err := k.CreateTopic(ctx, existing, 5, nil); err != nil {
		t.Fatal(err)
	}
	h := newTestHerder(t, k.Bootstrap(), offsets.NewMemoryStore(), nil)
	defer h.Stop(ctx)
	base := map[string]string{
		"connector.class":       testSourceClass,
		"count":                 "10",
		"topic.creation.groups": "compacted",
		"topic.creation.default.replication.factor": "1",
		"topic.creation.default.partitions":         "3",
		"topic.creation.compacted.include":          ".*compact.*",
		"topic.creation.compacted.partitions":       "2",
		"topic.creation.compacted.cleanup.policy":   "compact",
	}
	want := map[string]int{k.Topic("plain"): 3, k.Topic("compact-me"): 2, existing: 5}
	i := 0
	for topic := range want {
		cfg := map[string]string{"topic": topic}
		for k, v := range base {
			cfg[k] = v
		}
		i++
		if _, _, err := h.PutConnectorConfig(ctx, "tc"+string(rune('a'+i)), cfg, false, ""); err != nil {
			t.Fatal(err)
		}
	}
	admin, err := k.Admin()
	if err != nil {
		t.Fatal(err)
	}
	for topic, parts := range want {
		if _, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, 10, 30*time.Second); err != nil {
			t.Fatal(err)
		}
		md, err := admin.GetMetadata(&topic, false, 5000)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(md.Topics[topic].Partitions); got != parts {
			t.Errorf("%s has %d partitions, want %d", topic, got, parts)
		}
	}
	res, err := admin.DescribeConfigs(ctx, []kafka.ConfigResource{{Type: kafka.ResourceTopic, Name: k.Topic("compact-me")}})
	if err != nil || len(res) != 1 {
		t.Fatalf("describe configs: %v %v", res, err)
	}
	if v := res[0].Config["cleanup.policy"].Value; v != "compact" {
		t.Errorf("cleanup.policy = %q, want compact", v)
	}
}
