package mysql

import (
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

// filterTestTable has one column of each kind the evaluator distinguishes.
func filterTestTable() *Table {
	return &Table{ID: TableID{DB: "shop", Table: "orders"}, Columns: []Column{
		{Name: "id", BinlogType: gomysql.MYSQL_TYPE_LONG, DataType: "INT"},
		{Name: "name", BinlogType: gomysql.MYSQL_TYPE_VARCHAR, DataType: "VARCHAR", Charset: "utf8mb4"},
		{Name: "amount", BinlogType: gomysql.MYSQL_TYPE_NEWDECIMAL, DataType: "DECIMAL"},
		{Name: "note", BinlogType: gomysql.MYSQL_TYPE_VARCHAR, DataType: "VARCHAR", Charset: "utf8mb4", Nullable: true},
		{Name: "big", BinlogType: gomysql.MYSQL_TYPE_LONGLONG, DataType: "BIGINT", Unsigned: true},
		{Name: "ratio", BinlogType: gomysql.MYSQL_TYPE_DOUBLE, DataType: "DOUBLE"},
		{Name: "created", BinlogType: gomysql.MYSQL_TYPE_DATETIME2, DataType: "DATETIME"},
		{Name: "status", BinlogType: gomysql.MYSQL_TYPE_ENUM, DataType: "ENUM", Members: []string{"new", "paid", "shipped"}},
		{Name: "code", BinlogType: gomysql.MYSQL_TYPE_VARCHAR, DataType: "VARBINARY", Charset: "binary"},
		{Name: "tiny", BinlogType: gomysql.MYSQL_TYPE_TINY, DataType: "TINYINT", Unsigned: true},
	}}
}

func TestRowFilterEvaluation(t *testing.T) {
	tbl := filterTestTable()
	// id, name, amount, note, big (-1 = 18446744073709551615 unsigned), ratio, created, status (2 = paid), code, tiny (-1 = 255)
	row := []any{int32(7), "Alice ", "10.50", nil, int64(-1), 0.25, "2024-03-01 10:00:00", int64(2), []byte("AbC"), int8(-1)}
	cases := []struct {
		cond string
		want bool
	}{
		{"id = 7", true},
		{"id = '7'", true},
		{"id = '7abc'", true}, // string → number by numeric prefix
		{"id <> 7", false},
		{"id != 8", true},
		{"id > 6 AND id < 8", true},
		{"id >= 8 OR id <= 6", false},
		{"id IN (1, 7, 9)", true},
		{"id NOT IN (1, 2)", true},
		{"id IN (1, NULL)", false},     // NULL, not TRUE
		{"id NOT IN (1, NULL)", false}, // NULL too
		{"id IN (7, NULL)", true},
		{"id BETWEEN 1 AND 7", true},
		{"id BETWEEN 8 AND 10", false},
		{"id NOT BETWEEN 8 AND 10", true},
		{"id BETWEEN NULL AND 10", false},
		{"id NOT BETWEEN NULL AND 5", true}, // 7 > 5 decides it
		{"name = 'alice'", true},            // _ci collation, trailing space ignored
		{"name = 'ALICE  '", true},
		{"name < 'bob'", true},
		{"name LIKE 'al%'", true},
		{"name LIKE 'A_ice%'", true},
		{"name LIKE 'x%'", false},
		{"name NOT LIKE 'x%'", true},
		{"code = 'abc'", false}, // binary: byte comparison
		{"code = 'AbC'", true},
		{"code LIKE 'a%'", false},
		{"amount = 10.5", true},
		{"amount = 10.50", true},
		{"amount > 10.49", true},
		{"amount * 2 = 21", true},
		{"amount / 4 = 2.625", true},
		{"id / 2 = 3.5", true}, // / yields a decimal
		{"id DIV 2 = 3", true},
		{"id % 4 = 3", true},
		{"-id = -7", true},
		{"id + 1 = 8 AND id - 1 = 6", true},
		{"id / 0 IS NULL", true},
		{"note IS NULL", true},
		{"note IS NOT NULL", false},
		{"note = 'x'", false},
		{"NOT (note = 'x')", false}, // NOT NULL is NULL
		{"note = 'x' OR id = 7", true},
		{"note = 'x' AND id = 8", false}, // NULL AND FALSE is FALSE
		{"(note = 'x' AND id = 7) IS NULL", true},
		{"note <=> NULL", true},
		{"id <=> NULL", false},
		{"big = 18446744073709551615", true},
		{"big > 9223372036854775807", true},
		{"big > -1", true},
		{"tiny = 255", true},
		{"ratio = 0.25", true},
		{"ratio < '0.3'", true},
		{"created >= '2024-03-01' AND created < '2024-03-02'", true},
		{"created > '2024-03-01 10:00:00'", false},
		{"status = 'paid'", true},
		{"status = 2", true},  // an ENUM in a numeric context is its member number
		{"NOT status", false}, // and in a boolean one
		{"created = '2024-03-01 10:00:00.000'", true},
		{"created > 20240301000000", true},
		{"created < 20240301", false},
		{"created >= '2024/3/1'", true},
		{"big = '18446744073709551615'", true},
		{"big = '18446744073709551614'", false},
		{"CONCAT(amount, '') = '10.50'", true},
		{"tiny = b'11111111'", true}, // a bit literal compared with a number is one
		{"tiny = x'ff'", true},
		{"status + 0 = 2", true},
		{"name = 'ÁLICE'", true}, // general_ci: accents and case ignored
		{"name > 'Al_'", false},  // '_' weighs after the letters (upper-case weights)
		{"status IN ('new', 'PAID')", true},
		{"LOWER(name) LIKE 'alice%'", true},
		{"UPPER(status) = 'PAID'", true},
		{"CHAR_LENGTH(name) = 6", true},
		{"CONCAT(status, '-', id) = 'paid-7'", true},
		{"IFNULL(note, 'none') = 'none'", true},
		{"COALESCE(note, NULL, id) = 7", true},
		{"ABS(-id) = 7", true},
		{"id = 7 XOR id = 8", true},
		{"id IS TRUE", true},
		{"note IS NOT TRUE", true},
		{"'abc' = 0", true}, // MySQL: a non-numeric string is 0
		{"1 = 1.0", true},
		{"name LIKE 'Alice\\_%'", false},
		{"'a_b' LIKE 'a\\_b'", true},
		{"'a%b' LIKE 'a|%b' ESCAPE '|'", true},
	}
	for _, c := range cases {
		f, err := CompileRowFilter(c.cond)
		if err != nil {
			t.Errorf("%s: compile: %v", c.cond, err)
			continue
		}
		b, err := f.Bind(tbl)
		if err != nil {
			t.Errorf("%s: bind: %v", c.cond, err)
			continue
		}
		if got := b.Match(row); got != c.want {
			t.Errorf("%s = %v, want %v", c.cond, got, c.want)
		}
	}
}

func TestRowFilterRejects(t *testing.T) {
	cases := []struct{ cond, msg string }{
		{"", "empty"},
		{"id = 1;", "';'"},
		{"id IN (SELECT id FROM t2)", "subquer"},
		{"EXISTS (SELECT 1)", "subquer"},
		{"NOW() > created", "NOW"},
		{"id = ", "not a valid SQL condition"},
		{"id = 1 ORDER BY id", "not a single"},
	}
	for _, c := range cases {
		_, err := CompileRowFilter(c.cond)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%q: error %v, want one containing %q", c.cond, err, c.msg)
		}
	}
	f, err := CompileRowFilter("nosuch = 1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Bind(filterTestTable()); err == nil || !strings.Contains(err.Error(), `no column "nosuch"`) || !strings.Contains(err.Error(), "shop.orders") {
		t.Errorf("bind error %v", err)
	}
}

func TestRowFilterWhereForPushdown(t *testing.T) {
	f, err := CompileRowFilter("status IN ('new','paid') and amount > 10 or name like 'a%'")
	if err != nil {
		t.Fatal(err)
	}
	want := "`status` IN (_UTF8MB4'new',_UTF8MB4'paid') AND `amount`>10 OR `name` LIKE _UTF8MB4'a%'"
	if f.Where != want {
		t.Errorf("Where = %s\nwant   %s", f.Where, want)
	}
	if got := strings.Join(f.Columns(), ","); got != "status,amount,name" {
		t.Errorf("Columns = %s", got)
	}
}

func TestTextValue(t *testing.T) {
	tbl := filterTestTable()
	cases := []struct {
		col  int
		raw  any
		want string
	}{
		{0, int32(-5), "-5"},
		{2, "10.50", "10.50"},
		{4, int64(-1), "18446744073709551615"},
		{7, int64(3), "shipped"},
		{9, int8(-1), "255"},
		{1, []byte("x"), "x"},
		{6, "2024-03-01 10:00:00", "2024-03-01 10:00:00"},
		{3, nil, ""},
	}
	for _, c := range cases {
		if got := TextValue(&tbl.Columns[c.col], c.raw); got != c.want {
			t.Errorf("TextValue(%s, %#v) = %q, want %q", tbl.Columns[c.col].Name, c.raw, got, c.want)
		}
	}
}

// TestDecimalBytesAsText: the snapshot hands DECIMAL values over as the
// protocol's bytes and the binlog as a string; partition hashing and row
// filters read both as the same number.
func TestDecimalBytesAsText(t *testing.T) {
	c := &Column{Name: "d", DataType: "DECIMAL", BinlogType: 246, Scale: 2, HasScale: true}
	for _, raw := range []any{"10.50", []byte("10.50")} {
		if got := TextValue(c, raw); got != "10.50" {
			t.Errorf("TextValue(%T) = %q, want 10.50", raw, got)
		}
		if v := columnValue(c, raw); v.k != vDec || v.r.FloatString(2) != "10.50" {
			t.Errorf("columnValue(%T) = %+v, want the decimal 10.50", raw, v)
		}
	}
}

// TestTextValueAsMySQLPrintsIt: BINARY(n) text is n bytes and TIME(n) has
// n fraction digits, whether the value came from the binlog (trailing
// zero bytes and a zero fraction left out) or the snapshot.
func TestTextValueAsMySQLPrintsIt(t *testing.T) {
	bin := &Column{Name: "b", DataType: "BINARY", BinlogType: gomysql.MYSQL_TYPE_STRING, Length: 4, Charset: "binary"}
	tm := &Column{Name: "t", DataType: "TIME", BinlogType: gomysql.MYSQL_TYPE_TIME2, Meta: 3}
	for _, tc := range []struct {
		c    *Column
		raw  any
		want string
	}{
		{bin, "\x01\x02", "\x01\x02\x00\x00"},
		{bin, []byte("\x01\x02\x00\x00"), "\x01\x02\x00\x00"},
		{bin, "", "\x00\x00\x00\x00"},
		{tm, "-838:59:59", "-838:59:59.000"},
		{tm, "12:00:00.5", "12:00:00.500"},
		{tm, []byte("12:00:00.250"), "12:00:00.250"},
	} {
		if got := TextValue(tc.c, tc.raw); got != tc.want {
			t.Errorf("%s %q: %q, want %q", tc.c.DataType, tc.raw, got, tc.want)
		}
	}
}

// TestRowFilterCollations: text of a *_bin collation compares by code
// point (trailing spaces ignored), the Unicode general_ci collations are
// emulated, and conditions on columns of other collations are reported as
// approximated.
func TestRowFilterCollations(t *testing.T) {
	tbl := &Table{ID: TableID{DB: "d", Table: "t"}, Columns: []Column{
		{Name: "b", BinlogType: gomysql.MYSQL_TYPE_VARCHAR, DataType: "VARCHAR", Charset: "utf8mb4", Collation: "utf8mb4_bin"},
		{Name: "g", BinlogType: gomysql.MYSQL_TYPE_VARCHAR, DataType: "VARCHAR", Charset: "utf8mb4", Collation: "utf8mb4_general_ci"},
		{Name: "s", BinlogType: gomysql.MYSQL_TYPE_VARCHAR, DataType: "VARCHAR", Charset: "latin1", Collation: "latin1_swedish_ci"},
		{Name: "u", BinlogType: gomysql.MYSQL_TYPE_VARCHAR, DataType: "VARCHAR", Charset: "utf8mb4", Collation: "utf8mb4_uca1400_ai_ci"},
	}}
	row := []any{"Abc", "Ève", "caf\xe9", "x"}
	for cond, want := range map[string]bool{
		"b = 'Abc  '": true, "b = 'abc'": false, "b LIKE 'a%'": false, "b < 'a'": true,
		"g = 'eve'": true, "g LIKE 'e%'": true,
		"s = 'café'": true, // latin1 bytes decoded before comparing
	} {
		f, err := CompileRowFilter(cond)
		if err != nil {
			t.Fatal(err)
		}
		b, err := f.Bind(tbl)
		if err != nil {
			t.Fatal(err)
		}
		if got := b.Match(row); got != want {
			t.Errorf("%s = %v, want %v", cond, got, want)
		}
		if a := b.ApproximatedColumns(); strings.Contains(cond, "s =") != (len(a) == 1) {
			t.Errorf("%s: approximated columns %v", cond, a)
		}
	}
	f, _ := CompileRowFilter("g = 'x' OR (u > 'a' AND s = 'b') OR b = 'c'")
	b, _ := f.Bind(tbl)
	if got := strings.Join(b.ApproximatedColumns(), "; "); got != "u (utf8mb4_uca1400_ai_ci); s (latin1_swedish_ci)" {
		t.Fatalf("approximated columns %q", got)
	}
}

// BenchmarkTemporalKey: what a DATETIME filter condition pays per row and
// side for the comparison key.
func BenchmarkTemporalKey(b *testing.B) {
	v := sqlVal{k: vStr, s: "2024-03-01 10:00:00.123", temporal: true}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = temporalKey(v)
	}
}

// TestTemporalKey: the forms of dates and times MySQL reads from a constant,
// and those it does not.
func TestTemporalKey(t *testing.T) {
	for in, want := range map[string]string{
		"2024-03-01": "2024-03-01 00:00:00.000000", "2024-03-01 10:00:00.5": "2024-03-01 10:00:00.500000",
		"2024/3/1 10:00": "2024-03-01 10:00:00.000000", "20240301": "2024-03-01 00:00:00.000000",
		"20240301100000.25": "2024-03-01 10:00:00.250000", "1999-12-31 23:59:59": "1999-12-31 23:59:59.000000",
		" 2024-03-01 ": "2024-03-01 00:00:00.000000", "abc": "", "2024": "", "2024-03": "", "2024-03-01 10:00:00.1234567": "",
		"12345-01-01": "", "2024-300-01": "",
	} {
		got, ok := temporalKey(sqlVal{k: vStr, s: in})
		if (want == "") == ok || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, ok, want)
		}
	}
	if got, ok := temporalKey(intVal(20240301)); !ok || got != "2024-03-01 00:00:00.000000" {
		t.Errorf("20240301: %q %v", got, ok)
	}
}

// A condition on a TIMESTAMP column reads the binlog's UTC value in the
// server's time zone, as the server's own WHERE does; DATETIME values are
// not converted.
func TestRowFilterTimestampInServerZone(t *testing.T) {
	tbl := &Table{ID: TableID{"d", "t"}, Columns: []Column{
		{Name: "ts", Position: 1, BinlogType: gomysql.MYSQL_TYPE_TIMESTAMP2, DataType: "TIMESTAMP"},
		{Name: "dt", Position: 2, BinlogType: gomysql.MYSQL_TYPE_DATETIME2, DataType: "DATETIME"},
	}}
	f, err := CompileRowFilter("ts >= '2026-01-01 00:00:00' AND dt >= '2026-01-01'")
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Bind(tbl)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(b.TimestampColumns(), ","); got != "ts" {
		t.Fatalf("TIMESTAMP columns %q", got)
	}
	plus8 := time.FixedZone("+08:00", 8*3600)
	for _, c := range []struct {
		ts, dt     string
		utc, zoned bool
	}{
		{"2025-12-31 16:30:00", "2026-01-01 00:00:00", false, true},
		{"2025-12-31 15:59:59.999", "2026-01-01 00:00:00", false, false},
		{"2026-01-01 00:30:00", "2026-01-01 00:00:00", true, true},
		{"2025-12-31 16:30:00", "2025-12-31 23:00:00", false, false},
		{"0000-00-00 00:00:00", "2026-01-01 00:00:00", false, false},
	} {
		row := []any{c.ts, c.dt}
		if got := b.inZone(nil).Match(row); got != c.utc {
			t.Errorf("%v in UTC: %v, want %v", row, got, c.utc)
		}
		if got := b.inZone(plus8).Match(row); got != c.zoned {
			t.Errorf("%v at +08:00: %v, want %v", row, got, c.zoned)
		}
	}
	for in, want := range map[string]string{
		"2025-12-31 16:30:00":        "2026-01-01 00:30:00",
		"2025-12-31 16:30:00.5":      "2026-01-01 00:30:00.5",
		"2025-12-31 16:30:00.000120": "2026-01-01 00:30:00.000120",
		"0000-00-00 00:00:00":        "0000-00-00 00:00:00",
	} {
		if got := localTimestamp(in, plus8); got != want {
			t.Errorf("localTimestamp(%q) = %q, want %q", in, got, want)
		}
	}
	for tz, utc := range map[string]bool{"+00:00": true, "UTC": true, "SYSTEM": false, "+08:00": false, "CST": false} {
		if utcTimeZone(tz) != utc {
			t.Errorf("utcTimeZone(%q) = %v", tz, !utc)
		}
	}
}
