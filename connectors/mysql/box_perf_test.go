package mysql

import (
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicehq/sluice/connect"
)

// smallDecimal gives what the general parser gives, or declines; values it
// boxed stay intact across collections.
func TestSmallDecimalEqualsParseDecimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	inputs := []string{"0", "0.00", "-0.00", "1", "-1.5", "999999999999999999", "9999999999999999.99",
		"99999999999999999999", "1.234", "12.", ".5", "-", "", "1e5", " 1.00", "1.00 ", "--1", "1.2.3", "+1.00"}
	for i := 0; i < 20000; i++ {
		n := rng.Uint64() >> rng.IntN(64)
		s := strconv.FormatUint(n, 10)
		if sc := rng.IntN(8); sc > 0 {
			for len(s) <= sc {
				s = "0" + s
			}
			s = s[:len(s)-sc] + "." + s[len(s)-sc:]
		}
		if rng.IntN(2) == 0 {
			s = "-" + s
		}
		inputs = append(inputs, s)
	}
	var kept []any
	var want []connect.Decimal
	arena := &rowBoxes{}
	for i, s := range inputs {
		for scale := int32(0); scale <= 7; scale++ {
			bx := arena
			if i%2 == 0 {
				bx = nil
			}
			v, ok := smallDecimal(s, scale, bx)
			d, err := connect.ParseDecimal(s)
			if err == nil {
				d, err = d.Rescale(scale)
			}
			if !ok {
				_, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
				digits := len(strings.TrimPrefix(strings.ReplaceAll(s, ".", ""), "-"))
				if err == nil && digits <= 18 && len(frac) == int(scale) && !strings.ContainsAny(s, " +") {
					t.Errorf("smallDecimal(%q, %d) declined a value that fits", s, scale)
				}
				continue
			}
			if err != nil {
				t.Fatalf("smallDecimal(%q, %d) accepted what ParseDecimal refuses: %v", s, scale, err)
			}
			got := v.(connect.Decimal)
			if got.Scale != d.Scale || got.Unscaled.Cmp(d.Unscaled) != 0 {
				t.Fatalf("smallDecimal(%q, %d) = %v, want %v", s, scale, got, d)
			}
			kept, want = append(kept, v), append(want, d)
		}
	}
	runtime.GC()
	runtime.GC()
	for i, v := range kept {
		if got := v.(connect.Decimal); got.String() != want[i].String() {
			t.Fatalf("after GC: %v, want %v", got, want[i])
		}
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = smallDecimal("-1234567.89", 2, nil) }); n != 1 {
		t.Errorf("smallDecimal allocates %v times, want 1", n)
	}
	if n := testing.AllocsPerRun(4*slabLen, func() { _, _ = smallDecimal("-1234567.89", 2, arena) }); n > 0.05 {
		t.Errorf("smallDecimal in an arena allocates %v times per value, want a slab per %d", n, slabLen/2)
	}
}

func TestFormatRawTimeBoxedSurvivesGC(t *testing.T) {
	var kept []any
	arena := &rowBoxes{}
	for i := 0; i < 10000; i++ {
		var bx *rowBoxes
		if i%2 == 1 {
			bx = arena
		}
		kept = append(kept, formatRawTimeBoxed(time.Unix(int64(i)*7919, int64(i)*1000).UTC(), 6, bx))
	}
	runtime.GC()
	for i, v := range kept {
		if want := formatRawTime(time.Unix(int64(i)*7919, int64(i)*1000).UTC(), 6); v.(string) != want {
			t.Fatalf("after GC: %q, want %q", v, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = formatRawTimeBoxed(time.Unix(1700000000, 0).UTC(), 3, nil) }); n != 1 {
		t.Errorf("formatRawTimeBoxed allocates %v times, want 1", n)
	}
	if n := testing.AllocsPerRun(4*slabLen, func() { _ = formatRawTimeBoxed(time.Unix(1700000000, 0).UTC(), 3, arena) }); n > 0.05 {
		t.Errorf("formatRawTimeBoxed in an arena allocates %v times per value", n)
	}
}

// A snapshot value boxed from the row's slabs is, in type and value, what
// the column's decoder gives, for every column kind that boxes and every
// field type the server may send; a field it does not box is declined.
func TestSnapBoxesEqualDecode(t *testing.T) {
	cols := []Column{
		{Name: "t", BinlogType: gomysql.MYSQL_TYPE_TINY, DataType: "TINYINT"},
		{Name: "s", BinlogType: gomysql.MYSQL_TYPE_SHORT, DataType: "SMALLINT"},
		{Name: "m", BinlogType: gomysql.MYSQL_TYPE_INT24, DataType: "MEDIUMINT"},
		{Name: "i", BinlogType: gomysql.MYSQL_TYPE_LONG, DataType: "INT"},
		{Name: "b", BinlogType: gomysql.MYSQL_TYPE_LONGLONG, DataType: "BIGINT"},
		{Name: "ub", BinlogType: gomysql.MYSQL_TYPE_LONGLONG, DataType: "BIGINT", Unsigned: true},
		{Name: "ut", BinlogType: gomysql.MYSQL_TYPE_TINY, DataType: "TINYINT", Unsigned: true},
		{Name: "f", BinlogType: gomysql.MYSQL_TYPE_FLOAT, DataType: "FLOAT"},
		{Name: "d", BinlogType: gomysql.MYSQL_TYPE_DOUBLE, DataType: "DOUBLE"},
		{Name: "dec", BinlogType: gomysql.MYSQL_TYPE_NEWDECIMAL, DataType: "DECIMAL", Meta: 12<<8 | 2},
		{Name: "dt", BinlogType: gomysql.MYSQL_TYPE_DATETIME2, DataType: "DATETIME", Meta: 3},
		{Name: "j", BinlogType: gomysql.MYSQL_TYPE_JSON, DataType: "JSON"},
	}
	fields := []gomysql.FieldValue{
		gomysql.NewFieldValue(gomysql.FieldValueTypeSigned, uint64(1<<63|12345), nil),
		gomysql.NewFieldValue(gomysql.FieldValueTypeSigned, 300, nil),
		gomysql.NewFieldValue(gomysql.FieldValueTypeSigned, uint64(0xFFFFFFFFFFFFFF85), nil), // -123
		gomysql.NewFieldValue(gomysql.FieldValueTypeUnsigned, 1<<63+5, nil),
		gomysql.NewFieldValue(gomysql.FieldValueTypeFloat, math.Float64bits(-2.5e-7), nil),
		gomysql.NewFieldValue(gomysql.FieldValueTypeString, 0, []byte("1234.50")),
		gomysql.NewFieldValue(gomysql.FieldValueTypeString, 0, []byte("")),
	}
	var kept []any
	var want []any
	for i := range cols {
		sc, err := newSnapColumn(&cols[i])
		if err != nil {
			t.Fatal(err)
		}
		if sc.box == boxNone {
			t.Fatalf("column %s: no box kind", cols[i].Name)
		}
		for _, fv := range fields {
			bx := &rowBoxes{}
			dec, decErr := sc.decode(&fv)
			v, _, ok := bx.value(sc.box, &fv)
			if !ok {
				continue
			}
			if decErr != nil {
				t.Fatalf("column %s field %v: boxed %v where decode fails: %v", cols[i].Name, fv.Value(), v, decErr)
			}
			if !reflect.DeepEqual(v, dec) {
				t.Fatalf("column %s field %v: boxed %#v (%T), decode gives %#v (%T)", cols[i].Name, fv.Value(), v, v, dec, dec)
			}
			kept, want = append(kept, v), append(want, dec)
		}
	}
	if len(kept) < 20 {
		t.Fatalf("only %d values boxed", len(kept))
	}
	runtime.GC()
	for i := range kept {
		if !reflect.DeepEqual(kept[i], want[i]) {
			t.Fatalf("after GC: %#v, want %#v", kept[i], want[i])
		}
	}
	// Rows share the slabs: a few allocations per slabLen values, however
	// many values; and a row's text stays intact when the next row's text
	// goes into a new block.
	sc7 := make([]snapColumn, 0, len(cols)+1)
	for i := range cols {
		sc, _ := newSnapColumn(&cols[i])
		sc7 = append(sc7, sc)
	}
	sc7 = append(sc7, snapColumn{text: true})
	fv := fields[1]
	bx := &rowBoxes{}
	if n := testing.AllocsPerRun(4*slabLen, func() {
		for i := range sc7[:len(cols)] {
			_, _, _ = bx.value(sc7[i].box, &fv)
		}
		_ = bx.string(bx.copyText(make([]byte, 100)))
	}); n > 0.05 {
		t.Errorf("a row's boxes took %v allocations, want a few per %d values", n, slabLen)
	}
	var texts []any
	for i := 0; i < 2000; i++ {
		v := strconv.Itoa(i) + strings.Repeat("x", 90)
		texts = append(texts, bx.string(bx.copyText([]byte(v))))
	}
	runtime.GC()
	for i, v := range texts {
		if want := strconv.Itoa(i) + strings.Repeat("x", 90); v.(string) != want {
			t.Fatalf("text %d = %q after later rows, want %q", i, v, want)
		}
	}
}

// Every conversion that can box in an arena gives, with one, what it gives
// without: the same type and value, for values around the small-integer
// boundary and across slabs.
func TestBoxedConversionsEqualUnboxed(t *testing.T) {
	cols := []Column{
		{Name: "dt3", BinlogType: gomysql.MYSQL_TYPE_DATETIME2, DataType: "DATETIME", Meta: 3, Nullable: true},
		{Name: "dt6", BinlogType: gomysql.MYSQL_TYPE_DATETIME2, DataType: "DATETIME", Meta: 6},
		{Name: "dec", BinlogType: gomysql.MYSQL_TYPE_NEWDECIMAL, DataType: "DECIMAL", Meta: 12<<8 | 2},
		{Name: "txt", BinlogType: gomysql.MYSQL_TYPE_BLOB, DataType: "TEXT", Charset: "utf8mb4", Meta: 2},
		{Name: "lat", BinlogType: gomysql.MYSQL_TYPE_BLOB, DataType: "TEXT", Charset: "latin1", Meta: 2},
	}
	inputs := map[string][]any{
		"dt3": {"1970-01-01 00:00:00.000", "1970-01-01 00:00:00.255", "1970-01-01 00:00:00.256", "2024-11-23 08:00:00.250", "1969-12-31 23:59:59.999", "0000-00-00 00:00:00.000"},
		"dt6": {"1970-01-01 00:00:00.000001", "2024-11-23 08:00:00.250001", "1999-12-31 23:59:59.999999"},
		"dec": {"12.30", "-0.05", "0.00", "9999999999.99", []byte("1234.50")},
		"txt": {[]byte("héllo"), []byte(""), "varchar as string"},
		"lat": {[]byte("plain ascii"), []byte("caf\xe9")},
	}
	arena := &rowBoxes{}
	var kept, want []any
	for i := range cols {
		cc, err := newColumnConverter(&cols[i], DefaultTypeOptions)
		if err != nil {
			t.Fatal(err)
		}
		if cc.boxed == nil {
			t.Fatalf("column %s converts without an arena", cols[i].Name)
		}
		for round := 0; round < 2*slabLen; round++ {
			for _, in := range inputs[cols[i].Name] {
				w, err := cc.convert(in)
				if err != nil {
					t.Fatalf("%s %q: %v", cols[i].Name, in, err)
				}
				got, err := cc.convertIn(in, arena)
				if err != nil {
					t.Fatalf("%s %q in an arena: %v", cols[i].Name, in, err)
				}
				if !reflect.DeepEqual(got, w) {
					t.Fatalf("%s %q: %#v in an arena, %#v without", cols[i].Name, in, got, w)
				}
				kept, want = append(kept, got), append(want, w)
			}
		}
	}
	runtime.GC()
	for i := range kept {
		if !reflect.DeepEqual(kept[i], want[i]) {
			t.Fatalf("after GC: %#v, want %#v", kept[i], want[i])
		}
	}
	for _, n := range []int64{0, 1, 255, 256, 1 << 40, -1, -256} {
		if got := arena.int64(n); got != any(n) {
			t.Errorf("int64(%d) boxed as %#v", n, got)
		}
	}
}

// Change records from a reader's block slabs: each block is fresh and
// zeroed, blocks handed out earlier keep their values across slabs and a
// GC, and a block costs a few allocations per blockSlabLen records.
func TestChangeBlockSlabs(t *testing.T) {
	bx := &rowBoxes{}
	var blocks []*changeBlock
	var slots [][]any
	for i := 0; i < 5*blockSlabLen; i++ {
		n := 8
		if i%3 == 0 {
			n = 16
		}
		blk, vals := allocChangeBlock(n, bx)
		if len(vals) != n || cap(vals) != n {
			t.Fatalf("block %d: %d slots (cap %d), want %d", i, len(vals), cap(vals), n)
		}
		for j := range vals {
			if vals[j] != nil {
				t.Fatalf("block %d: slot %d not zeroed: %v", i, j, vals[j])
			}
			vals[j] = i*100 + j
		}
		if blk.rec.Topic != "" || blk.vals[0] != nil {
			t.Fatalf("block %d not zeroed", i)
		}
		blk.rec.Topic = strconv.Itoa(i)
		blocks, slots = append(blocks, blk), append(slots, vals)
	}
	runtime.GC()
	for i, blk := range blocks {
		if blk.rec.Topic != strconv.Itoa(i) {
			t.Fatalf("block %d's record changed to %q", i, blk.rec.Topic)
		}
		for j, v := range slots[i] {
			if v != i*100+j {
				t.Fatalf("block %d slot %d = %v, want %d", i, j, v, i*100+j)
			}
		}
	}
	if n := testing.AllocsPerRun(4*blockSlabLen, func() { _, _ = allocChangeBlock(8, bx) }); n > 0.05 {
		t.Errorf("a change block took %v allocations, want one per %d blocks", n, blockSlabLen)
	}
}
