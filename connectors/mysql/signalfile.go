package mysql

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// Debezium's file signal channel: a file of one {"id","type","data"} JSON
// per line on the worker running the task. Every signal.poll.interval.ms
// the task takes the lines there and empties the file, then acts on each
// between two binlog events, through the same hand-over as the Kafka
// channel (signalkafka.go). Unlike the Kafka channel nothing of it is in
// the offsets: a signal is acted on at most once, as in Debezium.

// fileSignalOffset marks a signal that moves no place in the Kafka
// signal topic.
const fileSignalOffset = -1

// readFileSignals polls the file until the stream ends. A file that
// cannot be read or emptied fails the stream: its signals would be
// ignored, or acted on again at every poll, otherwise.
func (s *stream) readFileSignals(ctx context.Context) {
	k, path := s.ksig, s.opts.Signal.File
	poll := s.opts.Signal.FilePoll
	if poll <= 0 {
		poll = 5 * time.Second
	}
	s.log.Info("reading signals from a file", "file", path, "every", poll)
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		sigs, err := s.takeSignalFile(path)
		if err != nil {
			k.mu.Lock()
			k.err = fmt.Errorf("the file signal channel (%s=%s): %w", KeySignalFile, path, err)
			k.mu.Unlock()
			k.wake.wake()
			return
		}
		if len(sigs) > 0 {
			k.mu.Lock()
			k.pending = append(k.pending, sigs...)
			k.mu.Unlock()
			k.wake.wake()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// takeSignalFile reads the signals in the file and empties it. A missing
// file holds none.
func (s *stream) takeSignalFile(path string) ([]kafkaSignal, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	// Emptied before acting, as Debezium does: what was read is never
	// read twice. A line written between the read and this is lost with
	// Debezium too; writers append whole lines at once.
	if err := os.Truncate(path, 0); err != nil {
		return nil, fmt.Errorf("empty the file after reading its signals: %w", err)
	}
	var out []kafkaSignal
	for i, line := range bytes.Split(b, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		sig, err := parseSignalJSON(line)
		if err != nil {
			s.log.Warn("skipping a file signal that is not {\"id\", \"type\", \"data\"} JSON", "file", path, "line", i+1, "error", err)
			continue
		}
		sig.offset = fileSignalOffset
		out = append(out, sig)
	}
	return out, nil
}
