package canaljson

import (
	"testing"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/converters/dtsavro/dtstest"
)

const gtid = "3e11fa47-71ca-11e1-9e33-c80aa9429562:"

// TestSpecExamples renders the examples of dts-formats.md §3.5 byte for byte.
func TestSpecExamples(t *testing.T) {
	o := dtstest.NewOrders(3)
	cases := []struct {
		name   string
		schema *connect.Schema
		value  *connect.Struct
		want   string
	}{
		{"insert", o.Envelope, o.Insert(gtid+"21", 1732348800315),
			`{"data":[{"id":"1001","sku":"A-1","qty":"2","amount":"19.90","status":"2","created_at":"2024-11-23 08:00:00.250","updated_at":"2024-11-23 08:00:00.250000","note":null}],"database":"shop","es":1732348800000,"gtid":"3e11fa47-71ca-11e1-9e33-c80aa9429562:21","id":1042,"isDdl":false,"mysqlType":{"id":"bigint","sku":"varchar","qty":"int","amount":"decimal","status":"enum","created_at":"datetime","updated_at":"timestamp","note":"text"},"pkNames":["id"],"sql":"","sqlType":{"id":-5,"sku":12,"qty":4,"amount":3,"status":4,"created_at":93,"updated_at":93,"note":2005},"table":"orders","ts":1732348800315,"type":"INSERT"}`},
		{"update", o.Envelope, o.Update(gtid+"22", 1732348860201),
			`{"data":[{"id":"1001","sku":"A-1","qty":"3","amount":"29.85","status":"2","created_at":"2024-11-23 08:00:00.250","updated_at":"2024-11-23 08:01:00.000000","note":null}],"database":"shop","es":1732348860000,"gtid":"3e11fa47-71ca-11e1-9e33-c80aa9429562:22","id":1043,"isDdl":false,"mysqlType":{"id":"bigint","sku":"varchar","qty":"int","amount":"decimal","status":"enum","created_at":"datetime","updated_at":"timestamp","note":"text"},"old":[{"id":"1001","sku":"A-1","qty":"2","amount":"19.90","status":"2","created_at":"2024-11-23 08:00:00.250","updated_at":"2024-11-23 08:00:00.250000","note":null}],"pkNames":["id"],"sql":"","sqlType":{"id":-5,"sku":12,"qty":4,"amount":3,"status":4,"created_at":93,"updated_at":93,"note":2005},"table":"orders","ts":1732348860201,"type":"UPDATE"}`},
		{"delete", o.Envelope, o.Delete(gtid+"23", 1732348920388),
			`{"data":[{"id":"1001","sku":"A-1","qty":"3","amount":"29.85","status":"2","created_at":"2024-11-23 08:00:00.250","updated_at":"2024-11-23 08:01:00.000000","note":null}],"database":"shop","es":1732348920000,"gtid":"3e11fa47-71ca-11e1-9e33-c80aa9429562:23","id":1044,"isDdl":false,"mysqlType":{"id":"bigint","sku":"varchar","qty":"int","amount":"decimal","status":"enum","created_at":"datetime","updated_at":"timestamp","note":"text"},"pkNames":["id"],"sql":"","sqlType":{"id":-5,"sku":12,"qty":4,"amount":3,"status":4,"created_at":93,"updated_at":93,"note":2005},"table":"orders","ts":1732348920388,"type":"DELETE"}`},
		{"ddl", o.SchemaChange, o.AlterTable(gtid+"24", 1732348980412),
			"{\"database\":\"shop\",\"es\":1732348980000,\"gtid\":\"3e11fa47-71ca-11e1-9e33-c80aa9429562:24\",\"id\":1045,\"isDdl\":true,\"sql\":\"ALTER TABLE `orders` ADD COLUMN `coupon` varchar(32) NULL\",\"table\":\"orders\",\"ts\":1732348980412,\"type\":\"DDL\"}"},
	}
	c := New()
	c.nextID.Store(1041)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
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
