package distributed

import (
	"testing"

	"github.com/sluicehq/sluice/runtime"
)

// Task configs stored before task.class existed match the generated ones
// that differ only by it, so an upgrade does not restart every task; any
// other difference, or a different stored class, still counts.
func TestSameTaskConfigIgnoresMissingTaskClass(t *testing.T) {
	gen := map[string]string{"a": "1", runtime.TaskClassConfig: "x.Task"}
	for _, c := range []struct {
		stored map[string]string
		same   bool
	}{
		{map[string]string{"a": "1"}, true},
		{map[string]string{"a": "1", runtime.TaskClassConfig: "x.Task"}, true},
		{map[string]string{"a": "2"}, false},
		{map[string]string{"a": "1", "b": "2"}, false},
		{map[string]string{}, false},
		{map[string]string{"a": "1", runtime.TaskClassConfig: "y.Task"}, false},
	} {
		if got := sameTaskConfig(gen, c.stored); got != c.same {
			t.Errorf("sameTaskConfig(%v, %v) = %v, want %v", gen, c.stored, got, c.same)
		}
	}
	if !sameTaskConfig(map[string]string{"a": "1"}, map[string]string{"a": "1"}) || sameTaskConfig(map[string]string{"a": "1"}, map[string]string{"a": "1", runtime.TaskClassConfig: "x"}) {
		t.Error("configs without task.class compare as maps")
	}
}
