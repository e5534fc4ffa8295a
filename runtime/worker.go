package runtime

import (
	"log/slog"
	"maps"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/offsets"
)

// Worker holds what every connector and task of this process shares: the
// worker config, the offset store and the logger.
type Worker struct {
	cfg   *WorkerConfig
	store offsets.Store
	log   *slog.Logger
	// id is the worker id (advertised host:port); fixedID is set when
	// WorkerOptions gave it, so ListenersBound keeps it.
	id      atomic.Pointer[string]
	fixedID bool

	// tasks are the tasks created on this worker and not yet stopped,
	// connectors the connector instances running here: what /metrics
	// reports on.
	tasksMu    sync.Mutex
	tasks      map[*workerTask]struct{}
	connectors map[string]bool
	startups   startupCounters

	metricsOnce    sync.Once
	metricsHandler http.Handler
}

type startupCounters struct {
	connOK, connFailed, taskOK, taskFailed atomic.Int64
}

// WorkerOptions configure NewWorker.
type WorkerOptions struct {
	// WorkerID is the host:port shown in status; "" derives it from the
	// advertised REST settings.
	WorkerID string
	// Logger; nil uses slog.Default().
	Logger *slog.Logger
}

// NewWorker returns a worker that keeps source offsets in store. The
// caller owns store and closes it after the herder stopped.
func NewWorker(cfg *WorkerConfig, store offsets.Store, opts WorkerOptions) *Worker {
	w := &Worker{cfg: cfg, store: store, log: opts.Logger, fixedID: opts.WorkerID != "",
		tasks: map[*workerTask]struct{}{}, connectors: map[string]bool{}}
	if w.log == nil {
		w.log = slog.Default()
	}
	w.log = slog.New(RedactingHandler(w.log.Handler()))
	id := opts.WorkerID
	if id == "" {
		id = cfg.AdvertisedHostPort(hostname())
	}
	w.id.Store(&id)
	return w
}

// ListenersBound tells the worker the URLs its REST listeners were bound
// to (what rest.Server.Start returns) and returns its worker id: derived
// from the bound ports, so a listener on port 0 names the worker by the
// port it was given (WorkerConfig.AdvertisedHostPortBound). An id given in
// WorkerOptions stays. Herders call it before they start work.
func (w *Worker) ListenersBound(urls []string) string {
	if !w.fixedID {
		id := w.cfg.AdvertisedHostPortBound(hostname(), urls)
		w.id.Store(&id)
	}
	return w.ID()
}

// Config is the worker's config.
func (w *Worker) Config() *WorkerConfig { return w.cfg }

// ID is the worker id shown in status (advertised host:port).
func (w *Worker) ID() string { return *w.id.Load() }

func (w *Worker) newTask(c *ConnectorConfig) connect.SourceTask {
	conn, _, err := connect.NewSourceConnector(c.Class)
	if err != nil {
		return nil
	}
	var t connect.SourceTask
	_ = safeCall(func() error { t = conn.NewTask(); return nil })
	return t
}

func (w *Worker) register(t *workerTask) {
	w.tasksMu.Lock()
	w.tasks[t] = struct{}{}
	w.tasksMu.Unlock()
}

func (w *Worker) unregister(t *workerTask) {
	w.tasksMu.Lock()
	delete(w.tasks, t)
	w.tasksMu.Unlock()
}

func (w *Worker) liveTasks() []*workerTask {
	w.tasksMu.Lock()
	defer w.tasksMu.Unlock()
	out := make([]*workerTask, 0, len(w.tasks))
	for t := range w.tasks {
		out = append(out, t)
	}
	return out
}

func (w *Worker) recordTaskStartup(ok bool) {
	if ok {
		w.startups.taskOK.Add(1)
	} else {
		w.startups.taskFailed.Add(1)
	}
}

// ConnectorStarted records a connector instance's start attempt on this
// worker (connector-startup-* and connector-count on /metrics); herders
// call it after Start returned, and ConnectorStopped when the instance
// stopped.
func (w *Worker) ConnectorStarted(name string, ok bool) {
	if ok {
		w.startups.connOK.Add(1)
	} else {
		w.startups.connFailed.Add(1)
	}
	w.tasksMu.Lock()
	if ok {
		w.connectors[name] = true
	} else {
		delete(w.connectors, name)
	}
	w.tasksMu.Unlock()
}

// ConnectorStopped records that a connector instance no longer runs here.
func (w *Worker) ConnectorStopped(name string) {
	w.tasksMu.Lock()
	delete(w.connectors, name)
	w.tasksMu.Unlock()
}

// ResolveConfig replaces the ${provider:path:key} variables of a
// connector or task config with their values, for handing to plugin code;
// the result must never be stored or shown.
func (w *Worker) ResolveConfig(props map[string]string) (map[string]string, error) {
	return w.cfg.Providers.Transform(props)
}

// RawTaskConfigs puts the connector's raw values back into task configs
// for the keys whose raw value has variables, so stored and listed task
// configs never hold resolved secrets.
func RawTaskConfigs(rawConnConfig map[string]string, taskConfigs []map[string]string) []map[string]string {
	return reverseTransform(rawConnConfig, taskConfigs)
}

// TaskClassConfig is the key Kafka Connect adds to every task config: the
// class name of the connector's task.
const TaskClassConfig = "task.class"

// WithTaskClass returns task configs with task.class set, as Kafka
// Connect's worker sets it on what the connector generated, to the task
// class of the connector connectorClass names (connect.Plugin.TaskClassFor).
// The connector's maps are not changed.
func WithTaskClass(connectorClass string, taskConfigs []map[string]string) []map[string]string {
	p, err := connect.Lookup(connectorClass, connect.PluginSource)
	if err != nil {
		return taskConfigs
	}
	class := p.TaskClassFor(connectorClass)
	out := make([]map[string]string, len(taskConfigs))
	for i, c := range taskConfigs {
		c = maps.Clone(c)
		if c == nil {
			c = map[string]string{}
		}
		c[TaskClassConfig] = class
		out[i] = c
	}
	return out
}

// taskProps is what a task is started with: its config without the
// task.class the runtime added (a task does not declare it, and a task
// that warns about keys it does not know would warn about it).
func taskProps(taskConfig map[string]string) map[string]string {
	if _, ok := taskConfig[TaskClassConfig]; !ok {
		return taskConfig
	}
	out := maps.Clone(taskConfig)
	delete(out, TaskClassConfig)
	return out
}

// ConnectorLogger is the logger a connector instance is given
// (connect.ContextLogger): the worker's, with connector=<name> as the
// runtime's lines about that connector have it.
func (w *Worker) ConnectorLogger(name string) *slog.Logger {
	return w.log.With("connector", name)
}
