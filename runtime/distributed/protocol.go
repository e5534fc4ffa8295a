package distributed

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/sluicehq/sluice/rest"
)

// Connect subprotocols (JoinGroup protocol names) and their versions.
const (
	ProtocolDefault    = "default"    // v0, eager
	ProtocolCompatible = "compatible" // v1, incremental cooperative
	ProtocolSessioned  = "sessioned"  // v2, cooperative with request signing
	// ProtocolType is the JoinGroup protocol type of Connect groups.
	ProtocolType = "connect"
)

// ConnectProtocolEager is the connect.protocol value that offers only
// ProtocolDefault: the worker's setting and the JoinGroup name differ for
// eager alone, as in Kafka Connect.
const ConnectProtocolEager = "eager"

// protocolMode is the connect.protocol value that selects a subprotocol,
// for messages users compare with their worker properties.
func protocolMode(name string) string {
	if name == ProtocolDefault {
		return ConnectProtocolEager
	}
	return name
}

// ProtocolVersion returns a subprotocol's version.
func ProtocolVersion(name string) int16 {
	switch name {
	case ProtocolSessioned:
		return 2
	case ProtocolCompatible:
		return 1
	}
	return 0
}

// Assignment errors.
const (
	AssignmentNoError        int16 = 0
	AssignmentConfigMismatch int16 = 1
)

// connectorTask is the task id that stands for the Connector instance.
const connectorTask = -1

// MemberMetadata is a member's JoinGroup metadata.
type MemberMetadata struct {
	Version      int16
	URL          string
	ConfigOffset int64
	// Allocation is the member's current assignment (v1+); nil if none.
	Allocation *Assignment
}

// Assignment is a SyncGroup member assignment. Under the cooperative
// protocols Connectors/Tasks are what is newly assigned and Revoked* what
// must stop.
type Assignment struct {
	Version           int16
	Error             int16
	Leader            string
	LeaderURL         string
	ConfigOffset      int64
	Connectors        []string
	Tasks             []rest.TaskID
	RevokedConnectors []string
	RevokedTasks      []rest.TaskID
	Delay             int32
}

type writer struct{ b []byte }

func (w *writer) i16(v int16) { w.b = binary.BigEndian.AppendUint16(w.b, uint16(v)) }
func (w *writer) i32(v int32) { w.b = binary.BigEndian.AppendUint32(w.b, uint32(v)) }
func (w *writer) i64(v int64) { w.b = binary.BigEndian.AppendUint64(w.b, uint64(v)) }
func (w *writer) str(s string) {
	w.i16(int16(len(s)))
	w.b = append(w.b, s...)
}

type reader struct {
	b   []byte
	err error
}

var errShort = errors.New("truncated")

func (r *reader) need(n int) bool {
	if r.err != nil {
		return false
	}
	if len(r.b) < n {
		r.err = errShort
		return false
	}
	return true
}

func (r *reader) i16() int16 {
	if !r.need(2) {
		return 0
	}
	v := int16(binary.BigEndian.Uint16(r.b))
	r.b = r.b[2:]
	return v
}

func (r *reader) i32() int32 {
	if !r.need(4) {
		return 0
	}
	v := int32(binary.BigEndian.Uint32(r.b))
	r.b = r.b[4:]
	return v
}

func (r *reader) i64() int64 {
	if !r.need(8) {
		return 0
	}
	v := int64(binary.BigEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

func (r *reader) str() string {
	n := int(r.i16())
	if n < 0 || !r.need(n) {
		if r.err == nil {
			r.err = fmt.Errorf("negative string length %d", n)
		}
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// EncodeMetadata serialises member metadata in its Version's layout.
func EncodeMetadata(m MemberMetadata) []byte {
	w := &writer{}
	w.i16(m.Version)
	w.str(m.URL)
	w.i64(m.ConfigOffset)
	if m.Version >= 1 {
		if m.Allocation == nil {
			w.i32(-1)
		} else {
			a := *m.Allocation
			a.Version = m.Version
			blob := EncodeAssignment(a)
			w.i32(int32(len(blob)))
			w.b = append(w.b, blob...)
		}
	}
	return w.b
}

// DecodeMetadata parses member metadata of any version.
func DecodeMetadata(b []byte) (MemberMetadata, error) {
	r := &reader{b: b}
	m := MemberMetadata{Version: r.i16(), URL: r.str(), ConfigOffset: r.i64()}
	if r.err != nil {
		return m, fmt.Errorf("connect member metadata: %w", r.err)
	}
	if m.Version >= 1 && len(r.b) >= 4 {
		n := r.i32()
		if n >= 0 {
			if !r.need(int(n)) {
				return m, fmt.Errorf("connect member metadata: allocation: %w", r.err)
			}
			a, err := DecodeAssignment(r.b[:n])
			if err != nil {
				return m, fmt.Errorf("connect member metadata: allocation: %w", err)
			}
			m.Allocation = &a
		}
	}
	return m, nil
}

// encodeConnectorAssignments writes ARRAY<connector:STRING, tasks:ARRAY<int32>>,
// one entry per connector, the Connector instance (-1) before its tasks.
func encodeConnectorAssignments(w *writer, conns []string, tasks []rest.TaskID) {
	byConn := map[string][]int32{}
	var order []string
	add := func(c string, t int32) {
		if _, ok := byConn[c]; !ok {
			order = append(order, c)
		}
		byConn[c] = append(byConn[c], t)
	}
	for _, c := range sortedStrings(conns) {
		add(c, connectorTask)
	}
	ts := append([]rest.TaskID(nil), tasks...)
	sortTaskIDs(ts)
	for _, t := range ts {
		add(t.Connector, int32(t.Task))
	}
	w.i32(int32(len(order)))
	for _, c := range order {
		w.str(c)
		w.i32(int32(len(byConn[c])))
		for _, t := range byConn[c] {
			w.i32(t)
		}
	}
}

func decodeConnectorAssignments(r *reader) (conns []string, tasks []rest.TaskID, null bool) {
	n := r.i32()
	if n < 0 {
		return nil, nil, true
	}
	for i := int32(0); i < n && r.err == nil; i++ {
		c := r.str()
		m := r.i32()
		for j := int32(0); j < m && r.err == nil; j++ {
			t := r.i32()
			if t == connectorTask {
				conns = append(conns, c)
			} else {
				tasks = append(tasks, rest.TaskID{Connector: c, Task: int(t)})
			}
		}
	}
	return conns, tasks, false
}

// EncodeAssignment serialises an assignment in its Version's layout.
func EncodeAssignment(a Assignment) []byte {
	w := &writer{}
	w.i16(a.Version)
	w.i16(a.Error)
	w.str(a.Leader)
	w.str(a.LeaderURL)
	w.i64(a.ConfigOffset)
	encodeConnectorAssignments(w, a.Connectors, a.Tasks)
	if a.Version >= 1 {
		encodeConnectorAssignments(w, a.RevokedConnectors, a.RevokedTasks)
		w.i32(a.Delay)
	}
	return w.b
}

// DecodeAssignment parses an assignment of any version; v1+ blobs may stop
// after any field (missing revocations and delay read as none).
func DecodeAssignment(b []byte) (Assignment, error) {
	r := &reader{b: b}
	a := Assignment{Version: r.i16(), Error: r.i16(), Leader: r.str(), LeaderURL: r.str(), ConfigOffset: r.i64()}
	if r.err != nil {
		return a, fmt.Errorf("connect assignment: %w", r.err)
	}
	a.Connectors, a.Tasks, _ = decodeConnectorAssignments(r)
	if r.err != nil {
		return a, fmt.Errorf("connect assignment: %w", r.err)
	}
	if a.Version >= 1 && len(r.b) > 0 {
		a.RevokedConnectors, a.RevokedTasks, _ = decodeConnectorAssignments(r)
		if len(r.b) >= 4 {
			a.Delay = r.i32()
		}
		if r.err != nil {
			return a, fmt.Errorf("connect assignment: %w", r.err)
		}
	}
	return a, nil
}

func sortedStrings(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func sortTaskIDs(ts []rest.TaskID) {
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].Connector != ts[j].Connector {
			return ts[i].Connector < ts[j].Connector
		}
		return ts[i].Task < ts[j].Task
	})
}
