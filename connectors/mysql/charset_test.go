package mysql

import (
	"strings"
	"testing"
)

// TestUndecodable: only captured columns of a character set without a
// decoder are named; every 8-bit set the server has now decodes.
func TestUndecodable(t *testing.T) {
	f, err := NewFilters(FilterConfig{TableInclude: []string{`shop\..*`}, ColumnExclude: []string{`shop\.t\.skipped`}})
	if err != nil {
		t.Fatal(err)
	}
	got := withoutDecoder([][4]string{
		{"shop", "t", "hy", "armscii8"}, {"shop", "t", "se", "SWE7"}, {"shop", "t", "u", "utf8mb4"},
		{"shop", "t", "k", "klingon8"}, {"shop", "t", "skipped", "klingon8"}, {"other", "t", "k", "klingon8"},
	}, f)
	if strings.Join(got, ";") != "shop.t.k (klingon8)" {
		t.Fatalf("undecodable %v", got)
	}
}
