package offsets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// fileFormat is the on-disk form of a FileStore. Kafka's own
// FileOffsetBackingStore writes a Java-serialized HashMap, which Go cannot
// produce; this file holds the same key and value byte strings as JSON
// strings instead, so they can be copied to an offsets topic unchanged.
type fileFormat struct {
	Format  string      `json:"format"`
	Offsets []fileEntry `json:"offsets"`
}

type fileEntry struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

const fileFormatName = "sluice-offsets-v1"

// FileStore keeps offsets in one file (offset.storage.file.filename),
// rewritten atomically on every Set: a temporary file is written and
// fsynced, renamed over the old one, and the directory fsynced.
type FileStore struct {
	path string

	mu sync.Mutex
	t  table
}

// OpenFileStore loads path, or starts empty if it does not exist.
func OpenFileStore(path string) (*FileStore, error) {
	if path == "" {
		return nil, errors.New("offset.storage.file.filename is empty; set it to the file standalone mode keeps offsets in")
	}
	s := &FileStore{path: path, t: newTable()}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("offset file %s: %w", path, err)
	}
	if len(data) == 0 {
		return s, nil
	}
	var ff fileFormat
	if err := json.Unmarshal(data, &ff); err != nil {
		return nil, fmt.Errorf("offset file %s is not a Sluice offset file (Kafka's Java-serialized offset files cannot be read; move it away to start from scratch): %w", path, err)
	}
	if ff.Format != fileFormatName {
		return nil, fmt.Errorf("offset file %s has format %q, this build reads %q", path, ff.Format, fileFormatName)
	}
	for _, e := range ff.Offsets {
		s.t.applyRaw([]byte(e.Key), []byte(e.Value))
	}
	return s, nil
}

// Path is the file's path.
func (s *FileStore) Path() string { return s.path }

func (s *FileStore) Get(_ context.Context, connector string, partition map[string]any) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.t.get(connector, partition)
}

func (s *FileStore) Set(ctx context.Context, connector string, entries []Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.t.prepare(connector, entries)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Write the new state first and change memory only once it is
	// durable, so a failed write leaves both as they were.
	next := table{byKey: make(map[string]*record, len(s.t.byKey)+len(p))}
	for k, v := range s.t.byKey {
		next.byKey[k] = v
	}
	next.commit(p)
	if err := s.write(next); err != nil {
		return err
	}
	s.t = next
	return nil
}

func (s *FileStore) List(_ context.Context, connector string) ([]Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.t.list(connector)
}

func (s *FileStore) Delete(ctx context.Context, connector string) error {
	s.mu.Lock()
	ts := s.t.tombstones(connector)
	s.mu.Unlock()
	if len(ts) == 0 {
		return nil
	}
	return s.Set(ctx, connector, ts)
}

func (s *FileStore) Close() error { return nil }

func (s *FileStore) write(t table) error {
	ff := fileFormat{Format: fileFormatName, Offsets: make([]fileEntry, 0, len(t.byKey))}
	for _, canon := range sortedCanon(t) {
		r := t.byKey[canon]
		ff.Offsets = append(ff.Offsets, fileEntry{Key: string(r.key), Value: string(r.value)})
	}
	data, err := json.MarshalIndent(ff, "", "  ")
	if err != nil {
		return fmt.Errorf("offset file %s: %w", s.path, err)
	}
	dir := filepath.Dir(s.path)
	tmp, err := os.CreateTemp(dir, filepath.Base(s.path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("offset file %s: %w", s.path, err)
	}
	tmpName := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("offset file %s: write: %w", s.path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("offset file %s: fsync: %w", s.path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("offset file %s: %w", s.path, err)
	}
	if err := os.Rename(tmpName, s.path); err != nil {
		return fmt.Errorf("offset file %s: rename: %w", s.path, err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		// The rename is durable only once the directory is synced.
		serr := d.Sync()
		d.Close()
		if serr != nil {
			return fmt.Errorf("offset file %s: fsync directory: %w", s.path, serr)
		}
	}
	return nil
}

func sortedCanon(t table) []string {
	out := make([]string, 0, len(t.byKey))
	for k := range t.byKey {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}
