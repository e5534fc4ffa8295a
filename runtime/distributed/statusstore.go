package distributed

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/sluicehq/sluice/rest"
	"github.com/sluicehq/sluice/runtime/kafkalog"
)

// Status-topic key prefixes.
const (
	keyStatusConnector = "status-connector-"
	keyStatusTask      = "status-task-"
	keyStatusTopic     = "status-topic-"
)

// DefaultStatusPartitions is status.storage.partitions' default.
const DefaultStatusPartitions = 5

// Status is one connector's or task's runtime state as stored.
type Status struct {
	State      string
	Trace      string
	WorkerID   string
	Generation int
	Version    string
}

// EncodeStatus is the status record value, fields in Kafka Connect's schema
// order (state, trace, worker_id, generation, version).
func EncodeStatus(s Status) []byte {
	var b bytes.Buffer
	b.WriteString(`{"state":`)
	writeJSONString(&b, s.State)
	b.WriteString(`,"trace":`)
	if s.Trace == "" {
		b.WriteString("null")
	} else {
		writeJSONString(&b, s.Trace)
	}
	b.WriteString(`,"worker_id":`)
	writeJSONString(&b, s.WorkerID)
	fmt.Fprintf(&b, `,"generation":%d,"version":`, s.Generation)
	if s.Version == "" {
		b.WriteString("null")
	} else {
		writeJSONString(&b, s.Version)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// StatusStoreConfig configures OpenStatusStore.
type StatusStoreConfig struct {
	Bootstrap         string
	Topic             string
	Partitions        int
	ReplicationFactor int
	TopicConfigs      map[string]string
	ClientID          string
	ClientProps       kafka.ConfigMap
	Logger            *slog.Logger
}

// StatusStore is the status topic (status.storage.topic): the runtime state
// of every connector and task of the cluster, and the topics each connector
// used.
type StatusStore struct {
	log  *kafkalog.Log
	logr *slog.Logger

	mu     sync.Mutex
	conns  map[string]Status
	tasks  map[rest.TaskID]Status
	topics map[string]map[string]bool
}

// OpenStatusStore opens the topic and reads it to the end.
func OpenStatusStore(ctx context.Context, cfg StatusStoreConfig) (*StatusStore, error) {
	s := &StatusStore{logr: cfg.Logger, conns: map[string]Status{}, tasks: map[rest.TaskID]Status{}, topics: map[string]map[string]bool{}}
	if s.logr == nil {
		s.logr = slog.Default()
	}
	parts := cfg.Partitions
	if parts == 0 {
		parts = DefaultStatusPartitions
	}
	l, err := kafkalog.Open(ctx, kafkalog.Config{
		Bootstrap: cfg.Bootstrap, Topic: cfg.Topic, TopicKey: "status.storage.topic", Partitions: parts,
		ReplicationFactor: cfg.ReplicationFactor, TopicConfigs: cfg.TopicConfigs, ClientID: cfg.ClientID, ClientProps: cfg.ClientProps,
		Logger: cfg.Logger, Apply: s.apply,
	})
	if err != nil {
		return nil, fmt.Errorf("status store: %w", err)
	}
	s.log = l
	if err := l.ReadToEnd(ctx); err != nil {
		l.Close()
		return nil, fmt.Errorf("status store: %w", err)
	}
	return s, nil
}

// Close flushes and stops the store.
func (s *StatusStore) Close() { s.log.Close() }

// Flush waits for pending writes.
func (s *StatusStore) Flush(ctx context.Context) error { return s.log.Flush(ctx) }

// ReadToEnd catches up with the topic.
func (s *StatusStore) ReadToEnd(ctx context.Context) error { return s.log.ReadToEnd(ctx) }

func (s *StatusStore) apply(_ int32, _ int64, key, value []byte) {
	k := string(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case strings.HasPrefix(k, keyStatusConnector):
		c := k[len(keyStatusConnector):]
		if value == nil {
			delete(s.conns, c)
			return
		}
		st, ok := s.decode(k, value)
		if !ok || staleUnassigned(s.conns[c], st) {
			return
		}
		s.conns[c] = st
	case strings.HasPrefix(k, keyStatusTask):
		c, n, ok := parseTaskKey(k[len(keyStatusTask):])
		if !ok {
			s.logr.Warn("ignoring status record with an invalid task key", "key", k)
			return
		}
		id := rest.TaskID{Connector: c, Task: n}
		if value == nil {
			delete(s.tasks, id)
			return
		}
		st, ok := s.decode(k, value)
		if !ok {
			return
		}
		if staleUnassigned(s.tasks[id], st) {
			return
		}
		s.tasks[id] = st
	case strings.HasPrefix(k, keyStatusTopic):
		rest := k[len(keyStatusTopic):]
		i := strings.LastIndex(rest, ":connector-")
		if i < 0 {
			return
		}
		topic, c := rest[:i], rest[i+len(":connector-"):]
		if value == nil {
			if m := s.topics[c]; m != nil {
				delete(m, topic)
			}
			return
		}
		if s.topics[c] == nil {
			s.topics[c] = map[string]bool{}
		}
		s.topics[c][topic] = true
	default:
		s.logr.Warn("ignoring status record with an unknown key", "key", k)
	}
}

func (s *StatusStore) decode(key string, value []byte) (Status, bool) {
	obj, err := decodeObject(value)
	if err != nil {
		s.logr.Error("ignoring status record with an invalid value", "key", key, "error", err.Error())
		return Status{}, false
	}
	st := Status{}
	st.State, _ = obj["state"].(string)
	st.Trace, _ = obj["trace"].(string)
	st.WorkerID, _ = obj["worker_id"].(string)
	st.Version, _ = obj["version"].(string)
	st.Generation, _ = lenientInt(obj["generation"])
	return st, st.State != ""
}

// staleUnassigned reports whether st is a late UNASSIGNED from a worker
// that lost the work, which must not hide that a newer owner runs it: it
// comes from another worker and a generation no newer than the owner's
// RUNNING. Kafka Connect's writers refuse such a write (the safe-write
// rule below) when they have read the owner's record; this also covers
// one that was in flight, or buffered while its worker was cut off from
// the group, when the owner's record arrived.
func staleUnassigned(cached, st Status) bool {
	return st.State == "UNASSIGNED" && cached.State == "RUNNING" && cached.WorkerID != st.WorkerID && cached.Generation >= st.Generation
}

// safe reports whether a write from st may replace cached: Kafka Connect's
// rule for FAILED and UNASSIGNED writes.
func safe(cached Status, had bool, st Status) bool {
	return !had || cached.WorkerID == st.WorkerID || st.Generation >= cached.Generation
}

// PutConnector writes a connector's status (asynchronously); safeOnly
// applies the safe-write rule.
func (s *StatusStore) PutConnector(name string, st Status, safeOnly bool) {
	s.mu.Lock()
	cached, had := s.conns[name]
	if safeOnly && !safe(cached, had, st) {
		s.mu.Unlock()
		return
	}
	s.conns[name] = st
	s.mu.Unlock()
	s.send(keyStatusConnector+name, EncodeStatus(st))
}

// PutTask writes a task's status (asynchronously).
func (s *StatusStore) PutTask(id rest.TaskID, st Status, safeOnly bool) {
	s.mu.Lock()
	cached, had := s.tasks[id]
	if safeOnly && !safe(cached, had, st) {
		s.mu.Unlock()
		return
	}
	s.tasks[id] = st
	s.mu.Unlock()
	s.send(fmt.Sprintf("%s%s-%d", keyStatusTask, id.Connector, id.Task), EncodeStatus(st))
}

// PutTopic records that a connector used a topic, once.
func (s *StatusStore) PutTopic(connector, topic string, task int, nowMs int64) {
	s.mu.Lock()
	if s.topics[connector][topic] {
		s.mu.Unlock()
		return
	}
	if s.topics[connector] == nil {
		s.topics[connector] = map[string]bool{}
	}
	s.topics[connector][topic] = true
	s.mu.Unlock()
	var b bytes.Buffer
	b.WriteString(`{"topic":{"name":`)
	writeJSONString(&b, topic)
	b.WriteString(`,"connector":`)
	writeJSONString(&b, connector)
	fmt.Fprintf(&b, `,"task":%d,"discoverTimestamp":%d}}`, task, nowMs)
	s.send(keyStatusTopic+topic+":connector-"+connector, b.Bytes())
}

// Topics lists the topics a connector used.
func (s *StatusStore) Topics(connector string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.topics[connector]))
	for t := range s.topics[connector] {
		out = append(out, t)
	}
	return out
}

// ResetTopics tombstones a connector's topic records.
func (s *StatusStore) ResetTopics(connector string) {
	s.mu.Lock()
	m := s.topics[connector]
	delete(s.topics, connector)
	s.mu.Unlock()
	for t := range m {
		s.send(keyStatusTopic+t+":connector-"+connector, nil)
	}
}

// DeleteConnector tombstones the connector's status; DeleteTask a task's.
func (s *StatusStore) DeleteConnector(name string) {
	s.mu.Lock()
	_, had := s.conns[name]
	delete(s.conns, name)
	s.mu.Unlock()
	if had {
		s.send(keyStatusConnector+name, nil)
	}
}

func (s *StatusStore) DeleteTask(id rest.TaskID) {
	s.mu.Lock()
	_, had := s.tasks[id]
	delete(s.tasks, id)
	s.mu.Unlock()
	if had {
		s.send(fmt.Sprintf("%s%s-%d", keyStatusTask, id.Connector, id.Task), nil)
	}
}

// Connector returns a connector's cached status.
func (s *StatusStore) Connector(name string) (Status, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.conns[name]
	return st, ok
}

// Task returns a task's cached status.
func (s *StatusStore) Task(id rest.TaskID) (Status, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.tasks[id]
	return st, ok
}

// Tasks returns the cached statuses of a connector's tasks.
func (s *StatusStore) Tasks(connector string) map[int]Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int]Status{}
	for id, st := range s.tasks {
		if id.Connector == connector {
			out[id.Task] = st
		}
	}
	return out
}

// Known lists the connectors and tasks with a status, for the leader's
// clean-up of deleted ones.
func (s *StatusStore) Known() ([]string, []rest.TaskID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var cs []string
	for c := range s.conns {
		cs = append(cs, c)
	}
	var ts []rest.TaskID
	for id := range s.tasks {
		ts = append(ts, id)
	}
	return cs, ts
}

func (s *StatusStore) send(key string, value []byte) {
	s.log.Send([]byte(key), value, func(err error) {
		if err != nil {
			s.logr.Warn("status write failed", "key", key, "error", err.Error())
		}
	})
}
