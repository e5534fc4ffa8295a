package mysql

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/sluicehq/sluice/connect"
)

// Debezium's signals through the source database: a row inserted into the
// signal table (signal.data.collection, columns id, type, data in that
// order) asks the running connector to do something. Sluice reads them from
// the binlog like any other change, so a signal takes effect at its place in
// the change stream, and acts on:
//
//   - execute-snapshot: re-read the tables listed in data-collections
//     (regular expressions matched against db.table), optionally limited by
//     additional-conditions, chunk by chunk while every table keeps
//     streaming: the ad-hoc snapshot of adhoc.go, with incremental.snapshot.chunk.size
//     rows per chunk. Its records are op r with source.snapshot
//     "incremental", as Debezium's incremental snapshot writes. Because each
//     chunk is handed over at its own binlog point, every change before that
//     point is already in the topic and every change after it follows the
//     chunk: the topic folds to the table at every chunk boundary, with no
//     watermark rows written to the source.
//   - stop-snapshot, pause-snapshot, resume-snapshot: for the snapshot
//     signals started;
//   - log: writes the message to the connector's log.
//
// A snapshot requested while another runs is queued; both the running one's
// progress and the queue are in every offset (adhoc_snapshot_state), so a
// restart resumes the table in progress after its last emitted key and then
// reads the queued ones.

// Signal config keys (Debezium's names).
const (
	KeySignalDataCollection         = "signal.data.collection"
	KeySignalEnabledChannels        = "signal.enabled.channels"
	KeyIncrementalSnapshotChunkSize = "incremental.snapshot.chunk.size"
	KeySignalKafkaTopic             = "signal.kafka.topic"
	KeySignalKafkaBootstrap         = "signal.kafka.bootstrap.servers"
	KeySignalKafkaGroupID           = "signal.kafka.groupId"
	KeySignalKafkaPollTimeout       = "signal.kafka.poll.timeout.ms"
	KeySignalFile                   = "signal.file"
	KeySignalPollInterval           = "signal.poll.interval.ms"
	// SignalConsumerPrefix passes settings to the signal topic's consumer
	// (security, timeouts), in Kafka's names.
	SignalConsumerPrefix = "signal.consumer."
)

// SignalOptions says where signals come from.
type SignalOptions struct {
	Table     TableID // zero when signals are off
	ChunkSize int     // rows per chunk of a signalled snapshot
	// Kafka is the Kafka channel, nil when it is off (signalkafka.go).
	Kafka *KafkaSignalOptions
	// File is the file channel's file, "" when it is off (signalfile.go),
	// read every FilePoll.
	File     string
	FilePoll time.Duration
	// Unread are Debezium channels the config enables that Sluice does
	// not read (jmx): accepted, so a Debezium config runs unchanged, and
	// named in a warning at start.
	Unread []string
	// MaxwellBootstrap is Maxwell's bootstrap table when its requests are
	// acted on (maxwellboot.go), zero otherwise; MaxwellClientID the
	// client_id they must carry.
	MaxwellBootstrap TableID
	MaxwellClientID  string
}

// KafkaSignalOptions is Debezium's Kafka signal channel: partition 0 of a
// topic, records keyed by the topic prefix with {"id","type","data"}.
type KafkaSignalOptions struct {
	Topic     string
	Bootstrap string
	GroupID   string
	// Client holds signal.consumer.* without the prefix.
	Client map[string]string
}

// Enabled reports whether the connector reads signals.
func (o SignalOptions) Enabled() bool {
	return o.Table.Table != "" || o.Kafka != nil || o.File != "" || o.MaxwellBootstrap.Table != ""
}

func defineSignalKeys(def func(connect.ConfigKey)) {
	def(connect.ConfigKey{Name: KeySignalDataCollection, Type: connect.ConfigString, Default: "", Group: groupEvents,
		Doc: "The signal table, as <database>.<table>, with Debezium's columns id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048) (in that order). Inserting a row asks the connector to execute-snapshot, stop-snapshot, pause-snapshot, resume-snapshot or log; empty turns signals off."})
	def(connect.ConfigKey{Name: KeySignalEnabledChannels, Type: connect.ConfigList, Default: "source", Group: groupEvents,
		Doc: "Where signals are read from: source (the signal table, read from the binlog; without it the signal table is an ordinary table), kafka (" + KeySignalKafkaTopic + ") and file (" + KeySignalFile + "). Debezium's jmx channel is accepted and not read (a warning at start says so)."})
	def(connect.ConfigKey{Name: KeySignalFile, Type: connect.ConfigString, Default: "file-signals.txt", Group: groupEvents,
		Doc: "The file channel's file, on the worker running the task (a relative name is from the worker's working directory): one signal per line as {\"id\": ..., \"type\": ..., \"data\": {...}}. " +
			"Every " + KeySignalPollInterval + " the task reads the lines there, empties the file and acts on them in order (blank lines are ignored, malformed ones skipped with a warning). " +
			"A signal is acted on at most once: one read by a task that then fails before acting on it is not read again."})
	def(connect.ConfigKey{Name: KeySignalPollInterval, Type: connect.ConfigInt, Default: "5000", Group: groupEvents, Validator: connect.Between(10, 3_600_000),
		Doc: "How often the file signal channel looks at " + KeySignalFile + ", ms (Debezium's signal.poll.interval.ms)."})
	def(connect.ConfigKey{Name: KeySignalKafkaTopic, Type: connect.ConfigString, Default: "", Group: groupEvents,
		Doc: "The Kafka signal channel's topic (partition 0), when signal.enabled.channels includes kafka; empty: <topic.prefix>-signal. Each record's key must be the topic prefix and its value {\"id\": ..., \"type\": ..., \"data\": {...}}."})
	def(connect.ConfigKey{Name: KeySignalKafkaBootstrap, Type: connect.ConfigString, Default: "", Group: groupEvents,
		Doc: "The Kafka cluster the signal topic is on, host:port[,host:port]; required with the kafka channel. Client settings (security, timeouts) go in " + SignalConsumerPrefix + "*."})
	def(connect.ConfigKey{Name: KeySignalKafkaGroupID, Type: connect.ConfigString, Default: "kafka-signal", Group: groupEvents,
		Doc: "The signal consumer's group.id. The connector keeps its place in the signal topic in its own source offsets, not in the group."})
	def(connect.ConfigKey{Name: KeySignalKafkaPollTimeout, Type: connect.ConfigInt, Default: "100", Group: groupEvents, Validator: connect.Between(0, 60_000),
		Doc: "Accepted for Debezium compatibility: the signal consumer is always polling, and a signal is acted on as soon as it arrives."})
	def(connect.ConfigKey{Name: KeyIncrementalSnapshotChunkSize, Type: connect.ConfigInt, Default: "1024", Group: groupTuning, Validator: connect.Between(1, 10_000_000),
		Doc: "Rows per chunk of a snapshot started by an execute-snapshot signal: each chunk is one short consistent read handed over at its own binlog point."})
}

func parseSignalOptions(c interface {
	String(string) string
	Int(string) int
	List(string) []string
}, props map[string]string, topicPrefix string) (SignalOptions, error) {
	o := SignalOptions{ChunkSize: c.Int(KeyIncrementalSnapshotChunkSize)}
	parseMaxwellBootstrap(c, &o)
	source := false
	for _, ch := range c.List(KeySignalEnabledChannels) {
		switch strings.ToLower(strings.TrimSpace(ch)) {
		case "source":
			source = true
		case "kafka":
			k := &KafkaSignalOptions{Topic: strings.TrimSpace(c.String(KeySignalKafkaTopic)), Bootstrap: strings.TrimSpace(c.String(KeySignalKafkaBootstrap)),
				GroupID: c.String(KeySignalKafkaGroupID), Client: map[string]string{}}
			if k.Topic == "" {
				k.Topic = topicPrefix + "-signal"
			}
			if k.Bootstrap == "" {
				return o, &connect.ConfigError{Name: KeySignalKafkaBootstrap, Value: "",
					Message: "the kafka signal channel needs the signal topic's cluster, e.g. " + KeySignalKafkaBootstrap + "=broker:9092 (or drop kafka from " + KeySignalEnabledChannels + ")"}
			}
			for key, v := range props {
				if name, ok := strings.CutPrefix(key, SignalConsumerPrefix); ok && name != "" {
					k.Client[name] = v
				}
			}
			k.Client["bootstrap.servers"] = k.Bootstrap
			if k.GroupID != "" {
				k.Client["group.id"] = k.GroupID
			}
			o.Kafka = k
		case "file":
			o.File = strings.TrimSpace(c.String(KeySignalFile))
			if o.File == "" {
				return o, &connect.ConfigError{Name: KeySignalFile, Value: "",
					Message: "the file signal channel needs a file, e.g. " + KeySignalFile + "=/var/lib/sluice/signals.txt (or drop file from " + KeySignalEnabledChannels + ")"}
			}
			o.FilePoll = time.Duration(c.Int(KeySignalPollInterval)) * time.Millisecond
		case "jmx", "in-process":
			o.Unread = append(o.Unread, strings.ToLower(strings.TrimSpace(ch)))
		default:
			return o, &connect.ConfigError{Name: KeySignalEnabledChannels, Value: strings.Join(c.List(KeySignalEnabledChannels), ","),
				Message: fmt.Sprintf("unknown channel %q; use source, kafka or file", ch)}
		}
	}
	name := strings.TrimSpace(c.String(KeySignalDataCollection))
	if name == "" || !source {
		return o, nil
	}
	db, table, ok := strings.Cut(name, ".")
	if !ok || db == "" || table == "" || strings.Contains(table, ".") {
		return o, &connect.ConfigError{Name: KeySignalDataCollection, Value: name,
			Message: "must be <database>.<table>, e.g. inventory.debezium_signal"}
	}
	o.Table = TableID{DB: strings.Trim(db, "`"), Table: strings.Trim(table, "`")}
	return o, nil
}

// Signal types.
const (
	signalExecuteSnapshot = "execute-snapshot"
	signalStopSnapshot    = "stop-snapshot"
	signalPauseSnapshot   = "pause-snapshot"
	signalResumeSnapshot  = "resume-snapshot"
	signalLog             = "log"
)

// signalData is the data column of the snapshot signals and of log.
type signalData struct {
	DataCollections      []string `json:"data-collections"`
	Type                 string   `json:"type"`
	AdditionalConditions []struct {
		DataCollection string `json:"data-collection"`
		Filter         string `json:"filter"`
	} `json:"additional-conditions"`
	AdditionalCondition string `json:"additional-condition"` // Debezium 2.0–2.3's form: one filter for every table
	SurrogateKey        string `json:"surrogate-key"`
	Message             string `json:"message"`
}

// signalQueue is what execute-snapshot signals asked for and no run has
// started reading yet. Owned by the stream goroutine.
type signalQueue struct {
	tables []string          // db.table, in request order
	where  map[string]string // additional condition per table
	keys   map[string]string // surrogate-key column per table
	ids    []string          // signals already acted on, newest last
}

// maxSignalIDs bounds the remembered signal ids: enough to recognise a
// signal read again after a restart that came soon after it.
const maxSignalIDs = 64

func (q *signalQueue) seen(id string) bool { return id != "" && slices.Contains(q.ids, id) }

func (q *signalQueue) remember(id string) {
	if id == "" {
		return
	}
	q.ids = append(q.ids, id)
	if len(q.ids) > maxSignalIDs {
		q.ids = slices.Clone(q.ids[len(q.ids)-maxSignalIDs:])
	}
}

func (q *signalQueue) add(tables []string, where, keys map[string]string) {
	for _, t := range tables {
		if !slices.Contains(q.tables, t) {
			q.tables = append(q.tables, t)
		}
		if w := where[t]; w != "" {
			if q.where == nil {
				q.where = map[string]string{}
			}
			q.where[t] = w
		}
		if k := keys[t]; k != "" {
			if q.keys == nil {
				q.keys = map[string]string{}
			}
			q.keys[t] = k
		}
	}
}

// clear empties the queue (the signals acted on stay remembered).
func (q *signalQueue) clear() { q.tables, q.where, q.keys = nil, nil, nil }

// signalRows acts on the signal rows a rows event inserted.
func (s *stream) signalRows(ctx context.Context, e *replication.RowsEvent) error {
	if e.Type() != replication.EnumRowsEventTypeInsert {
		return nil
	}
	// Events a restart skips were acted on before it.
	if s.skip.active && s.cur.events < s.skip.events {
		return nil
	}
	for _, row := range e.Rows {
		if len(row) < 3 {
			s.log.Warn("ignoring a signal: the signal table needs the columns id, type and data, in that order", "table", s.opts.Signal.Table.String())
			continue
		}
		// Values may share the event's buffer: copy what is kept.
		id, typ, data := strings.Clone(signalText(row[0])), strings.ToLower(strings.TrimSpace(signalText(row[1]))), strings.Clone(signalText(row[2]))
		if s.signals.seen(id) {
			s.log.Info("signal already acted on", "id", id, "type", typ)
			continue
		}
		s.signals.remember(id)
		if err := s.signal(ctx, id, typ, data); err != nil {
			return err
		}
	}
	return nil
}

func signalText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

// signal acts on one signal.
func (s *stream) signal(ctx context.Context, id, typ, data string) error {
	var d signalData
	if strings.TrimSpace(data) != "" {
		if err := json.Unmarshal([]byte(data), &d); err != nil && typ != signalLog {
			s.log.Warn("ignoring a signal whose data is not JSON", "id", id, "type", typ, "error", err)
			return nil
		}
	}
	switch typ {
	case signalLog:
		msg := d.Message
		if msg == "" {
			msg = data
		}
		msg = strings.ReplaceAll(msg, "{}", fmt.Sprintf("%s:%d", s.cur.file, s.cur.txPos))
		s.log.Info("signal: "+msg, "id", id)
		return nil
	case signalExecuteSnapshot:
		return s.signalSnapshot(ctx, id, d)
	case signalStopSnapshot:
		return s.signalStop(ctx, id, d)
	case signalPauseSnapshot, signalResumeSnapshot:
		a := s.adhoc
		if a == nil || !a.signalled {
			s.log.Warn("signal ignored: no signalled snapshot is running", "id", id, "type", typ)
			return nil
		}
		a.pause(typ == signalPauseSnapshot)
		s.log.Info("signal: snapshot "+strings.TrimSuffix(typ, "-snapshot")+"d", "id", id)
		if typ == signalPauseSnapshot {
			return s.notify(ctx, a, notifyPaused)
		}
		return s.notify(ctx, a, notifyResumed)
	}
	s.log.Warn("ignoring a signal of a type Sluice does not act on", "id", id, "type", typ,
		"known", []string{signalExecuteSnapshot, signalStopSnapshot, signalPauseSnapshot, signalResumeSnapshot, signalLog})
	return nil
}

// signalSnapshot queues the tables an execute-snapshot names and starts
// reading them unless a snapshot already runs.
func (s *stream) signalSnapshot(ctx context.Context, id string, d signalData) error {
	switch strings.ToLower(d.Type) {
	case "", "incremental":
	case "blocking":
		s.log.Info("signal: a blocking snapshot runs as an incremental one: streaming goes on while the tables are read, and the topics fold the same", "id", id)
	default:
		s.log.Warn("ignoring an execute-snapshot signal of an unknown type; use incremental", "id", id, "type", d.Type)
		return nil
	}
	tables, err := s.resolveCollections(ctx, d.DataCollections)
	if err != nil {
		return err
	}
	if len(tables) == 0 {
		s.log.Warn("ignoring an execute-snapshot signal: data-collections names no captured table", "id", id, "data-collections", d.DataCollections)
		return nil
	}
	where := map[string]string{}
	for _, t := range tables {
		if d.AdditionalCondition != "" {
			where[t] = d.AdditionalCondition
		}
	}
	for _, c := range d.AdditionalConditions {
		re, err := collectionPattern(c.DataCollection)
		if err != nil {
			s.log.Warn("ignoring an execute-snapshot signal: an additional-conditions data-collection is not a valid regular expression", "id", id, "data-collection", c.DataCollection, "error", err)
			return nil
		}
		for _, t := range tables {
			if re.MatchString(t) && strings.TrimSpace(c.Filter) != "" {
				where[t] = c.Filter
			}
		}
	}
	if err := s.checkConditions(ctx, where); err != nil {
		s.log.Error("ignoring an execute-snapshot signal: fix its additional-conditions and send it again", "id", id, "error", err)
		return nil
	}
	var keys map[string]string
	if sk := strings.TrimSpace(d.SurrogateKey); sk != "" {
		keys = map[string]string{}
		for _, t := range tables {
			keys[t] = sk
		}
	}
	s.signals.add(tables, where, keys)
	s.log.Info("signal: snapshot requested", "id", id, "tables", tables, "additional_conditions", len(where) > 0)
	if a := s.adhoc; a != nil {
		// Read after the running snapshot; the offsets carry the queue.
		s.log.Info("signal: the tables are read once the running snapshot completes", "id", id, "queued", s.signals.tables)
		s.syncQueue()
		s.adhocStamp()
		return nil
	}
	return s.startQueued(ctx, nil)
}

// resolveCollections matches data-collections against the captured base
// tables.
func (s *stream) resolveCollections(ctx context.Context, patterns []string) ([]string, error) {
	var res []*regexp.Regexp
	for _, p := range patterns {
		re, err := collectionPattern(p)
		if err != nil {
			s.log.Warn("signal: a data-collections entry is not a valid regular expression; it is skipped", "entry", p, "error", err)
			continue
		}
		res = append(res, re)
	}
	if len(res) == 0 {
		return nil, nil
	}
	c, err := s.dial.connect(ctx)
	if err != nil {
		return nil, &connError{fmt.Errorf("signal: list the tables: %w", err)}
	}
	defer c.Close()
	r, err := c.Execute(`SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') ORDER BY TABLE_SCHEMA, TABLE_NAME`)
	if err != nil {
		return nil, &connError{fmt.Errorf("signal: list the tables: %w", err)}
	}
	var out []string
	for _, re := range res {
		for i := range r.Values {
			db, _ := r.GetString(i, 0)
			table, _ := r.GetString(i, 1)
			name := db + "." + table
			if !re.MatchString(name) || slices.Contains(out, name) {
				continue
			}
			if !s.opts.Filters.Table(db, table) {
				s.log.Warn("signal: a table data-collections names is not captured by the include/exclude lists; it is skipped", "table", name)
				continue
			}
			out = append(out, name)
		}
	}
	return out, nil
}

// checkConditions tries each additional condition on its table, so that a
// mistyped filter is refused with the signal instead of failing every
// chunk read (and, kept in the offsets, every restart).
func (s *stream) checkConditions(ctx context.Context, where map[string]string) error {
	if len(where) == 0 {
		return nil
	}
	c, err := s.dial.connect(ctx)
	if err != nil {
		return &connError{fmt.Errorf("signal: check additional-conditions: %w", err)}
	}
	defer c.Close()
	for _, t := range slices.Sorted(maps.Keys(where)) {
		db, table, _ := strings.Cut(t, ".")
		q := fmt.Sprintf("SELECT 1 FROM %s.%s WHERE (%s) LIMIT 0", quoteIdent(db), quoteIdent(table), where[t])
		if _, err := c.Execute(q); err != nil {
			return fmt.Errorf("table %s, filter %q: %w", t, where[t], err)
		}
	}
	return nil
}

// collectionPattern compiles a data-collections entry, which names whole
// table ids.
func collectionPattern(p string) (*regexp.Regexp, error) {
	return regexp.Compile(`^(?:` + strings.TrimSpace(p) + `)$`)
}

// startQueued starts a snapshot of the queued tables, resuming the
// progress prev when a restart interrupted it.
func (s *stream) startQueued(ctx context.Context, prev *snapshotState) error {
	if len(s.signals.tables) == 0 {
		return nil
	}
	tables, where, keys := s.signals.tables, s.signals.where, s.signals.keys
	s.signals.clear()
	a, err := planSignalRun(ctx, s.dial, s.server, s.opts, tables, where, keys, prev, s.log)
	if err != nil {
		return err
	}
	if a == nil {
		s.adhocRefresh()
		return nil
	}
	a.sn.state.IDs = slices.Clone(s.signals.ids)
	if n := len(s.signals.ids); n > 0 {
		a.notifyID = s.signals.ids[n-1]
	}
	s.startAdhoc(ctx, a)
	s.adhocRefresh()
	if prev == nil {
		return s.notify(ctx, a, notifyStarted)
	}
	return nil
}

// signalStop stops the signalled snapshot (or only its queued tables the
// signal names).
func (s *stream) signalStop(ctx context.Context, id string, d signalData) error {
	a := s.adhoc
	if len(d.DataCollections) > 0 {
		var keep []string
		for _, t := range s.signals.tables {
			drop := false
			for _, p := range d.DataCollections {
				if re, err := collectionPattern(p); err == nil && re.MatchString(t) {
					drop = true
				}
			}
			if !drop {
				keep = append(keep, t)
			}
		}
		s.signals.tables = keep
		s.syncQueue()
		if a != nil && a.signalled {
			running := true
			for _, t := range a.tables {
				named := false
				for _, p := range d.DataCollections {
					if re, err := collectionPattern(p); err == nil && re.MatchString(t.name) {
						named = true
					}
				}
				running = running && named
			}
			if !running {
				s.log.Info("signal: stop-snapshot names only some of the running snapshot's tables; it goes on, the named queued tables are dropped", "id", id, "queued", s.signals.tables)
				s.adhocStamp()
				return nil
			}
		}
	} else {
		s.signals.clear()
		s.syncQueue()
	}
	if a == nil || !a.signalled {
		s.log.Info("signal: stop-snapshot: no signalled snapshot is running", "id", id, "queued", s.signals.tables)
		s.adhocRefresh()
		return nil
	}
	s.endAdhoc()
	a.sn.running.Store(false)
	s.adhoc = nil
	s.liveSnap.Store(nil)
	s.log.Info("signal: snapshot stopped", "id", id, "rows", a.rows, "queued", s.signals.tables)
	if err := s.notify(ctx, a, notifyAborted); err != nil {
		return err
	}
	// Queued tables the signal did not name are read next.
	return s.startQueued(ctx, nil)
}

// syncQueue puts the queue into the running snapshot's progress, which
// offsets carry.
func (s *stream) syncQueue() {
	if a := s.adhoc; a != nil {
		a.sn.state.setQueue(s.signals)
	}
}

// adhocRefresh sets what the stream's offsets say about snapshots beside
// the stream when none runs: the queue, if any.
func (s *stream) adhocRefresh() {
	if s.adhoc != nil {
		s.adhocStamp()
		return
	}
	s.cur.captured = s.opts.CapturedSig
	s.cur.adhocPending, s.cur.adhocState = s.queueState()
}

// queueState renders the queue for offsets: pending, with the tables
// still to read, or nothing.
func (s *stream) queueState() (bool, string) {
	if s.signals == nil || len(s.signals.tables) == 0 {
		return false, ""
	}
	b, _ := json.Marshal(&snapshotState{V: 1, Queued: s.signals.tables, QueuedWhere: s.signals.where, QueuedKeys: s.signals.keys, IDs: s.signals.ids})
	return true, string(b)
}

// planSignalRun plans the snapshot of tables (db.table names) that a
// signal asked for.
func planSignalRun(ctx context.Context, d *dialer, server *Server, opts *Options, tables []string, where, keys map[string]string, prev *snapshotState, log *slog.Logger) (*adhocRun, error) {
	o := *opts
	o.Snapshot.ChunkSize = opts.Signal.ChunkSize
	o.Snapshot.FetchSize = min(opts.Snapshot.FetchSize, o.Snapshot.ChunkSize)
	o.Snapshot.ExtraWhere = func(id TableID) string { return strings.TrimSpace(where[id.String()]) }
	o.Snapshot.SurrogateKey = func(id TableID) string { return keys[id.String()] }
	only := map[TableID]bool{}
	for _, t := range tables {
		db, table, _ := strings.Cut(t, ".")
		only[TableID{DB: db, Table: table}] = true
	}
	sn := newSnapshotter(&o, d, server, log, prev)
	sn.only = only
	sn.marker = "incremental"
	planned, err := sn.plan(ctx)
	if err != nil {
		return nil, err
	}
	// plan reads tables in its own order; a signal's order is the user's.
	slices.SortStableFunc(planned, func(x, y *snapTable) int {
		return slices.Index(tables, x.name) - slices.Index(tables, y.name)
	})
	sn.state.Signal, sn.state.Where, sn.state.SurrogateKeys = tables, where, keys
	if len(planned) == 0 {
		log.Info("signal: the requested tables are already read, or no longer exist", "tables", tables)
		return nil, nil
	}
	a := newAdhocRun(sn, planned, opts.CapturedSig, opts.CapturedSig, prev == nil)
	a.signalled = true
	var reading []string
	for _, t := range planned {
		reading = append(reading, t.name)
	}
	log.Info("signal: reading tables chunk by chunk while every table streams", "tables", reading, "chunk_size", o.Snapshot.ChunkSize,
		"resumed", prev != nil)
	return a, nil
}

// signalResume reads the signalled snapshot a stored offset left pending,
// if any: the tables in progress and the queued ones.
func signalResume(pos Position) (*snapshotState, bool) {
	if !pos.AdhocPending || pos.Adhoc == "" {
		return nil, false
	}
	var st snapshotState
	if err := json.Unmarshal([]byte(pos.Adhoc), &st); err != nil || st.V != 1 {
		return nil, false
	}
	if len(st.Signal) == 0 && len(st.Queued) == 0 {
		return nil, false
	}
	return &st, true
}

// pauseState lets pause-snapshot hold the reader between chunks.
type pauseState struct {
	mu     sync.Mutex
	resume chan struct{} // non-nil while paused
}

func (a *adhocRun) pause(on bool) {
	a.paused.mu.Lock()
	defer a.paused.mu.Unlock()
	switch {
	case on && a.paused.resume == nil:
		a.paused.resume = make(chan struct{})
	case !on && a.paused.resume != nil:
		close(a.paused.resume)
		a.paused.resume = nil
	}
}

// waitResumed blocks the reader while the snapshot is paused.
func (a *adhocRun) waitResumed(ctx context.Context) error {
	a.paused.mu.Lock()
	ch := a.paused.resume
	a.paused.mu.Unlock()
	if ch == nil {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// resumeSignalled starts the signalled snapshot a stored offset left
// pending, after the last key it emitted, and queues the tables queued
// behind it.
func (s *stream) resumeSignalled(ctx context.Context) error {
	st := s.signalResume
	if st == nil {
		return nil
	}
	s.signals.ids = slices.Clone(st.IDs)
	var prev *snapshotState
	if len(st.Signal) > 0 {
		s.signals.add(st.Signal, st.Where, st.SurrogateKeys)
		prev = &snapshotState{V: 1, Done: st.Done, Keys: st.Keys, Rows: st.Rows, KeyCols: st.KeyCols}
	}
	if err := s.startQueued(ctx, prev); err != nil {
		return err
	}
	s.signals.add(st.Queued, st.QueuedWhere, st.QueuedKeys)
	if s.adhoc != nil {
		s.syncQueue()
		s.adhocStamp()
		return nil
	}
	return s.startQueued(ctx, nil)
}

// queueBehind queues, behind the snapshot of tables added to the include
// lists, the signalled snapshot a stored offset left pending: that
// snapshot's progress shares the offset key the added tables' now use, so
// its tables are read again from their start.
func (s *stream) queueBehind(a *adhocRun, st *snapshotState) {
	s.signals.ids = slices.Clone(st.IDs)
	var rest []string
	for _, t := range st.Signal {
		if !slices.Contains(st.Done, t) {
			rest = append(rest, t)
		}
	}
	s.signals.add(rest, st.Where, st.SurrogateKeys)
	s.signals.add(st.Queued, st.QueuedWhere, st.QueuedKeys)
	a.sn.state.setQueue(s.signals)
	if len(rest) > 0 {
		s.log.Info("signal: the signalled snapshot left pending is read again after the added tables", "tables", s.signals.tables)
	}
}
