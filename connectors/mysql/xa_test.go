package mysql

import (
	"encoding/binary"
	"maps"
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/sluicehq/sluice/connect"
)

func TestXAStatement(t *testing.T) {
	for _, c := range []struct{ q, verb, xid string }{
		// As the server logs them.
		{"XA END X'7831',X'',1", "end", "X'7831',X'',1"},
		{"XA COMMIT X'7831',X'',1", "commit", "X'7831',X'',1"},
		{"XA ROLLBACK X'782732',X'6271',7", "rollback", "X'782732',X'6271',7"},
		// As a user types them: the same xids.
		{"xa start 'x1'", "start", "X'7831',X'',1"},
		{"XA COMMIT 'x''2', 'bq', 7", "commit", "X'782732',X'6271',7"},
		{"XA COMMIT 0x7831 ONE PHASE", "commit", "X'7831',X'',1"},
		{"/* c */ XA PREPARE 'x1'", "prepare", "X'7831',X'',1"},
		{"COMMIT", "", ""},
	} {
		verb, xid := xaStatement(c.q)
		if verb != c.verb || xid != c.xid {
			t.Errorf("%q: %q %q, want %q %q", c.q, verb, xid, c.verb, c.xid)
		}
	}
}

func TestXAPendingRoundTrip(t *testing.T) {
	prepared := map[string]*xaTx{
		"X'62',X'',1": {xid: "X'62',X'',1", file: "binlog.000002", pos: 4, gtid: "0-1-9"},
		"X'61',X'',1": {xid: "X'61',X'',1", file: "binlog.000001", pos: 900, gtid: "0-1-7"},
	}
	s := renderXAPending(prepared)
	want := `[{"xid":"X'61',X'',1","file":"binlog.000001","pos":900,"gtid":"0-1-7"},{"xid":"X'62',X'',1","file":"binlog.000002","pos":4,"gtid":"0-1-9"}]`
	if s != want {
		t.Fatalf("rendered %s\nwant     %s", s, want)
	}
	back, err := parseXAPending(s)
	if err != nil {
		t.Fatal(err)
	}
	for xid, x := range prepared {
		b := back[xid]
		if b == nil || b.file != x.file || b.pos != x.pos || b.gtid != x.gtid || !b.spilled || !b.prepared {
			t.Errorf("%s: parsed %+v", xid, b)
		}
	}
	if renderXAPending(nil) != "" {
		t.Error("no pending transaction renders a value")
	}
	// Carried by the offset, and refused when it does not parse.
	p := Position{File: "binlog.000003", Pos: 10, XAPending: s}
	got, err := ParsePosition(p.Map())
	if err != nil || got.XAPending != s {
		t.Fatalf("ParsePosition: %+v, %v", got, err)
	}
	m := p.Map()
	m[OffsetXAPending] = "[{"
	if _, err := ParsePosition(m); err == nil {
		t.Error("a broken xa_pending parsed")
	}
}

// TestXAKeepSpills: a prepared group larger than the bound is not held;
// its records are dropped from memory for a re-read at commit.
func TestXAKeepSpills(t *testing.T) {
	s := &stream{opts: &Options{MaxQueueBytes: 1000}, log: slogDiscard()}
	s.cur.txFile, s.cur.txPos = "binlog.000001", 300
	s.xaBegin("X'61',X'',1")
	x := s.xa
	r := &connect.SourceRecord{Topic: "t", SourceOffset: map[string]any{"file": "old"}}
	s.xaKeep(x, r, 600)
	if x.spilled || len(x.recs) != 1 || r.SourceOffset != nil || r.LazyOffset.From != x.offs {
		t.Fatalf("first record: spilled %v, %d held, offset %v", x.spilled, len(x.recs), r.SourceOffset)
	}
	s.xaKeep(x, &connect.SourceRecord{Topic: "t"}, 600)
	if !x.spilled || len(x.recs) != 0 || s.xaHeldBytes != 0 {
		t.Fatalf("over the bound: spilled %v, %d held, %d bytes", x.spilled, len(x.recs), s.xaHeldBytes)
	}
	s.xaKeep(x, &connect.SourceRecord{Topic: "t"}, 10)
	if len(x.recs) != 0 {
		t.Fatal("a spilled group held a record")
	}
}

// TestXAHeldPosition: while an XA group's records are held, an offset taken
// says none of the group went out, so a restart reads it all again.
func TestXAHeldPosition(t *testing.T) {
	c := cursor{txFile: "binlog.000001", txPos: 300, events: 4, xaPending: `[{"xid":"x"}]`}
	if p := c.position(2); p.Events != 4 || p.Rows != 2 || p.XAPending != c.xaPending {
		t.Fatalf("outside an XA group: %+v", p)
	}
	c.xaHeld = true
	if p := c.position(2); p.Events != 0 || p.Rows != 0 || p.File != "binlog.000001" || p.Pos != 300 {
		t.Fatalf("inside an XA group: %+v", p)
	}
}

// TestRowOffsetsFixed: records of a group emitted whole at its end share
// one offset, without a row count.
func TestRowOffsetsFixed(t *testing.T) {
	o := &rowOffsets{base: Position{File: "f", Pos: 9}.Map()}
	if m := o.SourceOffsetAt(3); m[OffsetRow] != int64(3) {
		t.Fatalf("row offsets: %v", m)
	}
	o.fixed = true
	if m := o.SourceOffsetAt(3); m[OffsetRow] != nil {
		t.Fatalf("fixed offsets: %v", m)
	}
}

func TestMariaDBGTIDXID(t *testing.T) {
	raw := make([]byte, replication.EventHeaderSize)
	raw = binary.LittleEndian.AppendUint64(raw, 42)                                      // sequence number
	raw = binary.LittleEndian.AppendUint32(raw, 0)                                       // domain
	raw = append(raw, mariadbFlPreparedXA|replication.BINLOG_MARIADB_FL_GROUP_COMMIT_ID) // flags
	raw = binary.LittleEndian.AppendUint64(raw, 7)                                       // commit id
	raw = binary.LittleEndian.AppendUint32(raw, 7)                                       // format id
	raw = append(raw, 3, 2, 'x', '\'', '2', 'b', 'q')                                    // lengths, gtrid, bqual
	if got, want := mariadbGTIDXID(raw), "X'782732',X'6271',7"; got != want {
		t.Errorf("xid %q, want %q (as XA COMMIT 'x''2','bq',7 names it: %q)", got, want, func() string { _, x := xaStatement("XA COMMIT 'x''2','bq',7"); return x }())
	}
	raw[replication.EventHeaderSize+12] = 0
	if got := mariadbGTIDXID(raw); got != "" {
		t.Errorf("a GTID event without an XA flag has xid %q", got)
	}
}

// The XA re-reader's server id is database.server.id plus
// database.server.id.offset (Debezium's 10000 by default), wrapping past
// 2^32 and never 0.
func TestXAReplayServerIDOffset(t *testing.T) {
	base := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "srv", "database.server.id": "5401"}
	for _, tc := range []struct {
		offset string
		want   uint32
	}{
		{"", 15401},
		{"7", 5408},
		{"4294961895", 1}, // 5401 + 4294961895 = 2^32: wraps to 0, which is no id
	} {
		props := maps.Clone(base)
		if tc.offset != "" {
			props["database.server.id.offset"] = tc.offset
		}
		o, err := ParseOptions(props)
		if err != nil {
			t.Fatalf("offset %q: %v", tc.offset, err)
		}
		if got := xaReplayServerID(o.ServerID, o.ServerIDOffset); got != tc.want {
			t.Errorf("offset %q: re-reader server id %d, want %d", tc.offset, got, tc.want)
		}
	}
	if _, err := ParseOptions(map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "srv", "database.server.id.offset": "0"}); err == nil ||
		!strings.Contains(err.Error(), "database.server.id.offset") {
		t.Errorf("offset 0 accepted or unnamed: %v", err)
	}
}
