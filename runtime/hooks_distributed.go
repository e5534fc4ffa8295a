package runtime

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/sluicehq/sluice/offsets"
	"github.com/sluicehq/sluice/rest"
)

// This file exposes what runtime/distributed needs to run connectors and
// tasks on this worker without duplicating the task pipeline: the
// distributed herder decides what runs where; the Worker runs it.

// TaskHandle is a running source task started with StartTask.
type TaskHandle struct{ t *workerTask }

// StartTask starts task id of the connector whose (validated) config is
// connConfig, with its task config, in its own goroutine. onState receives
// the task's state changes (RUNNING, PAUSED, FAILED with the error) and
// onTopic each topic the task writes to for the first time.
func (w *Worker) StartTask(id rest.TaskID, connConfig, taskConfig map[string]string, paused bool, onState func(state string, err error), onTopic func(topic string)) (*TaskHandle, error) {
	cc, err := ParseConnectorConfig(connConfig)
	if err != nil {
		return nil, err
	}
	t := newWorkerTask(w, id, cc, taskConfig, onState, onTopic)
	if paused {
		t.paused.Store(true)
	}
	go t.run()
	return &TaskHandle{t: t}, nil
}

// SetPaused pauses or resumes polling.
func (h *TaskHandle) SetPaused(p bool) { h.t.setPaused(p) }

// Stop asks the task to stop and waits up to the worker's graceful
// shutdown plus offset flush timeouts; it reports whether it stopped.
func (h *TaskHandle) Stop() bool {
	h.t.stop()
	return h.t.awaitStop(h.t.w.cfg.TaskShutdownTimeout + h.t.w.cfg.OffsetFlushTimeout)
}

// Metrics are the task's counters.
func (h *TaskHandle) Metrics() *TaskMetrics { return &h.t.Metrics }

// OffsetStore is the store the worker's tasks commit source offsets to.
func (w *Worker) OffsetStore() offsets.Store { return w.store }

// ValidateConnector runs the full validation of a connector config
// (PUT /connector-plugins/{p}/config/validate).
func (w *Worker) ValidateConnector(ctx context.Context, config map[string]string) (rest.ConfigInfos, error) {
	v, err := validateConnectorConfig(ctx, config, w.cfg.OverridePolicy, w.cfg.inheritedConverters())
	if err != nil {
		return rest.ConfigInfos{}, err
	}
	return v.infos, nil
}

// CheckConnectorConfig validates a config about to be stored and returns
// the 400 Kafka Connect answers when it has errors.
func (w *Worker) CheckConnectorConfig(ctx context.Context, config map[string]string) error {
	v, err := validateConnectorConfig(ctx, config, w.cfg.OverridePolicy, w.cfg.inheritedConverters())
	if err != nil {
		return err
	}
	if v.infos.ErrorCount > 0 {
		return invalidConfigError(v, config[ConnClass])
	}
	return nil
}

// PluginConfig answers GET /connector-plugins/{p}/config?version=.
func PluginConfig(plugin, version string) ([]rest.ConfigKeyInfo, error) {
	return pluginConfig(plugin, version)
}

// Trace renders an error the way status traces show it.
func Trace(err error) string { return trace(err) }

// SafeCall runs fn, turning a panic into an error.
func SafeCall(fn func() error) error { return safeCall(fn) }

// ShutdownTimeout is how long stopping one task may take.
func (w *Worker) ShutdownTimeout() time.Duration {
	return w.cfg.TaskShutdownTimeout + w.cfg.OffsetFlushTimeout
}

// Offset-API messages, shared by both herders.
const (
	MsgAlteredByConnector = msgAlteredByConnector
	MsgResetByConnector   = msgResetByConnector
	MsgAlteredFramework   = msgAlteredFramework
	MsgResetFramework     = msgResetFramework
)

// StoppedRequired is the 400 for offset changes on a connector that is not
// STOPPED.
func StoppedRequired(name string) error { return stoppedRequired(name) }

// InternalClientConfig is the librdkafka configuration shared by a
// distributed worker's internal clients (config, offsets and status topics):
// the worker's top-level security.protocol, sasl.* and ssl.* settings, in
// Kafka's Java names, translated as for source producers.
func (w *WorkerConfig) InternalClientConfig() (kafka.ConfigMap, error) {
	props := map[string]string{}
	for k, v := range w.Originals() {
		if k == "security.protocol" || strings.HasPrefix(k, "sasl.") || strings.HasPrefix(k, "ssl.") {
			props[k] = v
		}
	}
	cm := kafka.ConfigMap{}
	if err := applyJavaProducerProps(cm, props, ""); err != nil {
		return nil, fmt.Errorf("worker config: %w", err)
	}
	return cm, nil
}
