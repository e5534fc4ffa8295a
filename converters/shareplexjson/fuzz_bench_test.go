package shareplexjson

import (
	"testing"

	"github.com/sluicehq/sluice/converters/dtsavro/dtstest"
)

// FuzzToConnectData: any bytes give a value or an error, never a panic.
func FuzzToConnectData(f *testing.F) {
	o := dtstest.NewOrders(3)
	c := New()
	for _, v := range []any{o.Insert("g:1", 1), o.Update("", 2), o.Delete("", 3)} {
		b, err := c.FromConnectData("t", nil, o.Envelope, v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	for _, s := range []string{"", "null", "[]", "{", "{\"a\":1e999}", "{\"meta\":{}}", "{\"meta\":1} x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sv, err := c.ToConnectData("t", nil, data)
		if err == nil && sv.Value == nil {
			t.Fatal("nil value without error")
		}
	})
}

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
