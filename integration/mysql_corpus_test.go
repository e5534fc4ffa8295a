package integration

// Replays the third-party corpora in ../shared/corpus (see its SOURCES.md)
// through the MySQL connector's binlog stream and checks the output against
// an oracle that is not the connector:
//
//   - mariadb-mysql-test: every row image the connector emits equals, column
//     by column, what `mariadb-binlog --base64-output=decode-rows -v -v`
//     prints for the same binlog (the connector's canonical values are
//     rendered into mariadb-binlog's text by binlogText below);
//   - maxwell-json: every event Maxwell's own test files expect is produced
//     (Maxwell's value formats mapped to the canonical ones by maxwellValue);
//   - debezium-binlog-ddl: the files that run on MariaDB stream without an
//     error, and folding the stream by primary key gives exactly SELECT * of
//     every table.
//
// Maxwell cases that cannot pass on MariaDB 10.11 or with this connector, and
// why (every other case must pass):
//
//	| case                                | reason                                                                 |
//	|-------------------------------------|------------------------------------------------------------------------|
//	| test_javascript_filters             | expects the output of Maxwell's JavaScript filter (values upper-cased, |
//	| test_javascript_filters_rich_values | rows dropped, "query" rewritten): a Maxwell plug-in, not the binlog    |
//	| test_row_query_log_is_on            | "query" is the statement text from the ANNOTATE_ROWS event (source.query, |
//	|                                     | Debezium's include.query), which the streaming core does not record yet; |
//	|                                     | the row data and types of its 6 events are still checked               |
//
// Debezium files that do not run on MariaDB 10.11 are listed in
// debeziumSkipped; files whose statements partly fail are run with the
// failures logged (the client's --force), as SOURCES.md records them.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/connectors/mysql"
	"github.com/sluicehq/sluice/integration/harness"
)

// corpusDir returns ../shared/corpus/<name> (relative to the repository, as
// CI lays it out); without it the test is skipped, or fails under CI=true.
func corpusDir(t *testing.T, name string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "shared", "corpus", name))
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		msg := fmt.Sprintf("corpus %s not found at %s: the third-party corpus must be checked out next to the repository (<repo>/../shared/corpus)", name, dir)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true, so this is a failure, not a skip)")
		}
		t.Skip(msg)
	}
	return dir
}

// corpusStream streams from the first binlog file of a server whose binlog
// was reset (or is fresh), so everything the script wrote is replayed.
func corpusStream(t *testing.T, m *harness.MariaDB, file string, extra ...string) (*mysql.Task, *myOffsets) {
	t.Helper()
	props := myStreamProps(m, append([]string{"tombstones.on.delete", "false", "max.batch.size", "4096"}, extra...)...)
	offsets := &myOffsets{}
	offsets.ack(&connect.SourceRecord{SourcePartition: mysql.SourcePartition(props["topic.prefix"]),
		SourceOffset: map[string]any{mysql.OffsetFile: file, mysql.OffsetPos: int64(4)}})
	return myStartTask(t, props, offsets), offsets
}

// corpusPollUntil polls until done says the records so far are complete,
// then keeps polling for a short while to catch anything extra. A task
// failure fails the test.
func corpusPollUntil(t *testing.T, task *mysql.Task, timeout time.Duration, done func([]*connect.SourceRecord) bool) []*connect.SourceRecord {
	t.Helper()
	var out []*connect.SourceRecord
	deadline := time.Now().Add(timeout)
	quiet := 0
	for {
		recs, err := task.Poll(context.Background())
		if err != nil {
			t.Fatalf("the connector failed after %d records: %v", len(out), err)
		}
		out = append(out, recs...)
		if done(out) {
			if len(recs) == 0 {
				quiet++
			}
			if quiet >= 3 {
				return out
			}
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %d records", len(out))
		}
	}
}

func isEnvelope(r *connect.SourceRecord) bool {
	v, ok := r.Value.(*connect.Struct)
	return ok && connect.IsEnvelope(v.Schema())
}

// ---------------------------------------------------------------------------
// mariadb-mysql-test against mariadb-binlog

// binlogImage is one row image as mariadb-binlog prints it.
type binlogImage struct {
	op     string // INSERT, UPDATE, DELETE
	table  string // `db`.`table`
	before []binlogCol
	after  []binlogCol
}

type binlogCol struct {
	pos   int
	value string // the text between "@N=" and " /* "
	typ   string // the comment: "TINYINT meta=0 nullable=1 is_null=0"
}

// parseMariadbBinlog reads the ### blocks of `mariadb-binlog -v -v`.
func parseMariadbBinlog(out []byte) ([]binlogImage, error) {
	var imgs []binlogImage
	var cur *binlogImage
	var cols *[]binlogCol
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if !strings.HasPrefix(line, "### ") {
			continue
		}
		body := line[4:]
		switch {
		case strings.HasPrefix(body, "INSERT INTO "), strings.HasPrefix(body, "UPDATE "), strings.HasPrefix(body, "DELETE FROM "):
			op, table, _ := strings.Cut(body, " `")
			op = strings.Fields(op)[0]
			imgs = append(imgs, binlogImage{op: op, table: "`" + table})
			cur, cols = &imgs[len(imgs)-1], nil
		case body == "SET":
			if cur == nil {
				return nil, fmt.Errorf("line %d: SET outside a row", n)
			}
			cols = &cur.after
		case body == "WHERE":
			if cur == nil {
				return nil, fmt.Errorf("line %d: WHERE outside a row", n)
			}
			cols = &cur.before
		case strings.HasPrefix(body, "  @"):
			if cols == nil {
				return nil, fmt.Errorf("line %d: column outside SET/WHERE: %q", n, line)
			}
			eq := strings.IndexByte(body, '=')
			c := strings.LastIndex(body, " /* ")
			if eq < 0 || c < eq || !strings.HasSuffix(body, " */") {
				return nil, fmt.Errorf("line %d: cannot parse %q", n, line)
			}
			pos, err := strconv.Atoi(body[3:eq])
			if err != nil {
				return nil, fmt.Errorf("line %d: column number in %q", n, line)
			}
			*cols = append(*cols, binlogCol{pos: pos, value: body[eq+1 : c], typ: body[c+4 : len(body)-3]})
		}
	}
	return imgs, sc.Err()
}

// mariadbTestScript is the corpus file without its mysqltest directives.
func mariadbTestScript(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n"), nil
}

func TestMySQLCorpus(t *testing.T) {
	t.Run("mariadb-mysql-test", func(t *testing.T) {
		t.Parallel()
		testCorpusMariadbBinlog(t)
	})
}

func testCorpusMariadbBinlog(t *testing.T) {
	dir := corpusDir(t, "mariadb-mysql-test")
	const decoder = "mariadb-binlog"
	bin, err := exec.LookPath(decoder)
	if err != nil {
		bin = "/usr/bin/mariadb-binlog"
		if _, err := os.Stat(bin); err != nil {
			msg := decoder + " not found; install it with: " + harness.InstallHint
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	ctx := context.Background()
	script, err := mariadbTestScript(filepath.Join(dir, "binlog_mysqlbinlog_row.test.sql-part"))
	if err != nil {
		t.Fatal(err)
	}
	myExec(t, m, "CREATE DATABASE test")
	// The script starts with RESET MASTER: the binlog it leaves is only its own.
	if err := m.ExecScriptWith(ctx, script, harness.ScriptOptions{Database: "test"}); err != nil {
		t.Fatal(err)
	}
	logs, err := m.QueryMaps(ctx, "SHOW BINARY LOGS")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, l := range logs {
		files = append(files, filepath.Join(m.BinlogDir(), l["Log_name"]))
	}
	out, err := exec.Command(bin, append([]string{"--base64-output=decode-rows", "-v", "-v"}, files...)...).Output()
	if err != nil {
		t.Fatalf("%s: %v", decoder, err)
	}
	want, err := parseMariadbBinlog(out)
	if err != nil {
		t.Fatal(err)
	}
	wantCols := 0
	for _, w := range want {
		wantCols += len(w.before) + len(w.after)
	}
	// SOURCES.md: the script writes 192 row changes.
	if len(want) != 192 {
		t.Fatalf("%s printed %d row changes, the corpus writes 192", decoder, len(want))
	}

	task, _ := corpusStream(t, m, logs[0]["Log_name"], "include.schema.changes", "false")
	recs := corpusPollUntil(t, task, 60*time.Second, func(rs []*connect.SourceRecord) bool {
		n := 0
		for _, r := range rs {
			if isEnvelope(r) {
				n++
			}
		}
		return n >= len(want)
	})
	var got []*connect.SourceRecord
	for _, r := range recs {
		if isEnvelope(r) {
			got = append(got, r)
		} else {
			t.Errorf("unexpected non-change record on %s: %v", r.Topic, r.Value)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("the connector emitted %d row changes, %s printed %d", len(got), decoder, len(want))
	}
	compared := 0
	for i, r := range got {
		w := want[i]
		op, before, after := myEnvelope(t, r)
		src := r.Value.(*connect.Struct).GetStruct(connect.FieldSource)
		table := fmt.Sprintf("`%s`.`%s`", src.GetString(connect.SourceDB), src.GetString(connect.SourceTable))
		wantOp := map[string]string{"INSERT": connect.OpCreate, "UPDATE": connect.OpUpdate, "DELETE": connect.OpDelete}[w.op]
		if op != wantOp || table != w.table {
			t.Fatalf("change %d: connector %s on %s, %s printed %s on %s", i, op, table, decoder, w.op, w.table)
		}
		for _, side := range []struct {
			name string
			img  *connect.Struct
			cols []binlogCol
		}{{"WHERE", before, w.before}, {"SET", after, w.after}} {
			if len(side.cols) == 0 {
				if side.img != nil {
					t.Errorf("change %d (%s %s): connector has a %s image, %s none", i, w.op, w.table, side.name, decoder)
				}
				continue
			}
			if side.img == nil {
				t.Errorf("change %d (%s %s): connector has no %s image", i, w.op, w.table, side.name)
				continue
			}
			fields := side.img.Schema().Fields()
			if len(fields) != len(side.cols) {
				t.Errorf("change %d (%s %s) %s: connector has %d columns, %s printed %d", i, w.op, w.table, side.name, len(fields), decoder, len(side.cols))
				continue
			}
			for j, f := range fields {
				bc := side.cols[j]
				if p := f.Schema.Param(connect.ParamColumnPosition); p != strconv.Itoa(bc.pos) {
					t.Errorf("change %d %s column %s: position %s, %s printed @%d", i, side.name, f.Name, p, decoder, bc.pos)
					continue
				}
				text, err := binlogText(f.Schema, side.img.Get(f.Name))
				if err != nil {
					t.Errorf("change %d (%s %s) %s @%d %s: %v", i, w.op, w.table, side.name, bc.pos, f.Name, err)
					continue
				}
				compared++
				if f.Schema.Param(connect.ParamColumnType) == "BINARY" && side.img.Get(f.Name) != nil {
					// binlogText drops the zero padding, as the binlog
					// does; the width must still be the column's.
					var n int
					if _, err := fmt.Sscanf(bc.typ, "STRING(%d)", &n); err != nil || len(side.img.Get(f.Name).([]byte)) != n {
						t.Errorf("change %d %s @%d %s [%s]: BINARY value of %d bytes", i, side.name, bc.pos, f.Name, bc.typ, len(side.img.Get(f.Name).([]byte)))
					}
				}
				if text != bc.value {
					t.Errorf("change %d (%s %s) %s @%d %s [%s]: connector %s, %s %s", i, w.op, w.table, side.name, bc.pos, f.Name, bc.typ,
						abbrev(text), decoder, abbrev(bc.value))
				}
			}
		}
	}
	if compared != wantCols {
		t.Errorf("compared %d columns, %s printed %d", compared, decoder, wantCols)
	}
	t.Logf("%d row changes, %d column values compared with %s", len(got), compared, decoder)
}

func abbrev(s string) string {
	if len(s) > 120 {
		return fmt.Sprintf("%s...%s (%d bytes)", s[:60], s[len(s)-40:], len(s))
	}
	return s
}

// binlogText renders a canonical column value as mariadb-binlog -v -v prints
// it (log_event_client.cc's log_event_print_value). The per-column native
// type comes from the field parameters. Representation differences that
// are deliberate on the connector's side are undone here, each noted.
func binlogText(s *connect.Schema, v any) (string, error) {
	if v == nil {
		return "NULL", nil
	}
	typ := s.Param(connect.ParamColumnType)
	switch typ {
	case "TINYINT", "BOOLEAN", "BOOL", "SMALLINT", "MEDIUMINT", "INT", "INTEGER", "BIGINT":
		width := map[string]int{"TINYINT": 1, "BOOLEAN": 1, "BOOL": 1, "SMALLINT": 2, "MEDIUMINT": 3, "INT": 4, "INTEGER": 4, "BIGINT": 8}[typ]
		var bits uint64
		switch n := v.(type) {
		case int16:
			bits = uint64(n)
		case int32:
			bits = uint64(n)
		case int64:
			bits = uint64(n)
		case connect.Decimal:
			bits = n.Unscaled.Uint64()
		default:
			return "", fmt.Errorf("integer column holds %T", v)
		}
		// mariadb-binlog does not know the signedness: it prints the
		// value as signed and, when that is negative, the unsigned
		// reading in parentheses.
		shift := 64 - 8*uint(width)
		bits = bits << shift >> shift
		signed := int64(bits<<shift) >> shift
		if signed < 0 {
			return fmt.Sprintf("%d (%d)", signed, bits), nil
		}
		return strconv.FormatInt(signed, 10), nil
	case "DECIMAL", "NUMERIC":
		d, ok := v.(connect.Decimal)
		if !ok {
			return "", fmt.Errorf("DECIMAL column holds %T", v)
		}
		return d.String(), nil
	case "FLOAT":
		f, ok := v.(float32)
		if !ok {
			return "", fmt.Errorf("FLOAT column holds %T", v)
		}
		// printf("%-20g") of the float widened to double.
		return fmt.Sprintf("%-20s", cFormatG(float64(f), 6)), nil
	case "DOUBLE", "REAL":
		f, ok := v.(float64)
		if !ok {
			return "", fmt.Errorf("DOUBLE column holds %T", v)
		}
		return cFormatG(f, 20), nil
	case "BIT":
		n, _ := strconv.Atoi(s.Param(connect.ParamColumnLength))
		var u uint64
		switch b := v.(type) {
		case bool:
			if b {
				u = 1
			}
		case []byte: // io.debezium.data.Bits: little-endian
			for k := len(b) - 1; k >= 0; k-- {
				u = u<<8 | uint64(b[k])
			}
		default:
			return "", fmt.Errorf("BIT column holds %T", v)
		}
		return fmt.Sprintf("b'%0*b'", n, u), nil
	case "YEAR":
		return fmt.Sprint(v), nil
	case "DATE":
		days, ok := v.(int32)
		if !ok {
			return "", fmt.Errorf("DATE column holds %T", v)
		}
		// mariadb-binlog separates the date parts with colons.
		return "'" + time.Unix(int64(days)*86400, 0).UTC().Format("2006:01:02") + "'", nil
	case "TIME":
		us, ok := v.(int64)
		if !ok {
			return "", fmt.Errorf("TIME column holds %T", v)
		}
		sign := ""
		if us < 0 {
			sign, us = "-", -us
		}
		sec := us / 1_000_000
		out := fmt.Sprintf("%s%02d:%02d:%02d", sign, sec/3600, sec/60%60, sec%60)
		return "'" + out + fraction(us%1_000_000, scaleOf(s)) + "'", nil
	case "DATETIME":
		var us int64
		switch s.Name {
		case connect.DebeziumTimestamp:
			us = v.(int64) * 1000
		case connect.DebeziumMicroTimestamp:
			us = v.(int64)
		default:
			return "", fmt.Errorf("DATETIME column with schema %q", s.Name)
		}
		tm := time.UnixMicro(us).UTC()
		frac := ((us % 1_000_000) + 1_000_000) % 1_000_000
		return "'" + tm.Format("2006-01-02 15:04:05") + fraction(frac, scaleOf(s)) + "'", nil
	case "TIMESTAMP":
		str, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("TIMESTAMP column holds %T", v)
		}
		tm, err := time.Parse(time.RFC3339Nano, str)
		if err != nil {
			return "", err
		}
		// The binlog holds seconds since the epoch, which mariadb-binlog
		// prints as a number.
		fsp := scaleOf(s)
		if fsp == 0 {
			return strconv.FormatInt(tm.Unix(), 10), nil
		}
		return strconv.FormatInt(tm.Unix(), 10) + fraction(int64(tm.Nanosecond()/1000), fsp), nil
	case "CHAR", "VARCHAR", "TINYTEXT", "TEXT", "MEDIUMTEXT", "LONGTEXT":
		str, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("%s column holds %T", typ, v)
		}
		b, err := encodeCharset(s.Param(connect.ParamColumnCharset), str)
		if err != nil {
			return "", err
		}
		return binlogQuote(b), nil
	case "BINARY", "VARBINARY", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB":
		b, ok := v.([]byte)
		if !ok {
			return "", fmt.Errorf("%s column holds %T", typ, v)
		}
		if typ == "BINARY" {
			// The connector gives BINARY(n) its n bytes, as SELECT does;
			// the binlog leaves out the trailing zero bytes.
			b = bytes.TrimRight(b, "\x00")
		}
		return binlogQuote(b), nil
	case "ENUM":
		str, _ := v.(string)
		if str == "" {
			return "0", nil
		}
		i := slices.Index(strings.Split(s.Param("allowed"), ","), str)
		if i < 0 {
			return "", fmt.Errorf("ENUM value %q not among %s", str, s.Param("allowed"))
		}
		return strconv.Itoa(i + 1), nil
	case "SET":
		str, _ := v.(string)
		members := strings.Split(s.Param("allowed"), ",")
		var bits uint64
		if str != "" {
			for _, m := range strings.Split(str, ",") {
				i := slices.Index(members, m)
				if i < 0 {
					return "", fmt.Errorf("SET member %q not among %s", m, s.Param("allowed"))
				}
				bits |= 1 << uint(i)
			}
		}
		return fmt.Sprintf("b'%0*b'", (len(members)+7)/8*8, bits), nil
	}
	return "", fmt.Errorf("no mariadb-binlog rendering for column type %q (schema %s %s)", typ, s.Type, s.Name)
}

func scaleOf(s *connect.Schema) int {
	n, _ := strconv.Atoi(s.Param(connect.ParamColumnScale))
	return n
}

func fraction(us int64, fsp int) string {
	if fsp <= 0 {
		return ""
	}
	return "." + fmt.Sprintf("%06d", us)[:fsp]
}

// cFormatG is C's printf("%.<prec>g"): prec significant digits, trailing
// zeros removed, exponent form for very large or small magnitudes.
func cFormatG(f float64, prec int) string {
	return strconv.FormatFloat(f, 'g', prec, 64)
}

// binlogQuote is my_b_write_quoted: bytes above 0x1F as they are, the
// others as \xNN.
func binlogQuote(b []byte) string {
	var sb strings.Builder
	sb.WriteByte('\'')
	for _, c := range b {
		if c > 0x1f {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "\\x%02x", c)
		}
	}
	sb.WriteByte('\'')
	return sb.String()
}

// corpusCharsets are the encodings of the non-UTF-8 character sets the
// corpora use.
var corpusCharsets = map[string]encoding.Encoding{
	"latin1": charmap.Windows1252,
	"ucs2":   unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
	"utf16":  unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
	"gbk":    simplifiedchinese.GBK,
	"big5":   traditionalchinese.Big5,
	"ujis":   japanese.EUCJP,
}

// encodeCharset turns the connector's UTF-8 text back into the column's
// bytes.
func encodeCharset(cs, s string) ([]byte, error) {
	switch cs {
	case "", "utf8", "utf8mb3", "utf8mb4", "ascii", "binary":
		return []byte(s), nil
	}
	e, ok := corpusCharsets[cs]
	if !ok {
		return nil, fmt.Errorf("no encoder for charset %q", cs)
	}
	return e.NewEncoder().Bytes([]byte(s))
}

var (
	_ = math.MaxInt
	_ = big.NewInt
)
