package filestream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice/connect"
)

// pollWait is how long Poll waits for the file to appear or to grow, as
// Kafka's task does; Stop and ctx cut it short.
const pollWait = time.Second

const readChunk = 64 << 10

// Task tails one file (or stdin) and emits a record per line.
type Task struct {
	filename string
	topic    string
	batch    int
	tctx     connect.SourceTaskContext
	log      *slog.Logger

	stopCh   chan struct{}
	stopOnce sync.Once

	mu     sync.Mutex // guards f and closed against a concurrent Stop
	f      *os.File
	closed bool

	stdin <-chan []byte // chunks read from stdin, when no file is configured

	// buf[start:] holds bytes read but not yet emitted (a partial line);
	// pos is the file position of buf[start].
	buf   []byte
	start int
	pos   int64
	// partition is shared by every record: records never modify it.
	partition map[string]any
}

var _ connect.SourceTask = (*Task)(nil)

// stdinReader is what a task without a file reads; tests replace it.
var stdinReader io.Reader = os.Stdin

// Version is "" (undefined), like the connector's.
func (t *Task) Version() string { return "" }

// Start reads the task config. The file is opened by Poll, so that a file
// that does not exist yet leaves the task RUNNING and waiting for it.
func (t *Task) Start(_ context.Context, tctx connect.SourceTaskContext, props map[string]string) error {
	cfg, err := ConfigDef().Parse(props)
	if err != nil {
		return fmt.Errorf("FileStreamSource task: %w", err)
	}
	t.filename = cfg.String(FileConfig)
	t.topic = cfg.String(TopicConfig)
	t.batch = cfg.Int(BatchSizeConfig)
	t.tctx = tctx
	t.stopCh = make(chan struct{})
	t.log = slog.Default().With("logger", "sluice.connectors.filestream", "file", t.displayName())
	if t.filename == "" {
		// Offsets of stdin mean nothing: Kafka records them as nulls.
		t.partition = map[string]any{FilenameField: nil}
		t.stdin = startStdinReader(t.stopCh)
	} else {
		t.partition = map[string]any{FilenameField: t.filename}
	}
	return nil
}

func (t *Task) displayName() string {
	if t.filename == "" {
		return "stdin"
	}
	return t.filename
}

// startStdinReader copies stdin into a channel. A read from stdin cannot be
// interrupted, so the goroutine ends at the next chunk or EOF after stop.
func startStdinReader(stop <-chan struct{}) <-chan []byte {
	ch := make(chan []byte, 16)
	in := stdinReader // read once: the goroutine may outlive the task
	go func() {
		defer close(ch)
		for {
			b := make([]byte, readChunk)
			n, err := in.Read(b)
			if n > 0 {
				select {
				case ch <- b[:n]:
				case <-stop:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return ch
}

// wait sleeps up to pollWait, returning early on Stop or ctx.
func (t *Task) wait(ctx context.Context) {
	tm := time.NewTimer(pollWait)
	defer tm.Stop()
	select {
	case <-tm.C:
	case <-t.stopCh:
	case <-ctx.Done():
	}
}

// Poll returns up to batch.size lines. It returns an empty batch after about
// a second when the file is missing or has no complete new line.
func (t *Task) Poll(ctx context.Context) ([]*connect.SourceRecord, error) {
	if t.stdin != nil {
		return t.pollStdin(ctx)
	}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil, nil
	}
	if t.f == nil {
		opened, err := t.open(ctx)
		if err != nil {
			t.mu.Unlock()
			return nil, err
		}
		if !opened {
			t.mu.Unlock()
			t.log.Debug("file not found, waiting for it to be created")
			t.wait(ctx)
			return nil, nil
		}
	}
	recs, err := t.readLines(func(p []byte) (int, error) {
		n, err := t.f.Read(p)
		if errors.Is(err, io.EOF) {
			// The end of a tailed file is only "nothing new yet".
			err = nil
		}
		return n, err
	})
	t.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", t.filename, err)
	}
	if len(recs) == 0 {
		t.wait(ctx)
	}
	return recs, nil
}

// open opens the file and seeks to the committed position. Callers hold t.mu.
func (t *Task) open(ctx context.Context) (bool, error) {
	f, err := os.Open(t.filename)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("FileStreamSource: opening file %s: %w", t.filename, err)
	}
	var pos int64
	if r := t.tctx.OffsetStorageReader(); r != nil {
		off, err := r.Offset(ctx, t.partition)
		if err != nil {
			f.Close()
			return false, fmt.Errorf("FileStreamSource: reading the committed offset of %s: %w", t.filename, err)
		}
		if v, ok := off[PositionField]; ok && v != nil {
			n, ok := asInt64(v)
			if !ok || n < 0 {
				f.Close()
				return false, fmt.Errorf("FileStreamSource: the committed offset of %s has position %v; it must be a non-negative integer (fix it with PATCH /connectors/<name>/offsets)", t.filename, v)
			}
			pos = n
		}
	}
	if pos > 0 {
		if _, err := f.Seek(pos, io.SeekStart); err != nil {
			f.Close()
			return false, fmt.Errorf("FileStreamSource: seeking %s to position %d: %w", t.filename, pos, err)
		}
		t.log.Debug("resuming from the committed position", "position", pos)
	}
	t.f, t.pos, t.buf, t.start = f, pos, t.buf[:0], 0
	return true, nil
}

func (t *Task) pollStdin(ctx context.Context) ([]*connect.SourceRecord, error) {
	eof := false
	recs, err := t.readLines(func(p []byte) (int, error) {
		select {
		case b, ok := <-t.stdin:
			if !ok {
				eof = true
				return 0, nil
			}
			// Chunks are at most readChunk, the size readLines offers.
			return copy(p, b), nil
		default:
			return 0, nil
		}
	})
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 && !eof {
		tm := time.NewTimer(pollWait)
		defer tm.Stop()
		select {
		case b, ok := <-t.stdin:
			if ok {
				t.buf = append(t.buf, b...)
			}
		case <-tm.C:
		case <-t.stopCh:
		case <-ctx.Done():
		}
	} else if len(recs) == 0 {
		t.wait(ctx)
	}
	return recs, nil
}

// readLines emits complete lines from the buffer, reading more through read
// until batch.size lines are ready or read has nothing more.
func (t *Task) readLines(read func([]byte) (int, error)) ([]*connect.SourceRecord, error) {
	var recs []*connect.SourceRecord
	for {
		for len(recs) < t.batch {
			line, n := nextLine(t.buf[t.start:])
			if n == 0 {
				break
			}
			t.start += n
			t.pos += int64(n)
			recs = append(recs, t.record(line))
		}
		if len(recs) >= t.batch {
			return recs, nil
		}
		// Compact, then make room for one chunk.
		rest := copy(t.buf, t.buf[t.start:])
		t.buf, t.start = t.buf[:rest], 0
		if cap(t.buf)-len(t.buf) < readChunk {
			nb := make([]byte, len(t.buf), 2*cap(t.buf)+readChunk)
			copy(nb, t.buf)
			t.buf = nb
		}
		n, err := read(t.buf[len(t.buf) : len(t.buf)+readChunk])
		t.buf = t.buf[:len(t.buf)+n]
		if err != nil {
			return recs, err
		}
		if n == 0 {
			return recs, nil
		}
	}
}

// nextLine finds the first line ended by \n, \r\n or \r and returns it with
// the number of bytes it used; n == 0 means no complete line yet. A \r at the
// end of the data waits for the next byte, which may be its \n.
func nextLine(b []byte) (line []byte, n int) {
	i := bytes.IndexAny(b, "\r\n")
	if i < 0 {
		return nil, 0
	}
	if b[i] == '\n' {
		return b[:i], i + 1
	}
	if i+1 >= len(b) {
		return nil, 0
	}
	if b[i+1] == '\n' {
		return b[:i], i + 2
	}
	return b[:i], i + 1
}

func (t *Task) record(line []byte) *connect.SourceRecord {
	var off map[string]any
	if t.filename == "" {
		off = map[string]any{PositionField: nil}
	} else {
		off = map[string]any{PositionField: t.pos}
	}
	return &connect.SourceRecord{
		SourcePartition: t.partition,
		SourceOffset:    off,
		Topic:           t.topic,
		ValueSchema:     connect.StringSchema,
		// Java decodes the file as UTF-8 with replacement; so do we.
		Value:     strings.ToValidUTF8(string(line), "\uFFFD"),
		Timestamp: time.Now().UnixMilli(),
	}
}

// Stop makes a blocked Poll return and closes the file.
func (t *Task) Stop() error {
	if t.stopCh == nil {
		return nil
	}
	t.stopOnce.Do(func() { close(t.stopCh) })
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	if t.f != nil {
		err := t.f.Close()
		t.f = nil
		return err
	}
	return nil
}

// String names the task in logs.
func (t *Task) String() string {
	return "FileStreamSource task reading " + t.displayName() + " into " + strconv.Quote(t.topic)
}
