package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/offsets"
	"github.com/sluicehq/sluice/rest"
)

// StandaloneHerder runs connectors in this process only, as Kafka Connect's
// standalone mode does: connector configs live in memory (given on the
// command line or through REST) and are not persisted; offsets are, in the
// worker's offset store. It implements rest.Herder.
type StandaloneHerder struct {
	w   *Worker
	log *slog.Logger

	// opMu serialises lifecycle operations (create, update, pause, restart,
	// delete...), which may block on connector and task code; mu guards
	// the state they and the tasks' status reports change.
	opMu  sync.Mutex
	mu    sync.RWMutex
	conns map[string]*connEntry

	reconfig chan string
	bgCancel context.CancelFunc
	bg       sync.WaitGroup

	clusterMu sync.Mutex
	clusterID string
	closed    bool
}

type stateTrace struct {
	state string
	trace string
}

type connEntry struct {
	name        string
	config      map[string]string
	cc          *ConnectorConfig
	target      rest.TargetState
	taskConfigs []map[string]string
	instance    connect.SourceConnector
	connState   stateTrace
	tasks       map[int]*workerTask
	taskStates  map[int]stateTrace
	topics      map[string]bool
}

var _ rest.Herder = (*StandaloneHerder)(nil)

// NewStandaloneHerder returns a herder for w and starts its background
// goroutine; call Stop to stop every connector and task.
func NewStandaloneHerder(w *Worker) *StandaloneHerder {
	h := &StandaloneHerder{w: w, log: w.log, conns: map[string]*connEntry{}, reconfig: make(chan string, 64)}
	ctx, cancel := context.WithCancel(context.Background())
	h.bgCancel = cancel
	h.bg.Add(1)
	go func() {
		defer h.bg.Done()
		h.reconfigLoop(ctx)
	}()
	return h
}

// Worker returns the worker the herder runs connectors on.
func (h *StandaloneHerder) Worker() *Worker { return h.w }

// Stop stops every connector and task, waiting up to
// task.shutdown.graceful.timeout.ms for tasks, and ends the herder.
func (h *StandaloneHerder) Stop(ctx context.Context) {
	h.opMu.Lock()
	defer h.opMu.Unlock()
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	entries := slices.Collect(maps.Values(h.conns))
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, e := range entries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.stopTasks(e)
			h.stopInstance(e)
		}()
	}
	wg.Wait()
	h.bgCancel()
	h.bg.Wait()
}

func (h *StandaloneHerder) WorkerID() string { return h.w.ID() }

// KafkaClusterID asks the brokers once and remembers the answer.
func (h *StandaloneHerder) KafkaClusterID(ctx context.Context) string {
	h.clusterMu.Lock()
	defer h.clusterMu.Unlock()
	if h.clusterID != "" {
		return h.clusterID
	}
	a, err := kafka.NewAdminClient(&kafka.ConfigMap{"bootstrap.servers": h.w.cfg.BootstrapServers, "log.connection.close": false, "enable.metrics.push": false})
	if err != nil {
		return ""
	}
	defer a.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	id, err := a.ClusterID(ctx)
	if err != nil {
		h.log.Warn("could not read the Kafka cluster id", "error", err.Error())
		return ""
	}
	h.clusterID = id
	return id
}

func notFound(name string) error { return rest.NotFound(fmt.Sprintf("Connector %s not found", name)) }

func (h *StandaloneHerder) entry(name string) (*connEntry, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	e, ok := h.conns[name]
	return e, ok
}

func (h *StandaloneHerder) Connectors(ctx context.Context) ([]string, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return slices.Sorted(maps.Keys(h.conns)), nil
}

func (h *StandaloneHerder) ConnectorInfo(ctx context.Context, name string) (rest.ConnectorInfo, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	e, ok := h.conns[name]
	if !ok {
		return rest.ConnectorInfo{}, notFound(name)
	}
	return infoOf(e), nil
}

func infoOf(e *connEntry) rest.ConnectorInfo {
	tasks := make([]rest.TaskID, len(e.taskConfigs))
	for i := range tasks {
		tasks[i] = rest.TaskID{Connector: e.name, Task: i}
	}
	return rest.ConnectorInfo{Name: e.name, Config: maps.Clone(e.config), Tasks: tasks, Type: "source"}
}

func (h *StandaloneHerder) ConnectorConfig(ctx context.Context, name string) (map[string]string, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	e, ok := h.conns[name]
	if !ok {
		return nil, notFound(name)
	}
	return maps.Clone(e.config), nil
}

func (h *StandaloneHerder) PutConnectorConfig(ctx context.Context, name string, config map[string]string, allowReplace bool, initial rest.TargetState) (rest.ConnectorInfo, bool, error) {
	h.opMu.Lock()
	defer h.opMu.Unlock()
	return h.putLocked(ctx, name, config, allowReplace, initial)
}

func (h *StandaloneHerder) putLocked(ctx context.Context, name string, config map[string]string, allowReplace bool, initial rest.TargetState) (rest.ConnectorInfo, bool, error) {
	config = maps.Clone(config)
	if _, ok := config[ConnName]; !ok {
		config[ConnName] = name
	}
	h.mu.RLock()
	existing, exists := h.conns[name]
	closed := h.closed
	h.mu.RUnlock()
	if closed {
		return rest.ConnectorInfo{}, false, fmt.Errorf("the worker is shutting down")
	}
	if exists && !allowReplace {
		return rest.ConnectorInfo{}, false, rest.Conflict(fmt.Sprintf("Connector %s already exists", name))
	}
	if exists {
		ctx = connect.WithStoredConfig(ctx, existing.config)
	} else if prior, err := h.w.store.List(ctx, name); err == nil && len(prior) > 0 {
		// A standalone worker keeps no connector configs across restarts,
		// but offsets of this name show the connector ran here before: a
		// worker restarted right after a crash then meets its own earlier
		// task (a binlog reader the server has not yet dropped) and must
		// not take it for another connector's.
		ctx = connect.WithStoredConfig(ctx, config)
	}
	v, err := h.w.validate(ctx, config)
	if err != nil {
		return rest.ConnectorInfo{}, false, err
	}
	if v.infos.ErrorCount > 0 {
		return rest.ConnectorInfo{}, false, invalidConfigError(v, config[ConnClass])
	}
	cc, err := ParseConnectorConfig(config)
	if err != nil {
		return rest.ConnectorInfo{}, false, rest.BadRequest(err.Error())
	}
	if exists {
		h.log.Info("reconfiguring connector", "connector", name, "config", loggableConfig(config))
		h.stopTasks(existing)
		h.stopInstance(existing)
		h.mu.Lock()
		existing.config, existing.cc = config, cc
		prevTasks := existing.taskConfigs
		existing.taskConfigs = nil
		h.mu.Unlock()
		if existing.target == rest.TargetPaused {
			// The paused connector's task configs come from the new
			// config now (GET …/tasks shows them at once) and its tasks,
			// still paused, run on them, so a resume never starts tasks
			// on the config the user just replaced. Kafka Connect leaves
			// them alone until the resume and then briefly runs the
			// resumed tasks on the replaced configs.
			// If they cannot be generated now, the paused tasks keep their
			// configs and the resume generates them (as a cluster does).
			cfgs, err := h.generateTaskConfigs(existing)
			if err != nil {
				h.log.Warn("could not generate the paused connector's task configs from its new config; its tasks keep their current configs until it resumes",
					"connector", name, "error", err.Error())
				cfgs = prevTasks
			}
			h.mu.Lock()
			existing.taskConfigs = cfgs
			h.mu.Unlock()
		}
		h.applyTarget(existing)
		h.mu.RLock()
		defer h.mu.RUnlock()
		return infoOf(existing), false, nil
	}
	target := initial
	if target == "" {
		target = rest.TargetStarted
	}
	e := &connEntry{name: name, config: config, cc: cc, target: target,
		tasks: map[int]*workerTask{}, taskStates: map[int]stateTrace{}, topics: map[string]bool{},
		connState: stateTrace{state: StateUnassigned}}
	h.mu.Lock()
	h.conns[name] = e
	h.mu.Unlock()
	h.log.Info("creating connector", "connector", name, "class", cc.Class, "target_state", string(target), "config", loggableConfig(config))
	h.applyTarget(e)
	h.mu.RLock()
	defer h.mu.RUnlock()
	return infoOf(e), true, nil
}

// applyTarget brings a connector with no running tasks to its target
// state; a paused one starts the tasks of its task configs, paused.
func (h *StandaloneHerder) applyTarget(e *connEntry) {
	switch e.target {
	case rest.TargetStopped:
		h.setConnState(e, StateStopped, nil)
	case rest.TargetPaused:
		h.setConnState(e, StatePaused, nil)
		h.mu.RLock()
		n := len(e.taskConfigs)
		h.mu.RUnlock()
		for i := range n {
			h.startTask(e, i)
		}
	default:
		if h.startInstance(e) {
			h.updateTasks(e, true)
		}
	}
}

func (h *StandaloneHerder) setConnState(e *connEntry, state string, err error) {
	h.mu.Lock()
	e.connState = stateTrace{state: state, trace: trace(err)}
	h.mu.Unlock()
	if err != nil {
		h.log.Error("connector failed", "connector", e.name, "error", err.Error())
	}
}

// connectorContext is the ConnectorContext handed to a connector.
type connectorContext struct {
	h    *StandaloneHerder
	e    *connEntry
	inst connect.SourceConnector
}

func (c connectorContext) RequestTaskReconfiguration() {
	select {
	case c.h.reconfig <- c.e.name:
	default:
		c.h.log.Warn("task reconfiguration request dropped: too many pending", "connector", c.e.name)
	}
}

func (c connectorContext) RaiseError(err error) {
	c.h.mu.Lock()
	current := c.e.instance == c.inst
	c.h.mu.Unlock()
	if current {
		c.h.setConnState(c.e, StateFailed, err)
	}
}

func (c connectorContext) OffsetStorageReader() connect.OffsetStorageReader {
	return offsetReader{store: c.h.w.store, connector: c.e.name}
}

// Logger implements connect.ContextLogger.
func (c connectorContext) Logger() *slog.Logger { return c.h.w.ConnectorLogger(c.e.name) }

// startInstance starts the Connector instance; it reports whether it runs.
func (h *StandaloneHerder) startInstance(e *connEntry) bool {
	conn, _, err := connect.NewSourceConnector(e.cc.Class)
	if err != nil {
		h.setConnState(e, StateFailed, err)
		return false
	}
	// Variables are resolved at every start, so a restart picks up a
	// rotated secret.
	props, err := h.w.ResolveConfig(maps.Clone(e.config))
	if err != nil {
		h.w.ConnectorStarted(e.name, false)
		h.setConnState(e, StateFailed, fmt.Errorf("connector start: %w", err))
		return false
	}
	cctx := connectorContext{h: h, e: e, inst: conn}
	h.mu.Lock()
	e.instance = conn
	h.mu.Unlock()
	if err := safeCall(func() error { return conn.Start(context.Background(), cctx, props) }); err != nil {
		h.mu.Lock()
		e.instance = nil
		h.mu.Unlock()
		h.w.ConnectorStarted(e.name, false)
		h.setConnState(e, StateFailed, fmt.Errorf("connector start: %w", err))
		return false
	}
	h.w.ConnectorStarted(e.name, true)
	h.setConnState(e, StateRunning, nil)
	return true
}

func (h *StandaloneHerder) stopInstance(e *connEntry) {
	h.mu.Lock()
	inst := e.instance
	e.instance = nil
	h.mu.Unlock()
	if inst == nil {
		return
	}
	h.w.ConnectorStopped(e.name)
	if err := safeCall(inst.Stop); err != nil {
		h.log.Warn("connector stop failed", "connector", e.name, "error", err.Error())
	}
}

// generateTaskConfigs asks a Connector instance started for the purpose
// for the task configs of e's current config, for a connector whose own
// instance does not run (paused); the instance is stopped again.
func (h *StandaloneHerder) generateTaskConfigs(e *connEntry) ([]map[string]string, error) {
	conn, _, err := connect.NewSourceConnector(e.cc.Class)
	if err != nil {
		return nil, err
	}
	props, err := h.w.ResolveConfig(maps.Clone(e.config))
	if err != nil {
		return nil, fmt.Errorf("connector start: %w", err)
	}
	if err := safeCall(func() error {
		return conn.Start(context.Background(), connectorContext{h: h, e: e, inst: conn}, props)
	}); err != nil {
		return nil, fmt.Errorf("connector start: %w", err)
	}
	defer func() {
		if err := safeCall(conn.Stop); err != nil {
			h.log.Warn("connector stop failed", "connector", e.name, "error", err.Error())
		}
	}()
	var cfgs []map[string]string
	if err := safeCall(func() (err error) { cfgs, err = conn.TaskConfigs(e.cc.TasksMax); return }); err != nil {
		return nil, fmt.Errorf("task configs: %w", err)
	}
	cfgs = WithTaskClass(e.cc.Class, reverseTransform(e.config, cfgs))
	if len(cfgs) > e.cc.TasksMax && e.cc.TasksMaxEnforce {
		return nil, tooManyTasksError(e, len(cfgs))
	}
	return cfgs, nil
}

func tooManyTasksError(e *connEntry, n int) error {
	return fmt.Errorf("The connector %s has generated %d tasks, which is greater than %d, the maximum number of tasks it is configured to create. This behaviour should be considered a bug and is disallowed. If necessary, it can be permitted by reconfiguring the connector with '%s' set to false; however, this option will be removed in a future release of Kafka Connect.", e.name, n, e.cc.TasksMax, ConnTasksMaxEnforce)
}

// updateTasks regenerates task configs from the running connector and
// restarts the tasks when they changed (or force is set and none run).
func (h *StandaloneHerder) updateTasks(e *connEntry, force bool) {
	h.mu.RLock()
	inst := e.instance
	h.mu.RUnlock()
	if inst == nil {
		return
	}
	var cfgs []map[string]string
	if err := safeCall(func() (err error) { cfgs, err = inst.TaskConfigs(e.cc.TasksMax); return }); err != nil {
		h.setConnState(e, StateFailed, fmt.Errorf("task configs: %w", err))
		return
	}
	cfgs = WithTaskClass(e.cc.Class, reverseTransform(e.config, cfgs))
	if len(cfgs) > e.cc.TasksMax && e.cc.TasksMaxEnforce {
		h.stopTasks(e)
		h.stopInstance(e)
		h.setConnState(e, StateFailed, tooManyTasksError(e, len(cfgs)))
		return
	}
	h.mu.RLock()
	same := slices.EqualFunc(cfgs, e.taskConfigs, maps.Equal) && len(e.tasks) == len(cfgs)
	h.mu.RUnlock()
	if same && !force {
		return
	}
	h.stopTasks(e)
	h.mu.Lock()
	e.taskConfigs = cfgs
	h.mu.Unlock()
	for i := range cfgs {
		h.startTask(e, i)
	}
}

func (h *StandaloneHerder) startTask(e *connEntry, i int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if i >= len(e.taskConfigs) {
		return
	}
	id := rest.TaskID{Connector: e.name, Task: i}
	var t *workerTask
	onState := func(state string, err error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if e.tasks[i] == t {
			e.taskStates[i] = stateTrace{state: state, trace: trace(err)}
		}
	}
	onTopic := func(topic string) {
		h.mu.Lock()
		e.topics[topic] = true
		h.mu.Unlock()
	}
	t = newWorkerTask(h.w, id, e.cc, maps.Clone(e.taskConfigs[i]), onState, onTopic)
	if e.target == rest.TargetPaused {
		t.paused.Store(true)
	}
	e.tasks[i] = t
	e.taskStates[i] = stateTrace{state: StateUnassigned}
	go t.run()
}

// stopTasks stops every task of a connector, in parallel, each within the
// graceful shutdown timeout.
func (h *StandaloneHerder) stopTasks(e *connEntry) {
	h.mu.Lock()
	tasks := slices.Collect(maps.Values(e.tasks))
	e.tasks = map[int]*workerTask{}
	e.taskStates = map[int]stateTrace{}
	h.mu.Unlock()
	h.awaitTasks(tasks)
}

func (h *StandaloneHerder) awaitTasks(tasks []*workerTask) {
	for _, t := range tasks {
		t.stop()
	}
	var wg sync.WaitGroup
	for _, t := range tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.awaitStop(h.w.cfg.TaskShutdownTimeout + h.w.cfg.OffsetFlushTimeout)
		}()
	}
	wg.Wait()
}

func (h *StandaloneHerder) reconfigLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case name := <-h.reconfig:
			h.opMu.Lock()
			if e, ok := h.entry(name); ok && e.target == rest.TargetStarted {
				h.updateTasks(e, false)
			}
			h.opMu.Unlock()
		}
	}
}

func (h *StandaloneHerder) PatchConnectorConfig(ctx context.Context, name string, patch map[string]*string) (rest.ConnectorInfo, error) {
	h.opMu.Lock()
	defer h.opMu.Unlock()
	e, ok := h.entry(name)
	if !ok {
		return rest.ConnectorInfo{}, notFound(name)
	}
	h.mu.RLock()
	cfg := maps.Clone(e.config)
	h.mu.RUnlock()
	for k, v := range patch {
		if v == nil {
			delete(cfg, k)
		} else {
			cfg[k] = *v
		}
	}
	info, _, err := h.putLocked(ctx, name, cfg, true, "")
	return info, err
}

func (h *StandaloneHerder) DeleteConnector(ctx context.Context, name string) error {
	h.opMu.Lock()
	defer h.opMu.Unlock()
	e, ok := h.entry(name)
	if !ok {
		return notFound(name)
	}
	h.stopTasks(e)
	h.stopInstance(e)
	h.mu.Lock()
	delete(h.conns, name)
	h.mu.Unlock()
	h.log.Info("deleted connector", "connector", name)
	return nil
}

func (h *StandaloneHerder) ConnectorStatus(ctx context.Context, name string) (rest.ConnectorStateInfo, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	e, ok := h.conns[name]
	if !ok {
		return rest.ConnectorStateInfo{}, rest.NotFound(fmt.Sprintf("No status found for connector %s", name))
	}
	return h.statusOf(e), nil
}

func (h *StandaloneHerder) statusOf(e *connEntry) rest.ConnectorStateInfo {
	st := rest.ConnectorStateInfo{
		Name:      e.name,
		Connector: rest.State{State: e.connState.state, WorkerID: h.w.ID(), Trace: e.connState.trace},
		Tasks:     []rest.TaskState{},
		Type:      "source",
	}
	for _, i := range slices.Sorted(maps.Keys(e.taskStates)) {
		ts := e.taskStates[i]
		st.Tasks = append(st.Tasks, rest.TaskState{ID: i, State: ts.state, WorkerID: h.w.ID(), Trace: ts.trace})
	}
	return st
}

func (h *StandaloneHerder) TaskStatus(ctx context.Context, id rest.TaskID) (rest.TaskState, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if e, ok := h.conns[id.Connector]; ok {
		if ts, ok := e.taskStates[id.Task]; ok {
			return rest.TaskState{ID: id.Task, State: ts.state, WorkerID: h.w.ID(), Trace: ts.trace}, nil
		}
	}
	return rest.TaskState{}, rest.NotFound(fmt.Sprintf("No status found for task %s-%d", id.Connector, id.Task))
}

func (h *StandaloneHerder) TaskConfigs(ctx context.Context, name string) ([]rest.TaskInfo, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	e, ok := h.conns[name]
	if !ok {
		return nil, notFound(name)
	}
	out := make([]rest.TaskInfo, len(e.taskConfigs))
	for i, c := range e.taskConfigs {
		out[i] = rest.TaskInfo{ID: rest.TaskID{Connector: name, Task: i}, Config: maps.Clone(c)}
	}
	return out, nil
}

func (h *StandaloneHerder) RestartConnector(ctx context.Context, name string, req rest.RestartRequest) (*rest.ConnectorStateInfo, error) {
	h.opMu.Lock()
	defer h.opMu.Unlock()
	e, ok := h.entry(name)
	if !ok {
		return nil, notFound(name)
	}
	if !req.IncludeTasks && !req.OnlyFailed {
		h.restartInstance(e)
		return nil, nil
	}
	h.mu.RLock()
	plan := h.statusOf(e)
	h.mu.RUnlock()
	restartConn := !req.OnlyFailed || plan.Connector.State == StateFailed
	if restartConn {
		plan.Connector.State = StateRestarting
	}
	var restartTasks []int
	for i, ts := range plan.Tasks {
		if req.IncludeTasks && (!req.OnlyFailed || ts.State == StateFailed) {
			plan.Tasks[i].State = StateRestarting
			plan.Tasks[i].Trace = ""
			restartTasks = append(restartTasks, ts.ID)
		}
	}
	if restartConn {
		plan.Connector.Trace = ""
		h.restartInstance(e)
	}
	for _, i := range restartTasks {
		h.restartTaskLocked(e, i)
	}
	return &plan, nil
}

// restartInstance stops and starts the Connector instance, then refreshes
// its tasks (restarting them only if their configs changed).
func (h *StandaloneHerder) restartInstance(e *connEntry) {
	h.stopInstance(e)
	switch e.target {
	case rest.TargetStarted:
		if h.startInstance(e) {
			h.updateTasks(e, false)
		}
	case rest.TargetPaused:
		h.setConnState(e, StatePaused, nil)
	case rest.TargetStopped:
		h.setConnState(e, StateStopped, nil)
	}
}

func (h *StandaloneHerder) RestartTask(ctx context.Context, id rest.TaskID) error {
	h.opMu.Lock()
	defer h.opMu.Unlock()
	e, ok := h.entry(id.Connector)
	if !ok {
		return notFound(id.Connector)
	}
	h.mu.RLock()
	n := len(e.taskConfigs)
	h.mu.RUnlock()
	if id.Task < 0 || id.Task >= n {
		return rest.NotFound(fmt.Sprintf("Task %s-%d not found", id.Connector, id.Task))
	}
	h.restartTaskLocked(e, id.Task)
	return nil
}

func (h *StandaloneHerder) restartTaskLocked(e *connEntry, i int) {
	h.mu.Lock()
	old := e.tasks[i]
	delete(e.tasks, i)
	h.mu.Unlock()
	if old != nil {
		h.awaitTasks([]*workerTask{old})
	}
	h.startTask(e, i)
}

func (h *StandaloneHerder) PauseConnector(ctx context.Context, name string) error {
	h.opMu.Lock()
	defer h.opMu.Unlock()
	e, ok := h.entry(name)
	if !ok {
		return notFound(name)
	}
	if e.target == rest.TargetPaused {
		return nil
	}
	if e.target == rest.TargetStopped {
		// Kafka Connect pauses a stopped connector without starting tasks.
		h.mu.Lock()
		e.target = rest.TargetPaused
		h.mu.Unlock()
		h.setConnState(e, StatePaused, nil)
		return nil
	}
	h.mu.Lock()
	e.target = rest.TargetPaused
	tasks := slices.Collect(maps.Values(e.tasks))
	h.mu.Unlock()
	h.stopInstance(e)
	h.setConnState(e, StatePaused, nil)
	for _, t := range tasks {
		t.setPaused(true)
	}
	return nil
}

func (h *StandaloneHerder) ResumeConnector(ctx context.Context, name string) error {
	h.opMu.Lock()
	defer h.opMu.Unlock()
	e, ok := h.entry(name)
	if !ok {
		return notFound(name)
	}
	if e.target == rest.TargetStarted {
		return nil
	}
	h.mu.Lock()
	e.target = rest.TargetStarted
	tasks := slices.Collect(maps.Values(e.tasks))
	h.mu.Unlock()
	for _, t := range tasks {
		t.setPaused(false)
	}
	if h.startInstance(e) {
		h.updateTasks(e, len(tasks) == 0)
	}
	return nil
}

func (h *StandaloneHerder) StopConnector(ctx context.Context, name string) error {
	h.opMu.Lock()
	defer h.opMu.Unlock()
	e, ok := h.entry(name)
	if !ok {
		return notFound(name)
	}
	h.stopTasks(e)
	h.stopInstance(e)
	h.mu.Lock()
	e.target = rest.TargetStopped
	e.taskConfigs = nil
	h.mu.Unlock()
	h.setConnState(e, StateStopped, nil)
	return nil
}

func (h *StandaloneHerder) ConnectorTopics(ctx context.Context, name string) ([]string, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	e, ok := h.conns[name]
	if !ok {
		return []string{}, nil
	}
	return slices.Sorted(maps.Keys(e.topics)), nil
}

func (h *StandaloneHerder) ResetConnectorTopics(ctx context.Context, name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if e, ok := h.conns[name]; ok {
		e.topics = map[string]bool{}
	}
	return nil
}

func (h *StandaloneHerder) ConnectorOffsets(ctx context.Context, name string) ([]rest.ConnectorOffset, error) {
	if _, ok := h.entry(name); !ok {
		return nil, notFound(name)
	}
	entries, err := h.w.store.List(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("read offsets of connector %s: %w", name, err)
	}
	out := make([]rest.ConnectorOffset, len(entries))
	for i, e := range entries {
		out[i] = rest.ConnectorOffset{Partition: e.Partition, Offset: e.Offset}
	}
	return out, nil
}

func stoppedRequired(name string) error {
	return rest.BadRequest(fmt.Sprintf("Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/%s/stop' endpoint", name))
}

const (
	msgAlteredByConnector = "The offsets for this connector have been altered successfully"
	msgResetByConnector   = "The offsets for this connector have been reset successfully"
	msgAlteredFramework   = "The Connect framework-managed offsets for this connector have been altered successfully. However, if this connector manages offsets externally, they will need to be manually altered in the system that the connector uses."
	msgResetFramework     = "The Connect framework-managed offsets for this connector have been reset successfully. However, if this connector manages offsets externally, they will need to be manually reset in the system that the connector uses."
)

// AlterOffsetEntries checks and normalises the body of PATCH
// /connectors/{c}/offsets as Kafka Connect does (its messages included): both
// herders call it before handing the entries to the connector and the store.
func AlterOffsetEntries(offs []rest.ConnectorOffset) ([]offsets.Entry, error) {
	if len(offs) == 0 {
		return nil, rest.BadRequest("Partitions / offsets need to be provided for an alter offsets request")
	}
	entries := make([]offsets.Entry, 0, len(offs))
	for _, o := range offs {
		if o.Partition == nil {
			return nil, rest.BadRequest("Source partitions may not be null")
		}
		p, err := offsets.Normalize(o.Partition)
		if err != nil {
			return nil, rest.BadRequest(fmt.Sprintf("Invalid source partition %v: %v", o.Partition, err))
		}
		off, err := offsets.Normalize(o.Offset)
		if err != nil {
			return nil, rest.BadRequest(fmt.Sprintf("Invalid source offset for partition %v: %v", o.Partition, err))
		}
		entries = append(entries, offsets.Entry{Partition: p, Offset: off})
	}
	return entries, nil
}

func (h *StandaloneHerder) AlterConnectorOffsets(ctx context.Context, name string, offs []rest.ConnectorOffset) (string, error) {
	h.opMu.Lock()
	defer h.opMu.Unlock()
	e, err := h.stoppedEntry(name)
	if err != nil {
		return "", err
	}
	entries, err := AlterOffsetEntries(offs)
	if err != nil {
		return "", err
	}
	managed, err := h.callAlterer(e, entries)
	if err != nil {
		return "", err
	}
	if err := h.w.store.Set(ctx, name, entries); err != nil {
		return "", fmt.Errorf("write offsets of connector %s: %w", name, err)
	}
	if managed {
		return msgAlteredByConnector, nil
	}
	return msgAlteredFramework, nil
}

func (h *StandaloneHerder) ResetConnectorOffsets(ctx context.Context, name string) (string, error) {
	h.opMu.Lock()
	defer h.opMu.Unlock()
	e, err := h.stoppedEntry(name)
	if err != nil {
		return "", err
	}
	current, err := h.w.store.List(ctx, name)
	if err != nil {
		return "", fmt.Errorf("read offsets of connector %s: %w", name, err)
	}
	tomb := make([]offsets.Entry, len(current))
	for i, c := range current {
		tomb[i] = offsets.Entry{Partition: c.Partition}
	}
	managed, err := h.callAlterer(e, tomb)
	if err != nil {
		return "", err
	}
	if err := h.w.store.Delete(ctx, name); err != nil {
		return "", fmt.Errorf("reset offsets of connector %s: %w", name, err)
	}
	if managed {
		return msgResetByConnector, nil
	}
	return msgResetFramework, nil
}

func (h *StandaloneHerder) stoppedEntry(name string) (*connEntry, error) {
	e, ok := h.entry(name)
	if !ok {
		return nil, notFound(name)
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	if e.target != rest.TargetStopped || len(e.tasks) > 0 {
		return nil, stoppedRequired(name)
	}
	return e, nil
}

// callAlterer lets a connector that implements connect.OffsetAlterer check
// or apply the change; offsets are keyed by the partition's JSON.
func (h *StandaloneHerder) callAlterer(e *connEntry, entries []offsets.Entry) (bool, error) {
	conn, _, err := connect.NewSourceConnector(e.cc.Class)
	if err != nil {
		return false, err
	}
	alt, ok := conn.(connect.OffsetAlterer)
	if !ok {
		return false, nil
	}
	m := make(map[string]map[string]any, len(entries))
	for _, en := range entries {
		k, err := offsets.EncodeValue(en.Partition)
		if err != nil {
			return false, rest.BadRequest(err.Error())
		}
		m[string(k)] = en.Offset
	}
	var managed bool
	err = safeCall(func() (err error) { managed, err = alt.AlterOffsets(maps.Clone(e.config), m); return })
	if err != nil {
		return false, rest.BadRequest(fmt.Sprintf("Failed to alter offsets for connector %s: %v", e.name, err))
	}
	return managed, nil
}

func (h *StandaloneHerder) PluginConfig(ctx context.Context, plugin, version string) ([]rest.ConfigKeyInfo, error) {
	return pluginConfig(plugin, version)
}

func (h *StandaloneHerder) ValidateConfig(ctx context.Context, config map[string]string) (rest.ConfigInfos, error) {
	// A config named after an existing connector is validated as its
	// reconfiguration (what PUT …/config would check).
	h.mu.RLock()
	if e, ok := h.conns[config[ConnName]]; ok {
		ctx = connect.WithStoredConfig(ctx, e.config)
	}
	h.mu.RUnlock()
	v, err := h.w.validate(ctx, config)
	if err != nil {
		return rest.ConfigInfos{}, err
	}
	return v.infos, nil
}

// Health answers GET /health.
func (h *StandaloneHerder) Health(ctx context.Context) rest.WorkerHealth {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed {
		return rest.WorkerHealth{Status: rest.HealthUnhealthy, Message: "Worker is shutting down."}
	}
	return rest.WorkerHealth{Status: rest.HealthHealthy, Message: "Worker has completed startup and is ready to handle requests."}
}

// TaskMetrics returns the counters of a running task, for /metrics.
func (h *StandaloneHerder) TaskMetrics(id rest.TaskID) (*TaskMetrics, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if e, ok := h.conns[id.Connector]; ok {
		if t, ok := e.tasks[id.Task]; ok {
			return &t.Metrics, true
		}
	}
	return nil, false
}
