package offsets

import (
	"context"
	"fmt"
	"sort"
	"sync"
)

// Entry is one source partition's offset. A nil Offset deletes the
// partition's offset (a tombstone).
type Entry struct {
	Partition map[string]any
	Offset    map[string]any
}

// Store is an offset backing store. Every method is safe for concurrent use.
type Store interface {
	// Get returns a partition's offset, or nil if none is stored.
	Get(ctx context.Context, connector string, partition map[string]any) (map[string]any, error)
	// Set writes a batch of offsets for one connector; it returns once they
	// are durable (fsynced, or acknowledged by Kafka). Entries with a nil
	// Offset delete the partition's offset.
	Set(ctx context.Context, connector string, entries []Entry) error
	// List returns every partition of the connector with a stored offset,
	// sorted by the partition's canonical key for stable output.
	List(ctx context.Context, connector string) ([]Entry, error)
	// Delete removes every stored offset of the connector.
	Delete(ctx context.Context, connector string) error
	Close() error
}

// record is one stored key: the bytes as written (possibly by another
// implementation, in another key order) and the decoded form.
type record struct {
	connector string
	partition map[string]any
	key       []byte
	value     []byte
}

// table is the byte-keyed map every store keeps, indexed by the canonical
// key form. Tombstones remove the entry.
type table struct {
	byKey map[string]*record
}

func newTable() table { return table{byKey: map[string]*record{}} }

// apply adds a raw key/value pair as read from storage. Keys that do not
// decode are kept out of the index, as Kafka Connect ignores them.
func (t *table) applyRaw(key, value []byte) {
	conn, part, err := DecodeKey(key)
	if err != nil {
		return
	}
	ck, err := canonical(conn, part)
	if err != nil {
		return
	}
	if value == nil {
		delete(t.byKey, ck)
		return
	}
	t.byKey[ck] = &record{connector: conn, partition: part, key: append([]byte(nil), key...), value: append([]byte(nil), value...)}
}

// prepared is an entry encoded for writing.
type prepared struct {
	canon string
	rec   record
}

// prepare encodes entries, reusing the stored key bytes of partitions that
// are already known.
func (t *table) prepare(connector string, entries []Entry) ([]prepared, error) {
	out := make([]prepared, 0, len(entries))
	for _, e := range entries {
		key, err := EncodeKey(connector, e.Partition)
		if err != nil {
			return nil, err
		}
		if e.Partition == nil {
			return nil, fmt.Errorf("connector %q: a source partition cannot be null", connector)
		}
		canon := string(key)
		if old, ok := t.byKey[canon]; ok {
			key = old.key
		}
		val, err := EncodeValue(e.Offset)
		if err != nil {
			return nil, fmt.Errorf("connector %q: %w", connector, err)
		}
		out = append(out, prepared{canon: canon, rec: record{connector: connector, partition: e.Partition, key: key, value: val}})
	}
	return out, nil
}

func (t *table) commit(p []prepared) {
	for i := range p {
		if p[i].rec.value == nil {
			delete(t.byKey, p[i].canon)
			continue
		}
		r := p[i].rec
		t.byKey[p[i].canon] = &r
	}
}

func (t *table) get(connector string, partition map[string]any) (map[string]any, error) {
	ck, err := canonical(connector, partition)
	if err != nil {
		return nil, err
	}
	r, ok := t.byKey[ck]
	if !ok {
		return nil, nil
	}
	return DecodeValue(r.value)
}

func (t *table) list(connector string) ([]Entry, error) {
	var canon []string
	for ck, r := range t.byKey {
		if r.connector == connector {
			canon = append(canon, ck)
		}
	}
	sort.Strings(canon)
	out := make([]Entry, 0, len(canon))
	for _, ck := range canon {
		r := t.byKey[ck]
		off, err := DecodeValue(r.value)
		if err != nil {
			return nil, err
		}
		out = append(out, Entry{Partition: copyMap(r.partition), Offset: off})
	}
	return out, nil
}

func (t *table) tombstones(connector string) []Entry {
	var out []Entry
	for _, r := range t.byKey {
		if r.connector == connector {
			out = append(out, Entry{Partition: r.partition})
		}
	}
	return out
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// MemoryStore keeps offsets in memory only (sluice dev, tests).
type MemoryStore struct {
	mu sync.Mutex
	t  table
}

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{t: newTable()} }

func (m *MemoryStore) Get(_ context.Context, connector string, partition map[string]any) (map[string]any, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.t.get(connector, partition)
}

func (m *MemoryStore) Set(_ context.Context, connector string, entries []Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, err := m.t.prepare(connector, entries)
	if err != nil {
		return err
	}
	m.t.commit(p)
	return nil
}

func (m *MemoryStore) List(_ context.Context, connector string) ([]Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.t.list(connector)
}

func (m *MemoryStore) Delete(ctx context.Context, connector string) error {
	m.mu.Lock()
	ts := m.t.tombstones(connector)
	m.mu.Unlock()
	return m.Set(ctx, connector, ts)
}

func (m *MemoryStore) Close() error { return nil }

func sortStrings(s []string) { sort.Strings(s) }
