package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/converters/dtsavro"
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

// TestMySQLPrecheckWarnsUndecodableCharset: a captured column in a
// character set the connector has no decoder for (armscii8) is named in a
// warning when the connector is created, since its text would reach Kafka
// as bytes that are not UTF-8; an excluded one is not.
func TestMySQLPrecheckWarnsUndecodableCharset(t *testing.T) {
	t.Parallel()
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	myExec(t, db, "CREATE DATABASE shop",
		"CREATE TABLE shop.legacy (id INT PRIMARY KEY, hy VARCHAR(10) CHARACTER SET armscii8, skipped VARCHAR(10) CHARACTER SET armscii8, ok VARCHAR(10))")
	dir := t.TempDir()
	rest := fmt.Sprintf("http://127.0.0.1:%d", freeTCPPort(t))
	workerProps := filepath.Join(dir, "worker.properties")
	writeProps(t, workerProps, map[string]string{
		"bootstrap.servers":            k.Bootstrap(),
		"offset.storage.file.filename": filepath.Join(dir, "offsets"),
		"listeners":                    rest,
		"key.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"value.converter":              "org.apache.kafka.connect.json.JsonConverter",
	})
	connProps := filepath.Join(dir, "legacy.properties")
	writeProps(t, connProps, map[string]string{
		"name": "legacy", "connector.class": "MySqlConnector",
		"database.hostname": db.Host(), "database.port": strconv.Itoa(db.Port()),
		"database.user": db.User(), "database.password": db.Password(), "database.server.id": "5612",
		"topic.prefix": k.TopicPrefix() + "legacy", "table.include.list": `shop\.legacy`,
		"column.exclude.list": `shop\.legacy\.skipped`, "snapshot.mode": "no_data",
	})
	w := startSluice(t, rest, "standalone", workerProps, connProps)
	w.waitTaskRunning("legacy")
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(w.log.String(), "cannot decode") && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	var warning string
	for _, line := range strings.Split(w.log.String(), "\n") {
		if strings.Contains(line, "cannot decode") {
			warning = line
		}
	}
	if !strings.Contains(warning, "shop.legacy.hy (armscii8)") || strings.Contains(warning, "skipped") || strings.Contains(warning, ".ok") {
		t.Fatalf("warning %q: want shop.legacy.hy named, the excluded and the UTF-8 column not\n%s", warning, w.log.String())
	}
}

// TestMySQLColumnMasksAcrossCharsets: Debezium's hash, truncate and mask
// column rules give the same values from the snapshot and from the stream
// on gbk, latin1, utf8mb4, UTF-16, ENUM and JSON columns, the hash being
// the hex SHA-256 of the salt and the value's UTF-8 text whatever the
// column's character set, and truncation counting characters.
func TestMySQLColumnMasksAcrossCharsets(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE s", "CREATE TABLE s.p (id INT PRIMARY KEY, g VARCHAR(20) CHARACTER SET gbk, "+
		"l VARCHAR(20) CHARACTER SET latin1, u VARCHAR(20), t TEXT CHARACTER SET utf16, e ENUM('ä','b'), j JSON)")
	props := []string{"table.include.list", `s\.p`, "column.mask.hash.SHA-256.with.salt.pepper", `s\.p\.(g|l)`,
		"column.truncate.to.3.chars", `s\.p\.(u|t)`, "column.mask.with.4.chars", `s\.p\.(e|j)`}
	offsets := &myOffsets{}
	stream := myStartTask(t, myStreamProps(m, props...), offsets)
	myExec(t, m, `INSERT INTO s.p VALUES (1, '汉字abc', 'café', 'héllo😀x', 'Привет', 'ä', '{"a":1}'), (2, NULL, '', 'ab', 'abcd', 'b', NULL)`)
	streamed := myPollN(t, stream, offsets, 2)
	_ = stream.Stop()
	snap := myStartTask(t, myStreamProps(m, append(props, "snapshot.mode", "initial_only")...), &myOffsets{})
	var snapped []*connect.SourceRecord
	pollUntil(t, snap, nil, func(r *connect.SourceRecord) { snapped = append(snapped, r) }, func() bool { return snapshotDone(snap) }, 300*time.Millisecond, 30*time.Second)
	hash := func(s string) string { h := sha256.Sum256([]byte("pepper" + s)); return hex.EncodeToString(h[:]) }
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
