package runtime

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/offsets"
	"github.com/sluicehq/sluice/rest"
	"github.com/sluicehq/sluice/runtime/kafkalog"
)

// Exactly-once source tasks (KIP-618): each task's producer is
// transactional; one transaction holds the records of a poll batch (or of
// a transaction.boundary.interval.ms) and the source offsets of exactly
// those records, written to the offsets topic by the same producer. A
// read_committed consumer sees a batch and its offsets together or not at
// all, so a task that restarts anywhere resumes right after the last
// committed record: no record is lost and none is written twice.

// Transaction boundaries (transaction.boundary).
const (
	BoundaryPoll      = "poll"
	BoundaryInterval  = "interval"
	BoundaryConnector = "connector"
)

// OffsetRecordEncoder turns source offsets into offsets-topic records, for
// a task that writes them through its own transactional producer.
// *offsets.KafkaStore implements it.
type OffsetRecordEncoder interface {
	Topic() string
	EncodeRecords(connector string, entries []offsets.Entry) ([]kafkalog.Record, error)
}

// ExactlyOnce configures a task's transactional path.
type ExactlyOnce struct {
	// TransactionalID is Kafka Connect's "<group.id>-<connector>-<task>".
	TransactionalID string
	// Offsets encodes the offsets written in each transaction.
	Offsets OffsetRecordEncoder
	// PreProducer runs before the producer claims its transactional id
	// (the zombie fencing of an earlier generation of tasks); PostProducer
	// runs after, before the task starts (is the task still assigned
	// here, with the same task configs?). An error fails the task; ctx
	// ends when the task is stopped.
	PreProducer, PostProducer func(ctx context.Context) error
}

// TransactionalID is the transactional.id of a connector's task producer.
func TransactionalID(groupID, connector string, task int) string {
	return groupID + "-" + connector + "-" + strconv.Itoa(task)
}

// StartExactlyOnceTask is StartTask for a worker with
// exactly.once.source.support=enabled.
func (w *Worker) StartExactlyOnceTask(id rest.TaskID, connConfig, taskConfig map[string]string, paused bool, eos ExactlyOnce, onState func(state string, err error), onTopic func(topic string)) (*TaskHandle, error) {
	if eos.TransactionalID == "" || eos.Offsets == nil {
		return nil, fmt.Errorf("task %s-%d: exactly-once needs a transactional id and an offsets topic", id.Connector, id.Task)
	}
	cc, err := ParseConnectorConfig(connConfig)
	if err != nil {
		return nil, err
	}
	t := newWorkerTask(w, id, cc, taskConfig, onState, onTopic)
	t.txn = &txnState{cfg: eos}
	if paused {
		t.paused.Store(true)
	}
	go t.run()
	return &TaskHandle{t: t}, nil
}

// txnState is an exactly-once task's transaction bookkeeping, owned by the
// task goroutine.
type txnState struct {
	cfg      ExactlyOnce
	boundary string
	interval time.Duration
	timeout  time.Duration
	topic    string

	open    bool
	started time.Time
	// offs holds the newest offset of each source partition in the open
	// transaction, keyed by the partition's key bytes.
	offs    map[string]txnOffset
	lastMap map[string]any
	lastKey string
}

// ValidateExactlyOnce runs the connector-level exactly-once preflight
// checks of a worker with exactly.once.source.support=enabled: it returns
// an error message per key.
func ValidateExactlyOnce(config map[string]string) map[string]string {
	out := map[string]string{}
	conn, _, err := connect.NewSourceConnector(config[ConnClass])
	if err != nil {
		return out
	}
	if strings.EqualFold(strings.TrimSpace(config[ConnExactlyOnceSupport]), "required") {
		s, ok := conn.(connect.ExactlyOnceSupporter)
		if !ok || !s.ExactlyOnceSupport(config) {
			out[ConnExactlyOnceSupport] = fmt.Sprintf("The connector %s does not support exactly-once semantics with the provided configuration; set %s=requested to run it anyway (at least once), or use a connector that supports it", config[ConnClass], ConnExactlyOnceSupport)
		}
	}
	if strings.EqualFold(strings.TrimSpace(config[ConnTransactionBoundary]), BoundaryConnector) {
		out[ConnTransactionBoundary] = fmt.Sprintf("The connector %s does not support connector-defined transaction boundaries with the given configuration; set %s to poll or interval", config[ConnClass], ConnTransactionBoundary)
	}
	return out
}

// setupTransactions reads the transaction settings and makes the
// producer config transactional.
func (t *workerTask) setupTransactions(cm kafka.ConfigMap) error {
	x := t.txn
	switch b := strings.ToLower(strings.TrimSpace(t.conn.Originals[ConnTransactionBoundary])); b {
	case "", BoundaryPoll:
		x.boundary = BoundaryPoll
	case BoundaryInterval:
		x.boundary = BoundaryInterval
		x.interval = t.w.cfg.OffsetFlushInterval
		if v := strings.TrimSpace(t.conn.Originals[ConnTransactionBoundaryIvl]); v != "" {
			ms, err := strconv.ParseInt(v, 10, 64)
			if err != nil || ms < 0 {
				return fmt.Errorf("invalid value %q for configuration %s: expected a number of milliseconds of at least 0", v, ConnTransactionBoundaryIvl)
			}
			x.interval = time.Duration(ms) * time.Millisecond
		}
	case BoundaryConnector:
		return fmt.Errorf("%s=connector: connector %s does not define transaction boundaries; use poll or interval", ConnTransactionBoundary, t.conn.Class)
	default:
		return fmt.Errorf("invalid value %q for configuration %s: expected poll, interval or connector", b, ConnTransactionBoundary)
	}
	x.topic = x.cfg.Offsets.Topic()
	x.offs = map[string]txnOffset{}
	// Forced, as Kafka Connect forces them on exactly-once task producers.
	cm["transactional.id"] = x.cfg.TransactionalID
	cm["enable.idempotence"] = true
	cm["acks"] = "all"
	txTimeout := 60000
	if v, ok := cm["transaction.timeout.ms"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(v)))
		if err != nil || n <= 0 {
			return fmt.Errorf("invalid value %v for producer transaction.timeout.ms: expected a positive number of milliseconds", v)
		}
		txTimeout = n
	}
	// librdkafka refuses message.timeout.ms above transaction.timeout.ms
	// (delivery.timeout.ms=Integer.MAX_VALUE is the at-least-once default).
	if n, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(cm["message.timeout.ms"]))); err != nil || n > txTimeout {
		cm["message.timeout.ms"] = txTimeout
	}
	if n, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(cm["max.in.flight"]))); err != nil || n > 5 || n < 1 {
		cm["max.in.flight"] = 5
	}
	x.timeout = time.Duration(txTimeout) * time.Millisecond
	return nil
}

// initTransactions fences the task's zombies and claims its transactional
// id, between the herder's checks.
func (t *workerTask) initTransactions() error {
	x := t.txn
	if x.cfg.PreProducer != nil {
		if err := x.cfg.PreProducer(t.pollCtx); err != nil {
			return fmt.Errorf("zombie fencing: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(t.pollCtx, x.timeout)
	err := t.producer.InitTransactions(ctx)
	cancel()
	if err != nil {
		return fmt.Errorf("initialize transactional producer %s: %w", x.cfg.TransactionalID, err)
	}
	if x.cfg.PostProducer != nil {
		if err := x.cfg.PostProducer(t.pollCtx); err != nil {
			return err
		}
	}
	return nil
}

// track remembers a record's source offset for the open transaction.
func (x *txnState) track(partition map[string]any, offset recordOffset) error {
	if partition == nil || offset.isNil() {
		return nil
	}
	key := x.lastKey
	if x.lastMap == nil || reflect.ValueOf(partition).Pointer() != reflect.ValueOf(x.lastMap).Pointer() {
		k, err := offsets.EncodeKey("", partition)
		if err != nil {
			return err
		}
		key = string(k)
		x.lastMap, x.lastKey = partition, key
	}
	x.offs[key] = txnOffset{partition: partition, offset: offset}
	return nil
}

// txnOffset is the newest offset of one source partition in a transaction,
// rendered when the transaction commits.
type txnOffset struct {
	partition map[string]any
	offset    recordOffset
}

// loopExactlyOnce is loop for a transactional task: the same polling,
// pausing and backpressure, with offsets committed in the transactions
// instead of on the flush timer.
func (t *workerTask) loopExactlyOnce() (stoppedMidBatch bool, err error) {
	x := t.txn
	wasPaused := false
	for !t.stopping.Load() {
		if e := t.sendFailure.Load(); e != nil {
			return false, *e
		}
		if t.paused.Load() {
			if x.open {
				if err := t.commitTransaction(); err != nil {
					return false, err
				}
			}
			if !wasPaused {
				t.onState(StatePaused, nil)
				wasPaused = true
			}
			select {
			case <-t.wake:
			case <-time.After(time.Second):
			}
			continue
		}
		if wasPaused {
			t.onState(StateRunning, nil)
			wasPaused = false
		}
		if err := t.waitForRoom(); err != nil {
			return false, err
		}
		start := time.Now()
		var recs []*connect.SourceRecord
		err := safeCall(func() (err error) { recs, err = t.task.Poll(t.pollCtx); return })
		took := int64(time.Since(start))
		t.Metrics.PollNanos.Add(took)
		if err != nil {
			if t.stopping.Load() && errors.Is(err, context.Canceled) {
				return false, nil
			}
			if connect.IsRetriable(err) {
				t.log.Warn("failed to poll records from the task; will retry", "error", err.Error())
				continue
			}
			return false, fmt.Errorf("poll: %w", err)
		}
		if len(recs) > 0 {
			t.Metrics.Polls.Add(1)
			t.Metrics.RecordsPolled.Add(int64(len(recs)))
			t.Metrics.BatchPollNanos.Add(took)
			storeMax(&t.Metrics.BatchPollMaxNanos, took)
			storeMax(&t.Metrics.BatchSizeMax, int64(len(recs)))
			if !x.open {
				if err := t.producer.BeginTransaction(); err != nil {
					return false, fmt.Errorf("begin transaction: %w", err)
				}
				x.open, x.started = true, time.Now()
			}
			for _, rec := range recs {
				if err := x.track(rec.SourcePartition, offsetOf(rec)); err != nil {
					return false, fmt.Errorf("record for topic %s: %w", rec.Topic, err)
				}
				if err := t.send(rec); err != nil {
					return false, err
				}
			}
			// send drops records silently once the task is stopping; their
			// offsets are tracked already, so this transaction must not
			// commit.
			if t.stopping.Load() {
				return true, nil
			}
		}
		if x.open && (x.boundary == BoundaryPoll || time.Since(x.started) >= x.interval) {
			if err := t.commitTransaction(); err != nil {
				return false, err
			}
		}
	}
	return false, nil
}

// commitTransaction writes the open transaction's offsets through the
// producer and commits; on failure it aborts and returns the error, which
// fails the task.
func (t *workerTask) commitTransaction() error {
	x := t.txn
	start := time.Now()
	if len(x.offs) > 0 {
		entries := make([]offsets.Entry, 0, len(x.offs))
		for _, e := range x.offs {
			entries = append(entries, offsets.Entry{Partition: e.partition, Offset: e.offset.render()})
		}
		recs, err := x.cfg.Offsets.EncodeRecords(t.id.Connector, entries)
		if err != nil {
			t.abortTransaction()
			return fmt.Errorf("offsets of connector %s: %w", t.id.Connector, err)
		}
		for _, r := range recs {
			msg := &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &x.topic, Partition: kafka.PartitionAny}, Key: r.Key, Value: r.Value}
			if err := t.produceWait(msg); err != nil {
				t.abortTransaction()
				return fmt.Errorf("write offsets to %s: %w", x.topic, err)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), x.timeout)
	defer cancel()
	var err error
	for {
		err = t.producer.CommitTransaction(ctx)
		var ke kafka.Error
		if err != nil && errors.As(err, &ke) && ke.IsRetriable() && ctx.Err() == nil {
			continue
		}
		break
	}
	x.open = false
	clear(x.offs)
	x.lastMap, x.lastKey = nil, ""
	if err != nil {
		t.Metrics.OffsetCommitErrors.Add(1)
		var ke kafka.Error
		if errors.As(err, &ke) && ke.TxnRequiresAbort() {
			t.abortNow()
		}
		return fmt.Errorf("commit transaction of %s: %w", x.cfg.TransactionalID, err)
	}
	took := int64(time.Since(start))
	t.Metrics.CommitNanos.Add(took)
	storeMax(&t.Metrics.CommitMaxNanos, took)
	t.Metrics.OffsetCommits.Add(1)
	// The offsets went out with the records; the tracker only drives
	// backpressure here, so drop what it would have committed.
	t.tracker.committable()
	if oc, ok := t.task.(connect.OffsetCommitter); ok {
		if err := safeCall(oc.Commit); err != nil {
			t.log.Warn("task commit callback failed", "error", err.Error())
		}
	}
	return nil
}

// produceWait produces msg, waiting while the producer's queue is full.
func (t *workerTask) produceWait(msg *kafka.Message) error {
	for {
		err := t.producer.Produce(msg, nil)
		var ke kafka.Error
		if err == nil || !errors.As(err, &ke) || ke.Code() != kafka.ErrQueueFull {
			return err
		}
		select {
		case <-t.tracker.notify:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// abortTransaction aborts the open transaction, if any.
func (t *workerTask) abortTransaction() {
	x := t.txn
	if !x.open {
		return
	}
	x.open = false
	clear(x.offs)
	x.lastMap, x.lastKey = nil, ""
	t.abortNow()
}

func (t *workerTask) abortNow() {
	ctx, cancel := context.WithTimeout(context.Background(), t.txn.timeout)
	defer cancel()
	if err := t.producer.AbortTransaction(ctx); err != nil {
		// The next owner's InitTransactions aborts it, or the broker
		// after transaction.timeout.ms.
		t.log.Warn("could not abort the transaction", "error", err.Error())
	}
}

// finishTransactions ends the open transaction when the loop ends: a
// clean stop between batches commits it (an interval transaction holds
// whole batches), anything else aborts it.
func (t *workerTask) finishTransactions(commit bool) {
	if !t.txn.open {
		return
	}
	if commit {
		if err := t.commitTransaction(); err != nil {
			t.log.Warn("could not commit the last transaction; its records are written again by the next run", "error", err.Error())
		}
		return
	}
	t.abortTransaction()
}

// ValidateExactlyOnceResolved is ValidateResolved on a worker with
// exactly.once.source.support=enabled: the connector-level preflight
// checks (exactly.once.support=required, transaction.boundary=connector)
// add their errors to the keys they concern.
func (w *Worker) ValidateExactlyOnceResolved(ctx context.Context, config map[string]string) (rest.ConfigInfos, error) {
	v, err := w.validate(ctx, config)
	if err != nil {
		return rest.ConfigInfos{}, err
	}
	addExactlyOnceErrors(v, config)
	return v.infos, nil
}

// CheckExactlyOnceResolved is CheckResolved with the exactly-once
// preflight checks.
func (w *Worker) CheckExactlyOnceResolved(ctx context.Context, config map[string]string) error {
	v, err := w.validate(ctx, config)
	if err != nil {
		return err
	}
	addExactlyOnceErrors(v, config)
	if v.infos.ErrorCount > 0 {
		return scrubError(invalidConfigError(v, config[ConnClass]))
	}
	return nil
}

func addExactlyOnceErrors(v *validation, config map[string]string) {
	problems := ValidateExactlyOnce(config)
	for i := range v.infos.Configs {
		val := &v.infos.Configs[i].Value
		msg, ok := problems[val.Name]
		if !ok {
			continue
		}
		delete(problems, val.Name)
		if len(val.Errors) > 0 {
			continue // the value itself is invalid, which says enough
		}
		val.Errors = append(val.Errors, msg)
		v.infos.ErrorCount++
		v.errors = append(v.errors, val.Name+": "+msg)
	}
}
