package mysql

import (
	"testing"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
)

// TestUnsignedMapYear: on MariaDB a YEAR column takes a SIGNEDNESS bit, so
// the columns after it read the bits after its own; on MySQL it takes none.
func TestUnsignedMapYear(t *testing.T) {
	types := []byte{gomysql.MYSQL_TYPE_LONG, gomysql.MYSQL_TYPE_YEAR, gomysql.MYSQL_TYPE_LONGLONG, gomysql.MYSQL_TYPE_VARCHAR, gomysql.MYSQL_TYPE_LONG}
	tm := &replication.TableMapEvent{ColumnCount: uint64(len(types)), ColumnType: types, ColumnMeta: make([]uint16, len(types)),
		// MariaDB: id signed, YEAR unsigned, BIGINT signed, INT UNSIGNED.
		SignednessBitmap: []byte{0b0101_0000}}
	want := map[int]bool{0: false, 2: false, 4: true} // YEAR's bit is skipped
	got := unsignedMap(tm, true)
	if len(got) != len(want) {
		t.Fatalf("mariadb: %v, want %v", got, want)
	}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("mariadb column %d: unsigned %v, want %v", i, got[i], w)
		}
	}
	// MySQL: id signed, BIGINT signed, INT UNSIGNED; YEAR has no bit.
	tm.SignednessBitmap = []byte{0b0010_0000}
	got = unsignedMap(tm, false)
	if _, ok := got[1]; ok || got[0] || got[2] || !got[4] {
		t.Errorf("mysql: %v", got)
	}
	if unsignedMap(&replication.TableMapEvent{ColumnCount: 1, ColumnType: types[:1], ColumnMeta: []uint16{0}}, true) != nil {
		t.Error("no metadata must give no map")
	}
}
