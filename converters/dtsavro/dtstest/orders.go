package dtstest

import (
	"time"

	"github.com/sluicehq/sluice/connect"
)

// Orders is the table of the spec's examples (dts-formats.md §2.10, §3.5):
//
//	CREATE TABLE shop.orders (id BIGINT PRIMARY KEY, sku VARCHAR(32), qty INT,
//	  amount DECIMAL(10,2), status ENUM('new','paid'), created_at DATETIME(fsp),
//	  updated_at TIMESTAMP(6), note TEXT) CHARSET utf8mb4;
type Orders struct {
	Row, Source, Envelope, SchemaChange *connect.Schema
	createdFsp                          int
}

// NewOrders builds the table with created_at DATETIME(createdFsp).
func NewOrders(createdFsp int) *Orders {
	created := Col{Name: "created_at", Schema: Named(connect.TypeInt64, connect.DebeziumTimestamp), Type: "DATETIME", Scale: createdFsp, Optional: true}
	if createdFsp > 3 {
		created.Schema = Named(connect.TypeInt64, connect.DebeziumMicroTimestamp)
	}
	o := &Orders{createdFsp: createdFsp}
	o.Row = Row("sluice.shop.orders.Value", "id", "2746013185",
		Col{Name: "id", Schema: Typed(connect.TypeInt64), Type: "BIGINT", FullType: "bigint(20)"},
		Col{Name: "sku", Schema: Str(), Type: "VARCHAR", FullType: "varchar(32)", Length: 32, Charset: "utf8mb4", Optional: true},
		Col{Name: "qty", Schema: Typed(connect.TypeInt32), Type: "INT", FullType: "int(11)", Optional: true},
		Col{Name: "amount", Schema: connect.DecimalSchema(2), Type: "DECIMAL", FullType: "decimal(10,2)", Length: 10, Scale: 2, Optional: true},
		Col{Name: "status", Schema: Named(connect.TypeString, connect.DebeziumEnum).Param("allowed", "new,paid"), Type: "ENUM", FullType: "enum('new','paid')", Charset: "utf8mb4", Optional: true},
		created,
		Col{Name: "updated_at", Schema: Named(connect.TypeString, connect.DebeziumZonedTimestamp), Type: "TIMESTAMP", Scale: 6, Optional: true},
		Col{Name: "note", Schema: Str(), Type: "TEXT", FullType: "text", Charset: "utf8mb4", Optional: true},
	)
	o.Source = SourceSchema("8.0.18")
	o.Envelope = Envelope(o.Row, o.Source)
	o.SchemaChange = SchemaChangeSchema(o.Source)
	return o
}

func (o *Orders) created() any {
	t := time.Date(2024, 11, 23, 8, 0, 0, 250_000_000, time.UTC)
	if o.createdFsp > 3 {
		return t.UnixMicro()
	}
	return t.UnixMilli()
}

// Row1 is the inserted row; Row2 the row after the update.
func (o *Orders) Row1() []any {
	return []any{int64(1001), "A-1", int32(2), Dec("19.90"), "paid", o.created(), "2024-11-23T08:00:00.250000Z", nil}
}

func (o *Orders) Row2() []any {
	return []any{int64(1001), "A-1", int32(3), Dec("29.85"), "paid", o.created(), "2024-11-23T08:01:00.000000Z", nil}
}

func (o *Orders) src(sec, pos int64, gtid string) Source {
	return Source{DB: "shop", Table: "orders", TsMs: sec * 1000, File: "mysql-bin.000012", Pos: pos, GTID: gtid, ServerID: 2019, Thread: 541}
}

// Insert, Update, Delete and AlterTable are the spec examples' events;
// tsMs is the envelope's ts_ms (when the connector processed the event).
func (o *Orders) Insert(gtid string, tsMs int64) *connect.Struct {
	return Event(o.Envelope, connect.OpCreate, nil, o.Row1(), o.src(1732348800, 10622, gtid), tsMs)
}

func (o *Orders) Update(gtid string, tsMs int64) *connect.Struct {
	return Event(o.Envelope, connect.OpUpdate, o.Row1(), o.Row2(), o.src(1732348860, 11015, gtid), tsMs)
}

func (o *Orders) Delete(gtid string, tsMs int64) *connect.Struct {
	return Event(o.Envelope, connect.OpDelete, o.Row2(), nil, o.src(1732348920, 11402, gtid), tsMs)
}

// AlterTableSQL is the DDL of the examples.
const AlterTableSQL = "ALTER TABLE `orders` ADD COLUMN `coupon` varchar(32) NULL"

func (o *Orders) AlterTable(gtid string, tsMs int64) *connect.Struct {
	return DDL(o.SchemaChange, "shop", AlterTableSQL, o.src(1732348980, 11733, gtid), tsMs)
}
