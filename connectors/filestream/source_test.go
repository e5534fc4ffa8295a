package filestream

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
)

type offsetReader map[string]any // the stored offset of the one partition

func (o offsetReader) Offset(_ context.Context, _ map[string]any) (map[string]any, error) {
	if o == nil {
		return nil, nil
	}
	return map[string]any(o), nil
}

type taskCtx struct {
	props map[string]string
	off   offsetReader
}

func (c taskCtx) Configs() map[string]string                       { return c.props }
func (c taskCtx) OffsetStorageReader() connect.OffsetStorageReader { return c.off }

func startTask(t *testing.T, props map[string]string, off offsetReader) *Task {
	t.Helper()
	task := &Task{}
	if err := task.Start(context.Background(), taskCtx{props, off}, props); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { task.Stop() })
	return task
}

type line struct {
	value string
	pos   int64
}

func lines(recs []*connect.SourceRecord) []line {
	out := []line{}
	for _, r := range recs {
		out = append(out, line{r.Value.(string), r.SourceOffset[PositionField].(int64)})
	}
	return out
}

func TestRegisteredUnderKafkaNames(t *testing.T) {
	for _, name := range []string{Class, "FileStreamSource", "FileStreamSourceConnector"} {
		c, p, err := connect.NewSourceConnector(name)
		if err != nil || p.Class != Class || c == nil {
			t.Errorf("NewSourceConnector(%q) = %v, %v", name, p.Class, err)
		}
	}
}

func TestReadsLinesWithKafkaOffsets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(path, []byte("alpha\r\nbeta\ngamma\rdelta\npartial"), 0o644); err != nil {
		t.Fatal(err)
	}
	task := startTask(t, map[string]string{"file": path, "topic": "t1", "batch.size": "3"}, nil)
	ctx := context.Background()

	recs, err := task.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []line{{"alpha", 7}, {"beta", 12}, {"gamma", 18}}
	if got := lines(recs); !reflect.DeepEqual(got, want) {
		t.Fatalf("first batch = %v, want %v", got, want)
	}
	r := recs[0]
	if r.Topic != "t1" || r.ValueSchema != connect.StringSchema || r.Key != nil || r.KeySchema != nil {
		t.Errorf("record = %+v", r)
	}
	if !reflect.DeepEqual(r.SourcePartition, map[string]any{"filename": path}) {
		t.Errorf("partition = %v", r.SourcePartition)
	}
	recs, _ = task.Poll(ctx)
	if got := lines(recs); !reflect.DeepEqual(got, []line{{"delta", 24}}) {
		t.Fatalf("second batch = %v", got)
	}

	// The unterminated "partial" is emitted once its line ends.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(" line\n")
	f.Close()
	recs, _ = task.Poll(ctx)
	if got := lines(recs); !reflect.DeepEqual(got, []line{{"partial line", 37}}) {
		t.Fatalf("after append = %v", got)
	}
}

func TestResumesFromCommittedPosition(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	os.WriteFile(path, []byte("one\ntwo\nthree\n"), 0o644)
	for _, pos := range []any{int64(4), float64(4), 4} {
		task := startTask(t, map[string]string{"file": path, "topic": "t"}, offsetReader{"position": pos})
		recs, err := task.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got := lines(recs); !reflect.DeepEqual(got, []line{{"two", 8}, {"three", 14}}) {
			t.Errorf("position %T: got %v", pos, got)
		}
	}
	task := startTask(t, map[string]string{"file": path, "topic": "t"}, offsetReader{"position": "4"})
	if _, err := task.Poll(context.Background()); err == nil || !strings.Contains(err.Error(), "position") {
		t.Errorf("string position: err = %v", err)
	}
}

func TestWaitsForMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "later.txt")
	task := startTask(t, map[string]string{"file": path, "topic": "t"}, nil)
	start := time.Now()
	recs, err := task.Poll(context.Background())
	if err != nil || len(recs) != 0 {
		t.Fatalf("Poll on missing file = %v, %v; want empty, nil", recs, err)
	}
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Errorf("Poll returned after %v; it should back off about a second", d)
	}
	os.WriteFile(path, []byte("hello\n"), 0o644)
	recs, err = task.Poll(context.Background())
	if err != nil || !reflect.DeepEqual(lines(recs), []line{{"hello", 6}}) {
		t.Fatalf("after create: %v, %v", lines(recs), err)
	}
}

func TestStopUnblocksPoll(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.txt")
	task := startTask(t, map[string]string{"file": path, "topic": "t"}, nil)
	done := make(chan struct{})
	go func() {
		task.Poll(context.Background())
		close(done)
	}()
	time.Sleep(50 * time.Millisecond)
	task.Stop()
	select {
	case <-done:
	case <-time.After(500 * time.Millisecond):
		t.Fatal("Poll did not return promptly after Stop")
	}
	if recs, err := task.Poll(context.Background()); recs != nil || err != nil {
		t.Errorf("Poll after Stop = %v, %v", recs, err)
	}
}

func TestStdin(t *testing.T) {
	old := stdinReader
	stdinReader = strings.NewReader("a\nb\n")
	defer func() { stdinReader = old }()
	task := startTask(t, map[string]string{"topic": "t"}, nil)
	var got []string
	deadline := time.Now().Add(3 * time.Second)
	for len(got) < 2 && time.Now().Before(deadline) {
		recs, err := task.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			got = append(got, r.Value.(string))
			if !reflect.DeepEqual(r.SourcePartition, map[string]any{"filename": nil}) || !reflect.DeepEqual(r.SourceOffset, map[string]any{"position": nil}) {
				t.Errorf("stdin partition/offset = %v / %v, want nulls as Kafka writes", r.SourcePartition, r.SourceOffset)
			}
		}
	}
	if !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("stdin lines = %v", got)
	}
}

func TestConfigValidation(t *testing.T) {
	cases := []struct {
		props   map[string]string
		wantErr string // "" = valid
	}{
		{map[string]string{"topic": "t"}, ""},
		{map[string]string{"topic": "t", "file": "/x", "batch.size": "10"}, ""},
		{map[string]string{"file": "/x"}, `Missing required configuration "topic"`},
		{map[string]string{"topic": "a,b"}, "single topic"},
		{map[string]string{"topic": " "}, "non-empty"},
		{map[string]string{"topic": "t", "batch.size": "0"}, "at least 1"},
		{map[string]string{"topic": "t", "batch.size": "x"}, "INT"},
	}
	for _, c := range cases {
		err := (&Connector{}).Start(context.Background(), nil, c.props)
		if (err == nil) != (c.wantErr == "") || (err != nil && !strings.Contains(err.Error(), c.wantErr)) {
			t.Errorf("Start(%v) = %v, want error containing %q", c.props, err, c.wantErr)
		}
	}
}

func TestOneTaskConfig(t *testing.T) {
	c := &Connector{}
	props := map[string]string{"topic": "t", "file": "/x", "connector.class": "FileStreamSource"}
	if err := c.Start(context.Background(), nil, props); err != nil {
		t.Fatal(err)
	}
	cfgs, err := c.TaskConfigs(5)
	if err != nil || len(cfgs) != 1 || !reflect.DeepEqual(cfgs[0], props) {
		t.Errorf("TaskConfigs(5) = %v, %v; want one copy of the props", cfgs, err)
	}
}

func TestAlterOffsets(t *testing.T) {
	const part = `{"filename":"/x"}`
	cases := []struct {
		part    string
		off     map[string]any
		wantErr string
	}{
		{part, nil, ""},
		{part, map[string]any{"position": int64(10)}, ""},
		{part, map[string]any{"position": float64(10)}, ""},
		{part, map[string]any{}, "Offset objects should either be null or contain the key 'position' (partition " + part + ")"},
		{part, map[string]any{"position": "10"}, "The value for the 'position' key in the offset is expected to be a Long value (partition " + part + `, got the string "10")`},
		{part, map[string]any{"position": 1.5}, "expected to be a Long value"},
		{part, map[string]any{"position": int64(-1)}, "The value for the 'position' key in the offset should be a non-negative value"},
		// Kafka refuses a partition without the key the task looks up...
		{`{"bogus":"/tmp/x"}`, map[string]any{"position": int64(1)}, `Partition objects should contain the key 'filename' (partition {"bogus":"/tmp/x"})`},
		{`null`, map[string]any{"position": int64(1)}, "Partition objects cannot be null"},
		// ...but lets any partition be reset, to clean garbage up.
		{`{"bogus":"/tmp/x"}`, nil, ""},
	}
	props := map[string]string{"file": "/x", "topic": "t"}
	for _, c := range cases {
		ok, err := (&Connector{}).AlterOffsets(props, map[string]map[string]any{c.part: c.off})
		if (err == nil) != (c.wantErr == "") || (err != nil && !strings.Contains(err.Error(), c.wantErr)) {
			t.Errorf("AlterOffsets(%s: %v) = %v, want error containing %q", c.part, c.off, err, c.wantErr)
		}
		if err == nil && !ok {
			t.Errorf("AlterOffsets(%s: %v) reported false; the connector's offsets are all framework-managed", c.part, c.off)
		}
	}
}

// TestAlterOffsetsStdin: a connector reading stdin tracks no offsets, so
// Kafka refuses to alter (or reset) them.
func TestAlterOffsetsStdin(t *testing.T) {
	for _, props := range []map[string]string{{"topic": "t"}, {"topic": "t", "file": ""}} {
		_, err := (&Connector{}).AlterOffsets(props, map[string]map[string]any{`{"filename":"/x"}`: nil})
		want := "Offsets cannot be modified if the 'file' configuration is unspecified. This is because stdin is used for input and offsets are not tracked."
		if err == nil || err.Error() != want {
			t.Errorf("AlterOffsets with %v = %v, want %q", props, err, want)
		}
	}
}
