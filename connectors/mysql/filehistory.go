package mysql

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// FileHistory is a SchemaHistory in a file of JSON lines, one record per
// line, appended and synced as each DDL is read.
//
// Why a file and not Debezium's Kafka topic: connectors import only the
// connect API, go-mysql and a SQL parser (DESIGN.md), so the connector
// cannot produce to Kafka itself. SchemaHistory is the seam a runtime-backed
// (Kafka topic) history can plug into later; until then
// schema.history.internal.kafka.* are accepted and not used, and
// schema.history.internal.file.filename is the durable history.
type FileHistory struct {
	path string

	mu      sync.Mutex
	f       *os.File
	records []HistoryRecord
	last    Position // the latest position recorded
	byPos   map[Position]int
}

// OpenFileHistory reads the records of path (created when missing) and
// opens it for appending.
func OpenFileHistory(path string) (*FileHistory, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("%s %s: %w", KeySchemaHistoryFile, path, err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", KeySchemaHistoryFile, path, err)
	}
	h := &FileHistory{path: path, f: f, byPos: map[Position]int{}}
	r := bufio.NewReader(f)
	var good int64
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			// A torn last line (a crash while appending) is dropped: its DDL
			// is read again from the binlog and recorded anew.
			break
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		var rec HistoryRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			f.Close()
			return nil, fmt.Errorf("%s line %d is not a schema history record (%v): restore the file, or delete it together with the connector's offsets to start over", path, n, err)
		}
		h.add(rec)
		good += int64(len(line))
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, fmt.Errorf("truncate %s: %w", path, err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return h, nil
}

func (h *FileHistory) add(rec HistoryRecord) {
	h.records = append(h.records, rec)
	h.byPos[historyKey(rec.Position)] = len(h.records) - 1
	if rec.Seed || rec.Position.after(h.last) {
		h.last = rec.Position
	}
}

func historyKey(p Position) Position { return Position{File: p.File, Pos: p.Pos, Events: p.Events} }

// Record implements SchemaHistory. A DDL read again after a restart from
// an earlier position (at or before the latest recorded one) is not
// appended twice.
func (h *FileHistory) Record(_ context.Context, rec HistoryRecord) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !rec.Seed && !rec.Position.after(h.last) {
		return nil
	}
	b, err := json.Marshal(&rec)
	if err != nil {
		return err
	}
	if _, err := h.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("append to %s: %w", h.path, err)
	}
	if err := h.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", h.path, err)
	}
	h.add(rec)
	return nil
}

// Recorded returns the record of a DDL at pos, if one was recorded.
func (h *FileHistory) Recorded(pos Position) (HistoryRecord, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	i, ok := h.byPos[historyKey(pos)]
	if !ok {
		return HistoryRecord{}, false
	}
	rec := h.records[i]
	// The same file name and position on another server (a failover's new
	// primary numbering its binlogs as the old one did) is another DDL:
	// the GTIDs tell them apart.
	if rec.Position.GTIDs != "" && pos.GTIDs != "" {
		later, ok1 := gtidLater(rec.Position.GTIDs, pos.GTIDs)
		earlier, ok2 := gtidLater(pos.GTIDs, rec.Position.GTIDs)
		if ok1 && ok2 && (later || earlier) {
			return HistoryRecord{}, false
		}
	}
	return rec, true
}

// Replay implements SchemaHistory: every record at or before pos, in the
// order recorded (a seed written after a reset of the offsets follows the
// records of the earlier run, and replaces their definitions).
func (h *FileHistory) Replay(_ context.Context, pos Position, fn func(HistoryRecord) error) error {
	h.mu.Lock()
	recs := append([]HistoryRecord(nil), h.records...)
	h.mu.Unlock()
	for _, r := range recs {
		if r.Position.after(pos) {
			continue
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// Empty reports whether nothing was recorded yet.
func (h *FileHistory) Empty() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.records) == 0
}

// Close closes the file.
func (h *FileHistory) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.f.Close()
}
