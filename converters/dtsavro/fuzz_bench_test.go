package dtsavro

import (
	"testing"

	"github.com/linkedin/goavro/v2"

	"github.com/sluicehq/sluice/connect"

	"github.com/sluicehq/sluice/converters/dtsavro/dtstest"
)

// FuzzToConnectData: any bytes give a record or an error, never a panic; a
// record we accept is one goavro accepts too.
func FuzzToConnectData(f *testing.F) {
	o := dtstest.NewOrders(6)
	c := New()
	for _, v := range []any{o.Insert("", 1), o.Update("g:1", 2), o.Delete("", 3)} {
		b, err := c.FromConnectData("t", nil, o.Envelope, v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	ddl, _ := c.FromConnectData("t", nil, o.SchemaChange, o.AlterTable("g:2", 4))
	f.Add(ddl)
	f.Add([]byte{})
	f.Add([]byte{0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	codec, err := goavro.NewCodec(RecordSchema)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sv, err := c.ToConnectData("t", nil, data)
		if err != nil {
			return
		}
		if sv.Value == nil {
			t.Fatal("nil value without error")
		}
		if _, rest, err := codec.NativeFromBinary(data); err != nil || len(rest) != 0 {
			t.Fatalf("we accepted what goavro rejects: %v (%d left)", err, len(rest))
		}
	})
}

func BenchmarkFromConnectData(b *testing.B) {
	env, v := benchRow()
	c := New()
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf, err = c.AppendConnectData(buf[:0], "t", nil, env, v)
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGoavroNative is the alternative measured and rejected: the same
// record built as goavro's native map and encoded by goavro.
func BenchmarkGoavroNative(b *testing.B) {
	env, v := benchRow()
	c := New()
	out, err := c.FromConnectData("t", nil, env, v)
	if err != nil {
		b.Fatal(err)
	}
	codec, err := goavro.NewCodec(RecordSchema)
	if err != nil {
		b.Fatal(err)
	}
	native, _, err := codec.NativeFromBinary(out)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		// Rebuilding the native map is part of the cost per record.
		m := rebuild(native)
		if buf, err = codec.BinaryFromNative(buf[:0], m); err != nil {
			b.Fatal(err)
		}
	}
}

func benchRow() (*connect.Schema, *connect.Struct) { return dtstest.BenchRow() }

func rebuild(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = rebuild(e)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = rebuild(e)
		}
		return a
	}
	return v
}
