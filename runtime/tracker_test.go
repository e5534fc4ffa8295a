package runtime

import (
	"reflect"
	"testing"

	"github.com/sluicehq/sluice/offsets"
)

func TestSubmittedRecordsOutOfOrderAcks(t *testing.T) {
	pa := map[string]any{"p": "a"}
	pb := map[string]any{"p": "b"}
	type step struct {
		ack  []string // record names to ack
		want map[string]int64
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"in order", []step{
			{[]string{"a1"}, map[string]int64{"a": 1}},
			{[]string{"a2", "a3"}, map[string]int64{"a": 3}},
		}},
		{"gap holds the partition back", []step{
			{[]string{"a2", "a3"}, map[string]int64{}},
			{[]string{"b1"}, map[string]int64{"b": 1}},
			{[]string{"a1"}, map[string]int64{"a": 3}},
		}},
		{"partitions are independent", []step{
			{[]string{"b2", "a1"}, map[string]int64{"a": 1}},
			{[]string{"b1"}, map[string]int64{"b": 2}},
			{[]string{"a3"}, map[string]int64{}},
			{[]string{"a2"}, map[string]int64{"a": 3}},
		}},
		{"nothing new, nothing returned", []step{
			{[]string{"a1"}, map[string]int64{"a": 1}},
			{nil, map[string]int64{}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSubmittedRecords()
			recs := map[string]*submittedRecord{}
			for i := int64(1); i <= 3; i++ {
				for _, p := range []struct {
					n    string
					part map[string]any
				}{{"a", pa}, {"b", pb}} {
					if p.n == "b" && i == 3 {
						continue
					}
					sr, err := s.submit(p.part, recordOffset{m: map[string]any{"pos": i}})
					if err != nil {
						t.Fatal(err)
					}
					recs[p.n+string(rune('0'+i))] = sr
				}
			}
			for i, st := range tt.steps {
				for _, n := range st.ack {
					s.ack(recs[n])
				}
				got := map[string]int64{}
				for _, e := range s.committable() {
					got[e.Partition["p"].(string)] = e.Offset["pos"].(int64)
				}
				if !reflect.DeepEqual(got, st.want) {
					t.Fatalf("step %d: committable = %v, want %v", i, got, st.want)
				}
			}
		})
	}
}

func TestSubmittedRecordsPendingAndCopies(t *testing.T) {
	s := newSubmittedRecords()
	// Equal partitions in distinct maps are one partition.
	r1, _ := s.submit(map[string]any{"p": 1}, recordOffset{m: map[string]any{"o": 1}})
	r2, _ := s.submit(map[string]any{"p": 1}, recordOffset{m: map[string]any{"o": 2}})
	r3, _ := s.submit(nil, recordOffset{})
	if got := s.pending(); got != 3 {
		t.Fatalf("pending = %d, want 3", got)
	}
	s.ack(r2)
	s.ack(r3)
	s.ack(r3) // a duplicate report must not count twice
	if got := s.pending(); got != 1 {
		t.Fatalf("pending = %d, want 1", got)
	}
	if c := s.committable(); len(c) != 0 {
		t.Fatalf("committable before r1 acked = %v", c)
	}
	s.ack(r1)
	c := s.committable()
	want := []offsets.Entry{{Partition: map[string]any{"p": 1}, Offset: map[string]any{"o": 2}}}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("committable = %v, want %v", c, want)
	}
	if _, err := s.submit(map[string]any{"p": []int{1}}, recordOffset{m: map[string]any{}}); err == nil {
		t.Fatal("a non-primitive partition was accepted")
	}
}

func TestSubmittedRecordsLongQueueCompacts(t *testing.T) {
	s := newSubmittedRecords()
	part := map[string]any{"p": 1}
	var recs []*submittedRecord
	for i := 0; i < 5000; i++ {
		r, _ := s.submit(part, recordOffset{m: map[string]any{"o": i}})
		recs = append(recs, r)
	}
	for i := 0; i < 4999; i++ {
		s.ack(recs[i])
	}
	c := s.committable()
	if len(c) != 1 || c[0].Offset["o"] != 4998 {
		t.Fatalf("committable = %v, want o=4998", c)
	}
	s.ack(recs[4999])
	if c := s.committable(); len(c) != 1 || c[0].Offset["o"] != 4999 {
		t.Fatalf("committable = %v, want o=4999", c)
	}
	if s.pending() != 0 || len(s.parts) != 0 {
		t.Fatalf("pending %d, parts %d after all acked and committed", s.pending(), len(s.parts))
	}
}
