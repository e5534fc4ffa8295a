package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/offsets"
	"github.com/sluicehq/sluice/rest"
)

// Runtime states, as shown by /status.
const (
	StateUnassigned = "UNASSIGNED"
	StateRunning    = "RUNNING"
	StatePaused     = "PAUSED"
	StateFailed     = "FAILED"
	StateStopped    = "STOPPED"
	StateRestarting = "RESTARTING"
)

// TaskMetrics are a task's counters, kept for the /metrics endpoint.
type TaskMetrics struct {
	Polls              atomic.Int64 // Poll calls that returned records
	RecordsPolled      atomic.Int64
	RecordsWritten     atomic.Int64 // handed to the producer
	RecordsAcked       atomic.Int64
	RecordsSkipped     atomic.Int64 // dropped by errors.tolerance=all
	RecordsFiltered    atomic.Int64 // dropped by a transform
	OffsetCommits      atomic.Int64
	OffsetCommitErrors atomic.Int64
	PollNanos          atomic.Int64 // time spent in Poll
	Failures           atomic.Int64

	// Kafka's poll-batch-*-time-ms count only polls that returned records.
	BatchPollNanos    atomic.Int64
	BatchPollMaxNanos atomic.Int64
	BatchSizeMax      atomic.Int64
	CommitNanos       atomic.Int64
	CommitMaxNanos    atomic.Int64
	ActiveMax         atomic.Int64 // source-record-active-count-max
	// Kafka's task-error-metrics.
	RecordErrors   atomic.Int64 // records whose processing ended in an error
	RecordFailures atomic.Int64 // failed attempts, retried or not
	Retries        atomic.Int64
	ErrorsLogged   atomic.Int64
	LastErrorMs    atomic.Int64
	// Time spent RUNNING and PAUSED, for running-ratio and pause-ratio.
	runningNanos, pausedNanos atomic.Int64
}

func storeMax(a *atomic.Int64, v int64) {
	for {
		cur := a.Load()
		if v <= cur || a.CompareAndSwap(cur, v) {
			return
		}
	}
}

// maxInFlight bounds records waiting for the broker, whatever librdkafka's
// own queue allows: a slow or absent broker stops Poll, not memory.
const maxInFlight = 8192

// transformStage is one entry of the transforms chain.
type transformStage struct {
	alias  string
	t      connect.Transformation
	pred   connect.Predicate
	negate bool
}

// workerTask runs one source task: poll, transform, convert, produce, and
// commit the offsets of acknowledged records.
type workerTask struct {
	id      rest.TaskID
	log     *slog.Logger
	w       *Worker
	conn    *ConnectorConfig
	props   map[string]string
	task    connect.SourceTask
	store   offsets.Store
	onState func(state string, err error)
	onTopic func(topic string)

	keyConv, valConv connect.Converter
	keyApp, valApp   connect.AppendConverter
	hdrConv          connect.HeaderConverter
	chain            []transformStage
	ops              *toleranceOperator
	recCommitter     connect.RecordCommitter

	producer      *kafka.Producer
	franz         *franzState        // instead of producer, see franzproducer.go
	admin         *kafka.AdminClient // for topic creation, sharing the producer's connections
	adminConf     kafka.ConfigMap    // the admin's config when the producer is franz-go
	topicCreation *topicCreation
	tracker       *submittedRecords
	// txn is set for an exactly-once task (exactlyonce.go).
	txn *txnState
	// unwritten holds committable offsets whose write failed, for the next
	// attempt, keyed by partition key.
	unwritten map[string]offsets.Entry

	Metrics TaskMetrics

	pollCtx      context.Context
	cancelPoll   context.CancelFunc
	stopOnce     sync.Once
	stopTaskOnce sync.Once
	started      atomic.Bool
	stopping     atomic.Bool
	paused       atomic.Bool
	wake         chan struct{}
	done         chan struct{}
	// sendFailure is set by the delivery goroutine for an intolerable
	// producer error.
	sendFailure atomic.Pointer[error]
	knownTopics map[string]bool
	keyBuf      []byte
	valBuf      []byte
	hdrBuf      []kafka.Header
	msg         kafka.Message
	topicPtrs   map[string]*string

	// taskMu guards task for the metrics goroutine.
	taskMu     sync.Mutex
	stateMu    sync.Mutex
	state      string
	stateSince time.Time
	created    time.Time
}

func newWorkerTask(w *Worker, id rest.TaskID, conn *ConnectorConfig, props map[string]string, onState func(string, error), onTopic func(string)) *workerTask {
	ctx, cancel := context.WithCancel(context.Background())
	t := &workerTask{
		id: id, w: w, conn: conn, props: taskProps(props), store: w.store, onTopic: onTopic,
		state: StateUnassigned, stateSince: time.Now(), created: time.Now(),
		log:     w.log.With("connector", id.Connector, "task", id.Task),
		tracker: newSubmittedRecords(), unwritten: map[string]offsets.Entry{},
		pollCtx: ctx, cancelPoll: cancel, wake: make(chan struct{}, 1), done: make(chan struct{}),
		knownTopics: map[string]bool{},
	}
	t.ops = newToleranceOperator(conn, t.log, &t.Metrics)
	t.onState = func(state string, err error) {
		t.setState(state)
		onState(state, err)
	}
	w.register(t)
	return t
}

// setState records the task's state for /metrics (status, running and
// pause ratios).
func (t *workerTask) setState(state string) {
	t.stateMu.Lock()
	defer t.stateMu.Unlock()
	now := time.Now()
	switch t.state {
	case StateRunning:
		t.Metrics.runningNanos.Add(int64(now.Sub(t.stateSince)))
	case StatePaused:
		t.Metrics.pausedNanos.Add(int64(now.Sub(t.stateSince)))
	}
	t.state, t.stateSince = state, now
}

// stateNow returns the current state and the running and paused ratios
// of the time since the task was created.
func (t *workerTask) stateNow() (state string, running, paused float64) {
	t.stateMu.Lock()
	defer t.stateMu.Unlock()
	now := time.Now()
	r, p := t.Metrics.runningNanos.Load(), t.Metrics.pausedNanos.Load()
	switch t.state {
	case StateRunning:
		r += int64(now.Sub(t.stateSince))
	case StatePaused:
		p += int64(now.Sub(t.stateSince))
	}
	total := float64(now.Sub(t.created))
	if total <= 0 {
		return t.state, 0, 0
	}
	return t.state, float64(r) / total, float64(p) / total
}

// taskContext is the SourceTaskContext handed to the task.
type taskContext struct{ t *workerTask }

func (c taskContext) Configs() map[string]string { return c.t.props }

// Logger implements connect.ContextLogger: the task's own logger, with
// connector=<name> and task=<id>, behind the worker's redacting handler.
func (c taskContext) Logger() *slog.Logger { return c.t.log }
func (c taskContext) OffsetStorageReader() connect.OffsetStorageReader {
	return offsetReader{store: c.t.store, connector: c.t.id.Connector}
}

type offsetReader struct {
	store     offsets.Store
	connector string
}

func (r offsetReader) Offset(ctx context.Context, partition map[string]any) (map[string]any, error) {
	return r.store.Get(ctx, r.connector, partition)
}

// setup resolves config variables and builds converters, transforms and
// the producer.
func (t *workerTask) setup() error {
	wc := t.w.cfg
	// Variables are resolved at every task start, so a restart picks up a
	// rotated secret; the resolved configs live only in this task.
	connProps, err := t.w.ResolveConfig(t.conn.Originals)
	if err != nil {
		return err
	}
	if t.props, err = t.w.ResolveConfig(t.props); err != nil {
		return err
	}
	if t.conn, err = ParseConnectorConfig(connProps); err != nil {
		return fmt.Errorf("connector config: %w", err)
	}
	t.ops = newToleranceOperator(t.conn, t.log, &t.Metrics)
	if t.keyConv, err = newConverter(ConnKeyConverter, t.conn.KeyConverter, wc.KeyConverter, t.conn.Originals, wc, true); err != nil {
		return err
	}
	if t.valConv, err = newConverter(ConnValueConverter, t.conn.ValueConverter, wc.ValueConverter, t.conn.Originals, wc, false); err != nil {
		return err
	}
	t.keyApp, _ = t.keyConv.(connect.AppendConverter)
	t.valApp, _ = t.valConv.(connect.AppendConverter)
	if t.hdrConv, err = newHeaderConverter(t.conn.HeaderConverter, wc.HeaderConverter, t.conn.Originals, wc); err != nil {
		return err
	}
	if t.chain, err = buildChain(t.conn); err != nil {
		return err
	}
	cm, err := producerConfig(wc, t.conn.Originals, t.id.Connector, t.id.Task)
	if err != nil {
		return fmt.Errorf("producer config: %w", err)
	}
	fp, why, err := ChooseProducerClient(cm, t.txn != nil)
	if err != nil {
		return fmt.Errorf("producer config: %w", err)
	}
	t.adminConf = adminConfig(cm)
	if fp != nil {
		if err := t.newFranzProducer(fp); err != nil {
			return fmt.Errorf("create producer: %w", err)
		}
		t.log.Info("producing through franz-go")
	} else {
		t.log.Info("producing through librdkafka", "reason", why)
		if t.txn != nil {
			if err := t.setupTransactions(cm); err != nil {
				return err
			}
		}
		if t.producer, err = kafka.NewProducer(&cm); err != nil {
			return fmt.Errorf("create producer: %w", err)
		}
	}
	if t.topicCreation, err = newTopicCreation(wc.TopicCreationEnable, t.conn.Originals); err != nil {
		return err
	}
	return nil
}

// newConverter instantiates the connector's converter, or the worker's. Its
// settings come from the same config that named it, as in Kafka Connect.
func newConverter(key, connClass, workerClass string, connProps map[string]string, wc *WorkerConfig, isKey bool) (connect.Converter, error) {
	class, props := connClass, connect.WithPrefixStripped(connProps, key+".")
	if class == "" {
		class, props = workerClass, wc.Prefixed(key+".")
	}
	c, _, err := connect.NewConverter(class)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	if err := safeCall(func() error { return c.Configure(props, isKey) }); err != nil {
		return nil, fmt.Errorf("configure %s %s: %w", key, class, err)
	}
	return c, nil
}

func newHeaderConverter(connClass, workerClass string, connProps map[string]string, wc *WorkerConfig) (connect.HeaderConverter, error) {
	class, props := connClass, connect.WithPrefixStripped(connProps, ConnHeaderConverter+".")
	if class == "" {
		class, props = workerClass, wc.Prefixed(ConnHeaderConverter+".")
	}
	c, _, err := connect.NewHeaderConverter(class)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ConnHeaderConverter, err)
	}
	if err := safeCall(func() error { return c.Configure(props) }); err != nil {
		return nil, fmt.Errorf("configure %s %s: %w", ConnHeaderConverter, class, err)
	}
	return c, nil
}

// buildChain instantiates the transforms and predicates of a connector
// config.
func buildChain(c *ConnectorConfig) ([]transformStage, error) {
	preds := map[string]connect.Predicate{}
	for _, alias := range c.Predicates {
		prefix := ConnPredicates + "." + alias + "."
		cls := c.Originals[prefix+"type"]
		p, _, err := connect.NewPredicate(cls)
		if err != nil {
			return nil, fmt.Errorf("%stype: %w", prefix, err)
		}
		if err := safeCall(func() error { return p.Configure(connect.WithPrefixStripped(c.Originals, prefix)) }); err != nil {
			return nil, fmt.Errorf("configure predicate %s: %w", alias, err)
		}
		preds[alias] = p
	}
	var chain []transformStage
	for _, alias := range c.Transforms {
		prefix := ConnTransforms + "." + alias + "."
		cls := c.Originals[prefix+"type"]
		tr, _, err := connect.NewTransformation(cls)
		if err != nil {
			return nil, fmt.Errorf("%stype: %w", prefix, err)
		}
		props := connect.WithPrefixStripped(c.Originals, prefix)
		if err := safeCall(func() error { return tr.Configure(props) }); err != nil {
			return nil, fmt.Errorf("configure transform %s: %w", alias, err)
		}
		st := transformStage{alias: alias, t: tr}
		if pa := props["predicate"]; pa != "" {
			if st.pred = preds[pa]; st.pred == nil {
				return nil, fmt.Errorf("%spredicate: predicate %q is not listed in %s", prefix, pa, ConnPredicates)
			}
		}
		st.negate = props["negate"] == "true"
		chain = append(chain, st)
	}
	return chain, nil
}

// run is the task goroutine.
func (t *workerTask) run() {
	defer close(t.done)
	if err := safeCall(t.setup); err != nil {
		t.w.recordTaskStartup(false)
		t.failUnlessStopping(err)
		t.cleanup()
		return
	}
	var deliveries sync.WaitGroup
	if t.producer != nil {
		deliveries.Add(1)
		go func() {
			defer deliveries.Done()
			t.readDeliveries()
		}()
	}
	defer func() {
		t.cleanup() // closes the producer, which ends readDeliveries
		deliveries.Wait()
	}()

	if t.txn != nil {
		if err := t.initTransactions(); err != nil {
			t.w.recordTaskStartup(false)
			if t.stopping.Load() {
				t.log.Info("task stopped before its transactional producer was ready", "reason", err.Error())
				return
			}
			t.fail(err)
			return
		}
	}
	task := t.w.newTask(t.conn)
	if task == nil {
		t.w.recordTaskStartup(false)
		t.fail(fmt.Errorf("connector %s returned no task", t.conn.Class))
		return
	}
	t.taskMu.Lock()
	t.task = task
	t.taskMu.Unlock()
	t.recCommitter, _ = t.task.(connect.RecordCommitter)
	if err := safeCall(func() error { return t.task.Start(t.pollCtx, taskContext{t}, t.props) }); err != nil {
		t.w.recordTaskStartup(false)
		t.failUnlessStopping(fmt.Errorf("task start: %w", err))
		return
	}
	t.w.recordTaskStartup(true)
	t.started.Store(true)
	if t.stopping.Load() {
		t.stopTask()
		return
	}
	if t.paused.Load() {
		t.onState(StatePaused, nil)
	} else {
		t.onState(StateRunning, nil)
	}
	t.log.Info("task started")
	if t.txn != nil {
		midBatch, err := t.loopExactlyOnce()
		t.finishTransactions(err == nil && !midBatch)
		t.stopTask()
		if err != nil {
			t.failUnlessStopping(err)
			return
		}
		t.log.Info("task stopped")
		return
	}
	err := t.loop()
	// Send what is queued, then commit what was acknowledged.
	if t.franz != nil {
		t.flushFranz(t.w.cfg.OffsetFlushTimeout)
	} else {
		t.producer.Flush(int(t.w.cfg.OffsetFlushTimeout / time.Millisecond))
	}
	t.commitOffsets()
	t.stopTask()
	if err != nil {
		t.failUnlessStopping(err)
		return
	}
	t.log.Info("task stopped")
}

// stopTask calls the task's Stop once, from whichever goroutine gets
// there first: stop() (to unblock Poll) or run() after a failure.
func (t *workerTask) stopTask() {
	t.stopTaskOnce.Do(func() {
		if err := safeCall(t.task.Stop); err != nil {
			t.log.Warn("task stop failed", "error", err.Error())
		}
	})
}

func (t *workerTask) loop() error {
	// Offsets are flushed on their own goroutine, as Kafka Connect's
	// SourceTaskOffsetCommitter does: writing them (an fsynced file, or a
	// produce to the offsets topic awaiting its ack) takes milliseconds
	// that would otherwise stall polling and sending every flush interval.
	stopFlush, flushDone := make(chan struct{}), make(chan struct{})
	go t.offsetCommitter(stopFlush, flushDone)
	defer func() { close(stopFlush); <-flushDone }()
	wasPaused := false
	for !t.stopping.Load() {
		if e := t.sendFailure.Load(); e != nil {
			return *e
		}
		if t.paused.Load() {
			if !wasPaused {
				t.onState(StatePaused, nil)
				wasPaused = true
			}
			<-t.wake
			continue
		}
		if wasPaused {
			t.onState(StateRunning, nil)
			wasPaused = false
		}
		if err := t.waitForRoom(); err != nil {
			return err
		}
		start := time.Now()
		var recs []*connect.SourceRecord
		err := safeCall(func() (err error) { recs, err = t.task.Poll(t.pollCtx); return })
		took := int64(time.Since(start))
		t.Metrics.PollNanos.Add(took)
		if err != nil {
			if t.stopping.Load() {
				// The runtime cancelled pollCtx: whatever Poll
				// returns now (context canceled, or a dial that
				// reports "operation was canceled") is the stop.
				return nil
			}
			if connect.IsRetriable(err) {
				// As Kafka's AbstractWorkerSourceTask.poll: a retriable
				// failure is logged and Poll is simply called again.
				t.log.Warn("failed to poll records from the task; will retry", "error", err.Error())
				continue
			}
			return fmt.Errorf("poll: %w", err)
		}
		if len(recs) == 0 {
			continue
		}
		t.Metrics.Polls.Add(1)
		t.Metrics.RecordsPolled.Add(int64(len(recs)))
		t.Metrics.BatchPollNanos.Add(took)
		storeMax(&t.Metrics.BatchPollMaxNanos, took)
		storeMax(&t.Metrics.BatchSizeMax, int64(len(recs)))
		for _, rec := range recs {
			if err := t.send(rec); err != nil {
				return err
			}
		}
	}
	return nil
}

// waitForRoom blocks while too many records await acknowledgement.
func (t *workerTask) waitForRoom() error {
	for t.tracker.pending() >= maxInFlight {
		if e := t.sendFailure.Load(); e != nil {
			return *e
		}
		if t.stopping.Load() {
			return nil
		}
		select {
		case <-t.tracker.notify:
		case <-t.wake:
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// send transforms, converts and produces one record.
func (t *workerTask) send(orig *connect.SourceRecord) error {
	sr, err := t.tracker.submit(orig.SourcePartition, offsetOf(orig))
	if err != nil {
		return fmt.Errorf("record for topic %s: %w", orig.Topic, err)
	}
	rec := orig
	for i := range t.chain {
		st := &t.chain[i]
		if st.pred != nil && st.pred.Test(rec) == st.negate {
			continue
		}
		in := rec
		err := t.ops.run(t.pollCtx, stageTransformation, in, func() error {
			out, err := st.t.Apply(in)
			rec = out
			return err
		})
		if err == errSkip {
			rec = nil
		} else if err != nil {
			return fmt.Errorf("transform %s: %w", st.alias, err)
		}
		if rec == nil {
			break
		}
	}
	if rec == nil {
		t.Metrics.RecordsFiltered.Add(1)
		t.dropped(orig, sr)
		return nil
	}
	msg, err := t.convert(rec)
	if err == errSkip {
		t.dropped(orig, sr)
		return nil
	}
	if err != nil {
		return err
	}
	sr.rec = t.keepForCommit(orig)
	msg.Opaque = sr
	if err := t.ensureTopic(rec.Topic); err != nil {
		if err == errStopping {
			return nil // unacknowledged, so its offset is not committed
		}
		return err
	}
	if !t.knownTopics[rec.Topic] {
		t.knownTopics[rec.Topic] = true
		t.onTopic(rec.Topic)
	}
	if t.franz != nil {
		ok, err := t.produceFranz(msg, sr)
		if ok {
			t.Metrics.RecordsWritten.Add(1)
			storeMax(&t.Metrics.ActiveMax, int64(t.tracker.pending()))
		}
		return err
	}
	for {
		err := t.producer.Produce(msg, nil)
		if err == nil {
			t.Metrics.RecordsWritten.Add(1)
			storeMax(&t.Metrics.ActiveMax, int64(t.tracker.pending()))
			return nil
		}
		var ke kafka.Error
		if errors.As(err, &ke) && ke.Code() == kafka.ErrQueueFull {
			// Backpressure: wait for deliveries to free the queue.
			if t.stopping.Load() {
				return nil
			}
			if e := t.sendFailure.Load(); e != nil {
				return *e
			}
			select {
			case <-t.tracker.notify:
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		perr := t.ops.run(t.pollCtx, stageProducer, rec, func() error { return err })
		if perr == errSkip {
			t.dropped(orig, sr)
			return nil
		}
		return fmt.Errorf("produce to %s: %w", rec.Topic, perr)
	}
}

func (t *workerTask) keepForCommit(rec *connect.SourceRecord) *connect.SourceRecord {
	if t.recCommitter == nil {
		return nil
	}
	return rec
}

// dropped settles a record that will not be written: its offset may be
// committed once every earlier record of its partition is, so a filter
// that drops records does not stall the connector's progress.
func (t *workerTask) dropped(orig *connect.SourceRecord, sr *submittedRecord) {
	t.tracker.ack(sr)
	if t.recCommitter != nil {
		if err := safeCall(func() error { return t.recCommitter.CommitRecord(orig, nil) }); err != nil {
			t.log.Warn("commitRecord failed", "error", err.Error())
		}
	}
}

func (t *workerTask) convert(rec *connect.SourceRecord) (*kafka.Message, error) {
	// One message is reused for every record: Produce copies what it
	// needs (topic handle, key, value, headers) before it returns, and the
	// delivery report comes back as a new message carrying the Opaque.
	msg := &t.msg
	*msg = kafka.Message{TopicPartition: kafka.TopicPartition{Topic: t.topicPtr(rec.Topic), Partition: kafka.PartitionAny}}
	if rec.Partition != nil {
		msg.TopicPartition.Partition = *rec.Partition
	}
	if rec.Timestamp > 0 {
		msg.Timestamp = time.UnixMilli(rec.Timestamp)
	}
	// The three converter stages run under one panic guard; only a
	// failure goes through the tolerance operator, with the failed call as
	// its stage's first attempt, so errors.retry.* and errors.tolerance
	// behave as if each stage had been wrapped on its own.
	stage := 0
	err := safeCall(func() error {
		for ; stage < len(convertStages); stage++ {
			if err := t.convertStage(stage, rec, msg); err != nil {
				return err
			}
		}
		return nil
	})
	for first := err; first != nil && stage < len(convertStages); stage++ {
		i := stage
		perr := t.ops.run(t.pollCtx, convertStages[i], rec, func() error {
			if first != nil {
				e := first
				first = nil
				return e
			}
			return t.convertStage(i, rec, msg)
		})
		first = nil
		if perr != nil {
			return nil, perr
		}
	}
	// A null key or value the converter wrote as nothing is a null on the
	// wire (a tombstone), which an empty reused buffer must not turn into
	// zero-length bytes.
	if rec.Key == nil && len(msg.Key) == 0 {
		msg.Key = nil
	}
	if rec.Value == nil && len(msg.Value) == 0 {
		msg.Value = nil
	}
	return msg, nil
}

var convertStages = [...]string{stageHeaderConverter, stageKeyConverter, stageValueConverter}

// convertStage runs the header (0), key (1) or value (2) converter of rec
// into msg.
func (t *workerTask) convertStage(i int, rec *connect.SourceRecord, msg *kafka.Message) (err error) {
	topic := rec.Topic
	switch i {
	case 0:
		t.hdrBuf = t.hdrBuf[:0]
		for _, h := range rec.Headers {
			if connect.IsInternalHeader(h.Key) {
				continue // for the key and value converters, which still see it
			}
			b, err := t.hdrConv.FromConnectHeader(topic, h.Key, h.Schema, h.Value)
			if err != nil {
				return fmt.Errorf("header %q: %w", h.Key, err)
			}
			t.hdrBuf = append(t.hdrBuf, kafka.Header{Key: h.Key, Value: b})
		}
		msg.Headers = nil
		if len(t.hdrBuf) > 0 {
			msg.Headers = t.hdrBuf
		}
	case 1:
		if t.keyApp != nil {
			var out []byte
			out, err = t.keyApp.AppendConnectData(t.keyBuf[:0], topic, rec.Headers, rec.KeySchema, rec.Key)
			if out != nil {
				t.keyBuf = out
			}
			msg.Key = out // nil: the converter wrote a null
		} else {
			msg.Key, err = t.keyConv.FromConnectData(topic, rec.Headers, rec.KeySchema, rec.Key)
		}
	default:
		if t.valApp != nil {
			var out []byte
			out, err = t.valApp.AppendConnectData(t.valBuf[:0], topic, rec.Headers, rec.ValueSchema, rec.Value)
			if out != nil {
				t.valBuf = out
			}
			msg.Value = out // nil: the converter wrote a null
		} else {
			msg.Value, err = t.valConv.FromConnectData(topic, rec.Headers, rec.ValueSchema, rec.Value)
		}
	}
	return err
}

// topicPtr returns a shared *string of the topic, for kafka.Message.
func (t *workerTask) topicPtr(topic string) *string {
	if p := t.topicPtrs[topic]; p != nil {
		return p
	}
	if t.topicPtrs == nil || len(t.topicPtrs) > 4096 {
		t.topicPtrs = map[string]*string{}
	}
	// new, not &topic: taking the parameter's address would move it to
	// the heap on every call, hits included.
	p := new(string)
	*p = topic
	t.topicPtrs[topic] = p
	return p
}

// readDeliveries handles delivery reports until the producer is closed.
func (t *workerTask) readDeliveries() {
	for ev := range t.producer.Events() {
		switch e := ev.(type) {
		case *kafka.Message:
			sr, ok := e.Opaque.(*submittedRecord)
			if !ok {
				continue
			}
			t.delivered(sr, topicOf(e), e.TopicPartition.Partition, int64(e.TopicPartition.Offset), e.Timestamp, e.TopicPartition.Error)
		case kafka.Error:
			// Broker connectivity problems are retried by librdkafka.
			if e.IsFatal() {
				ferr := fmt.Errorf("fatal producer error: %w", e)
				t.sendFailure.CompareAndSwap(nil, &ferr)
				t.nudge()
			} else {
				t.log.Debug("producer error", "error", e.Error())
			}
		}
	}
}

func topicOf(m *kafka.Message) string {
	if m.TopicPartition.Topic == nil {
		return ""
	}
	return *m.TopicPartition.Topic
}

// offsetCommitter commits offsets every offset.flush.interval.ms until
// stop is closed. It is the only caller of commitOffsets while the loop
// runs; run commits once more after it ended.
func (t *workerTask) offsetCommitter(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	flush := time.NewTicker(t.w.cfg.OffsetFlushInterval)
	defer flush.Stop()
	for {
		select {
		case <-stop:
			return
		case <-flush.C:
			t.commitOffsets()
		}
	}
}

// commitOffsets writes the offsets of acknowledged records and tells the
// task (Kafka Connect's commitOffsets).
func (t *workerTask) commitOffsets() {
	for _, e := range t.tracker.committable() {
		k, err := offsets.EncodeKey("", e.Partition)
		if err != nil {
			continue // submit rejected such partitions already
		}
		t.unwritten[string(k)] = e
	}
	if len(t.unwritten) > 0 {
		batch := make([]offsets.Entry, 0, len(t.unwritten))
		for _, e := range t.unwritten {
			batch = append(batch, e)
		}
		ctx, cancel := context.WithTimeout(context.Background(), t.w.cfg.OffsetFlushTimeout)
		start := time.Now()
		err := t.store.Set(ctx, t.id.Connector, batch)
		took := int64(time.Since(start))
		cancel()
		if err == nil {
			t.Metrics.CommitNanos.Add(took)
			storeMax(&t.Metrics.CommitMaxNanos, took)
		}
		if err != nil {
			t.Metrics.OffsetCommitErrors.Add(1)
			t.log.Error("offset commit failed; will retry at the next flush", "error", err.Error())
			return
		}
		clear(t.unwritten)
		t.Metrics.OffsetCommits.Add(1)
	}
	if oc, ok := t.task.(connect.OffsetCommitter); ok {
		if err := safeCall(oc.Commit); err != nil {
			t.log.Warn("task commit callback failed", "error", err.Error())
		}
	}
}

// failUnlessStopping fails the task with err, unless the runtime has asked
// it to stop (a stop, restart or revocation): then pollCtx is cancelled and
// a start or poll that ends in error ended because of that, so publishing
// FAILED would report Sluice's own cancellation as a failure - with a
// trace such as "cannot connect (check database.hostname)" - for a task a
// newer instance may already replace. Kafka's WorkerTask logs such an
// error instead of failing the task, and so does this. The stopping flag,
// not the error's type, decides: a connector may wrap a cancellation in
// an error that no longer says so, and a real error while not stopping
// must still fail the task whatever it wraps.
func (t *workerTask) failUnlessStopping(err error) {
	if t.stopping.Load() {
		t.log.Info("task stopped while it was starting or running; not a failure", "reason", err.Error())
		return
	}
	t.fail(err)
}

func (t *workerTask) fail(err error) {
	t.Metrics.Failures.Add(1)
	t.log.Error("task failed", "error", err.Error())
	t.onState(StateFailed, err)
}

func (t *workerTask) cleanup() {
	for _, st := range t.chain {
		_ = safeCall(st.t.Close)
		if st.pred != nil {
			_ = safeCall(st.pred.Close)
		}
	}
	if t.admin != nil {
		t.admin.Close()
	}
	if t.producer != nil {
		t.producer.Close()
		trimMalloc()
	}
	if t.franz != nil {
		t.franz.close()
	}
}

func (t *workerTask) nudge() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// setPaused pauses or resumes polling; offsets keep being committed.
func (t *workerTask) setPaused(p bool) {
	t.paused.Store(p)
	t.nudge()
}

// stop asks the task to stop; awaitStop waits for it.
func (t *workerTask) stop() {
	t.stopOnce.Do(func() {
		t.w.unregister(t)
		t.stopping.Store(true)
		t.cancelPoll()
		t.nudge()
		if t.started.Load() {
			t.stopTask()
		}
	})
}

// awaitStop waits up to timeout for the task goroutine to finish.
func (t *workerTask) awaitStop(timeout time.Duration) bool {
	select {
	case <-t.done:
		return true
	case <-time.After(timeout):
		t.log.Error("task did not stop within task.shutdown.graceful.timeout.ms; abandoning it", "timeout", timeout)
		return false
	}
}
