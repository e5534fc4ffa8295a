package transforms

import (
	"reflect"
	"testing"

	"github.com/sluicehq/sluice/connect"
)

// A canonical change event for shop.orders, built as connect/envelope.go
// describes it.
var (
	rowSchema = connect.StructBuilder().Name("srv.shop.orders.Value").Optional().
			Field("id", connect.Int64Schema).Field("status", connect.OptionalStringSchema).Field("region", connect.OptionalStringSchema).MustBuild()
	keySchema    = connect.StructBuilder().Name("srv.shop.orders.Key").Field("id", connect.Int64Schema).MustBuild()
	sourceSchema = connect.StructBuilder().Name(connect.SourceSchemaName).
			Field(connect.SourceConnectorField, connect.StringSchema).Field(connect.SourceName, connect.StringSchema).
			Field(connect.SourceTsMs, connect.Int64Schema).Field(connect.SourceDB, connect.StringSchema).
			Field(connect.SourceTable, connect.OptionalStringSchema).Field(connect.SourceFile, connect.StringSchema).
			Field(connect.SourcePos, connect.Int64Schema).MustBuild()
	envSchema = connect.StructBuilder().Name("srv.shop.orders.Envelope").Version(2).
			Field(connect.FieldBefore, rowSchema).Field(connect.FieldAfter, rowSchema).Field(connect.FieldSource, sourceSchema).
			Field(connect.FieldOp, connect.StringSchema).Field(connect.FieldTsMs, connect.OptionalInt64Schema).MustBuild()
)

func row(id int64, status, region string) *connect.Struct {
	return connect.NewStructs(rowSchema, []any{id, status, region})
}

func event(op string, before, after *connect.Struct) *connect.SourceRecord {
	src := connect.NewStructs(sourceSchema, []any{"mysql", "srv", int64(1700000000000), "shop", "orders", "binlog.000003", int64(154)})
	var b, a any
	if before != nil {
		b = before
	}
	if after != nil {
		a = after
	}
	var id int64
	if after != nil {
		id = after.At(0).(int64)
	} else if before != nil {
		id = before.At(0).(int64)
	}
	return &connect.SourceRecord{
		Topic:     "srv.shop.orders",
		KeySchema: keySchema, Key: connect.NewStructs(keySchema, []any{id}),
		ValueSchema: envSchema, Value: connect.NewStructs(envSchema, []any{b, a, src, op, int64(1700000000500)}),
		Timestamp: 1700000000500,
	}
}

func tombstone() *connect.SourceRecord {
	return &connect.SourceRecord{Topic: "srv.shop.orders", KeySchema: keySchema, Key: connect.NewStructs(keySchema, []any{int64(1)})}
}

type outcome int

const (
	dropped   outcome = iota
	rowAfter          // value is the after row
	rowBefore         // value is the before row (rewritten delete)
	nullValue         // value null (tombstone-like)
	unchanged         // the very same record
)

func TestExtractNewRecordStateDeleteModes(t *testing.T) {
	ins := event("c", nil, row(1, "new", "eu"))
	upd := event("u", row(1, "new", "eu"), row(1, "paid", "eu"))
	snap := event("r", nil, row(1, "new", "eu"))
	del := event("d", row(1, "paid", "eu"), nil)
	trunc := event("t", nil, nil)
	tomb := tombstone()

	modes := []struct {
		name  string
		props map[string]string
		del   outcome
		tomb  outcome
	}{
		{"default (Debezium 2.x: drop deletes and tombstones)", map[string]string{}, dropped, dropped},
		{"delete.tombstone.handling.mode=drop", map[string]string{"delete.tombstone.handling.mode": "drop"}, dropped, dropped},
		{"delete.tombstone.handling.mode=tombstone", map[string]string{"delete.tombstone.handling.mode": "tombstone"}, nullValue, dropped},
		{"delete.tombstone.handling.mode=rewrite", map[string]string{"delete.tombstone.handling.mode": "rewrite"}, rowBefore, dropped},
		{"delete.tombstone.handling.mode=rewrite-with-tombstone", map[string]string{"delete.tombstone.handling.mode": "rewrite-with-tombstone"}, rowBefore, unchanged},
		{"legacy delete.handling.mode=none, drop.tombstones=false", map[string]string{"delete.handling.mode": "none", "drop.tombstones": "false"}, nullValue, unchanged},
		{"legacy delete.handling.mode=rewrite", map[string]string{"delete.handling.mode": "rewrite"}, rowBefore, dropped},
		{"new mode wins over legacy keys", map[string]string{"delete.tombstone.handling.mode": "drop", "delete.handling.mode": "rewrite", "drop.tombstones": "false"}, dropped, dropped},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			tr := newT(t, DebeziumUnwrapClass, m.props)
			rewrite := m.del == rowBefore
			check := func(what string, in *connect.SourceRecord, want outcome) {
				t.Helper()
				out := apply(t, tr, in)
				switch want {
				case dropped:
					if out != nil {
						t.Fatalf("%s: want dropped, got %v", what, out.Value)
					}
					return
				case unchanged:
					if out == nil || out.Value != nil || !reflect.DeepEqual(out.Key, in.Key) {
						t.Fatalf("%s: want the tombstone kept, got %v", what, out)
					}
					return
				case nullValue:
					if out == nil || out.Value != nil || out.ValueSchema != rowSchema || out.Key != in.Key {
						t.Fatalf("%s: want a null value with the row schema, got %v", what, out)
					}
					return
				}
				if out == nil {
					t.Fatalf("%s: dropped", what)
				}
				sv := out.Value.(*connect.Struct)
				env := in.Value.(*connect.Struct)
				src := env.GetStruct(connect.FieldAfter)
				if want == rowBefore {
					src = env.GetStruct(connect.FieldBefore)
				}
				for _, f := range rowSchema.Fields() {
					if sv.GetWithoutDefault(f.Name) != src.At(f.Index) {
						t.Fatalf("%s: column %s = %v, want %v", what, f.Name, sv.GetWithoutDefault(f.Name), src.At(f.Index))
					}
				}
				_, hasDeleted := sv.Schema().Field(deletedField)
				if hasDeleted != rewrite {
					t.Fatalf("%s: __deleted present=%v in mode %s", what, hasDeleted, m.name)
				}
				if rewrite {
					wantDel := "false"
					if want == rowBefore {
						wantDel = "true"
					}
					if sv.GetWithoutDefault(deletedField) != wantDel {
						t.Fatalf("%s: __deleted=%v", what, sv.GetWithoutDefault(deletedField))
					}
				} else if out.ValueSchema != rowSchema {
					t.Fatalf("%s: without rewrite the row schema passes as is", what)
				}
				if out.Topic != in.Topic || out.Key != in.Key {
					t.Fatalf("%s: topic or key changed", what)
				}
			}
			check("insert", ins, rowAfter)
			check("update", upd, rowAfter)
			check("snapshot read", snap, rowAfter)
			check("delete", del, m.del)
			check("tombstone", tomb, m.tomb)
			check("truncate", trunc, dropped)
		})
	}
}

func TestExtractNewRecordStateAddFieldsAndHeaders(t *testing.T) {
	tr := newT(t, UnwrapClass, map[string]string{
		"add.fields": "op,table,source.ts_ms,db:database,nosuch", "add.headers": "op,source.file", "add.headers.prefix": "dbz.",
		"delete.tombstone.handling.mode": "rewrite-with-tombstone",
	})
	in := event("u", row(1, "new", "eu"), row(1, "paid", "eu"))
	out := apply(t, tr, in)
	var names []string
	for _, f := range out.ValueSchema.Fields() {
		names = append(names, f.Name)
	}
	wantNames := []string{"id", "status", "region", "__deleted", "__op", "__table", "__source_ts_ms", "__database"}
	if !reflect.DeepEqual(names, wantNames) {
		t.Fatalf("fields %v want %v", names, wantNames)
	}
	sv := out.Value.(*connect.Struct)
	if sv.GetWithoutDefault("__op") != "u" || sv.GetWithoutDefault("__table") != "orders" || sv.GetWithoutDefault("__source_ts_ms") != int64(1700000000000) || sv.GetWithoutDefault("__database") != "shop" {
		t.Fatalf("values %v", sv)
	}
	if f, _ := out.ValueSchema.Field("__source_ts_ms"); !f.Schema.Optional || f.Schema.Type != connect.TypeInt64 {
		t.Fatalf("added fields are optional copies: %v", f.Schema)
	}
	if out.ValueSchema.Name != rowSchema.Name || out.ValueSchema.Optional {
		t.Fatalf("row schema basics: %v", out.ValueSchema)
	}
	if h, ok := out.Headers.Last("dbz.op"); !ok || h.Value != "u" {
		t.Fatalf("headers %v", out.Headers)
	}
	if h, ok := out.Headers.Last("dbz.source_file"); !ok || h.Value != "binlog.000003" {
		t.Fatalf("headers %v", out.Headers)
	}
	if len(in.Headers) != 0 {
		t.Fatal("input record headers changed")
	}
	again := apply(t, tr, event("c", nil, row(2, "x", "us")))
	if again.ValueSchema != out.ValueSchema {
		t.Fatal("the unwrapped schema must be built once per envelope schema")
	}
	del := apply(t, tr, event("d", row(1, "paid", "eu"), nil))
	if dv := del.Value.(*connect.Struct); dv.GetWithoutDefault("__op") != "d" || dv.GetWithoutDefault("__deleted") != "true" {
		t.Fatalf("delete %v", dv)
	}
	tomb := apply(t, tr, tombstone())
	if h, ok := tomb.Headers.Last("dbz.op"); !ok || h.Value != "d" {
		t.Fatalf("a kept tombstone carries op=d: %v", tomb.Headers)
	}
}

func TestExtractNewRecordStateRouteByField(t *testing.T) {
	tr := newT(t, UnwrapClass, map[string]string{"route.by.field": "region", "delete.handling.mode": "rewrite"})
	if got := apply(t, tr, event("c", nil, row(1, "new", "eu"))).Topic; got != "eu" {
		t.Fatalf("insert routed to %s", got)
	}
	if got := apply(t, tr, event("d", row(1, "x", "us"), nil)).Topic; got != "us" {
		t.Fatalf("delete routed by before row to %s", got)
	}
	if got := apply(t, tr, event("c", nil, connect.NewStructs(rowSchema, []any{int64(1), "s", nil}))).Topic; got != "srv.shop.orders" {
		t.Fatalf("null route value keeps the topic, got %s", got)
	}
	_, err := newT(t, UnwrapClass, map[string]string{"route.by.field": "nosuch"}).Apply(event("c", nil, row(1, "a", "b")))
	wantErr(t, err, "route.by.field", "nosuch", "columns are: id, status, region")
}

func TestExtractNewRecordStatePassesNonEnvelopes(t *testing.T) {
	hb := connect.StructBuilder().Name(connect.HeartbeatValueName).Field(connect.FieldTsMs, connect.Int64Schema).MustBuild()
	ddl := connect.StructBuilder().Name(connect.SchemaChangeValueName).Field("ddl", connect.StringSchema).MustBuild()
	tr := newT(t, UnwrapClass, map[string]string{"add.fields": "op"})
	for _, in := range []*connect.SourceRecord{
		valueRec(hb, connect.NewStructs(hb, []any{int64(1)})),
		valueRec(ddl, connect.NewStructs(ddl, []any{"CREATE TABLE x (id int)"})),
		valueRec(nil, map[string]any{"op": "c"}),
		valueRec(connect.StringSchema, "plain"),
	} {
		if out := apply(t, tr, in); out != in {
			t.Errorf("%v changed: %v", in.ValueSchema, out)
		}
	}
	wantErr(t, configureErr(t, UnwrapClass, map[string]string{"delete.tombstone.handling.mode": "keep"}), "delete.tombstone.handling.mode")
}

// The chain: ValueToKey + RegexRouter + the unwrap transform, applied
// in order as the runtime would.
func TestChainValueToKeyRegexRouterUnwrap(t *testing.T) {
	chain := []connect.Transformation{
		newT(t, "org.apache.kafka.connect.transforms.RegexRouter", map[string]string{"regex": "srv\\.([^.]+)\\.([^.]+)", "replacement": "cdc.$1_$2"}),
		newT(t, "io.debezium.transforms.ExtractNewRecordState", map[string]string{"delete.handling.mode": "rewrite", "add.fields": "op,source.ts_ms"}),
		newT(t, "ValueToKey", map[string]string{"fields": "id,region"}),
	}
	run := func(rec *connect.SourceRecord) *connect.SourceRecord {
		for _, tr := range chain {
			var err error
			if rec, err = tr.Apply(rec); err != nil {
				t.Fatal(err)
			}
			if rec == nil {
				return nil
			}
		}
		return rec
	}
	ins := run(event("c", nil, row(7, "new", "eu")))
	if ins.Topic != "cdc.shop_orders" {
		t.Fatalf("topic %s", ins.Topic)
	}
	if structField(t, ins.Key, "id") != int64(7) || structField(t, ins.Key, "region") != "eu" || len(ins.KeySchema.Fields()) != 2 {
		t.Fatalf("key %v", ins.Key)
	}
	if structField(t, ins.Value, "__op") != "c" || structField(t, ins.Value, "__deleted") != "false" || structField(t, ins.Value, "status") != "new" {
		t.Fatalf("value %v", ins.Value)
	}
	del := run(event("d", row(7, "paid", "eu"), nil))
	if del.Topic != "cdc.shop_orders" || structField(t, del.Key, "id") != int64(7) || structField(t, del.Value, "__deleted") != "true" || structField(t, del.Value, "status") != "paid" {
		t.Fatalf("delete %v %v %v", del.Topic, del.Key, del.Value)
	}
	if run(tombstone()) != nil {
		t.Fatal("tombstone must be dropped under drop.tombstones=true")
	}
}
