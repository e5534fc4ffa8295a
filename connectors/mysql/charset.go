package mysql

import (
	"strings"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/pingcap/tidb/pkg/parser/charset"
	"golang.org/x/text/encoding"

	"github.com/sluicehq/sluice/internal/mysqlcharset"
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

// utf8Charsets are the character sets whose text is UTF-8 already.
var utf8Charsets = map[string]bool{"utf8": true, "utf8mb3": true, "utf8mb4": true, "binary": true, "filename": true}

// undecodableColumns lists the captured text columns (db.table.column
// (charset)) in a character set that is neither UTF-8 nor one Sluice can
// decode. Every set of MariaDB 10.11 and MySQL 8 decodes; this names
// what a later server version may add.
func undecodableColumns(c *client.Conn, f *Filters) []string {
	r, err := c.Execute(`SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, CHARACTER_SET_NAME FROM information_schema.COLUMNS
		WHERE CHARACTER_SET_NAME IS NOT NULL AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')`)
	if err != nil {
		return nil
	}
	cols := make([][4]string, len(r.Values))
	for i := range r.Values {
		for j := range cols[i] {
			cols[i][j], _ = r.GetString(i, j)
		}
	}
	return withoutDecoder(cols, f)
}

// compressedColumns lists the captured tables' MariaDB COMPRESSED columns
// as db.table.column (information_schema shows the attribute in
// COLUMN_TYPE, as "varchar(10) /*M!100301 COMPRESSED*/").
func compressedColumns(c *client.Conn, f *Filters) []string {
	r, err := c.Execute(`SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS
		WHERE COLUMN_TYPE LIKE '%COMPRESSED%' AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')`)
	if err != nil {
		return nil
	}
	var out []string
	for i := range r.Values {
		db, _ := r.GetString(i, 0)
		tbl, _ := r.GetString(i, 1)
		col, _ := r.GetString(i, 2)
		if f.Table(db, tbl) {
			out = append(out, db+"."+tbl+"."+col)
		}
	}
	return out
}

// withoutDecoder picks the captured columns of charsets without a decoder
// from schema, table, column, charset rows.
func withoutDecoder(cols [][4]string, f *Filters) []string {
	var out []string
	for _, c := range cols {
		db, tbl, col, cs := c[0], c[1], c[2], strings.ToLower(c[3])
		if utf8Charsets[cs] || mysqlcharset.Lookup(cs) != nil || !f.Table(db, tbl) || !f.Column(db, tbl, col) {
			continue
		}
		out = append(out, db+"."+tbl+"."+col+" ("+cs+")")
	}
	return out
}

// charsetDecoder returns the decoder to UTF-8 of a character set, as the
// server converts it (internal/mysqlcharset), or nil when its bytes are
// UTF-8 already or the set is unknown.
func charsetDecoder(name string) *encoding.Decoder {
	if e := mysqlcharset.Lookup(name); e != nil {
		return e.NewDecoder()
	}
	return nil
}
