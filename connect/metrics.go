package connect

// MetricKind says how a reported value behaves.
type MetricKind int

const (
	// Gauge is a value that goes up and down (lag, a snapshot's progress).
	Gauge MetricKind = iota
	// Counter only grows while the task runs (rows, bytes); rates are
	// derived from it by the monitoring system.
	Counter
)

// Metric is one value a connector reports about itself.
type Metric struct {
	// Name is lower_snake_case without a prefix, e.g.
	// "milliseconds_behind_source"; the runtime exports it as
	// sluice_connector_<Name> labelled with connector and task.
	Name string
	// Help is one line of documentation; every Metric of a Name should
	// carry the same Help and Kind.
	Help string
	Kind MetricKind
	// Labels narrow the value down, e.g. {"table": "db.t", "op": "c"};
	// "connector" and "task" are set by the runtime and may not be used.
	Labels map[string]string
	Value  float64
}

// MetricsReporter is implemented by source tasks (and connectors) that
// expose their own metrics. Metrics is called from the metrics endpoint's
// goroutine, concurrently with Poll, so it must be safe for that; it
// should return quickly and the runtime does not keep the slice.
type MetricsReporter interface {
	Metrics() []Metric
}
