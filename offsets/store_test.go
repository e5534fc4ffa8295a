package offsets

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func stores(t *testing.T) map[string]func() Store {
	dir := t.TempDir()
	n := 0
	return map[string]func() Store{
		"memory": func() Store { return NewMemoryStore() },
		"file": func() Store {
			n++
			s, err := OpenFileStore(filepath.Join(dir, "offsets-"+string(rune('a'+n))+".json"))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
}

func TestStoreSemantics(t *testing.T) {
	ctx := context.Background()
	for name, mk := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := mk()
			p1 := map[string]any{"server": "db1"}
			p2 := map[string]any{"server": "db2"}
			if err := s.Set(ctx, "c1", []Entry{{Partition: p1, Offset: map[string]any{"pos": 1}}, {Partition: p2, Offset: map[string]any{"pos": 2}}}); err != nil {
				t.Fatal(err)
			}
			if err := s.Set(ctx, "c2", []Entry{{Partition: p1, Offset: map[string]any{"pos": 9}}}); err != nil {
				t.Fatal(err)
			}
			if err := s.Set(ctx, "c1", []Entry{{Partition: p1, Offset: map[string]any{"pos": 3}}}); err != nil {
				t.Fatal(err)
			}
			got, err := s.Get(ctx, "c1", p1)
			if err != nil || !reflect.DeepEqual(got, map[string]any{"pos": int64(3)}) {
				t.Fatalf("Get c1/db1 = %v, %v; want pos 3", got, err)
			}
			got, _ = s.Get(ctx, "c2", p1)
			if !reflect.DeepEqual(got, map[string]any{"pos": int64(9)}) {
				t.Fatalf("Get c2/db1 = %v, want pos 9 (connectors must not share offsets)", got)
			}
			got, _ = s.Get(ctx, "c1", map[string]any{"server": "nope"})
			if got != nil {
				t.Fatalf("Get of unknown partition = %v, want nil", got)
			}
			l, _ := s.List(ctx, "c1")
			want := []Entry{
				{Partition: map[string]any{"server": "db1"}, Offset: map[string]any{"pos": int64(3)}},
				{Partition: map[string]any{"server": "db2"}, Offset: map[string]any{"pos": int64(2)}},
			}
			if !reflect.DeepEqual(l, want) {
				t.Fatalf("List c1 = %v, want %v", l, want)
			}
			// A nil offset is a tombstone for that partition only.
			if err := s.Set(ctx, "c1", []Entry{{Partition: p2}}); err != nil {
				t.Fatal(err)
			}
			if l, _ := s.List(ctx, "c1"); len(l) != 1 {
				t.Fatalf("after tombstone List c1 = %v, want 1 entry", l)
			}
			if err := s.Delete(ctx, "c1"); err != nil {
				t.Fatal(err)
			}
			if l, _ := s.List(ctx, "c1"); len(l) != 0 {
				t.Fatalf("after Delete List c1 = %v, want none", l)
			}
			if l, _ := s.List(ctx, "c2"); len(l) != 1 {
				t.Fatalf("Delete c1 touched c2: %v", l)
			}
		})
	}
}

func TestFileStoreRoundTripAndAtomicWrite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "connect.offsets")
	s, err := OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	part := map[string]any{"table": "t1", "db": "d"}
	if err := s.Set(ctx, "src", []Entry{{Partition: part, Offset: map[string]any{"file": "bin.1", "pos": 42}}}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(before), `"key": "[\"src\",{\"db\":\"d\",\"table\":\"t1\"}]"`) {
		t.Errorf("file does not hold Kafka Connect's key bytes:\n%s", before)
	}
	// A batch that cannot be encoded changes neither the file nor memory.
	if err := s.Set(ctx, "src", []Entry{{Partition: part, Offset: map[string]any{"bad": []int{1}}}}); err == nil {
		t.Fatal("Set with a non-primitive offset succeeded")
	}
	after, _ := os.ReadFile(path)
	if string(after) != string(before) {
		t.Errorf("failed Set changed the file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}

	s2, err := OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s2.Get(ctx, "src", map[string]any{"db": "d", "table": "t1"})
	if err != nil || !reflect.DeepEqual(got, map[string]any{"file": "bin.1", "pos": int64(42)}) {
		t.Fatalf("after reopen Get = %v, %v", got, err)
	}
}

// A key written by Java with its own key order must still be found, and
// later writes must reuse its bytes so they compact onto the same key.
func TestFileStoreForeignKeyOrder(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "offsets.json")
	javaKey := `["src",{"table":"t1","db":"d"}]`
	content := `{"format":"sluice-offsets-v1","offsets":[{"key":` + quote(javaKey) + `,"value":"{\"pos\":7}"}]}`
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	part := map[string]any{"db": "d", "table": "t1"}
	got, _ := s.Get(ctx, "src", part)
	if !reflect.DeepEqual(got, map[string]any{"pos": int64(7)}) {
		t.Fatalf("Get = %v, want pos 7", got)
	}
	if err := s.Set(ctx, "src", []Entry{{Partition: part, Offset: map[string]any{"pos": 8}}}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), quote(javaKey)[1:len(quote(javaKey))-1]) || strings.Count(string(data), `"key"`) != 1 {
		t.Errorf("write did not reuse the stored key bytes:\n%s", data)
	}
}

func TestOpenFileStoreErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := OpenFileStore(""); err == nil || !strings.Contains(err.Error(), "offset.storage.file.filename") {
		t.Errorf("empty path: err = %v, want one naming offset.storage.file.filename", err)
	}
	bad := filepath.Join(dir, "java.offsets")
	os.WriteFile(bad, []byte{0xac, 0xed, 0x00, 0x05}, 0o600)
	if _, err := OpenFileStore(bad); err == nil {
		t.Error("Java-serialized file opened without an error")
	}
	missing := filepath.Join(dir, "new.offsets")
	if _, err := OpenFileStore(missing); err != nil {
		t.Errorf("missing file: %v, want an empty store", err)
	}
}

func quote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}
