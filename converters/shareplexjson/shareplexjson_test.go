package shareplexjson

import (
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/converters/dtsavro/dtstest"
)

const gtid = "3e11fa47-71ca-11e1-9e33-c80aa9429562:"

// TestSpecExamples renders the examples of dts-formats.md §4.2. The spec's
// UPDATE/DELETE times are a minute apart from the Avro examples' event times
// it reuses, so each case sets the write time it shows.
func TestSpecExamples(t *testing.T) {
	o := dtstest.NewOrders(3)
	ddl := o.AlterTable(gtid+"24", 1)
	ddl.GetStruct("source").MustPut("table", "orders")
	cases := []struct {
		name   string
		schema *connect.Schema
		value  *connect.Struct
		post   int64
		want   string
	}{
		{"insert", o.Envelope, o.Insert(gtid+"21", 1), 1732348800,
			`{"meta":{"time":"2024-11-23T08:00:00","userid":0,"op":"ins","scn":"21","rowid":"","trans":"3e11fa47-71ca-11e1-9e33-c80aa9429562:21","seq":1,"size":1,"table":"shop.orders","idx":"1/1","posttime":"2024-11-23T08:00:00"},"data":{"id":"1001","sku":"A-1","qty":"2","amount":"19.90","status":"paid","created_at":"2024-11-23 08:00:00.250","updated_at":"2024-11-23 08:00:00.250000","note":null}}`},
		{"update", o.Envelope, o.Update(gtid+"22", 1), 1732348860,
			`{"meta":{"time":"2024-11-23T08:01:00","userid":0,"op":"upd","scn":"22","rowid":"","trans":"3e11fa47-71ca-11e1-9e33-c80aa9429562:22","seq":1,"size":1,"table":"shop.orders","idx":"1/1","posttime":"2024-11-23T08:01:00"},"data":{"qty":"3","amount":"29.85","updated_at":"2024-11-23 08:01:00.000000"},"key":{"id":"1001","sku":"A-1","qty":"2","amount":"19.90","status":"paid","created_at":"2024-11-23 08:00:00.250","updated_at":"2024-11-23 08:00:00.250000","note":null}}`},
		{"delete", o.Envelope, o.Delete(gtid+"23", 1), 1732348920,
			`{"meta":{"time":"2024-11-23T08:02:00","userid":0,"op":"del","scn":"23","rowid":"","trans":"3e11fa47-71ca-11e1-9e33-c80aa9429562:23","seq":1,"size":1,"table":"shop.orders","idx":"1/1","posttime":"2024-11-23T08:02:00"},"data":{"id":"1001","sku":"A-1","qty":"3","amount":"29.85","status":"paid","created_at":"2024-11-23 08:00:00.250","updated_at":"2024-11-23 08:01:00.000000","note":null}}`},
		{"ddl", o.SchemaChange, ddl, 1732348980,
			"{\"meta\":{\"time\":\"2024-11-23T08:03:00\",\"userid\":0,\"op\":\"ddl\",\"scn\":\"24\",\"rowid\":\"\",\"trans\":\"3e11fa47-71ca-11e1-9e33-c80aa9429562:24\",\"seq\":1,\"size\":1,\"table\":\"shop.orders\",\"idx\":\"1/1\",\"posttime\":\"2024-11-23T08:03:00\"},\"data\":{\"ddl\":\"ALTER TABLE `orders` ADD COLUMN `coupon` varchar(32) NULL\"}}"},
	}
	c := New()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.now = func() time.Time { return time.Unix(tc.post, 0) }
			b, err := c.FromConnectData("shop", nil, tc.schema, tc.value)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("\n got %s\nwant %s", b, tc.want)
			}
			if _, err := c.ToConnectData("shop", nil, b); err != nil {
				t.Errorf("cannot read back: %v", err)
			}
		})
	}
}

// TestRenameTableName: a RENAME TABLE's record names the new table, as the
// Canal JSON converter does, not the change event's list of old and new
// names ("shop.r1,r2" would be a table that does not exist).
func TestRenameTableName(t *testing.T) {
	o := dtstest.NewOrders(3)
	c := New()
	for _, tc := range []struct{ sql, tables, want string }{
		{"RENAME TABLE r1 TO r2", "r1,r2", `"table":"shop.r2"`},
		{"  rename table `a` to `b`, c to d", "a,b,c,d", `"table":"shop.b"`},
		{"DROP TABLE x, y", "x,y", `"table":"shop.x,y"`},
		{"ALTER TABLE t ADD COLUMN c INT", "t", `"table":"shop.t"`},
		{"CREATE DATABASE d2", "", `"table":"shop"`},
	} {
		rec := dtstest.DDL(o.SchemaChange, "shop", tc.sql, dtstest.Source{DB: "shop", Table: tc.tables, TsMs: 1}, 1)
		b, err := c.FromConnectData("shop", nil, o.SchemaChange, rec)
		if err != nil || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: want %s in %s (%v)", tc.sql, tc.want, b, err)
		}
	}
}
