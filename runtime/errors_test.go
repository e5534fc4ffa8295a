package runtime

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/connect"
)

type countOffsets struct{ file string }

func (c countOffsets) SourceOffsetAt(n int64) map[string]any {
	return map[string]any{"file": c.file, "row": n}
}

// A connector that hands out lazily rendered offsets (the MySQL connector
// does for every binlog row) must still have its failed record's offset in
// the errors.log line, as Kafka Connect's LogReporter prints it.
func TestToleranceLogRendersLazyOffset(t *testing.T) {
	var buf bytes.Buffer
	op := &toleranceOperator{tolerateAll: true, logErrors: true, logMessages: true,
		log: slog.New(slog.NewTextHandler(&buf, nil)), m: &TaskMetrics{}}
	rec := &connect.SourceRecord{Topic: "t", SourcePartition: map[string]any{"server": "s"},
		LazyOffset: connect.LazyOffset{From: countOffsets{file: "binlog.000007"}, N: 3}}
	err := op.run(context.Background(), stageTransformation, rec, func() error { return errors.New("boom") })
	if !errors.Is(err, errSkip) {
		t.Fatalf("run = %v, want the record skipped", err)
	}
	if line := buf.String(); !strings.Contains(line, `source_offset="map[file:binlog.000007 row:3]"`) {
		t.Fatalf("the log line does not carry the record's offset:\n%s", line)
	}
}
