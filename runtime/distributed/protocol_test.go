package distributed

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"testing"

	"github.com/sluicehq/sluice/rest"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMetadataGoldenBytes(t *testing.T) {
	tests := []struct {
		name string
		m    MemberMetadata
		hex  string
	}{
		{"v0", MemberMetadata{Version: 0, URL: "http://a:8083/", ConfigOffset: 5},
			"0000" + "000e" + hex.EncodeToString([]byte("http://a:8083/")) + "0000000000000005"},
		{"v1 without allocation", MemberMetadata{Version: 1, URL: "u", ConfigOffset: 7},
			"0001" + "0001" + "75" + "0000000000000007" + "ffffffff"},
		{"v2 with allocation", MemberMetadata{Version: 2, URL: "u", ConfigOffset: 1, Allocation: &Assignment{
			Leader: "L", LeaderURL: "U", ConfigOffset: 1, Connectors: []string{"c"}, Tasks: []rest.TaskID{{Connector: "c", Task: 0}}}},
			"0002" + "0001" + "75" + "0000000000000001" +
				"0000002d" + // allocation length (45 bytes)
				"0002" + "0000" + "0001" + "4c" + "0001" + "55" + "0000000000000001" +
				"00000001" + "0001" + "63" + "00000002" + "ffffffff" + "00000000" + // [c: -1, 0]
				"00000000" + // revoked: none
				"00000000"}, // delay
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := EncodeMetadata(tc.m)
			if want := unhex(t, tc.hex); !bytes.Equal(got, want) {
				t.Fatalf("encode:\n got %x\nwant %x", got, want)
			}
			back, err := DecodeMetadata(got)
			if err != nil {
				t.Fatal(err)
			}
			if back.Allocation != nil {
				back.Allocation.Version = 0
			}
			if !reflect.DeepEqual(back, tc.m) {
				t.Fatalf("round trip: %+v, want %+v", back, tc.m)
			}
		})
	}
}

func TestAssignmentGoldenBytesAndRoundTrip(t *testing.T) {
	a := Assignment{Version: 1, Leader: "connect-1-abc", LeaderURL: "http://h:8083/", ConfigOffset: 42,
		Connectors: []string{"b", "a"}, Tasks: []rest.TaskID{{Connector: "a", Task: 1}, {Connector: "z", Task: 0}, {Connector: "a", Task: 0}},
		RevokedTasks: []rest.TaskID{{Connector: "q", Task: 2}}, Delay: 3000}
	want := "0001" + "0000" +
		"000d" + hex.EncodeToString([]byte("connect-1-abc")) +
		"000e" + hex.EncodeToString([]byte("http://h:8083/")) +
		"000000000000002a" +
		"00000003" +
		"0001" + "61" + "00000003" + "ffffffff" + "00000000" + "00000001" + // a: -1, 0, 1
		"0001" + "62" + "00000001" + "ffffffff" + // b: -1
		"0001" + "7a" + "00000001" + "00000000" + // z: 0
		"00000001" + "0001" + "71" + "00000001" + "00000002" + // revoked q: 2
		"00000bb8"
	got := EncodeAssignment(a)
	if !bytes.Equal(got, unhex(t, want)) {
		t.Fatalf("encode:\n got %x\nwant %s", got, want)
	}
	back, err := DecodeAssignment(got)
	if err != nil {
		t.Fatal(err)
	}
	wantBack := a
	wantBack.Connectors = []string{"a", "b"}
	wantBack.Tasks = []rest.TaskID{{Connector: "a", Task: 0}, {Connector: "a", Task: 1}, {Connector: "z", Task: 0}}
	if !reflect.DeepEqual(back, wantBack) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", back, wantBack)
	}

	// v0 (eager) has no revocations or delay; a v1 reader accepts it, and
	// accepts a v1 blob cut after the assignments.
	v0 := EncodeAssignment(Assignment{Version: 0, Leader: "l", LeaderURL: "u", Connectors: []string{"c"}})
	if len(v0) != 2+2+3+3+8+4+2+1+4+4 {
		t.Fatalf("v0 length %d", len(v0))
	}
	if d, err := DecodeAssignment(v0); err != nil || !reflect.DeepEqual(d.Connectors, []string{"c"}) || d.Delay != 0 {
		t.Fatalf("v0 decode = %+v, %v", d, err)
	}
	cut := EncodeAssignment(Assignment{Version: 1, Leader: "l", LeaderURL: "u", Connectors: []string{"c"}})
	cut = cut[:len(cut)-8]
	if d, err := DecodeAssignment(cut); err != nil || d.RevokedConnectors != nil || d.Delay != 0 {
		t.Fatalf("truncated v1 decode = %+v, %v", d, err)
	}
	if _, err := DecodeAssignment([]byte{0, 1, 0}); err == nil {
		t.Fatal("garbage decoded without error")
	}
}

// The eager leader sends Kafka Connect's v0 assignment (ConnectProtocol
// ASSIGNMENT_V0): version, error, leader, leader URL, config offset and one
// non-nullable array of connector entries, the Connector instance as task
// -1. No revocations and no delay follow.
func TestAssignmentV0GoldenBytes(t *testing.T) {
	a := Assignment{Version: 0, Leader: "connect-1-abc", LeaderURL: "http://h:8083/", ConfigOffset: 7,
		Connectors: []string{"b"}, Tasks: []rest.TaskID{{Connector: "a", Task: 1}, {Connector: "b", Task: 0}, {Connector: "a", Task: 0}}}
	want := "0000" + "0000" +
		"000d" + hex.EncodeToString([]byte("connect-1-abc")) +
		"000e" + hex.EncodeToString([]byte("http://h:8083/")) +
		"0000000000000007" +
		"00000002" +
		"0001" + "62" + "00000002" + "ffffffff" + "00000000" + // b: -1, 0
		"0001" + "61" + "00000002" + "00000000" + "00000001" // a: 0, 1
	got := EncodeAssignment(a)
	if !bytes.Equal(got, unhex(t, want)) {
		t.Fatalf("encode:\n got %x\nwant %s", got, want)
	}
	back, err := DecodeAssignment(got)
	if err != nil {
		t.Fatal(err)
	}
	wantBack := Assignment{Version: 0, Leader: a.Leader, LeaderURL: a.LeaderURL, ConfigOffset: 7, Connectors: []string{"b"},
		Tasks: []rest.TaskID{{Connector: "b", Task: 0}, {Connector: "a", Task: 0}, {Connector: "a", Task: 1}}}
	if !reflect.DeepEqual(back, wantBack) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", back, wantBack)
	}

	// A failed v0 assignment carries no work at all: an empty array, not a
	// null one, since ASSIGNMENT_V0's array is not nullable.
	failed := EncodeAssignment(Assignment{Version: 0, Error: AssignmentConfigMismatch, Leader: "l", LeaderURL: "u", ConfigOffset: 3})
	if want := "0000" + "0001" + "0001" + "6c" + "0001" + "75" + "0000000000000003" + "00000000"; !bytes.Equal(failed, unhex(t, want)) {
		t.Fatalf("config mismatch:\n got %x\nwant %s", failed, want)
	}
}

// Kafka's v0 writer orders entries by a hash set and may list a task
// before its connector's -1; the reader takes any order.
func TestAssignmentV0FromKafkaOrder(t *testing.T) {
	blob := "0000" + "0000" + "0001" + "4c" + "0001" + "55" + "0000000000000009" +
		"00000003" +
		"0001" + "7a" + "00000001" + "00000002" + // z: 2
		"0001" + "63" + "00000002" + "00000001" + "ffffffff" + // c: 1, -1
		"0001" + "64" + "00000001" + "ffffffff" // d: -1
	a, err := DecodeAssignment(unhex(t, blob))
	if err != nil {
		t.Fatal(err)
	}
	want := Assignment{Leader: "L", LeaderURL: "U", ConfigOffset: 9, Connectors: []string{"c", "d"},
		Tasks: []rest.TaskID{{Connector: "z", Task: 2}, {Connector: "c", Task: 1}}}
	if !reflect.DeepEqual(a, want) {
		t.Fatalf("decode:\n got %+v\nwant %+v", a, want)
	}
}

// Each connect.protocol offers its subprotocols in preference order, each
// with metadata in its own version: Kafka Connect's metadataRequest for
// EAGER, COMPATIBLE and SESSIONED.
func TestJoinProtocols(t *testing.T) {
	alloc := Assignment{Leader: "L", LeaderURL: "U", ConfigOffset: 4, Connectors: []string{"c"}, Tasks: []rest.TaskID{{Connector: "c", Task: 0}}}
	v0 := "0000" + "0001" + "75" + "0000000000000004"
	for _, tc := range []struct {
		mode string
		want []string
	}{
		{"eager", []string{ProtocolDefault}},
		{"compatible", []string{ProtocolCompatible, ProtocolDefault}},
		{"sessioned", []string{ProtocolSessioned, ProtocolCompatible, ProtocolDefault}},
	} {
		p := baseProps()
		p["connect.protocol"] = tc.mode
		c, err := ParseConfig(p)
		if err != nil {
			t.Fatal(err)
		}
		protos := joinProtocols(c.Protocols, "u", 4, alloc)
		var names []string
		for _, pm := range protos {
			names = append(names, pm.name)
			md, err := DecodeMetadata(pm.metadata)
			if err != nil || md.Version != ProtocolVersion(pm.name) || md.URL != "u" || md.ConfigOffset != 4 {
				t.Errorf("%s/%s: metadata %+v %v", tc.mode, pm.name, md, err)
			}
			if pm.name == ProtocolDefault {
				if !bytes.Equal(pm.metadata, unhex(t, v0)) {
					t.Errorf("%s: default metadata %x, want %s", tc.mode, pm.metadata, v0)
				}
				continue
			}
			if md.Allocation == nil || md.Allocation.Version != md.Version || !reflect.DeepEqual(md.Allocation.Connectors, []string{"c"}) {
				t.Errorf("%s/%s: allocation %+v", tc.mode, pm.name, md.Allocation)
			}
		}
		if !reflect.DeepEqual(names, tc.want) {
			t.Errorf("%s: offers %v, want %v", tc.mode, names, tc.want)
		}
	}
}
