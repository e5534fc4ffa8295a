package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
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
// skips the record (all), optionally logged.
type toleranceOperator struct {
	tolerateAll  bool
	retryTimeout time.Duration
	delayMax     time.Duration
	logErrors    bool
	logMessages  bool
	log          *slog.Logger
	// skipped counts tolerated failures.
	skipped func()
}

func newToleranceOperator(c *ConnectorConfig, log *slog.Logger, skipped func()) *toleranceOperator {
	return &toleranceOperator{
		tolerateAll: c.ErrorsTolerateAll, retryTimeout: c.RetryTimeout, delayMax: c.RetryDelayMax,
		logErrors: c.ErrorsLog, logMessages: c.ErrorsLogIncludeMs, log: log, skipped: skipped,
	}
}

// run returns nil when fn succeeded, errSkip when the failure is tolerated
// (the record must be dropped), or the failure that must fail the task.
func (o *toleranceOperator) run(ctx context.Context, stage string, rec *connect.SourceRecord, fn func() error) error {
	err := o.retry(ctx, fn)
	if err == nil {
		return nil
	}
	if o.logErrors {
		attrs := []any{"stage", stage, "error", err.Error()}
		if o.logMessages && rec != nil {
			attrs = append(attrs, "topic", rec.Topic, "source_partition", rec.SourcePartition, "source_offset", rec.SourceOffset,
				"key", fmt.Sprint(rec.Key), "value", fmt.Sprint(rec.Value), "timestamp", rec.Timestamp)
		} else if rec != nil {
			attrs = append(attrs, "topic", rec.Topic)
		}
		o.log.Error("Error encountered in task", attrs...)
	}
	if o.tolerateAll {
		o.skipped()
		return errSkip
	}
	return fmt.Errorf("Tolerance exceeded in error handler: stage %s: %w", stage, err)
}

var errSkip = fmt.Errorf("record skipped under errors.tolerance=all")

func (o *toleranceOperator) retry(ctx context.Context, fn func() error) error {
	start := time.Now()
	delay := 300 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := safeCall(fn)
		if err == nil || !connect.IsRetriable(err) || o.retryTimeout == 0 {
			return err
		}
		if o.retryTimeout > 0 && time.Since(start)+delay > o.retryTimeout {
			return err
		}
		d := delay
		if d >= o.delayMax {
			d = o.delayMax + time.Duration(rand.Int64N(int64(o.delayMax/10+1)))
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(d):
		}
		if delay < o.delayMax {
			delay *= 2
		}
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
		return err.Error() + "\n" + string(p.stack)
	}
	return err.Error()
}
