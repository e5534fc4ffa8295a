package maxwelljson

import (
	"testing"

	"github.com/sluicehq/sluice/converters/dtsavro/dtstest"
)

func BenchmarkFromConnectData(b *testing.B) {
	env, v := dtstest.BenchRow()
	c := New()
	buf := make([]byte, 0, 2048)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf, err = c.AppendConnectData(buf[:0], "t", nil, env, v)
		if err != nil {
			b.Fatal(err)
		}
	}
}
