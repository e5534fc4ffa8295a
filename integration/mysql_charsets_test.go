package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/converters/dtsavro"
	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLCharsetsMatchServer: text in columns of 36 character sets
// (UTF-16/32, UCS-2, the CJK multi-byte ones, every 8-bit one: Latin,
// Cyrillic, Greek, Hebrew, Arabic, Baltic, Thai, Armenian, Georgian,
// Swedish 7-bit and the DOS, Mac and HP ones), written from Latin,
// Cyrillic, CJK, Korean, Hebrew, Greek, Thai, Armenian, Georgian, Czech,
// Swedish and emoji samples, comes out of the stream and the snapshot as
// exactly the UTF-8 the server converts it to.
func TestMySQLCharsetsMatchServer(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	sets := []string{"utf16", "utf16le", "utf32", "ucs2", "sjis", "big5", "euckr", "cp1251", "latin2", "greek", "hebrew", "koi8r",
		"gb2312", "ujis", "cp932", "eucjpms", "tis620", "cp1250", "cp850", "ascii", "latin7", "macroman",
		"latin1", "latin5", "cp1256", "cp1257", "cp852", "cp866", "koi8u", "armscii8", "dec8", "geostd8", "hp8", "keybcs2", "macce", "swe7"}
	samples := []string{"abc", "héllo", "Привет", "日本語", "한국어", "中文", "שלום", "Ελλάδα", "ไทย", "Zoë 😀", "〜＼∥－￠￡￢", "ｶﾀｶﾅ",
		"Բարեւ", "გამარჯობა", "Žluťoučký kůň", "Åsa [Öberg]", "«€‘’• ʽ»"}
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
			q += fmt.Sprintf(", c%d = CONVERT(_utf8mb4'%s' USING %s)", i, smp, cs)
		}
		myExec(t, m, q)
	}
	streamed := myPollN(t, stream, offsets, len(samples))
	_ = stream.Stop()
	sel := "SELECT id"
	for i := range sets {
		sel += fmt.Sprintf(", CONVERT(c%d USING utf8mb4) AS c%d, HEX(c%d) AS h%d", i, i, i, i)
	}
	server, err := m.QueryMaps(context.Background(), sel+" FROM s.t ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	snap := myStartTask(t, myStreamProps(m, "table.include.list", `s\.t`, "snapshot.mode", "initial_only"), &myOffsets{})
	var snapped []*connect.SourceRecord
	pollUntil(t, snap, nil, func(r *connect.SourceRecord) { snapped = append(snapped, r) }, func() bool { return snapshotDone(snap) }, 300*time.Millisecond, 30*time.Second)
	dts := dtsavro.New()
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
			// DTS Avro's Character carries the column's charset and the
			// bytes the server stores, not transcoded.
			b, err := dts.FromConnectData(r.Topic, nil, r.ValueSchema, r.Value)
			if err != nil {
				t.Fatal(err)
			}
			rec, err := dtsavro.DecodeRecord(b)
			if err != nil {
				t.Fatal(err)
			}
			items := rec.Get("afterImages").(*connect.Struct).Values()[1].([]any)
			for ci, cs := range sets {
				wantHex, ok := server[i][fmt.Sprintf("h%d", ci)]
				item := items[ci+1]
				if !ok || item == nil {
					if ok != (item != nil) {
						t.Errorf("%s DTS Avro: %q in %s: item %v, server hex %q", phase.name, samples[i], cs, item, wantHex)
					}
					continue
				}
				ch := item.(*connect.Struct).Get("Character")
				if ch == nil {
					t.Fatalf("%s DTS Avro: %s column written as %v, want a Character", phase.name, cs, item)
				}
				gotCS, gotB := ch.(*connect.Struct).Get("charset"), ch.(*connect.Struct).Get("value").([]byte)
				if gotCS != cs || strings.ToUpper(hex.EncodeToString(gotB)) != wantHex {
					t.Errorf("%s DTS Avro: %q in %s: charset %v bytes %X, the server stores %s", phase.name, samples[i], cs, gotCS, gotB, wantHex)
				}
			}
		}
	}
}

// TestMySQLColumnMasksAcrossCharsets: Debezium's hash, truncate and mask
// column rules give the same values from the snapshot and from the stream
// on gbk, latin1, utf8mb4, UTF-16, ENUM and JSON columns, the v2 hash being
// the hex SHA-256 of the salt and the value's UTF-8 text whatever the
// column's character set, and truncation counting characters.
func TestMySQLColumnMasksAcrossCharsets(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE s", "CREATE TABLE s.p (id INT PRIMARY KEY, g VARCHAR(20) CHARACTER SET gbk, "+
		"l VARCHAR(20) CHARACTER SET latin1, u VARCHAR(20), t TEXT CHARACTER SET utf16, e ENUM('ä','b'), j JSON)")
	props := []string{"table.include.list", `s\.p`, "column.mask.hash.v2.SHA-256.with.salt.pepper", `s\.p\.(g|l)`,
		"column.truncate.to.3.chars", `s\.p\.(u|t)`, "column.mask.with.4.chars", `s\.p\.(e|j)`}
	offsets := &myOffsets{}
	stream := myStartTask(t, myStreamProps(m, props...), offsets)
	myExec(t, m, `INSERT INTO s.p VALUES (1, '汉字abc', 'café', 'héllo😀x', 'Привет', 'ä', '{"a":1}'), (2, NULL, '', 'ab', 'abcd', 'b', NULL)`)
	streamed := myPollN(t, stream, offsets, 2)
	_ = stream.Stop()
	snap := myStartTask(t, myStreamProps(m, append(props, "snapshot.mode", "initial_only")...), &myOffsets{})
	var snapped []*connect.SourceRecord
	pollUntil(t, snap, nil, func(r *connect.SourceRecord) { snapped = append(snapped, r) }, func() bool { return snapshotDone(snap) }, 300*time.Millisecond, 30*time.Second)
	// Cut to the VARCHAR(20) columns' length, as Debezium cuts a hash.
	hash := func(s string) string { h := sha256.Sum256([]byte("pepper" + s)); return hex.EncodeToString(h[:])[:20] }
	want := [][]any{
		{int32(1), hash("汉字abc"), hash("café"), "hél", "При", "****", "****"},
		{int32(2), nil, hash(""), "ab", "abc", "****", nil},
	}
	for _, phase := range []struct {
		name string
		recs []*connect.SourceRecord
	}{{"stream", streamed}, {"snapshot", snapped}} {
		if len(phase.recs) != len(want) {
			t.Fatalf("%s: %d records", phase.name, len(phase.recs))
		}
		for i, r := range phase.recs {
			_, _, a := myEnvelope(t, r)
			if fmt.Sprint(a.Values()) != fmt.Sprint(want[i]) {
				t.Errorf("%s row %d: %v, want %v", phase.name, i+1, a.Values(), want[i])
			}
		}
	}
}
