package mysql

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
	"golang.org/x/text/unicode/norm"

	"github.com/sluicehq/sluice/internal/mysqlcharset"
)

// Row filter conditions (DTS's per-table "filter conditions"): a SQL WHERE
// expression parsed with the MySQL grammar and evaluated on each row image
// by the small evaluator below, with MySQL's semantics for the common cases:
//
//   - three-valued logic: a comparison with NULL is NULL (unknown), NOT NULL
//     is NULL, NULL AND FALSE is FALSE, NULL OR TRUE is TRUE; a row passes
//     only when the condition is TRUE;
//   - comparisons: two integers compare exactly (signed and unsigned), a
//     DECIMAL column or literal with another exact number compares exactly,
//     a number with a string compares both as DOUBLE (a string converts by
//     its longest numeric prefix, "12abc" is 12, "abc" is 0), two strings
//     compare as strings: as MariaDB's default utf8mb4_general_ci PAD SPACE
//     collation does (case and accents ignored, trailing spaces ignored;
//     compareCI) unless either side is a binary string, which compares
//     byte by byte;
//   - temporal columns are their MySQL text form ('2024-01-02 03:04:05',
//     '12:00:00', '2024-01-02'); a DATE, DATETIME or TIMESTAMP compared with
//     a constant compares as a date and time, the constant converted as
//     MySQL converts it ('2024-01-02' is midnight, 20240102030405 a
//     datetime), a TIME as a duration ('9:31' is 09:31:00, 93000 is
//     09:30:00); a bit or hex literal compared with a number is the number
//     of its bytes (b'1000000001' = 513); an integer or DECIMAL compared
//     with a string that is wholly a number compares exactly; a DECIMAL
//     keeps its scale in string contexts (CONCAT);
//   - ENUM and SET columns are their member text, and their member number
//     or bitmap in a numeric context (status = 2, status + 0); BIT columns
//     their number;
//   - arithmetic + - * / DIV % and unary minus; division by zero is NULL;
//   - operators =, <=>, <>, !=, <, <=, >, >=, AND, OR, XOR, NOT, IN,
//     BETWEEN, LIKE (with ESCAPE), IS [NOT] NULL, IS [NOT] TRUE/FALSE, and
//     the functions LOWER, UPPER, LENGTH, CHAR_LENGTH, CONCAT, IFNULL,
//     COALESCE, ABS. Anything else (subqueries, other functions) is
//     rejected when the configuration is parsed.

// RowFilter is a compiled filter condition of one table. It is safe for
// concurrent use; binding it to a table definition yields the per-row
// evaluator.
type RowFilter struct {
	// SQL is the condition as written, for messages.
	SQL string
	// Where is the condition re-rendered by the SQL parser in MySQL syntax,
	// with identifiers back-quoted, ready to append to
	// "SELECT ... WHERE " (the snapshot phase pushes it down with this).
	Where string
	expr  ast.ExprNode
	cols  []string // lower-case column names the condition uses
}

// CompileRowFilter parses a WHERE condition. Errors say what is not
// supported.
func CompileRowFilter(cond string) (*RowFilter, error) {
	cond = strings.TrimSpace(cond)
	if cond == "" {
		return nil, fmt.Errorf("empty condition")
	}
	if strings.HasSuffix(cond, ";") {
		return nil, fmt.Errorf("the condition must not end with ';'")
	}
	p := parser.New()
	stmts, _, err := p.Parse("SELECT 1 FROM t WHERE "+cond, "", "")
	if err != nil {
		return nil, fmt.Errorf("not a valid SQL condition: %v", err)
	}
	if len(stmts) != 1 {
		return nil, fmt.Errorf("not a single SQL condition")
	}
	sel, ok := stmts[0].(*ast.SelectStmt)
	if !ok || sel.Where == nil || sel.Limit != nil || sel.OrderBy != nil || sel.GroupBy != nil {
		return nil, fmt.Errorf("not a single SQL condition")
	}
	f := &RowFilter{SQL: cond, expr: sel.Where}
	seen := map[string]bool{}
	if err := checkExpr(sel.Where, func(c string) {
		c = strings.ToLower(c)
		if !seen[c] {
			seen[c] = true
			f.cols = append(f.cols, c)
		}
	}); err != nil {
		return nil, err
	}
	var sb strings.Builder
	if err := sel.Where.Restore(format.NewRestoreCtx(format.DefaultRestoreFlags, &sb)); err != nil {
		return nil, fmt.Errorf("cannot render the condition: %v", err)
	}
	f.Where = sb.String()
	return f, nil
}

// Columns returns the lower-case names of the columns the condition reads.
func (f *RowFilter) Columns() []string { return f.cols }

var filterFuncs = map[string][2]int{ // name → min, max args (-1 unbounded)
	"lower": {1, 1}, "lcase": {1, 1}, "upper": {1, 1}, "ucase": {1, 1},
	"length": {1, 1}, "octet_length": {1, 1}, "char_length": {1, 1}, "character_length": {1, 1},
	"concat": {1, -1}, "ifnull": {2, 2}, "coalesce": {1, -1}, "abs": {1, 1},
}

// checkExpr rejects what the evaluator does not implement and reports the
// column names used.
func checkExpr(n ast.ExprNode, col func(string)) error {
	switch e := n.(type) {
	case *test_driver.ValueExpr:
		switch e.Kind() {
		case test_driver.KindNull, test_driver.KindInt64, test_driver.KindUint64, test_driver.KindFloat32, test_driver.KindFloat64,
			test_driver.KindString, test_driver.KindBytes, test_driver.KindMysqlDecimal, test_driver.KindBinaryLiteral:
			return nil
		}
		return fmt.Errorf("unsupported literal %q", e.GetDatumString())
	case *ast.ColumnNameExpr:
		col(e.Name.Name.O)
		return nil
	case *ast.ParenthesesExpr:
		return checkExpr(e.Expr, col)
	case *ast.BinaryOperationExpr:
		switch e.Op {
		case opcode.LogicAnd, opcode.LogicOr, opcode.LogicXor, opcode.EQ, opcode.NE, opcode.LT, opcode.LE, opcode.GT, opcode.GE,
			opcode.NullEQ, opcode.Plus, opcode.Minus, opcode.Mul, opcode.Div, opcode.IntDiv, opcode.Mod:
		default:
			return fmt.Errorf("unsupported operator %s", e.Op)
		}
		if err := checkExpr(e.L, col); err != nil {
			return err
		}
		return checkExpr(e.R, col)
	case *ast.UnaryOperationExpr:
		switch e.Op {
		case opcode.Not, opcode.Not2, opcode.Minus, opcode.Plus:
		default:
			return fmt.Errorf("unsupported operator %s", e.Op)
		}
		return checkExpr(e.V, col)
	case *ast.IsNullExpr:
		return checkExpr(e.Expr, col)
	case *ast.IsTruthExpr:
		return checkExpr(e.Expr, col)
	case *ast.BetweenExpr:
		for _, x := range []ast.ExprNode{e.Expr, e.Left, e.Right} {
			if err := checkExpr(x, col); err != nil {
				return err
			}
		}
		return nil
	case *ast.PatternInExpr:
		if e.Sel != nil {
			return fmt.Errorf("subqueries are not supported (IN (SELECT ...))")
		}
		if err := checkExpr(e.Expr, col); err != nil {
			return err
		}
		for _, x := range e.List {
			if err := checkExpr(x, col); err != nil {
				return err
			}
		}
		return nil
	case *ast.PatternLikeOrIlikeExpr:
		if !e.IsLike {
			return fmt.Errorf("ILIKE is not MySQL; use LIKE (case-insensitive for non-binary strings)")
		}
		if err := checkExpr(e.Expr, col); err != nil {
			return err
		}
		return checkExpr(e.Pattern, col)
	case *ast.FuncCallExpr:
		name := e.FnName.L
		arity, ok := filterFuncs[name]
		if !ok {
			return fmt.Errorf("function %s() is not supported in filter conditions", strings.ToUpper(name))
		}
		if len(e.Args) < arity[0] || (arity[1] >= 0 && len(e.Args) > arity[1]) {
			return fmt.Errorf("wrong number of arguments to %s()", strings.ToUpper(name))
		}
		for _, a := range e.Args {
			if err := checkExpr(a, col); err != nil {
				return err
			}
		}
		return nil
	case *ast.SubqueryExpr, *ast.ExistsSubqueryExpr, *ast.CompareSubqueryExpr:
		return fmt.Errorf("subqueries are not supported")
	}
	return fmt.Errorf("unsupported expression %T", n)
}

// vkind is the kind of an evaluated value.
type vkind uint8

const (
	vNull  vkind = iota
	vInt         // i
	vUint        // u, only for values above MaxInt64
	vDec         // r, exact
	vFloat       // f
	vStr         // s; bin for binary strings
)

type sqlVal struct {
	k   vkind
	bin bool
	// member marks an ENUM or SET column's text; idx is then its member
	// number or bitmap, what the value is in a numeric context.
	member bool
	idx    int64
	// binColl marks text of a *_bin collation: compared by code point,
	// case- and accent-sensitive, trailing spaces ignored (PAD SPACE).
	binColl bool
	// temporal marks a DATE, DATETIME or TIMESTAMP column's text, which a
	// constant is compared with as a date and time (temporalKey); clock a
	// TIME column's, compared as a duration (clockKey).
	temporal, clock bool
	// bitLit marks a b'...' or x'...' literal: a binary string, but a
	// number (its bytes big-endian) where compared with one.
	bitLit bool
	// cs is the character set of a text column that is not UTF-8, whose
	// LENGTH counts the bytes there.
	cs string
	// dtext is a DECIMAL's text with its scale ("-3.00"), what CONCAT and
	// other string contexts show; "" for computed values.
	dtext string
	i     int64
	u     uint64
	f     float64
	s     string
	r     *big.Rat
}

var sqlNull = sqlVal{}

func intVal(n int64) sqlVal { return sqlVal{k: vInt, i: n} }
func boolVal(b bool) sqlVal {
	if b {
		return intVal(1)
	}
	return intVal(0)
}

// rowAccess reads column i of the row being evaluated.
type rowAccess func(i int) sqlVal

// boundFilter is a RowFilter bound to one table definition.
type boundFilter struct {
	f    *RowFilter
	eval func(rowAccess) sqlVal
	cols []*Column
	// zone is the server's time zone (nil: UTC). TIMESTAMP values arrive
	// as UTC text; the server's own WHERE reads them in its zone.
	zone *time.Location
}

// inZone makes the condition read TIMESTAMP columns in the server's time
// zone, as the server's own WHERE does; nil (UTC) leaves them as they are.
func (b *boundFilter) inZone(zone *time.Location) *boundFilter {
	b.zone = zone
	return b
}

// localTimestamp renders the UTC text of a TIMESTAMP value in zone, with
// the same fractional digits; the zero value and text it cannot read stay.
func localTimestamp(s string, zone *time.Location) string {
	if len(s) < 19 || strings.HasPrefix(s, "0000-00-00") {
		return s
	}
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, time.UTC)
	if err != nil {
		return s
	}
	layout := "2006-01-02 15:04:05"
	if _, frac, ok := strings.Cut(s[19:], "."); ok {
		layout += "." + strings.Repeat("0", len(frac))
	}
	return t.In(zone).Format(layout)
}

// Bind resolves the condition's columns against a table definition;
// a column the table does not have is an error naming it.
func (f *RowFilter) Bind(t *Table) (*boundFilter, error) {
	byName := make(map[string]int, len(t.Columns))
	for i := range t.Columns {
		byName[strings.ToLower(t.Columns[i].Name)] = i
	}
	b := &boundFilter{f: f, cols: make([]*Column, len(t.Columns))}
	for i := range t.Columns {
		b.cols[i] = &t.Columns[i]
	}
	ev, err := compileNode(f.expr, byName)
	if err != nil {
		return nil, fmt.Errorf("filter condition %q on %s: %w", f.SQL, t.ID, err)
	}
	b.eval = ev
	return b, nil
}

// binCollation: a *_bin collation compares code points (PAD SPACE unless
// nopad).
func binCollation(name string) bool {
	return strings.HasSuffix(name, "_bin")
}

// emulatedCollation: the evaluator compares text of this collation as the
// server does. Others (latin1_swedish_ci's Å, Ä, Ö after Z, the UCA
// collations' punctuation order) compare as utf8mb4_general_ci, equal for
// most text but not all.
func emulatedCollation(name string) bool {
	if name == "" || name == "binary" || binCollation(name) {
		return true
	}
	// The Unicode character sets' general_ci share one table of weights,
	// which compareCI follows; latin1_general_ci and the other 8-bit ones
	// have their own.
	cs, _, _ := strings.Cut(name, "_")
	switch cs {
	case "utf8", "utf8mb3", "utf8mb4", "ucs2", "utf16", "utf16le", "utf32":
		return strings.HasSuffix(name, "_general_ci")
	}
	return false
}

// ApproximatedColumns lists the columns the condition reads whose
// collation the evaluator only approximates ("name (latin1_swedish_ci)"),
// so a start can say that the stream may keep rows the snapshot's SELECT
// would not.
func (b *boundFilter) ApproximatedColumns() []string {
	var out []string
	for _, name := range b.f.columnNames() {
		for _, c := range b.cols {
			if strings.EqualFold(c.Name, name) {
				if k, _ := c.kind(); (k == kindString || k == kindEnum || k == kindSet) && !emulatedCollation(c.Collation) {
					out = append(out, c.Name+" ("+c.Collation+")")
				}
				break
			}
		}
	}
	return out
}

// TimestampColumns lists the TIMESTAMP columns the condition reads: on a
// server outside UTC the snapshot's UTC session cannot evaluate it as the
// server's own WHERE does, so the snapshot tests such rows itself.
func (b *boundFilter) TimestampColumns() []string {
	var out []string
	for _, name := range b.f.columnNames() {
		for _, c := range b.cols {
			if strings.EqualFold(c.Name, name) {
				if k, _ := c.kind(); k == kindTimestamp {
					out = append(out, c.Name)
				}
				break
			}
		}
	}
	return out
}

// columnNames are the columns the condition names.
func (f *RowFilter) columnNames() []string {
	v := &columnCollector{seen: map[string]bool{}}
	f.expr.Accept(v)
	return v.names
}

type columnCollector struct {
	names []string
	seen  map[string]bool
}

func (v *columnCollector) Enter(n ast.Node) (ast.Node, bool) {
	if c, ok := n.(*ast.ColumnNameExpr); ok {
		name := strings.ToLower(c.Name.Name.O)
		if !v.seen[name] {
			v.seen[name] = true
			v.names = append(v.names, c.Name.Name.O)
		}
	}
	return n, false
}

func (v *columnCollector) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// Match evaluates the condition on a binlog row image (go-mysql values in
// table column order); only TRUE matches.
func (b *boundFilter) Match(raw []any) bool {
	v := b.eval(func(i int) sqlVal {
		if i >= len(raw) {
			return sqlNull
		}
		v := columnValue(b.cols[i], raw[i])
		if b.zone != nil && v.temporal && v.k == vStr {
			if k, _ := b.cols[i].kind(); k == kindTimestamp {
				v.s = localTimestamp(v.s, b.zone)
			}
		}
		return v
	})
	t, ok := truth(v)
	return ok && t
}

// columnValue turns a go-mysql row value into an evaluator value.
func columnValue(c *Column, raw any) sqlVal {
	if raw == nil {
		return sqlNull
	}
	kind, width := c.kind()
	switch kind {
	case kindInt, kindYear, kindBit:
		n, err := rawInt(raw)
		if err != nil {
			return stringish(raw, false)
		}
		if kind == kindInt && c.Unsigned {
			mask := uint64(math.MaxUint64)
			if width < 8 {
				mask = uint64(1)<<(8*uint(width)) - 1
			}
			u := uint64(n) & mask
			if u > math.MaxInt64 {
				return sqlVal{k: vUint, u: u}
			}
			return intVal(int64(u))
		}
		return intVal(n)
	case kindFloat, kindDouble:
		switch f := raw.(type) {
		case float32:
			return sqlVal{k: vFloat, f: float64(f)}
		case float64:
			return sqlVal{k: vFloat, f: f}
		}
	case kindDecimal:
		s, err := decimalString(raw) // a snapshot row's bytes or a binlog row's string
		if err != nil {
			s = fmt.Sprint(raw)
		}
		if r, ok := new(big.Rat).SetString(s); ok {
			return sqlVal{k: vDec, r: r, dtext: s}
		}
	case kindDate, kindDatetime, kindTimestamp:
		v := stringish(raw, false)
		v.temporal = true
		return v
	case kindEnum:
		if n, err := rawInt(raw); err == nil {
			if n >= 1 && int(n) <= len(c.Members) {
				return sqlVal{k: vStr, s: c.Members[n-1], member: true, idx: n}
			}
			return sqlVal{k: vStr, member: true, idx: n}
		}
	case kindSet:
		if n, err := rawInt(raw); err == nil {
			var parts []string
			for i, m := range c.Members {
				if uint64(n)&(1<<uint(i)) != 0 {
					parts = append(parts, m)
				}
			}
			return sqlVal{k: vStr, s: strings.Join(parts, ","), member: true, idx: n}
		}
	case kindBinary:
		// BINARY(n) is n bytes in MySQL; the binlog drops trailing zero
		// bytes, the snapshot does not.
		v := stringish(raw, true)
		if n := c.binaryPad(); len(v.s) < n {
			v.s += strings.Repeat("\x00", n-len(v.s))
		}
		return v
	case kindGeometry, kindPoint:
		return stringish(raw, true)
	case kindString:
		// Text in the column's own character set (latin1, gbk, …), as
		// the binlog and the snapshot hand it over, compares with the
		// condition's UTF-8 literals once decoded.
		v := stringish(raw, false)
		v.binColl = binCollation(c.Collation)
		if e := mysqlcharset.Lookup(c.Charset); e != nil {
			v.cs = strings.ToLower(c.Charset)
			// A decoder is made only for text that needs one.
			if !isASCII(v.s) || !mysqlcharset.ASCIICompatible(v.cs) {
				if u, err := e.NewDecoder().String(v.s); err == nil {
					v.s = u
				}
			}
		}
		return v
	case kindTime:
		// TIME(n) prints n fraction digits; go-mysql's binlog text leaves
		// out a zero fraction, the snapshot's (the server's) does not.
		v := stringish(raw, false)
		v.clock = true
		if fsp := c.fsp(); fsp > 0 {
			digits := 0
			if dot := strings.IndexByte(v.s, '.'); dot < 0 {
				v.s += "."
			} else {
				digits = len(v.s) - dot - 1
			}
			if digits < fsp {
				v.s += strings.Repeat("0", fsp-digits)
			}
		}
		return v
	}
	return stringish(raw, false)
}

func stringish(raw any, bin bool) sqlVal {
	switch s := raw.(type) {
	case string:
		return sqlVal{k: vStr, s: s, bin: bin}
	case []byte:
		return sqlVal{k: vStr, s: string(s), bin: bin}
	}
	return sqlVal{k: vStr, s: fmt.Sprint(raw), bin: bin}
}

// truth is MySQL's boolean reading of a value; ok is false for NULL.
func truth(v sqlVal) (val, ok bool) {
	v = numeric(v) // an ENUM or SET is its number in a boolean context
	switch v.k {
	case vNull:
		return false, false
	case vInt:
		return v.i != 0, true
	case vUint:
		return v.u != 0, true
	case vDec:
		return v.r.Sign() != 0, true
	case vFloat:
		return v.f != 0, true
	}
	return strPrefixFloat(v.s) != 0, true
}

// strPrefixFloat converts a string to a number the way MySQL does in a
// numeric context: the longest numeric prefix after leading blanks.
func strPrefixFloat(s string) float64 {
	s = strings.TrimLeft(s, " \t\n\r")
	end := 0
	seenDigit, seenDot, seenExp := false, false, false
	for end < len(s) {
		c := s[end]
		switch {
		case c >= '0' && c <= '9':
			seenDigit = true
		case (c == '+' || c == '-') && (end == 0 || s[end-1] == 'e' || s[end-1] == 'E'):
		case c == '.' && !seenDot && !seenExp:
			seenDot = true
		case (c == 'e' || c == 'E') && seenDigit && !seenExp:
			seenExp = true
		default:
			goto done
		}
		end++
	}
done:
	for end > 0 {
		if f, err := strconv.ParseFloat(s[:end], 64); err == nil {
			return f
		}
		end--
	}
	return 0
}

func toFloat(v sqlVal) float64 {
	switch v.k {
	case vInt:
		return float64(v.i)
	case vUint:
		return float64(v.u)
	case vDec:
		f, _ := v.r.Float64()
		return f
	case vFloat:
		return v.f
	case vStr:
		if v.member {
			return float64(v.idx)
		}
		return strPrefixFloat(v.s)
	}
	return 0
}

func toRat(v sqlVal) *big.Rat {
	switch v.k {
	case vInt:
		return new(big.Rat).SetInt64(v.i)
	case vUint:
		return new(big.Rat).SetUint64(v.u)
	case vDec:
		return v.r
	}
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(toFloat(v), 'g', -1, 64))
	if !ok {
		return new(big.Rat)
	}
	return r
}

func (v sqlVal) text() string {
	switch v.k {
	case vInt:
		return strconv.FormatInt(v.i, 10)
	case vUint:
		return strconv.FormatUint(v.u, 10)
	case vDec:
		if v.dtext != "" {
			return v.dtext
		}
		return ratText(v.r)
	case vFloat:
		return strconv.FormatFloat(v.f, 'g', -1, 64)
	}
	return v.s
}

func ratText(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	// Enough digits for any DECIMAL(65,30) value, trailing zeros trimmed.
	s := r.FloatString(30)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

func exact(v sqlVal) bool { return v.k == vInt || v.k == vUint || v.k == vDec }

// numeric is v in a numeric context: an ENUM or SET value is its member
// number or bitmap there (status = 2, status + 0), its text elsewhere; a
// bit or hex literal the unsigned number of its bytes.
func numeric(v sqlVal) sqlVal {
	switch {
	case v.member:
		return intVal(v.idx)
	case v.bitLit && len(v.s) <= 8:
		var n uint64
		for i := 0; i < len(v.s); i++ {
			n = n<<8 | uint64(v.s[i])
		}
		if n > math.MaxInt64 {
			return sqlVal{k: vUint, u: n}
		}
		return intVal(int64(n))
	}
	return v
}

// compare returns -1, 0, 1; ok false when either side is NULL.
func compare(a, b sqlVal) (int, bool) {
	if a.k == vNull || b.k == vNull {
		return 0, false
	}
	if a.temporal != b.temporal {
		// A DATE/DATETIME/TIMESTAMP column and a constant compare as
		// dates and times ('2024-03-01' is midnight, 20240301000000 the
		// same), as MySQL converts the constant.
		if ka, ok := temporalKey(a); ok {
			if kb, ok := temporalKey(b); ok {
				return strings.Compare(ka, kb), true
			}
		}
	}
	if a.clock != b.clock {
		// A TIME column and a constant compare as durations ('9:31' is
		// 09:31:00, 93000.5 is 09:30:00.5), as MySQL converts the constant.
		if ka, ok := clockKey(a); ok {
			if kb, ok := clockKey(b); ok {
				return cmpInt(ka, kb), true
			}
		}
	}
	if a.k != vStr || b.k != vStr {
		a, b = numeric(a), numeric(b)
	}
	// An integer or DECIMAL and a string that is wholly a number compare
	// exactly, as MySQL converts such a constant to the column's type
	// ('18446744073709551615' is not 18446744073709551614).
	if exact(a) && b.k == vStr && !b.member {
		if r, ok := new(big.Rat).SetString(strings.TrimSpace(b.s)); ok {
			b = sqlVal{k: vDec, r: r}
		}
	} else if exact(b) && a.k == vStr && !a.member {
		if r, ok := new(big.Rat).SetString(strings.TrimSpace(a.s)); ok {
			a = sqlVal{k: vDec, r: r}
		}
	}
	switch {
	case a.k == vStr && b.k == vStr:
		switch {
		case a.bin || b.bin:
			return strings.Compare(a.s, b.s), true
		case a.binColl || b.binColl:
			return strings.Compare(strings.TrimRight(a.s, " "), strings.TrimRight(b.s, " ")), true
		}
		return compareCI(a.s, b.s), true
	case a.k == vInt && b.k == vInt:
		return cmpInt(a.i, b.i), true
	case exact(a) && exact(b):
		if a.k != vDec && b.k != vDec {
			// one is a uint above MaxInt64
			switch {
			case a.k == vUint && b.k == vUint:
				return cmpUint(a.u, b.u), true
			case a.k == vUint:
				return 1, true
			default:
				return -1, true
			}
		}
		return toRat(a).Cmp(toRat(b)), true
	}
	fa, fb := toFloat(a), toFloat(b)
	switch {
	case fa < fb:
		return -1, true
	case fa > fb:
		return 1, true
	}
	return 0, true
}

// constText is a string or number as the text a date or time is read from.
func constText(v sqlVal) (string, bool) {
	switch v.k {
	case vStr:
		return strings.TrimSpace(v.s), true
	case vInt, vUint:
		return v.text(), true
	case vDec, vFloat:
		return ratText(toRat(v)), true
	}
	return "", false
}

// temporalKey is a date and time as "YYYY-MM-DD HH:MM:SS.ffffff", which
// sorts as the time does: from a temporal column's text, a string constant
// in MySQL's forms ('2024-03-01', '2024-03-01 10:00', '2024/3/1 10:00:00.5',
// '20240301') or a number (20240301, 20240301100000). A filter reads it for
// every row, so it is scanned and written byte by byte.
func temporalKey(v sqlVal) (string, bool) {
	s, ok := constText(v)
	if !ok {
		return "", false
	}
	digit := func(c byte) bool { return c >= '0' && c <= '9' }
	var parts [6]int
	n := 0
	frac := ""
	lead := 0
	for lead < len(s) && digit(s[lead]) {
		lead++
	}
	if lead == len(s) || s[lead] == '.' {
		// Digits alone: YYYYMMDD or YYYYMMDDHHMMSS[.ffffff].
		if lead != 8 && lead != 14 {
			return "", false
		}
		for i := 0; i < lead; {
			w := 2
			if i == 0 {
				w = 4
			}
			for _, c := range []byte(s[i : i+w]) {
				parts[n] = parts[n]*10 + int(c-'0')
			}
			n++
			i += w
		}
		if lead < len(s) {
			frac = s[lead+1:]
		}
	} else {
		// Groups of digits between any other characters; a '.' after the
		// seconds starts the fraction.
		for i := 0; i < len(s); {
			if !digit(s[i]) {
				if s[i] == '.' && n == 6 {
					frac = s[i+1:]
					break
				}
				i++
				continue
			}
			if n == 6 {
				return "", false
			}
			x, w := 0, 0
			for i < len(s) && digit(s[i]) {
				if w++; w > 4 {
					return "", false
				}
				x = x*10 + int(s[i]-'0')
				i++
			}
			parts[n] = x
			n++
		}
		if n != 3 && n != 5 && n != 6 {
			return "", false
		}
	}
	if len(frac) > 6 {
		return "", false
	}
	for i := 0; i < len(frac); i++ {
		if !digit(frac[i]) {
			return "", false
		}
	}
	for i, p := range parts {
		if p > 99 && i > 0 {
			return "", false
		}
	}
	var b [26]byte
	put := func(at, v, w int) {
		for j := at + w - 1; j >= at; j-- {
			b[j] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, parts[0], 4)
	b[4], b[7], b[10], b[13], b[16], b[19] = '-', '-', ' ', ':', ':', '.'
	put(5, parts[1], 2)
	put(8, parts[2], 2)
	put(11, parts[3], 2)
	put(14, parts[4], 2)
	put(17, parts[5], 2)
	copy(b[20:], frac)
	for i := 20 + len(frac); i < 26; i++ {
		b[i] = '0'
	}
	return string(b[:]), true
}

// clockKey is a TIME value in microseconds: from a TIME column's text
// "[-]H:MM:SS[.f]", or a constant as MySQL reads one as a TIME:
// '[-][D ]H:MM[:SS][.f]', or digits [-]HHMMSS[.f] (a number or a string:
// 93000.5 is 09:30:00.5, 1234 is 00:12:34).
func clockKey(v sqlVal) (int64, bool) {
	s, ok := constText(v)
	if !ok {
		return 0, false
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	main, frac, _ := strings.Cut(s, ".")
	if len(frac) > 6 || strings.Trim(frac, "0123456789") != "" {
		return 0, false
	}
	micros, _ := strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64)
	var h, m, sec int64
	if strings.Contains(main, ":") {
		days := int64(0)
		if d, rest, ok := strings.Cut(main, " "); ok {
			n, err := strconv.ParseInt(d, 10, 64)
			if err != nil {
				return 0, false
			}
			days, main = n, rest
		}
		f := strings.Split(main, ":")
		if len(f) < 2 || len(f) > 3 {
			return 0, false
		}
		var n [3]int64
		for i, p := range f {
			x, err := strconv.ParseInt(p, 10, 64)
			if err != nil {
				return 0, false
			}
			n[i] = x
		}
		h, m, sec = days*24+n[0], n[1], n[2]
	} else {
		x, err := strconv.ParseInt(main, 10, 64)
		if err != nil || main == "" {
			return 0, false
		}
		h, m, sec = x/10000, x/100%100, x%100
	}
	t := ((h*60+m)*60+sec)*1_000_000 + micros
	if neg {
		t = -t
	}
	return t, true
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compareCI compares as MySQL's default *_general_ci PAD SPACE collations
// do (MariaDB's default for utf8mb4, latin1's swedish_ci alike for these
// letters), to a good approximation: each character weighs as its base
// letter in upper case (é, É and E are equal, and _ sorts after the
// letters as upper-case weights put it), trailing spaces ignored.
func compareCI(a, b string) int {
	a, b = strings.TrimRight(a, " "), strings.TrimRight(b, " ")
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			fa, fb := ciWeight(ra), ciWeight(rb)
			if fa != fb {
				if fa < fb {
					return -1
				}
				return 1
			}
		}
		a, b = a[na:], b[nb:]
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	}
	return 1
}

// ciWeight is a character's weight under general_ci: its canonical
// decomposition's base character, upper-cased.
func ciWeight(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}
	if r == 'ß' {
		return 'S'
	}
	var in, buf [16]byte
	n := utf8.EncodeRune(in[:], r)
	if d := norm.NFD.Append(buf[:0], in[:n]...); len(d) > 0 {
		r, _ = utf8.DecodeRune(d)
	}
	return unicode.ToUpper(r)
}

// ciFold maps each character of s to its ciWeight, for LIKE.
func ciFold(s string) string {
	return strings.Map(ciWeight, s)
}

// likeMatch matches MySQL LIKE: % any run, _ one character, esc escapes.
func likeMatch(s, pat string, esc rune, ci bool) bool {
	if ci {
		s, pat, esc = ciFold(s), ciFold(pat), ciWeight(esc)
	}
	sr, pr := []rune(s), []rune(pat)
	// Iterative matcher with backtracking to the last %.
	si, pi := 0, 0
	star, mark := -1, 0
	for si < len(sr) {
		if pi < len(pr) {
			c := pr[pi]
			switch {
			case c == esc && pi+1 < len(pr):
				if pr[pi+1] == sr[si] {
					si++
					pi += 2
					continue
				}
			case c == '%':
				star, mark = pi, si
				pi++
				continue
			case c == '_' || c == sr[si]:
				si++
				pi++
				continue
			}
		}
		if star < 0 {
			return false
		}
		mark++
		si, pi = mark, star+1
	}
	for pi < len(pr) && pr[pi] == '%' {
		pi++
	}
	return pi == len(pr)
}

type evalFn = func(rowAccess) sqlVal

func compileNode(n ast.ExprNode, cols map[string]int) (evalFn, error) {
	switch e := n.(type) {
	case *test_driver.ValueExpr:
		v := literal(e)
		return func(rowAccess) sqlVal { return v }, nil
	case *ast.ColumnNameExpr:
		i, ok := cols[e.Name.Name.L]
		if !ok {
			return nil, fmt.Errorf("the table has no column %q", e.Name.Name.O)
		}
		return func(r rowAccess) sqlVal { return r(i) }, nil
	case *ast.ParenthesesExpr:
		return compileNode(e.Expr, cols)
	case *ast.UnaryOperationExpr:
		x, err := compileNode(e.V, cols)
		if err != nil {
			return nil, err
		}
		switch e.Op {
		case opcode.Not, opcode.Not2:
			return func(r rowAccess) sqlVal {
				t, ok := truth(x(r))
				if !ok {
					return sqlNull
				}
				return boolVal(!t)
			}, nil
		case opcode.Minus:
			return func(r rowAccess) sqlVal { return arith(opcode.Minus, intVal(0), x(r)) }, nil
		}
		return x, nil
	case *ast.BinaryOperationExpr:
		l, err := compileNode(e.L, cols)
		if err != nil {
			return nil, err
		}
		rr, err := compileNode(e.R, cols)
		if err != nil {
			return nil, err
		}
		op := e.Op
		switch op {
		case opcode.LogicAnd:
			return func(r rowAccess) sqlVal {
				a, aok := truth(l(r))
				if aok && !a {
					return boolVal(false)
				}
				b, bok := truth(rr(r))
				if bok && !b {
					return boolVal(false)
				}
				if !aok || !bok {
					return sqlNull
				}
				return boolVal(true)
			}, nil
		case opcode.LogicOr:
			return func(r rowAccess) sqlVal {
				a, aok := truth(l(r))
				if aok && a {
					return boolVal(true)
				}
				b, bok := truth(rr(r))
				if bok && b {
					return boolVal(true)
				}
				if !aok || !bok {
					return sqlNull
				}
				return boolVal(false)
			}, nil
		case opcode.LogicXor:
			return func(r rowAccess) sqlVal {
				a, aok := truth(l(r))
				b, bok := truth(rr(r))
				if !aok || !bok {
					return sqlNull
				}
				return boolVal(a != b)
			}, nil
		case opcode.NullEQ:
			return func(r rowAccess) sqlVal {
				a, b := l(r), rr(r)
				if a.k == vNull || b.k == vNull {
					return boolVal(a.k == b.k)
				}
				c, _ := compare(a, b)
				return boolVal(c == 0)
			}, nil
		case opcode.EQ, opcode.NE, opcode.LT, opcode.LE, opcode.GT, opcode.GE:
			return func(r rowAccess) sqlVal {
				c, ok := compare(l(r), rr(r))
				if !ok {
					return sqlNull
				}
				return boolVal(cmpHolds(op, c))
			}, nil
		}
		return func(r rowAccess) sqlVal { return arith(op, l(r), rr(r)) }, nil
	case *ast.IsNullExpr:
		x, err := compileNode(e.Expr, cols)
		if err != nil {
			return nil, err
		}
		not := e.Not
		return func(r rowAccess) sqlVal { return boolVal((x(r).k == vNull) != not) }, nil
	case *ast.IsTruthExpr:
		x, err := compileNode(e.Expr, cols)
		if err != nil {
			return nil, err
		}
		want, not := e.True != 0, e.Not
		return func(r rowAccess) sqlVal {
			t, ok := truth(x(r))
			return boolVal((ok && t == want) != not)
		}, nil
	case *ast.BetweenExpr:
		x, err := compileNode(e.Expr, cols)
		if err != nil {
			return nil, err
		}
		lo, err := compileNode(e.Left, cols)
		if err != nil {
			return nil, err
		}
		hi, err := compileNode(e.Right, cols)
		if err != nil {
			return nil, err
		}
		not := e.Not
		return func(r rowAccess) sqlVal {
			v := x(r)
			c1, ok1 := compare(v, lo(r))
			c2, ok2 := compare(v, hi(r))
			// x >= lo AND x <= hi, three-valued.
			if (ok1 && c1 < 0) || (ok2 && c2 > 0) {
				return boolVal(not)
			}
			if !ok1 || !ok2 {
				return sqlNull
			}
			return boolVal(!not)
		}, nil
	case *ast.PatternInExpr:
		x, err := compileNode(e.Expr, cols)
		if err != nil {
			return nil, err
		}
		list := make([]evalFn, len(e.List))
		for i, it := range e.List {
			if list[i], err = compileNode(it, cols); err != nil {
				return nil, err
			}
		}
		not := e.Not
		return func(r rowAccess) sqlVal {
			v := x(r)
			if v.k == vNull {
				return sqlNull
			}
			sawNull := false
			for _, it := range list {
				c, ok := compare(v, it(r))
				if !ok {
					sawNull = true
					continue
				}
				if c == 0 {
					return boolVal(!not)
				}
			}
			if sawNull {
				return sqlNull
			}
			return boolVal(not)
		}, nil
	case *ast.PatternLikeOrIlikeExpr:
		x, err := compileNode(e.Expr, cols)
		if err != nil {
			return nil, err
		}
		p, err := compileNode(e.Pattern, cols)
		if err != nil {
			return nil, err
		}
		esc := rune(e.Escape)
		if esc == 0 {
			esc = '\\'
		}
		not := e.Not
		return func(r rowAccess) sqlVal {
			v, pv := x(r), p(r)
			if v.k == vNull || pv.k == vNull {
				return sqlNull
			}
			ci := !(v.k == vStr && (v.bin || v.binColl)) && !(pv.k == vStr && (pv.bin || pv.binColl))
			return boolVal(likeMatch(v.text(), pv.text(), esc, ci) != not)
		}, nil
	case *ast.FuncCallExpr:
		args := make([]evalFn, len(e.Args))
		for i, a := range e.Args {
			var err error
			if args[i], err = compileNode(a, cols); err != nil {
				return nil, err
			}
		}
		return compileFunc(e.FnName.L, args)
	}
	return nil, fmt.Errorf("unsupported expression %T", n)
}

func compileFunc(name string, args []evalFn) (evalFn, error) {
	switch name {
	case "lower", "lcase", "upper", "ucase":
		up := name == "upper" || name == "ucase"
		return func(r rowAccess) sqlVal {
			v := args[0](r)
			if v.k == vNull {
				return v
			}
			if v.k == vStr && v.bin { // binary strings are not case-mapped
				return v
			}
			s := v.text()
			if up {
				s = strings.ToUpper(s)
			} else {
				s = strings.ToLower(s)
			}
			// The result keeps the argument's character set and
			// collation, as in MySQL.
			return sqlVal{k: vStr, s: s, binColl: v.binColl, cs: v.cs}
		}, nil
	case "length", "octet_length", "char_length", "character_length":
		chars := name == "char_length" || name == "character_length"
		return func(r rowAccess) sqlVal {
			v := args[0](r)
			if v.k == vNull {
				return v
			}
			s := v.text()
			if chars && !v.bin {
				return intVal(int64(utf8.RuneCountInString(s)))
			}
			if v.cs != "" {
				// LENGTH counts bytes in the value's own character set
				// (UTF-16's "abc" is 6).
				if e := mysqlcharset.Lookup(v.cs); e != nil {
					if b, err := e.NewEncoder().String(s); err == nil {
						return intVal(int64(len(b)))
					}
				}
			}
			return intVal(int64(len(s)))
		}, nil
	case "concat":
		return func(r rowAccess) sqlVal {
			var sb strings.Builder
			bin := false
			for _, a := range args {
				v := a(r)
				if v.k == vNull {
					return sqlNull
				}
				bin = bin || v.bin
				sb.WriteString(v.text())
			}
			return sqlVal{k: vStr, s: sb.String(), bin: bin}
		}, nil
	case "ifnull", "coalesce":
		return func(r rowAccess) sqlVal {
			for _, a := range args {
				if v := a(r); v.k != vNull {
					return v
				}
			}
			return sqlNull
		}, nil
	case "abs":
		return func(r rowAccess) sqlVal {
			v := args[0](r)
			if c, ok := compare(v, intVal(0)); ok && c < 0 {
				return arith(opcode.Minus, intVal(0), v)
			}
			if v.k == vStr {
				return sqlVal{k: vFloat, f: toFloat(v)}
			}
			return v
		}, nil
	}
	return nil, fmt.Errorf("function %s() is not supported", strings.ToUpper(name))
}

func cmpHolds(op opcode.Op, c int) bool {
	switch op {
	case opcode.EQ:
		return c == 0
	case opcode.NE:
		return c != 0
	case opcode.LT:
		return c < 0
	case opcode.LE:
		return c <= 0
	case opcode.GT:
		return c > 0
	}
	return c >= 0
}

// arith does MySQL arithmetic: exact for integers and decimals (falling
// back to DOUBLE on integer overflow), DOUBLE when a float or string takes
// part; / always yields a decimal (or DOUBLE), DIV an integer; dividing by
// zero yields NULL.
func arith(op opcode.Op, a, b sqlVal) sqlVal {
	if a.k == vNull || b.k == vNull {
		return sqlNull
	}
	a, b = numeric(a), numeric(b)
	if exact(a) && exact(b) {
		if a.k == vInt && b.k == vInt {
			x, y := a.i, b.i
			switch op {
			case opcode.Plus:
				if s := x + y; (s > x) == (y > 0) {
					return intVal(s)
				}
			case opcode.Minus:
				if s := x - y; (s < x) == (y > 0) {
					return intVal(s)
				}
			case opcode.Mul:
				if x == 0 || y == 0 {
					return intVal(0)
				}
				if p := x * y; p/y == x && !(x == -1 && y == math.MinInt64) && !(y == -1 && x == math.MinInt64) {
					return intVal(p)
				}
			case opcode.IntDiv:
				if y == 0 {
					return sqlNull
				}
				if !(x == math.MinInt64 && y == -1) {
					return intVal(x / y)
				}
			case opcode.Mod:
				if y == 0 {
					return sqlNull
				}
				if y == -1 {
					return intVal(0)
				}
				return intVal(x % y)
			}
		}
		ra, rb := toRat(a), toRat(b)
		out := new(big.Rat)
		switch op {
		case opcode.Plus:
			out.Add(ra, rb)
		case opcode.Minus:
			out.Sub(ra, rb)
		case opcode.Mul:
			out.Mul(ra, rb)
		case opcode.Div, opcode.IntDiv, opcode.Mod:
			if rb.Sign() == 0 {
				return sqlNull
			}
			q := new(big.Rat).Quo(ra, rb)
			switch op {
			case opcode.Div:
				out = q
			case opcode.IntDiv:
				return intFromRat(truncRat(q))
			default: // a - b*trunc(a/b): the sign of a, as MySQL
				out.Sub(ra, new(big.Rat).Mul(rb, truncRat(q)))
			}
		}
		return sqlVal{k: vDec, r: out}
	}
	x, y := toFloat(a), toFloat(b)
	switch op {
	case opcode.Plus:
		return sqlVal{k: vFloat, f: x + y}
	case opcode.Minus:
		return sqlVal{k: vFloat, f: x - y}
	case opcode.Mul:
		return sqlVal{k: vFloat, f: x * y}
	case opcode.Div:
		if y == 0 {
			return sqlNull
		}
		return sqlVal{k: vFloat, f: x / y}
	case opcode.IntDiv:
		if y == 0 {
			return sqlNull
		}
		return intVal(int64(math.Trunc(x / y)))
	case opcode.Mod:
		if y == 0 {
			return sqlNull
		}
		return sqlVal{k: vFloat, f: math.Mod(x, y)}
	}
	return sqlNull
}

func truncRat(q *big.Rat) *big.Rat {
	n := new(big.Int).Quo(q.Num(), q.Denom()) // truncates toward zero
	return new(big.Rat).SetInt(n)
}

func intFromRat(r *big.Rat) sqlVal {
	n := r.Num()
	if n.IsInt64() {
		return intVal(n.Int64())
	}
	if n.IsUint64() {
		return sqlVal{k: vUint, u: n.Uint64()}
	}
	f, _ := r.Float64()
	return sqlVal{k: vFloat, f: f}
}

func literal(e *test_driver.ValueExpr) sqlVal {
	switch e.Kind() {
	case test_driver.KindInt64:
		return intVal(e.GetInt64())
	case test_driver.KindUint64:
		u := e.GetUint64()
		if u <= math.MaxInt64 {
			return intVal(int64(u))
		}
		return sqlVal{k: vUint, u: u}
	case test_driver.KindFloat32, test_driver.KindFloat64:
		return sqlVal{k: vFloat, f: e.GetFloat64()}
	case test_driver.KindMysqlDecimal:
		if r, ok := new(big.Rat).SetString(e.GetMysqlDecimal().String()); ok {
			return sqlVal{k: vDec, r: r, dtext: e.GetMysqlDecimal().String()}
		}
	case test_driver.KindString:
		return sqlVal{k: vStr, s: e.GetString()}
	case test_driver.KindBytes:
		return sqlVal{k: vStr, s: string(e.GetBytes()), bin: true}
	case test_driver.KindBinaryLiteral:
		return sqlVal{k: vStr, s: string(e.GetBinaryLiteral()), bin: true, bitLit: true}
	}
	return sqlNull
}

// TextValue renders a binlog row value in MySQL's text form: what
// SELECT prints and what Canal and DTS hash for their primary-key
// partitioning. NULL is "".
func TextValue(c *Column, raw any) string {
	if raw == nil {
		return ""
	}
	switch kind, _ := c.kind(); kind {
	case kindDecimal:
		// The column's text keeps its scale ("10.50"), whether the row
		// came from the binlog (a string) or the snapshot (the protocol's
		// bytes): the partition hash of a key must not depend on which.
		if t, err := decimalString(raw); err == nil {
			return t
		}
		return fmt.Sprint(raw)
	case kindFloat:
		if f, ok := raw.(float32); ok {
			return strconv.FormatFloat(float64(f), 'g', -1, 32)
		}
	}
	v := columnValue(c, raw)
	if v.k == vNull {
		return ""
	}
	return v.text()
}
