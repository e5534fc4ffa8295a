package distributed

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Distributed-mode worker keys not declared by runtime.WorkerConfigDef.
const (
	PropGroupID                  = "group.id"
	PropConfigTopic              = "config.storage.topic"
	PropOffsetTopic              = "offset.storage.topic"
	PropStatusTopic              = "status.storage.topic"
	PropConfigRF                 = "config.storage.replication.factor"
	PropOffsetRF                 = "offset.storage.replication.factor"
	PropOffsetPartitions         = "offset.storage.partitions"
	PropStatusRF                 = "status.storage.replication.factor"
	PropStatusPartitions         = "status.storage.partitions"
	PropScheduledRebalanceDelay  = "scheduled.rebalance.max.delay.ms"
	PropSessionTimeout           = "session.timeout.ms"
	PropHeartbeatInterval        = "heartbeat.interval.ms"
	PropRebalanceTimeout         = "rebalance.timeout.ms"
	PropConnectProtocol          = "connect.protocol"
	PropWorkerSyncTimeout        = "worker.sync.timeout.ms"
	PropWorkerUnsyncBackoff      = "worker.unsync.backoff.ms"
	PropExactlyOnceSourceSupport = "exactly.once.source.support"
)

// Config is the distributed part of a worker config.
type Config struct {
	Bootstrap   []string
	GroupID     string
	ClientID    string
	ConfigTopic string
	OffsetTopic string
	StatusTopic string

	ConfigRF, OffsetRF, StatusRF       int
	OffsetPartitions, StatusPartitions int
	ConfigTopicConfigs                 map[string]string
	OffsetTopicConfigs                 map[string]string
	StatusTopicConfigs                 map[string]string

	ScheduledRebalanceMaxDelay time.Duration
	SessionTimeout             time.Duration
	HeartbeatInterval          time.Duration
	RebalanceTimeout           time.Duration
	WorkerSyncTimeout          time.Duration
	// WorkerUnsyncBackoff is the longest a worker that could not read the
	// config topic to its leader's offset stays out of the group.
	WorkerUnsyncBackoff time.Duration
	// Protocols are the subprotocols offered, in preference order; the
	// first is the one connect.protocol names.
	Protocols []string
	// ExactlyOnce is exactly.once.source.support: EOSDisabled,
	// EOSPreparing or EOSEnabled.
	ExactlyOnce string
}

// exactly.once.source.support values (KIP-618). preparing is the middle
// step of the two rolling upgrades: the leader already writes the config
// topic transactionally and reads it read_committed, but tasks still run
// without transactions, so a cluster can move from disabled to enabled
// without a worker that reads uncommitted config records.
const (
	EOSDisabled  = "disabled"
	EOSPreparing = "preparing"
	EOSEnabled   = "enabled"
)

// transactionalConfigWrites reports whether the leader writes the config
// topic through its transactional producer.
func (c *Config) transactionalConfigWrites() bool {
	return c.ExactlyOnce == EOSPreparing || c.ExactlyOnce == EOSEnabled
}

// exactlyOnceTasks reports whether source tasks run transactionally.
func (c *Config) exactlyOnceTasks() bool { return c.ExactlyOnce == EOSEnabled }

// ParseConfig reads the distributed settings of a worker properties map,
// with Kafka Connect's defaults.
func ParseConfig(props map[string]string) (*Config, error) {
	c := &Config{
		GroupID: strings.TrimSpace(props[PropGroupID]), ClientID: strings.TrimSpace(props["client.id"]),
		ConfigTopic: strings.TrimSpace(props[PropConfigTopic]), OffsetTopic: strings.TrimSpace(props[PropOffsetTopic]),
		StatusTopic: strings.TrimSpace(props[PropStatusTopic]),
	}
	for _, s := range strings.Split(props["bootstrap.servers"], ",") {
		if s = strings.TrimSpace(s); s != "" {
			c.Bootstrap = append(c.Bootstrap, s)
		}
	}
	if len(c.Bootstrap) == 0 {
		return nil, fmt.Errorf("bootstrap.servers is empty; set it to the Kafka brokers, e.g. bootstrap.servers=localhost:9092")
	}
	for k, v := range map[string]string{PropGroupID: c.GroupID, PropConfigTopic: c.ConfigTopic, PropOffsetTopic: c.OffsetTopic, PropStatusTopic: c.StatusTopic} {
		if v == "" {
			return nil, fmt.Errorf("%s is required in distributed mode; set it in the worker properties (e.g. group.id=connect-cluster, config.storage.topic=connect-configs, offset.storage.topic=connect-offsets, status.storage.topic=connect-status)", k)
		}
	}
	if c.ConfigTopic == c.OffsetTopic || c.ConfigTopic == c.StatusTopic || c.OffsetTopic == c.StatusTopic {
		return nil, fmt.Errorf("%s, %s and %s must name three different topics", PropConfigTopic, PropOffsetTopic, PropStatusTopic)
	}
	var err error
	ints := []struct {
		key string
		def int
		min int
		dst *int
	}{
		{PropConfigRF, 3, -1, &c.ConfigRF}, {PropOffsetRF, 3, -1, &c.OffsetRF}, {PropStatusRF, 3, -1, &c.StatusRF},
		{PropOffsetPartitions, 25, -1, &c.OffsetPartitions}, {PropStatusPartitions, 5, -1, &c.StatusPartitions},
	}
	for _, x := range ints {
		if *x.dst, err = intProp(props, x.key, x.def); err != nil {
			return nil, err
		}
		if *x.dst == 0 || *x.dst < x.min {
			return nil, fmt.Errorf("invalid value %d for configuration %s: must be -1 (the broker default) or at least 1", *x.dst, x.key)
		}
	}
	durs := []struct {
		key string
		def int
		dst *time.Duration
	}{
		{PropScheduledRebalanceDelay, 300000, &c.ScheduledRebalanceMaxDelay}, {PropSessionTimeout, 10000, &c.SessionTimeout},
		{PropHeartbeatInterval, 3000, &c.HeartbeatInterval}, {PropRebalanceTimeout, 60000, &c.RebalanceTimeout},
		{PropWorkerSyncTimeout, 3000, &c.WorkerSyncTimeout}, {PropWorkerUnsyncBackoff, 300000, &c.WorkerUnsyncBackoff},
	}
	for _, x := range durs {
		n, err := intProp(props, x.key, x.def)
		if err != nil {
			return nil, err
		}
		if n < 0 || (n == 0 && x.key != PropScheduledRebalanceDelay) {
			return nil, fmt.Errorf("invalid value %d for configuration %s: must be positive", n, x.key)
		}
		*x.dst = time.Duration(n) * time.Millisecond
	}
	// Every mode also offers the older protocols, last, as Kafka Connect's
	// workers do: the coordinator picks a protocol all members offer, so a
	// cluster with one older (or eager) worker downgrades instead of
	// refusing it.
	switch p := strings.ToLower(strings.TrimSpace(props[PropConnectProtocol])); p {
	case "", ProtocolSessioned:
		c.Protocols = []string{ProtocolSessioned, ProtocolCompatible, ProtocolDefault}
	case ProtocolCompatible:
		c.Protocols = []string{ProtocolCompatible, ProtocolDefault}
	case ConnectProtocolEager:
		c.Protocols = []string{ProtocolDefault}
	default:
		return nil, fmt.Errorf("invalid value %q for configuration %s: expected eager, compatible or sessioned (the default)", props[PropConnectProtocol], PropConnectProtocol)
	}
	switch v := strings.ToLower(strings.TrimSpace(props[PropExactlyOnceSourceSupport])); v {
	case "", EOSDisabled:
		c.ExactlyOnce = EOSDisabled
	case EOSPreparing, EOSEnabled:
		c.ExactlyOnce = v
	default:
		return nil, fmt.Errorf("invalid value %q for configuration %s: expected disabled, preparing or enabled", props[PropExactlyOnceSourceSupport], PropExactlyOnceSourceSupport)
	}
	c.ConfigTopicConfigs = topicConfigs(props, "config.storage.")
	c.OffsetTopicConfigs = topicConfigs(props, "offset.storage.")
	c.StatusTopicConfigs = topicConfigs(props, "status.storage.")
	return c, nil
}

func intProp(props map[string]string, key string, def int) (int, error) {
	v, ok := props[key]
	if !ok || strings.TrimSpace(v) == "" {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, fmt.Errorf("invalid value %q for configuration %s: expected an integer", v, key)
	}
	return n, nil
}

// topicConfigs are the extra topic-level settings under prefix, without the
// worker's own keys and cleanup.policy (always compact).
func topicConfigs(props map[string]string, prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range props {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		sub := k[len(prefix):]
		switch sub {
		case "topic", "replication.factor", "partitions", "cleanup.policy", "file.filename":
			continue
		}
		out[sub] = v
	}
	return out
}

// clientBase is Kafka Connect's base client id: "<group.id>-" or
// "<group.id>-<client.id>-".
func (c *Config) clientBase() string {
	if c.ClientID != "" {
		return c.GroupID + "-" + c.ClientID + "-"
	}
	return c.GroupID + "-"
}
