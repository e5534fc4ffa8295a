package runtime

import (
	"log/slog"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/offsets"
)

// Worker holds what every connector and task of this process shares: the
// worker config, the offset store and the logger.
type Worker struct {
	cfg      *WorkerConfig
	store    offsets.Store
	log      *slog.Logger
	workerID string
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
	w := &Worker{cfg: cfg, store: store, log: opts.Logger, workerID: opts.WorkerID}
	if w.log == nil {
		w.log = slog.Default()
	}
	if w.workerID == "" {
		w.workerID = cfg.AdvertisedHostPort(hostname())
	}
	return w
}

// Config is the worker's config.
func (w *Worker) Config() *WorkerConfig { return w.cfg }

// ID is the worker id shown in status (advertised host:port).
func (w *Worker) ID() string { return w.workerID }

func (w *Worker) newTask(c *ConnectorConfig) connect.SourceTask {
	conn, _, err := connect.NewSourceConnector(c.Class)
	if err != nil {
		return nil
	}
	var t connect.SourceTask
	_ = safeCall(func() error { t = conn.NewTask(); return nil })
	return t
}
