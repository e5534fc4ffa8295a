package connect

import "testing"

func TestPartitionPtr(t *testing.T) {
	for _, p := range []int32{0, 1, 7, 1023, 1024, 99999, -1} {
		if got := PartitionPtr(p); got == nil || *got != p {
			t.Fatalf("PartitionPtr(%d) = %v", p, got)
		}
	}
	if PartitionPtr(3) != PartitionPtr(3) {
		t.Fatal("small partitions are not shared")
	}
	a := PartitionPtr(5000)
	*a = 1
	if *PartitionPtr(5000) != 5000 {
		t.Fatal("large partitions are shared")
	}
}
