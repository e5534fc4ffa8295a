package distributed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/sluicehq/sluice/rest"
	"github.com/sluicehq/sluice/runtime/kafkalog"
)

// Config-topic key prefixes (Kafka Connect's KafkaConfigBackingStore).
const (
	keyTargetState = "target-state-"
	keyConnector   = "connector-"
	keyTask        = "task-"
	keyCommit      = "commit-"
	keyRestart     = "restart-connector-"
	keyFencing     = "tasks-fencing-"
	keySessionKey  = "session-key"
	keyLogger      = "logger-cluster-"
)

// privilegedWriteTimeout is Kafka Connect's budget for a leader's write.
const privilegedWriteTimeout = 30 * time.Second

// ConfigEventKind says what a config-topic record changed.
type ConfigEventKind int

const (
	EventConnectorConfig ConfigEventKind = iota // Removed set when deleted
	EventTargetState
	EventTaskConfigs
	EventRestartRequest
	EventLoggerLevel
	EventSessionKey
)

// ConfigEvent is handed to the store's listener for each applied record
// read after the initial catch-up.
type ConfigEvent struct {
	Kind      ConfigEventKind
	Connector string
	Removed   bool
	Restart   rest.RestartRequest
	// Namespace and Level of a logger-cluster- record.
	Namespace, Level string
}

// SessionKey is the KIP-507 key record.
type SessionKey struct {
	Key       []byte
	Algorithm string
	Created   int64 // epoch ms
}

// Snapshot is a consistent copy of the config topic's state.
type Snapshot struct {
	// Offset is the offset of the last record read plus one: what a worker
	// advertises as its config offset.
	Offset     int64
	Connectors map[string]map[string]string
	Targets    map[string]rest.TargetState
	// Tasks holds each consistent connector's committed task configs.
	Tasks map[string][]map[string]string
	// TaskCounts is the count of the last commit, even when inconsistent.
	TaskCounts   map[string]int
	Inconsistent map[string]bool
	// Applied is the connector config at the time of its last covering
	// task commit, to decide whether tasks must be regenerated.
	Applied        map[string]map[string]string
	TaskGeneration map[string]int
	FencingCounts  map[string]int
	// PendingFencing holds the connectors whose latest task commit was
	// read after their latest tasks-fencing- record: their tasks may start
	// under exactly-once only after a zombie fencing.
	PendingFencing map[string]bool
	SessionKey     *SessionKey
}

// Target returns a connector's target state (STARTED when none is stored).
func (s *Snapshot) Target(name string) rest.TargetState {
	if t, ok := s.Targets[name]; ok {
		return t
	}
	return rest.TargetStarted
}

// ConfigStoreConfig configures OpenConfigStore.
type ConfigStoreConfig struct {
	Bootstrap         string
	Topic             string
	ReplicationFactor int
	TopicConfigs      map[string]string
	ClientID          string
	ClientProps       kafka.ConfigMap
	Logger            *slog.Logger
	// OnEvent is called from the reader goroutine after each record read
	// after the initial catch-up. It must not block.
	OnEvent func(ConfigEvent)
}

// ConfigStore is the config topic (config.storage.topic): connector configs,
// target states, task configs with their commits, restart requests, fencing
// counts, the session key and cluster log levels, in Kafka Connect's record
// formats.
type ConfigStore struct {
	log  *kafkalog.Log
	logr *slog.Logger

	mu       sync.Mutex
	snap     Snapshot
	deferred map[string]map[int]map[string]string
	started  bool
	onEvent  func(ConfigEvent)

	// claimed is set while this worker, as leader under exactly-once
	// source support, must write through its transactional producer.
	claimed bool
}

// OpenConfigStore opens the topic (one partition, compacted) and reads it to
// the end.
func OpenConfigStore(ctx context.Context, cfg ConfigStoreConfig) (*ConfigStore, error) {
	s := &ConfigStore{logr: cfg.Logger, onEvent: cfg.OnEvent, deferred: map[string]map[int]map[string]string{}, snap: emptySnapshot()}
	if s.logr == nil {
		s.logr = slog.Default()
	}
	l, err := kafkalog.Open(ctx, kafkalog.Config{
		Bootstrap: cfg.Bootstrap, Topic: cfg.Topic, TopicKey: "config.storage.topic", Partitions: 1, SinglePartition: true,
		ReplicationFactor: cfg.ReplicationFactor, TopicConfigs: cfg.TopicConfigs, ClientID: cfg.ClientID, ClientProps: cfg.ClientProps,
		Logger: cfg.Logger, Apply: s.apply,
	})
	if err != nil {
		return nil, fmt.Errorf("config store: %w", err)
	}
	s.log = l
	if err := l.ReadToEnd(ctx); err != nil {
		l.Close()
		return nil, fmt.Errorf("config store: %w", err)
	}
	s.mu.Lock()
	s.started = true
	s.mu.Unlock()
	return s, nil
}

func emptySnapshot() Snapshot {
	return Snapshot{
		Connectors: map[string]map[string]string{}, Targets: map[string]rest.TargetState{},
		Tasks: map[string][]map[string]string{}, TaskCounts: map[string]int{}, Inconsistent: map[string]bool{},
		Applied: map[string]map[string]string{}, TaskGeneration: map[string]int{}, FencingCounts: map[string]int{},
		PendingFencing: map[string]bool{},
	}
}

// Close stops the reader and writer.
func (s *ConfigStore) Close() { s.log.Close() }

// ReadToEnd catches up with the topic.
func (s *ConfigStore) ReadToEnd(ctx context.Context) error { return s.log.ReadToEnd(ctx) }

// Offset is the config offset this worker has read up to.
func (s *ConfigStore) Offset() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snap.Offset
}

// Snapshot returns a deep copy of the current state.
func (s *ConfigStore) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.snap
	c.Connectors = cloneNested(s.snap.Connectors)
	c.Targets = maps.Clone(s.snap.Targets)
	c.Tasks = make(map[string][]map[string]string, len(s.snap.Tasks))
	for k, v := range s.snap.Tasks {
		l := make([]map[string]string, len(v))
		for i := range v {
			l[i] = maps.Clone(v[i])
		}
		c.Tasks[k] = l
	}
	c.TaskCounts = maps.Clone(s.snap.TaskCounts)
	c.Inconsistent = maps.Clone(s.snap.Inconsistent)
	c.Applied = cloneNested(s.snap.Applied)
	c.TaskGeneration = maps.Clone(s.snap.TaskGeneration)
	c.FencingCounts = maps.Clone(s.snap.FencingCounts)
	c.PendingFencing = maps.Clone(s.snap.PendingFencing)
	return c
}

func cloneNested(m map[string]map[string]string) map[string]map[string]string {
	out := make(map[string]map[string]string, len(m))
	for k, v := range m {
		out[k] = maps.Clone(v)
	}
	return out
}

// --- record values (JsonConverter, schemas.enable=false: plain compact JSON
// with fields in schema order) ---

// EncodeProperties is the value of connector- and task- records.
func EncodeProperties(props map[string]string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"properties":{`)
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, k)
		b.WriteByte(':')
		writeJSONString(&b, props[k])
	}
	b.WriteString("}}")
	return b.Bytes()
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	b.Truncate(b.Len() - 1)
}

// EncodeTargetState writes STOPPED as "PAUSED" in the old field, for
// readers older than 3.5.
func EncodeTargetState(t rest.TargetState) []byte {
	old := t
	if t == rest.TargetStopped {
		old = rest.TargetPaused
	}
	return []byte(fmt.Sprintf(`{"state":%q,"state.v2":%q}`, old, t))
}

func encodeCommit(n int) []byte { return []byte(fmt.Sprintf(`{"tasks":%d}`, n)) }

func encodeRestart(r rest.RestartRequest) []byte {
	return []byte(fmt.Sprintf(`{"include-tasks":%t,"only-failed":%t}`, r.IncludeTasks, r.OnlyFailed))
}

func encodeFencing(n int) []byte { return []byte(fmt.Sprintf(`{"task-count":%d}`, n)) }

// --- reading ---

func (s *ConfigStore) apply(_ int32, offset int64, key, value []byte) {
	var ev *ConfigEvent
	s.mu.Lock()
	s.snap.Offset = offset + 1
	ev = s.applyLocked(string(key), value)
	started := s.started
	s.mu.Unlock()
	if ev != nil && started && s.onEvent != nil {
		s.onEvent(*ev)
	}
}

// decodeObject parses a JSON object value; numbers stay json.Number.
func decodeObject(v []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(v))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	return m, nil
}

func lenientInt(v any) (int, bool) {
	switch n := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return int(i), true
		}
		f, err := strconv.ParseFloat(string(n), 64)
		return int(f), err == nil && f == float64(int64(f))
	case float64:
		return int(n), true
	}
	return 0, false
}

func stringMap(v any) (map[string]string, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		switch t := x.(type) {
		case string:
			out[k] = t
		case nil:
		default:
			out[k] = fmt.Sprint(t)
		}
	}
	return out, true
}

func (s *ConfigStore) applyLocked(key string, value []byte) *ConfigEvent {
	var obj map[string]any
	if value != nil {
		var err error
		if obj, err = decodeObject(value); err != nil {
			s.logr.Error("ignoring config record with an invalid value", "key", key, "error", err.Error())
			return nil
		}
	}
	switch {
	case strings.HasPrefix(key, keyTargetState):
		c := key[len(keyTargetState):]
		if value == nil {
			delete(s.snap.Targets, c)
			return &ConfigEvent{Kind: EventTargetState, Connector: c}
		}
		st, _ := obj["state.v2"].(string)
		if st == "" {
			st, _ = obj["state"].(string)
		}
		switch t := rest.TargetState(st); t {
		case rest.TargetStarted, rest.TargetPaused, rest.TargetStopped:
			s.snap.Targets[c] = t
		default:
			s.logr.Error("ignoring target state record with an invalid state", "connector", c, "state", st)
			return nil
		}
		return &ConfigEvent{Kind: EventTargetState, Connector: c}
	case strings.HasPrefix(key, keyConnector):
		c := key[len(keyConnector):]
		if value == nil {
			delete(s.snap.Connectors, c)
			delete(s.snap.Targets, c)
			delete(s.snap.Tasks, c)
			delete(s.snap.TaskCounts, c)
			delete(s.snap.Inconsistent, c)
			delete(s.snap.Applied, c)
			delete(s.snap.PendingFencing, c)
			delete(s.deferred, c)
			return &ConfigEvent{Kind: EventConnectorConfig, Connector: c, Removed: true}
		}
		props, ok := stringMap(obj["properties"])
		if !ok {
			s.logr.Error("ignoring connector record without properties", "connector", c)
			return nil
		}
		s.snap.Connectors[c] = props
		return &ConfigEvent{Kind: EventConnectorConfig, Connector: c}
	case strings.HasPrefix(key, keyTask):
		c, n, ok := parseTaskKey(key[len(keyTask):])
		if !ok || value == nil {
			s.logr.Warn("ignoring task config record", "key", key)
			return nil
		}
		props, ok := stringMap(obj["properties"])
		if !ok {
			s.logr.Error("ignoring task config record without properties", "key", key)
			return nil
		}
		if s.deferred[c] == nil {
			s.deferred[c] = map[int]map[string]string{}
		}
		s.deferred[c][n] = props
		return nil
	case strings.HasPrefix(key, keyCommit):
		c := key[len(keyCommit):]
		if value == nil {
			return nil
		}
		n, ok := lenientInt(obj["tasks"])
		if !ok || n < 0 {
			s.logr.Error("ignoring task commit record without a task count", "connector", c)
			return nil
		}
		buf := s.deferred[c]
		delete(s.deferred, c)
		if _, exists := s.snap.Connectors[c]; !exists {
			// Deleted (and compacted away) before this commit was read.
			delete(s.snap.Tasks, c)
			delete(s.snap.TaskCounts, c)
			delete(s.snap.Inconsistent, c)
			return nil
		}
		covered := true
		for i := 0; i < n; i++ {
			if _, ok := buf[i]; !ok {
				covered = false
				break
			}
		}
		s.snap.TaskCounts[c] = n
		if !covered {
			s.logr.Warn("task commit does not cover every task config; the connector's tasks stay down until a complete commit", "connector", c, "tasks", n)
			s.snap.Inconsistent[c] = true
			delete(s.snap.Tasks, c)
		} else {
			tasks := make([]map[string]string, n)
			for i := range tasks {
				tasks[i] = buf[i]
			}
			s.snap.Tasks[c] = tasks
			delete(s.snap.Inconsistent, c)
			s.snap.TaskGeneration[c]++
			s.snap.Applied[c] = maps.Clone(s.snap.Connectors[c])
			s.snap.PendingFencing[c] = true
		}
		return &ConfigEvent{Kind: EventTaskConfigs, Connector: c}
	case strings.HasPrefix(key, keyRestart):
		c := key[len(keyRestart):]
		if value == nil {
			return nil
		}
		inc, _ := obj["include-tasks"].(bool)
		of, _ := obj["only-failed"].(bool)
		return &ConfigEvent{Kind: EventRestartRequest, Connector: c, Restart: rest.RestartRequest{IncludeTasks: inc, OnlyFailed: of}}
	case strings.HasPrefix(key, keyFencing):
		c := key[len(keyFencing):]
		if value == nil {
			delete(s.snap.FencingCounts, c)
			return nil
		}
		if n, ok := lenientInt(obj["task-count"]); ok {
			s.snap.FencingCounts[c] = n
			delete(s.snap.PendingFencing, c)
		}
		return nil
	case key == keySessionKey:
		if value == nil {
			return nil
		}
		k, _ := obj["key"].(string)
		raw, err := decodeBase64(k)
		if err != nil {
			s.logr.Error("ignoring session key record with an invalid key", "error", err.Error())
			return nil
		}
		alg, _ := obj["algorithm"].(string)
		ts, _ := lenientInt(obj["creation-timestamp"])
		s.snap.SessionKey = &SessionKey{Key: raw, Algorithm: alg, Created: int64(ts)}
		return &ConfigEvent{Kind: EventSessionKey}
	case strings.HasPrefix(key, keyLogger):
		if value == nil {
			return nil
		}
		lvl, _ := obj["level"].(string)
		return &ConfigEvent{Kind: EventLoggerLevel, Namespace: key[len(keyLogger):], Level: lvl}
	}
	s.logr.Warn("ignoring config record with an unknown key", "key", key)
	return nil
}

// parseTaskKey splits "<connector>-<n>": the connector name may itself
// contain dashes.
func parseTaskKey(s string) (string, int, bool) {
	i := strings.LastIndexByte(s, '-')
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil || n < 0 {
		return "", 0, false
	}
	return s[:i], n, true
}

// --- writing ---

// send writes one record: in its own transaction while a transactional
// writer is claimed, else plainly.
func (s *ConfigStore) send(ctx context.Context, key string, value []byte) error {
	s.mu.Lock()
	claimed := s.claimed
	s.mu.Unlock()
	if claimed {
		if err := s.log.SendTransaction(ctx, []kafkalog.Record{{Key: []byte(key), Value: value}}); err != nil {
			if errors.Is(err, kafkalog.ErrNoTransactions) {
				return fmt.Errorf("config topic: this worker's transactional writer was fenced by a newer leader; not writing %q", key)
			}
			return s.sendError(key, value, err)
		}
		return nil
	}
	if err := s.log.SendSync(ctx, []byte(key), value); err != nil {
		return s.sendError(key, value, err)
	}
	return nil
}

// internalProducerMaxBytes is the largest record the config topic's
// producer sends: librdkafka's message.max.bytes default (the counterpart
// of Kafka's max.request.size), which the internal clients do not set.
const internalProducerMaxBytes = 1000000

// sendError says which limits a record over the size limit broke, so the
// user knows what to shrink or raise; the broker's "Message size too
// large" alone names neither.
func (s *ConfigStore) sendError(key string, value []byte, err error) error {
	var ke kafka.Error
	if !errors.As(err, &ke) || ke.Code() != kafka.ErrMsgSizeTooLarge {
		return fmt.Errorf("config topic: %w", err)
	}
	size := len(key) + len(value)
	hint := fmt.Sprintf("it is over this worker's config-topic producer limit of %d bytes (librdkafka's message.max.bytes, "+
		"Kafka's max.request.size, which Sluice does not let a worker raise for its internal topics): make the connector config smaller", internalProducerMaxBytes)
	if size <= internalProducerMaxBytes {
		hint = fmt.Sprintf("the broker refused it: raise the topic's max.message.bytes (or the broker's message.max.bytes when the topic does not set it) "+
			"up to %d bytes, this worker's config-topic producer limit (librdkafka's message.max.bytes, Kafka's max.request.size), or make the connector config smaller", internalProducerMaxBytes)
	}
	return fmt.Errorf("config topic: the %q record is %d bytes, too large for the config topic %s; %s: %w", key, size, s.log.Topic(), hint, err)
}

// ClaimWriter makes this store write through a transactional producer
// with transactionalID, fencing the writer of any earlier leader that
// used it (exactly.once.source.support preparing or enabled).
func (s *ConfigStore) ClaimWriter(ctx context.Context, transactionalID string) error {
	if err := s.log.ClaimTransactions(ctx, transactionalID); err != nil {
		return err
	}
	s.mu.Lock()
	s.claimed = true
	s.mu.Unlock()
	return nil
}

// ReleaseWriter goes back to plain writes (this worker is no longer the
// leader).
func (s *ConfigStore) ReleaseWriter() {
	s.mu.Lock()
	s.claimed = false
	s.mu.Unlock()
	s.log.ReleaseTransactions()
}

// WriterClaimed reports whether the transactional writer is claimed.
func (s *ConfigStore) WriterClaimed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.claimed
}

func privileged(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, privilegedWriteTimeout)
}

// PutConnectorConfig writes a connector config; a non-empty target is
// written first, so the connector never runs in the wrong state.
func (s *ConfigStore) PutConnectorConfig(ctx context.Context, name string, config map[string]string, target rest.TargetState) error {
	ctx, cancel := privileged(ctx)
	defer cancel()
	if target != "" {
		if err := s.send(ctx, keyTargetState+name, EncodeTargetState(target)); err != nil {
			return err
		}
	}
	if err := s.send(ctx, keyConnector+name, EncodeProperties(config)); err != nil {
		return err
	}
	return s.log.ReadToEnd(ctx)
}

// RemoveConnector tombstones the connector's config and target state.
func (s *ConfigStore) RemoveConnector(ctx context.Context, name string) error {
	ctx, cancel := privileged(ctx)
	defer cancel()
	if err := s.send(ctx, keyConnector+name, nil); err != nil {
		return err
	}
	if err := s.send(ctx, keyTargetState+name, nil); err != nil {
		return err
	}
	return s.log.ReadToEnd(ctx)
}

// PutTargetState writes a connector's target state.
func (s *ConfigStore) PutTargetState(ctx context.Context, name string, t rest.TargetState) error {
	ctx, cancel := privileged(ctx)
	defer cancel()
	if err := s.send(ctx, keyTargetState+name, EncodeTargetState(t)); err != nil {
		return err
	}
	return s.log.ReadToEnd(ctx)
}

// PutTaskConfigs writes task configs and the commit that applies them,
// reading to the end between the steps as Kafka Connect does.
func (s *ConfigStore) PutTaskConfigs(ctx context.Context, name string, configs []map[string]string) error {
	ctx, cancel := privileged(ctx)
	defer cancel()
	if err := s.log.ReadToEnd(ctx); err != nil {
		return err
	}
	for i, c := range configs {
		if err := s.send(ctx, fmt.Sprintf("%s%s-%d", keyTask, name, i), EncodeProperties(c)); err != nil {
			return err
		}
	}
	if len(configs) > 0 {
		if err := s.log.ReadToEnd(ctx); err != nil {
			return err
		}
	}
	if err := s.send(ctx, keyCommit+name, encodeCommit(len(configs))); err != nil {
		return err
	}
	return s.log.ReadToEnd(ctx)
}

// PutRestartRequest writes a restart-connector- record.
func (s *ConfigStore) PutRestartRequest(ctx context.Context, name string, r rest.RestartRequest) error {
	ctx, cancel := privileged(ctx)
	defer cancel()
	return s.send(ctx, keyRestart+name, encodeRestart(r))
}

// PutTaskCountRecord writes the KIP-618 tasks-fencing- record.
func (s *ConfigStore) PutTaskCountRecord(ctx context.Context, name string, n int) error {
	ctx, cancel := privileged(ctx)
	defer cancel()
	return s.send(ctx, keyFencing+name, encodeFencing(n))
}

// PutSessionKey writes the session-key record.
func (s *ConfigStore) PutSessionKey(ctx context.Context, k SessionKey) error {
	ctx, cancel := privileged(ctx)
	defer cancel()
	v := fmt.Sprintf(`{"key":%q,"algorithm":%q,"creation-timestamp":%d}`, encodeBase64(k.Key), k.Algorithm, k.Created)
	return s.send(ctx, keySessionKey, []byte(v))
}

// PutLoggerLevel writes a logger-cluster- record.
func (s *ConfigStore) PutLoggerLevel(ctx context.Context, namespace, level string) error {
	var b bytes.Buffer
	b.WriteString(`{"level":`)
	writeJSONString(&b, level)
	b.WriteByte('}')
	return s.send(ctx, keyLogger+namespace, b.Bytes())
}
