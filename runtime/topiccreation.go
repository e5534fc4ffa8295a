package runtime

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/sluicehq/sluice/connect"
)

// topicGroup is one topic.creation group (KIP-158).
type topicGroup struct {
	name              string
	include, exclude  []*regexp.Regexp
	replicationFactor int
	partitions        int
	configs           map[string]string
}

func (g *topicGroup) matches(topic string) bool {
	in := false
	for _, re := range g.include {
		if re.MatchString(topic) {
			in = true
			break
		}
	}
	if !in {
		return false
	}
	for _, re := range g.exclude {
		if re.MatchString(topic) {
			return false
		}
	}
	return true
}

// topicCreation creates the topics a task writes to, before the first
// record to each: with the settings of the first group of
// topic.creation.groups that includes and does not exclude the topic, else
// the default group's. A topic that exists is left alone. Each topic is
// handled once per task.
type topicCreation struct {
	groups []*topicGroup // listed groups in order, then "default"
	seen   map[string]bool
}

// newTopicCreation reads a connector's topic.creation.* settings; nil
// means topics are not created (disabled on the worker, or the connector
// sets no topic.creation.default.* settings, as in Kafka Connect).
func newTopicCreation(workerEnabled bool, props map[string]string) (*topicCreation, error) {
	if !workerEnabled {
		return nil, nil
	}
	rf, hasRF := props[topicCreationPrefix+"default.replication.factor"]
	parts, hasParts := props[topicCreationPrefix+"default.partitions"]
	if !hasRF && !hasParts {
		return nil, nil
	}
	if !hasRF || !hasParts {
		return nil, fmt.Errorf("topic creation needs both %sdefault.replication.factor and %sdefault.partitions", topicCreationPrefix, topicCreationPrefix)
	}
	tc := &topicCreation{seen: map[string]bool{}}
	def, err := parseTopicGroup("default", props, rf, parts)
	if err != nil {
		return nil, err
	}
	def.include = []*regexp.Regexp{regexp.MustCompile(`^(?:.*)$`)}
	def.exclude = nil
	for _, name := range uniq(connect.SplitList(props[ConnTopicCreationGroups])) {
		if name == "default" {
			continue
		}
		g, err := parseTopicGroup(name, props, rf, parts)
		if err != nil {
			return nil, err
		}
		tc.groups = append(tc.groups, g)
	}
	tc.groups = append(tc.groups, def)
	return tc, nil
}

func parseTopicGroup(name string, props map[string]string, defRF, defParts string) (*topicGroup, error) {
	prefix := topicCreationPrefix + name + "."
	g := &topicGroup{name: name, configs: map[string]string{}}
	num := func(key, def string) (int, error) {
		v, ok := props[prefix+key]
		if !ok {
			v = def
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n != -1 && n < 1 {
			return 0, fmt.Errorf("invalid value %q for configuration %s%s: want -1 (the broker's default) or a number of at least 1", v, prefix, key)
		}
		return n, nil
	}
	var err error
	if g.replicationFactor, err = num("replication.factor", defRF); err != nil {
		return nil, err
	}
	if g.partitions, err = num("partitions", defParts); err != nil {
		return nil, err
	}
	for _, which := range []string{"include", "exclude"} {
		for _, p := range connect.SplitList(props[prefix+which]) {
			// Kafka matches the whole topic name (Matcher.matches).
			re, err := regexp.Compile("^(?:" + p + ")$")
			if err != nil {
				return nil, fmt.Errorf("invalid regex %q in %s%s: %v", p, prefix, which, err)
			}
			if which == "include" {
				g.include = append(g.include, re)
			} else {
				g.exclude = append(g.exclude, re)
			}
		}
	}
	for k, v := range props {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		switch c := k[len(prefix):]; c {
		case "include", "exclude", "replication.factor", "partitions":
		default:
			g.configs[c] = v
		}
	}
	return g, nil
}

// errStopping ends a send that waited for the broker when the task stops.
var errStopping = errors.New("task stopping")

func (tc *topicCreation) groupFor(topic string) *topicGroup {
	for _, g := range tc.groups {
		if g.matches(topic) {
			return g
		}
	}
	return tc.groups[len(tc.groups)-1]
}

// ensureTopic creates topic if this task has not handled it yet. Broker
// unavailability is waited out (the task stops polling meanwhile, as with
// a full producer queue); a refusal fails the task.
func (t *workerTask) ensureTopic(topic string) error {
	tc := t.topicCreation
	if tc == nil || tc.seen[topic] {
		return nil
	}
	if t.admin == nil {
		var a *kafka.AdminClient
		var err error
		if t.producer != nil {
			a, err = kafka.NewAdminClientFromProducer(t.producer)
		} else {
			a, err = kafka.NewAdminClient(&t.adminConf)
		}
		if err != nil {
			return fmt.Errorf("topic creation: admin client: %w", err)
		}
		t.admin = a
	}
	g := tc.groupFor(topic)
	spec := kafka.TopicSpecification{Topic: topic, NumPartitions: g.partitions, ReplicationFactor: g.replicationFactor, Config: g.configs}
	backoff := 100 * time.Millisecond
	for {
		ctx, cancel := context.WithTimeout(t.pollCtx, 30*time.Second)
		res, err := t.admin.CreateTopics(ctx, []kafka.TopicSpecification{spec})
		cancel()
		if err == nil && len(res) == 1 {
			err = res[0].Error
			if res[0].Error.Code() == kafka.ErrNoError {
				err = nil
			}
		}
		var ke kafka.Error
		switch {
		case err == nil:
			t.log.Info("created topic", "topic", topic, "group", g.name, "partitions", g.partitions, "replication_factor", g.replicationFactor)
			tc.seen[topic] = true
			return nil
		case errors.As(err, &ke) && ke.Code() == kafka.ErrTopicAlreadyExists:
			tc.seen[topic] = true
			return nil
		case t.stopping.Load():
			return errStopping
		case errors.As(err, &ke) && !ke.IsRetriable() && !ke.IsTimeout() && ke.Code() != kafka.ErrTransport && ke.Code() != kafka.ErrAllBrokersDown && ke.Code() != kafka.ErrTimedOut:
			return fmt.Errorf("Task failed to create new topic %s (group %s, %d partitions, replication factor %d): %w. Ensure that the task is authorized to create topics or that the topic exists and restart the task", topic, g.name, g.partitions, g.replicationFactor, err)
		}
		t.log.Warn("could not create topic yet; retrying", "topic", topic, "error", err.Error())
		select {
		case <-t.pollCtx.Done():
			return errStopping
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}
