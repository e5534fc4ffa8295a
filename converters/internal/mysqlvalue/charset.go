package mysqlvalue

import "github.com/sluicehq/sluice/internal/mysqlcharset"

// appendEncoded appends s encoded in the charset to dst, as the server
// would store it (internal/mysqlcharset, which the MySQL connector decodes
// with); false when the charset has no encoder or s has a character it
// cannot hold.
func appendEncoded(dst []byte, charset, s string) ([]byte, bool) {
	e := mysqlcharset.Lookup(charset)
	if e == nil {
		return dst, false
	}
	b, err := e.NewEncoder().String(s)
	if err != nil {
		return dst, false
	}
	return append(dst, b...), true
}
