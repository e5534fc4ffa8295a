package mysql

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/sluicehq/sluice/connect"
)

// Debezium's notifications of a snapshot's progress, the initial one's and
// a signalled (incremental) one's: the sink channel writes them as records
// to notification.sink.topic.name, the log channel to the connector's log.
// Tools that wait for a snapshot to finish read the COMPLETED one.

// Notification config keys (Debezium's names).
const (
	KeyNotificationChannels  = "notification.enabled.channels"
	KeyNotificationSinkTopic = "notification.sink.topic.name"
)

// Notification aggregate and types, Debezium's.
const (
	notifyIncremental    = "Incremental Snapshot"
	notifyInitial        = "Initial Snapshot"
	notifyStarted        = "STARTED"
	notifyPaused         = "PAUSED"
	notifyResumed        = "RESUMED"
	notifyAborted        = "ABORTED"
	notifyInProgress     = "IN_PROGRESS"
	notifyTableCompleted = "TABLE_SCAN_COMPLETED"
	notifyCompleted      = "COMPLETED"
)

// NotifyOptions says where notifications go.
type NotifyOptions struct {
	Sink   string // the sink channel's topic, "" when off
	Log    bool
	Unread []string // channels accepted and not served (jmx)
}

var (
	notificationKeySchema = connect.StructBuilder().Name("io.debezium.connector.common.NotificationKey").Version(1).
				Field("id", connect.StringSchema).MustBuild()
	notificationValueSchema = connect.StructBuilder().Name("io.debezium.connector.common.Notification").Version(1).
				Field("id", connect.StringSchema).
				Field("type", connect.StringSchema).
				Field("aggregate_type", connect.StringSchema).
				Field("additional_data", connect.MapOf(connect.StringSchema, connect.StringSchema).Optional().MustBuild()).
				Field("timestamp", connect.Int64Schema).MustBuild()
)

func defineNotifyKeys(def func(connect.ConfigKey)) {
	def(connect.ConfigKey{Name: KeyNotificationChannels, Type: connect.ConfigList, Default: "", Group: groupEvents,
		Doc: "Where notifications of a snapshot's progress go, aggregate \"Initial Snapshot\" (STARTED, IN_PROGRESS per table, TABLE_SCAN_COMPLETED, COMPLETED) or \"Incremental Snapshot\" for a signalled one (STARTED, IN_PROGRESS per chunk, TABLE_SCAN_COMPLETED, PAUSED, RESUMED, ABORTED, COMPLETED): sink (records on " + KeyNotificationSinkTopic + ") and log. Debezium's jmx channel is accepted and not served."})
	def(connect.ConfigKey{Name: KeyNotificationSinkTopic, Type: connect.ConfigString, Default: "", Group: groupEvents,
		Doc: "The sink channel's topic; required when " + KeyNotificationChannels + " includes sink."})
}

func parseNotifyOptions(c interface {
	String(string) string
	List(string) []string
}) (NotifyOptions, error) {
	var o NotifyOptions
	for _, ch := range c.List(KeyNotificationChannels) {
		switch strings.ToLower(strings.TrimSpace(ch)) {
		case "sink":
			o.Sink = strings.TrimSpace(c.String(KeyNotificationSinkTopic))
			if o.Sink == "" {
				return o, &connect.ConfigError{Name: KeyNotificationSinkTopic, Value: "",
					Message: "the sink notification channel needs a topic, e.g. " + KeyNotificationSinkTopic + "=inventory.notifications (or drop sink from " + KeyNotificationChannels + ")"}
			}
		case "log":
			o.Log = true
		case "jmx":
			o.Unread = append(o.Unread, "jmx")
		case "":
		default:
			return o, &connect.ConfigError{Name: KeyNotificationChannels, Value: strings.Join(c.List(KeyNotificationChannels), ","),
				Message: fmt.Sprintf("unknown channel %q; use sink or log", ch)}
		}
	}
	return o, nil
}

// notify sends one notification of the running signalled snapshot a.
func (s *stream) notify(ctx context.Context, a *adhocRun, typ string, extra ...string) error {
	o := s.opts.Notify
	if a == nil || !a.signalled || (o.Sink == "" && !o.Log) {
		return nil
	}
	if a.notifyID == "" {
		a.notifyID = uuid.NewString()
	}
	names := make([]string, len(a.tables))
	for i, t := range a.tables {
		names[i] = t.name
	}
	// A Connect map<string,string> holds its values as any.
	data := map[string]any{"connector_name": s.opts.TopicPrefix, "data_collections": strings.Join(names, ",")}
	for i := 0; i+1 < len(extra); i += 2 {
		data[extra[i]] = extra[i+1]
	}
	r := notification(o, s.log, a.notifyID, typ, notifyIncremental, data)
	if r == nil {
		return nil
	}
	// A sink record carries the stream's current offset, as a heartbeat does.
	r.SourcePartition, r.SourceOffset = s.partition, s.cur.position(0).Map()
	return s.enqueue(ctx, r)
}

// notification logs a notification (log channel) and returns its record
// for the sink channel, nil when that is off.
func notification(o NotifyOptions, log *slog.Logger, id, typ, aggregate string, data map[string]any) *connect.SourceRecord {
	if o.Log {
		log.Info("notification", "aggregate_type", aggregate, "type", typ, "id", id, "additional_data", data)
	}
	if o.Sink == "" {
		return nil
	}
	now := time.Now().UnixMilli()
	key := connect.NewStructs(notificationKeySchema, []any{id})
	val := connect.NewStructs(notificationValueSchema, []any{id, typ, aggregate, data, now})
	return &connect.SourceRecord{Topic: o.Sink, KeySchema: notificationKeySchema, Key: key,
		ValueSchema: notificationValueSchema, Value: val, Timestamp: now}
}

// initialNotes are the notifications of a task's initial snapshot
// (Debezium's "Initial Snapshot" aggregate), one id per run. Their records
// carry no source offset: they go out between snapshot records, whose
// offsets alone say how far the snapshot got.
type initialNotes struct {
	opts   NotifyOptions
	prefix string
	id     string
	tables string // data_collections
	log    *slog.Logger
}

func newInitialNotes(o *Options, log *slog.Logger) *initialNotes {
	if o.Notify.Sink == "" && !o.Notify.Log {
		return nil
	}
	return &initialNotes{opts: o.Notify, prefix: o.TopicPrefix, id: uuid.NewString(), log: log}
}

func (n *initialNotes) record(typ string, extra ...string) *connect.SourceRecord {
	if n == nil {
		return nil
	}
	data := map[string]any{"connector_name": n.prefix}
	if typ == notifyInProgress || typ == notifyTableCompleted {
		data["data_collections"] = n.tables
	}
	for i := 0; i+1 < len(extra); i += 2 {
		data[extra[i]] = extra[i+1]
	}
	return notification(n.opts, n.log, n.id, typ, notifyInitial, data)
}

// aborted says on the log channel that the snapshot stopped unfinished;
// the sink's queue is closing with the task, so it gets no record.
func (n *initialNotes) aborted() {
	if n == nil || !n.opts.Log {
		return
	}
	logOnly := n.opts
	logOnly.Sink = ""
	notification(logOnly, n.log, n.id, notifyAborted, notifyInitial, map[string]any{"connector_name": n.prefix})
}
