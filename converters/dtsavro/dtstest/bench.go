package dtstest

import (
	"time"

	"github.com/sluicehq/sluice/connect"
)

// BenchRow is a 10-column row of common types, for the converters'
// benchmarks.
func BenchRow() (*connect.Schema, *connect.Struct) {
	row := Row("sluice.shop.bench.Value", "id", "7",
		Col{Name: "id", Schema: Typed(connect.TypeInt64), Type: "BIGINT"},
		Col{Name: "name", Schema: Str(), Type: "VARCHAR", Charset: "utf8mb4", Optional: true},
		Col{Name: "qty", Schema: Typed(connect.TypeInt32), Type: "INT", Optional: true},
		Col{Name: "price", Schema: connect.DecimalSchema(2), Type: "DECIMAL", Length: 10, Scale: 2, Optional: true},
		Col{Name: "ratio", Schema: Typed(connect.TypeFloat64), Type: "DOUBLE", Optional: true},
		Col{Name: "status", Schema: Named(connect.TypeString, connect.DebeziumEnum).Param("allowed", "new,paid,sent"), Type: "ENUM", Optional: true},
		Col{Name: "created", Schema: Named(connect.TypeInt64, connect.DebeziumTimestamp), Type: "DATETIME", Scale: 3, Optional: true},
		Col{Name: "updated", Schema: Named(connect.TypeString, connect.DebeziumZonedTimestamp), Type: "TIMESTAMP", Scale: 6, Optional: true},
		Col{Name: "note", Schema: Str(), Type: "TEXT", Charset: "utf8mb4", Optional: true},
		Col{Name: "flag", Schema: Typed(connect.TypeInt16), Type: "TINYINT", Optional: true},
	)
	env := Envelope(row, SourceSchema("8.0.36"))
	vals := []any{int64(123456789), "widget \"deluxe\"", int32(42), Dec("1234.50"), 0.25, "paid",
		time.Date(2024, 5, 6, 7, 8, 9, 123_000_000, time.UTC).UnixMilli(), "2024-05-06T07:08:09.123456Z", "a note", int16(1)}
	src := Source{DB: "shop", Table: "bench", TsMs: 1714979289000, File: "mysql-bin.000042", Pos: 987654, GTID: "3e11fa47-71ca-11e1-9e33-c80aa9429562:77", ServerID: 1, Thread: 9}
	return env, Event(env, connect.OpUpdate, vals, vals, src, 1714979289123)
}
