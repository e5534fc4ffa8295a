package json

import (
	"math/big"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
)

// benchRow is a typical 10-column MySQL row as the connector emits it
// (bigint, int, varchar, decimal, datetime, double, text, bool, blob, and a
// NULL column).
func benchRow() (*connect.Schema, *connect.Struct) {
	s := connect.StructBuilder().Name("db.shop.orders.Value").
		Field("id", connect.Int64Schema).
		Field("qty", connect.Int32Schema).
		Field("sku", connect.StringSchema).
		Field("price", connect.DecimalSchema(2).MustBuild()).
		Field("created", connect.NewSchemaBuilder(connect.TypeInt64).Name(connect.DebeziumTimestamp).Version(1).MustBuild()).
		Field("weight", connect.Float64Schema).
		Field("note", connect.OptionalStringSchema).
		Field("paid", connect.BooleanSchema).
		Field("blob", connect.OptionalBytesSchema).
		Field("gone", connect.OptionalStringSchema).
		MustBuild()
	v := connect.NewStructs(s, []any{
		int64(9_123_456_789), int32(3), "SKU-12345-XL",
		connect.Decimal{Unscaled: big.NewInt(1999), Scale: 2},
		time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC).UnixMilli(), 12.75,
		"a short note with \"quotes\" and ünïcode", true, []byte{1, 2, 3, 4, 5, 6, 7, 8}, nil,
	})
	return s, v
}

func BenchmarkJSONFromConnectData(b *testing.B) {
	s, v := benchRow()
	for _, enable := range []string{"true", "false"} {
		c := newConv(b, map[string]string{"schemas.enable": enable})
		b.Run("schemas.enable="+enable+"/append", func(b *testing.B) {
			buf := make([]byte, 0, 4096)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				out, err := c.AppendConnectData(buf[:0], "t", nil, s, v)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(out)))
			}
		})
		b.Run("schemas.enable="+enable+"/alloc", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				out, err := c.FromConnectData("t", nil, s, v)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(out)))
			}
		})
	}
}

func BenchmarkJSONToConnectData(b *testing.B) {
	s, v := benchRow()
	c := newConv(b, nil)
	data, err := c.FromConnectData("t", nil, s, v)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := c.ToConnectData("t", nil, data); err != nil {
			b.Fatal(err)
		}
	}
}

func TestAppendConnectDataAllocations(t *testing.T) {
	s, v := benchRow()
	for _, enable := range []string{"true", "false"} {
		c := newConv(t, map[string]string{"schemas.enable": enable})
		buf := make([]byte, 0, 4096)
		if _, err := c.AppendConnectData(buf, "t", nil, s, v); err != nil {
			t.Fatal(err)
		}
		n := testing.AllocsPerRun(200, func() {
			_, _ = c.AppendConnectData(buf[:0], "t", nil, s, v)
		})
		if n > 2 {
			t.Errorf("schemas.enable=%s: %v allocations per record, want at most 2", enable, n)
		}
	}
}
