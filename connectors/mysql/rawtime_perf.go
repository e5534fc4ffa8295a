package mysql

import (
	"time"
	"unsafe"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
)

// The binlog syncer runs with ParseTime, so go-mysql decodes DATETIME and
// TIMESTAMP into a time.Time instead of formatting them with fmt.Sprintf
// (a tenth of the catch-up CPU on tables with temporal columns). rowsDecoder
// then renders each such value as the very text go-mysql gives without
// ParseTime, "YYYY-MM-DD HH:MM:SS[.f…]" with the column's fsp digits and
// TIMESTAMP in UTC, so everything downstream (converters, row filters,
// hashing, the snapshot's equal values) sees what it always saw. go-mysql
// still returns that text itself for the values it never turns into a
// time.Time: zero dates and dates before 1970.

// rowsDecoder is a syncer's RowsEventDecodeFunc: go-mysql's own decoding
// followed by the rendering above, the text boxed in the decoder's slabs.
// It runs on the syncer's goroutine, one decoder per syncer.
type rowsDecoder struct {
	boxes rowBoxes
	// failures takes the events that fail to decode when the stream may
	// skip them (undecodable.go); nil stops the syncer with the error.
	failures *undecodable
}

func (d *rowsDecoder) decode(re *replication.RowsEvent, data []byte) error {
	if err := re.Decode(data); err != nil {
		if d.failures.failed(re, err) {
			return nil
		}
		return err
	}
	renderTimes(re, &d.boxes)
	return nil
}

func renderTimes(re *replication.RowsEvent, bx *rowBoxes) {
	tm := re.Table
	if tm == nil {
		return
	}
	for ci, tp := range tm.ColumnType {
		dec := 0
		switch tp {
		case gomysql.MYSQL_TYPE_DATETIME2, gomysql.MYSQL_TYPE_TIMESTAMP2:
			if ci < len(tm.ColumnMeta) {
				dec = int(tm.ColumnMeta[ci])
			}
		case gomysql.MYSQL_TYPE_DATETIME, gomysql.MYSQL_TYPE_TIMESTAMP:
		default:
			continue
		}
		for _, row := range re.Rows {
			if ci < len(row) {
				if t, ok := row[ci].(time.Time); ok {
					row[ci] = formatRawTimeBoxed(t.UTC(), dec, bx)
				}
			}
		}
	}
}

// formatRawTimeBoxed renders t as "YYYY-MM-DD HH:MM:SS" plus dec fraction
// digits (truncated, as MySQL stores them), for years 0–9999, boxed for a
// row image: the text and its box in bx's slabs, or in one allocation of
// their own without bx (box_perf.go).
func formatRawTimeBoxed(t time.Time, dec int, bx *rowBoxes) any {
	var b [26]byte
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	put := func(i, v, n int) {
		for j := i + n - 1; j >= i; j-- {
			b[j] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, y, 4)
	b[4] = '-'
	put(5, int(mo), 2)
	b[7] = '-'
	put(8, d, 2)
	b[10] = ' '
	put(11, h, 2)
	b[13] = ':'
	put(14, mi, 2)
	b[16] = ':'
	put(17, s, 2)
	n := 19
	if dec > 0 {
		dec = min(dec, 6)
		b[19] = '.'
		put(20, t.Nanosecond()/1000, 6)
		n = 20 + dec
	}
	if bx != nil {
		return bx.string(bx.copyText(b[:n]))
	}
	bt := &boxedText{b: b}
	bt.s = unsafe.String(&bt.b[0], n)
	return boxAt(stringType, unsafe.Pointer(&bt.s))
}
