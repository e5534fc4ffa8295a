package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/sluicehq/sluice/connect"
)

// Pipeline stages named as Kafka Connect's errors.Stage.
const (
	stageTransformation  = "TRANSFORMATION"
	stageKeyConverter    = "KEY_CONVERTER"
	stageValueConverter  = "VALUE_CONVERTER"
	stageHeaderConverter = "HEADER_CONVERTER"
	stageProducer        = "KAFKA_PRODUCE"
)

// toleranceOperator runs a pipeline stage with Kafka Connect's errors.*
// semantics: retriable errors are retried with backoff within
// errors.retry.timeout; a final failure either fails the task (none) or
// skips the record (all), optionally logged. It keeps Kafka's
// task-error-metrics in m.
type toleranceOperator struct {
	tolerateAll  bool
	retryTimeout time.Duration
	delayMax     time.Duration
	logErrors    bool
	logMessages  bool
	log          *slog.Logger
	m            *TaskMetrics
}

func newToleranceOperator(c *ConnectorConfig, log *slog.Logger, m *TaskMetrics) *toleranceOperator {
	return &toleranceOperator{
		tolerateAll: c.ErrorsTolerateAll, retryTimeout: c.RetryTimeout, delayMax: c.RetryDelayMax,
		logErrors: c.ErrorsLog, logMessages: c.ErrorsLogIncludeMs, log: log, m: m,
	}
}

// run returns nil when fn succeeded, errSkip when the failure is tolerated
// (the record must be dropped), or the failure that must fail the task.
func (o *toleranceOperator) run(ctx context.Context, stage string, rec *connect.SourceRecord, fn func() error) error {
	err := o.retry(ctx, fn)
	if err == nil {
		return nil
	}
	o.m.RecordErrors.Add(1)
	o.m.LastErrorMs.Store(time.Now().UnixMilli())
	if o.logErrors {
		// The record's data (key, value, offsets) is logged only when
		// errors.log.include.messages asks for it: it may hold personal
		// data or secrets.
		msg := err.Error()
		if !o.logMessages && rec != nil {
			msg = scrubRecordData(msg, rec)
		}
		attrs := []any{"stage", stage, "error", msg}
		if o.logMessages && rec != nil {
			attrs = append(attrs, "topic", rec.Topic, "source_partition", rec.SourcePartition, "source_offset", rec.Offset(),
				"key", fmt.Sprint(rec.Key), "value", fmt.Sprint(rec.Value), "timestamp", rec.Timestamp)
		} else if rec != nil {
			attrs = append(attrs, "topic", rec.Topic)
		}
		o.log.Error("Error encountered in task", attrs...)
		o.m.ErrorsLogged.Add(1)
	}
	if o.tolerateAll {
		o.m.RecordsSkipped.Add(1)
		return errSkip
	}
	return fmt.Errorf("Tolerance exceeded in error handler: stage %s: %w", stage, err)
}

// scrubRecordData removes the record's key, value and header data from an
// error message (plugins often quote the value they choke on, as Kafka's
// Cast does), so that errors.log.include.messages=false logs no data.
// Values shorter than three characters are left: they would match too
// much of the message.
func scrubRecordData(msg string, rec *connect.SourceRecord) string {
	var vals []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case nil:
		case *connect.Struct:
			for _, f := range x.Values() {
				walk(f)
			}
		case []any:
			for _, f := range x {
				walk(f)
			}
		case map[string]any:
			for k, f := range x {
				walk(k)
				walk(f)
			}
		case map[any]any:
			for k, f := range x {
				walk(k)
				walk(f)
			}
		case []byte:
			vals = append(vals, string(x))
		default:
			vals = append(vals, fmt.Sprint(x))
		}
	}
	walk(rec.Key)
	walk(rec.Value)
	for _, h := range rec.Headers {
		walk(h.Value)
	}
	// Longest first, so a value containing another is replaced whole.
	slices.SortFunc(vals, func(a, b string) int { return len(b) - len(a) })
	for _, v := range vals {
		if len(v) >= 3 {
			msg = strings.ReplaceAll(msg, v, "[record data]")
		}
	}
	return msg
}

var errSkip = fmt.Errorf("record skipped under errors.tolerance=all")

// retriesDelayMin is Kafka's RETRIES_DELAY_MIN_MS: the first backoff,
// doubled after each attempt up to errors.retry.delay.max.ms.
const retriesDelayMin = 300 * time.Millisecond

func (o *toleranceOperator) retry(ctx context.Context, fn func() error) error {
	start := time.Now()
	for attempt := 1; ; attempt++ {
		err := safeCall(fn)
		if err == nil {
			return nil
		}
		o.m.RecordFailures.Add(1)
		if !connect.IsRetriable(err) || o.retryTimeout == 0 {
			return err
		}
		left := time.Duration(1<<62 - 1)
		if o.retryTimeout > 0 {
			if left = o.retryTimeout - time.Since(start); left <= 0 {
				return err
			}
		}
		d := retriesDelayMin << min(attempt-1, 20)
		if d > o.delayMax {
			d = o.delayMax + time.Duration(rand.Int64N(int64(o.delayMax/10+1)))
		}
		d = min(d, left)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(d):
		}
		o.m.Retries.Add(1)
	}
}

// panicError is a recovered panic from plugin code, with its stack.
type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// safeCall runs plugin code, turning a panic into an error so a broken
// connector, transform or converter fails its task, not the worker.
func safeCall(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{value: r, stack: debug.Stack()}
		}
	}()
	return fn()
}

// trace renders an error for the status trace: the message, plus the stack
// of a recovered panic.
func trace(err error) string {
	if err == nil {
		return ""
	}
	var p *panicError
	if as(err, &p) {
		return Redact(err.Error() + "\n" + string(p.stack))
	}
	return Redact(err.Error())
}
