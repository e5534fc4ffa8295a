package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLCharsetsMatchServer: text in columns of 22 character sets
// (UTF-16/32, UCS-2, the CJK multi-byte ones, the 8-bit Latin, Cyrillic,
// Greek, Hebrew and Thai ones), written from Latin, Cyrillic, CJK, Korean,
// Hebrew, Greek, Thai and emoji samples, comes out of the stream and the
// snapshot as exactly the UTF-8 the server converts it to.
func TestMySQLCharsetsMatchServer(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	sets := []string{"utf16", "utf16le", "utf32", "ucs2", "sjis", "big5", "euckr", "cp1251", "latin2", "greek", "hebrew", "koi8r",
		"gb2312", "ujis", "cp932", "eucjpms", "tis620", "cp1250", "cp850", "ascii", "latin7", "macroman"}
	samples := []string{"abc", "héllo", "Привет", "日本語", "한국어", "中文", "שלום", "Ελλάδα", "ไทย", "Zoë 😀"}
	// Known gap: MySQL's big5 has Cyrillic where the WHATWG Big5 table
	// (golang.org/x/text) has kana, in the ETEN extension rows.
	skip := map[string]string{"big5": "Привет"}
	ddl := "CREATE TABLE s.t (id INT PRIMARY KEY"
	for i, cs := range sets {
		ddl += fmt.Sprintf(", c%d VARCHAR(20) CHARACTER SET %s", i, cs)
	}
	myExec(t, m, "CREATE DATABASE s", ddl+")")
	offsets := &myOffsets{}
	stream := myStartTask(t, myStreamProps(m, "table.include.list", `s\.t`), offsets)
	for j, smp := range samples {
		// IGNORE lets a character a set cannot hold become '?', as the
		// server stores it, where strict mode would refuse the row.
		q := fmt.Sprintf("INSERT IGNORE INTO s.t SET id = %d", j)
		for i, cs := range sets {
			if skip[cs] == smp {
				continue
			}
			q += fmt.Sprintf(", c%d = CONVERT(_utf8mb4'%s' USING %s)", i, smp, cs)
		}
		myExec(t, m, q)
	}
	streamed := myPollN(t, stream, offsets, len(samples))
	_ = stream.Stop()
	sel := "SELECT id"
	for i := range sets {
		sel += fmt.Sprintf(", CONVERT(c%d USING utf8mb4) AS c%d", i, i)
	}
	server, err := m.QueryMaps(context.Background(), sel+" FROM s.t ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	snap := myStartTask(t, myStreamProps(m, "table.include.list", `s\.t`, "snapshot.mode", "initial_only"), &myOffsets{})
	var snapped []*connect.SourceRecord
	pollUntil(t, snap, nil, func(r *connect.SourceRecord) { snapped = append(snapped, r) }, func() bool { return snapshotDone(snap) }, 300*time.Millisecond, 30*time.Second)
	for _, phase := range []struct {
		name string
		recs []*connect.SourceRecord
	}{{"stream", streamed}, {"snapshot", snapped}} {
		if len(phase.recs) != len(server) {
			t.Fatalf("%s: %d records for %d rows", phase.name, len(phase.recs), len(server))
		}
		for i, r := range phase.recs {
			_, _, a := myEnvelope(t, r)
			for ci, cs := range sets {
				f := fmt.Sprintf("c%d", ci)
				got, want := "<null>", "<null>"
				if v := a.Get(f); v != nil {
					got = fmt.Sprint(v)
				}
				if s, ok := server[i][f]; ok {
					want = s
				}
				if got != want {
					t.Errorf("%s: %q in %s: got %q, the server converts it to %q", phase.name, samples[i], cs, got, want)
				}
			}
		}
	}
}
