package mysql

import (
	"strings"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/pingcap/tidb/pkg/parser/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// charsetOfCollation maps a binlog collation id to its character set name
// ("" when unknown, e.g. MariaDB-only collations).
func charsetOfCollation(id uint64) string {
	if id == 63 {
		return "binary"
	}
	c, err := charset.GetCollationByID(int(id))
	if err != nil {
		return ""
	}
	return strings.ToLower(c.CharsetName)
}

// collationName is the name of a binlog collation id ("" when unknown).
func collationName(id uint64) string {
	c, err := charset.GetCollationByID(int(id))
	if err != nil {
		return ""
	}
	return strings.ToLower(c.Name)
}

// charsetEncodings are the MySQL character sets whose bytes are not UTF-8
// already. MySQL's latin1 is Windows-1252, not ISO-8859-1.
var charsetEncodings = map[string]encoding.Encoding{
	"latin1":   charmap.Windows1252,
	"latin2":   charmap.ISO8859_2,
	"latin5":   charmap.ISO8859_9,
	"latin7":   charmap.ISO8859_13,
	"cp1250":   charmap.Windows1250,
	"cp1251":   charmap.Windows1251,
	"cp1256":   charmap.Windows1256,
	"cp1257":   charmap.Windows1257,
	"cp850":    charmap.CodePage850,
	"cp852":    charmap.CodePage852,
	"cp866":    charmap.CodePage866,
	"greek":    charmap.ISO8859_7,
	"hebrew":   charmap.ISO8859_8,
	"koi8r":    charmap.KOI8R,
	"koi8u":    charmap.KOI8U,
	"macroman": charmap.Macintosh,
	"tis620":   charmap.Windows874, // TIS-620's Thai, where Windows-874 adds only punctuation
	"gbk":      simplifiedchinese.GBK,
	"gb2312":   simplifiedchinese.GBK,
	"gb18030":  simplifiedchinese.GB18030,
	"big5":     traditionalchinese.Big5,
	"sjis":     japanese.ShiftJIS,
	"cp932":    japanese.ShiftJIS,
	"ujis":     japanese.EUCJP,
	"eucjpms":  japanese.EUCJP,
	"euckr":    korean.EUCKR,
	"ucs2":     unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
	"utf16":    unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
	"utf16le":  unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM),
	"utf32":    utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM),
}

// utf8Charsets are the character sets whose text is UTF-8 (or its ASCII
// subset) already.
var utf8Charsets = map[string]bool{"utf8": true, "utf8mb3": true, "utf8mb4": true, "ascii": true, "binary": true, "filename": true}

// undecodableColumns lists the captured text columns (db.table.column
// (charset)) in a character set that is neither UTF-8 nor one Sluice can
// decode.
func undecodableColumns(c *client.Conn, f *Filters) []string {
	r, err := c.Execute(`SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, CHARACTER_SET_NAME FROM information_schema.COLUMNS
		WHERE CHARACTER_SET_NAME IS NOT NULL AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')`)
	if err != nil {
		return nil
	}
	var out []string
	for i := range r.Values {
		db, _ := r.GetString(i, 0)
		tbl, _ := r.GetString(i, 1)
		col, _ := r.GetString(i, 2)
		cs, _ := r.GetString(i, 3)
		cs = strings.ToLower(cs)
		if utf8Charsets[cs] || charsetEncodings[cs] != nil || !f.Table(db, tbl) || !f.Column(db, tbl, col) {
			continue
		}
		out = append(out, db+"."+tbl+"."+col+" ("+cs+")")
	}
	return out
}

// charsetDecoder returns the decoder to UTF-8 of a character set, or nil
// when its bytes are UTF-8 (or ASCII) already or the set is unknown.
func charsetDecoder(name string) *encoding.Decoder {
	if e, ok := charsetEncodings[strings.ToLower(name)]; ok {
		return e.NewDecoder()
	}
	return nil
}
