package all

import (
	"testing"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/converters/canaljson"
	"github.com/sluicehq/sluice/converters/dtsavro"
	"github.com/sluicehq/sluice/converters/dtsavro/dtstest"
	"github.com/sluicehq/sluice/converters/maxwelljson"
	"github.com/sluicehq/sluice/converters/shareplexjson"
)

// A record a converter has no message for is null: AppendConnectData
// returns nil even when dst is a reused, empty but non-nil buffer (the
// runtime's), since zero bytes on the wire are not a null.
func TestNoMessageIsNull(t *testing.T) {
	hbSchema := connect.StructBuilder().Name(connect.HeartbeatValueName).Field("ts_ms", connect.Int64Schema).MustBuild()
	hb := connect.NewStruct(hbSchema)
	hb.Set(0, int64(1700000000000))
	ddlSchema := dtstest.SchemaChangeSchema(dtstest.SourceSchema("10.11.6-MariaDB"))
	ddl := dtstest.DDL(ddlSchema, "shop", "ALTER TABLE t ADD COLUMN c INT", dtstest.Source{DB: "shop", Table: "t", TsMs: 1}, 1)
	o := dtstest.NewOrders(3)
	type conv interface {
		connect.AppendConverter
		Configure(props map[string]string, isKey bool) error
	}
	cases := []struct {
		name   string
		c      conv
		isKey  bool
		schema *connect.Schema
		value  any
	}{
		{"canal-json heartbeat", canaljson.New(), false, hbSchema, hb},
		{"canal-json as key", canaljson.New(), true, o.Envelope, o.Insert("", 1)},
		{"shareplex-json heartbeat", shareplexjson.New(), false, hbSchema, hb},
		{"shareplex-json as key", shareplexjson.New(), true, o.Envelope, o.Insert("", 1)},
		{"dts-avro as key", dtsavro.New(), true, o.Envelope, o.Insert("", 1)},
		{"maxwell-json heartbeat", maxwelljson.New(), false, hbSchema, hb},
		{"maxwell-json DDL without output_ddl", maxwelljson.New(), false, ddlSchema, ddl},
	}
	for _, tc := range cases {
		if err := tc.c.Configure(map[string]string{}, tc.isKey); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		out, err := tc.c.AppendConnectData(make([]byte, 0, 64), "t", nil, tc.schema, tc.value)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if out != nil {
			t.Errorf("%s: %d bytes %q (non-nil), want nil", tc.name, len(out), out)
		}
	}
}
