package avro

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"
	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/converters/dtsavro/dtstest"
	"github.com/sluicehq/sluice/integration/schemaregistry"
)

func configured(t testing.TB, props map[string]string, isKey bool) *Converter {
	t.Helper()
	c := New()
	if err := c.Configure(props, isKey); err != nil {
		t.Fatal(err)
	}
	return c
}

func roundTrip(t *testing.T, c *Converter, topic string, s *connect.Schema, v any) ([]byte, connect.SchemaAndValue) {
	t.Helper()
	b, err := c.FromConnectData(topic, nil, s, v)
	if err != nil {
		t.Fatalf("FromConnectData: %v", err)
	}
	back, err := c.ToConnectData(topic, nil, b)
	if err != nil {
		t.Fatalf("ToConnectData: %v", err)
	}
	// What comes back is the schema a Kafka Connect consumer sees: the
	// connector's internal parameters are never written.
	if !back.Schema.Equal(connect.WithoutInternalParams(s)) {
		t.Fatalf("schema changed in the round trip:\n got %v %v\nwant %v %v", back.Schema, back.Schema.Parameters, s, s.Parameters)
	}
	// Encoding is deterministic, so the value read back must write the same
	// bytes (values equal up to a decimal's scale).
	again, err := c.FromConnectData(topic, nil, back.Schema, back.Value)
	if err != nil {
		t.Fatalf("FromConnectData of the value read back: %v", err)
	}
	if string(again) != string(b) {
		t.Fatalf("value changed in the round trip:\n got %v\nwant %v", back.Value, v)
	}
	return b, back
}

func TestChangeEventsRoundTripThroughTheRegistry(t *testing.T) {
	reg := schemaregistry.ForTest(t)
	c := configured(t, map[string]string{KeyRegistryURL: reg.URL()}, false)
	o := dtstest.NewOrders(6)
	for _, ev := range []*connect.Struct{o.Insert("g:1", 1700000000000), o.Update("g:2", 1700000001000), o.Delete("g:3", 1700000002000)} {
		b, _ := roundTrip(t, c, "sluice.shop.orders", o.Envelope, ev)
		if b[0] != 0 || binary.BigEndian.Uint32(b[1:5]) != 1 {
			t.Fatalf("wire header %x, want magic 0 and id 1", b[:5])
		}
	}
	before := reg.Requests()
	for i := 0; i < 100; i++ {
		if _, err := c.FromConnectData("sluice.shop.orders", nil, o.Envelope, o.Insert("g:1", 1)); err != nil {
			t.Fatal(err)
		}
	}
	if got := reg.Requests() - before; got != 0 {
		t.Fatalf("the hot path made %d registry requests", got)
	}
	// The envelope's record names split at the last dot, as Debezium's Avro
	// users expect.
	resp, err := http.Get(reg.URL() + "/subjects/sluice.shop.orders-value/versions/latest")
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Schema string `json:"schema"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if !strings.HasPrefix(body.Schema, `{"type":"record","name":"Envelope","namespace":"sluice.shop.orders","fields":[{"name":"before","type":["null",{"type":"record","name":"Value","fields":[`) ||
		!strings.Contains(body.Schema, `{"name":"after","type":["null","Value"],"default":null}`) ||
		!strings.Contains(body.Schema, `"name":"Source","namespace":"io.debezium.connector.mysql"`) {
		t.Fatalf("registered envelope schema:\n%s", body.Schema)
	}
}

func TestEveryMySQLTypeRoundTrips(t *testing.T) {
	reg := schemaregistry.ForTest(t)
	c := configured(t, map[string]string{KeyRegistryURL: reg.URL()}, false)
	for i, tc := range dtstest.TypeCases() {
		t.Run(tc.Name, func(t *testing.T) {
			env, ev := dtstest.OneColumn(tc)
			roundTrip(t, c, "t"+strconv.Itoa(i), env, ev)
		})
	}
}

func allTypes() (*connect.Schema, *connect.Struct) {
	inner := connect.StructBuilder().Name("x.Inner").Field("a", connect.OptionalStringSchema).MustBuild()
	s := connect.StructBuilder().Name("x.All").
		Field("i8", connect.Int8Schema).Field("i16", connect.Int16Schema).Field("i32", connect.Int32Schema).
		Field("i64", connect.Int64Schema).Field("f32", connect.Float32Schema).Field("f64", connect.Float64Schema).
		Field("b", connect.BooleanSchema).Field("s", connect.StringSchema).Field("by", connect.BytesSchema).
		Field("dec", connect.DecimalSchema(3).MustBuild()).Field("date", connect.DateSchema().MustBuild()).
		Field("time", connect.TimeSchema().MustBuild()).Field("ts", connect.TimestampSchema().Optional().MustBuild()).
		Field("arr", connect.ArrayOf(connect.OptionalInt32Schema).MustBuild()).
		Field("smap", connect.MapOf(connect.StringSchema, inner).MustBuild()).
		Field("imap", connect.MapOf(connect.Int16Schema, connect.OptionalBytesSchema).MustBuild()).
		Field("inner", inner.Builder().Optional().MustBuild()).
		Field("unset", connect.OptionalFloat64Schema).
		Field("def", connect.NewSchemaBuilder(connect.TypeInt32).Default(int32(42)).MustBuild()).
		MustBuild()
	v := connect.NewStructs(s, []any{
		int8(-8), int16(-1600), int32(1 << 30), int64(-1 << 60), float32(1.5), 2.25, true, "héllo ☃", []byte{0, 0xff},
		connect.Decimal{Unscaled: big.NewInt(-123456), Scale: 3}, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
		time.UnixMilli(3723004).UTC(), time.UnixMilli(1700000000123).UTC(),
		[]any{int32(1), nil, int32(3)},
		map[string]any{"k": connect.NewStructs(inner, []any{"v"})},
		map[any]any{int16(7): []byte("x"), int16(-2): nil},
		connect.NewStructs(s.Fields()[16].Schema, []any{nil}), nil, int32(42),
	})
	return s, v
}

func TestAllConnectTypesRoundTrip(t *testing.T) {
	reg := schemaregistry.ForTest(t)
	c := configured(t, map[string]string{KeyRegistryURL: reg.URL()}, false)
	s, v := allTypes()
	_, back := roundTrip(t, c, "all", s, v)
	if !connect.ValuesEqual(back.Value, v) {
		t.Fatalf("value changed in the round trip:\n got %v\nwant %v", back.Value, v)
	}
	// An unset field with a default is written as its default.
	v2 := connect.NewStructs(s, append([]any(nil), v.Values()...))
	v2.Set(18, nil)
	b, err := c.FromConnectData("all", nil, s, v2)
	if err != nil {
		t.Fatal(err)
	}
	back, err = c.ToConnectData("all", nil, b)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Value.(*connect.Struct).At(18); got != int32(42) {
		t.Fatalf("default field read back as %v", got)
	}
}

// TestIndependentDecode is issue 3's acceptance 2 for Confluent Avro: the
// schema fetched by id with a plain HTTP GET decodes the payload with goavro
// directly, logical types and all.
func TestIndependentDecode(t *testing.T) {
	reg := schemaregistry.ForTest(t)
	c := configured(t, map[string]string{KeyRegistryURL: reg.URL()}, false)
	s, v := allTypes()
	b, err := c.FromConnectData("all", nil, s, v)
	if err != nil {
		t.Fatal(err)
	}
	id := binary.BigEndian.Uint32(b[1:5])
	resp, err := http.Get(reg.URL() + "/schemas/ids/" + strconv.Itoa(int(id)))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var body struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	codec, err := goavro.NewCodec(body.Schema)
	if err != nil {
		t.Fatalf("registered schema: %v", err)
	}
	native, rest, err := codec.NativeFromBinary(b[5:])
	if err != nil || len(rest) != 0 {
		t.Fatalf("decode: %v (%d bytes left)", err, len(rest))
	}
	rec := native.(map[string]any)
	checks := map[string]any{
		"i8": int32(-8), "i16": int32(-1600), "i64": int64(-1 << 60), "s": "héllo ☃",
		"date": time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
		"time": 3723004 * time.Millisecond,
	}
	for k, want := range checks {
		if got := rec[k]; !connect.ValuesEqual(got, want) && got != want {
			t.Errorf("%s = %#v, want %#v", k, got, want)
		}
	}
	if r, ok := rec["dec"].(*big.Rat); !ok || r.Cmp(big.NewRat(-123456, 1000)) != 0 {
		t.Errorf("dec = %v", rec["dec"])
	}
	ts, ok := rec["ts"].(map[string]any)["long.timestamp-millis"].(time.Time)
	if !ok || ts.UnixMilli() != 1700000000123 {
		t.Errorf("ts = %#v", rec["ts"])
	}
	if rec["unset"] != nil {
		t.Errorf("unset = %v", rec["unset"])
	}
}

func TestSubjectStrategies(t *testing.T) {
	s := connect.StructBuilder().Name("com.acme.Order").Field("id", connect.Int64Schema).MustBuild()
	v := connect.NewStructs(s, []any{int64(1)})
	cases := []struct {
		strategy string
		isKey    bool
		subject  string
	}{
		{"", false, "orders-value"},
		{"", true, "orders-key"},
		{"io.confluent.kafka.serializers.subject.TopicNameStrategy", false, "orders-value"},
		{"io.confluent.kafka.serializers.subject.RecordNameStrategy", false, "com.acme.Order"},
		{"TopicRecordNameStrategy", true, "orders-com.acme.Order"},
	}
	for _, tc := range cases {
		t.Run(tc.strategy+strconv.FormatBool(tc.isKey), func(t *testing.T) {
			reg := schemaregistry.ForTest(t)
			props := map[string]string{KeyRegistryURL: reg.URL()}
			if tc.strategy != "" {
				props[KeyValueStrategy] = tc.strategy
				props[KeyKeyStrategy] = tc.strategy
			}
			c := configured(t, props, tc.isKey)
			if _, err := c.FromConnectData("orders", nil, s, v); err != nil {
				t.Fatal(err)
			}
			resp, err := http.Get(reg.URL() + "/subjects")
			if err != nil {
				t.Fatal(err)
			}
			var subjects []string
			_ = json.NewDecoder(resp.Body).Decode(&subjects)
			resp.Body.Close()
			if len(subjects) != 1 || subjects[0] != tc.subject {
				t.Fatalf("subjects %v, want [%s]", subjects, tc.subject)
			}
		})
	}
}

func TestWithoutAutoRegister(t *testing.T) {
	reg := schemaregistry.ForTest(t)
	own := connect.StructBuilder().Name("com.acme.Order").Field("id", connect.Int64Schema).Field("note", connect.OptionalStringSchema).MustBuild()
	v := connect.NewStructs(own, []any{int64(5), "hi"})

	lookup := configured(t, map[string]string{KeyRegistryURL: reg.URL(), KeyAutoRegister: "false"}, false)
	_, err := lookup.FromConnectData("orders", nil, own, v)
	if err == nil || !strings.Contains(err.Error(), "subject orders-value") || !strings.Contains(err.Error(), reg.URL()) || !strings.Contains(err.Error(), "auto.register.schemas=true") {
		t.Fatalf("unregistered schema: %v", err)
	}

	// The latest version has an extra field with a default and lacks none
	// of ours: records are written with it, by field name.
	latest := `{"type":"record","name":"Order","namespace":"com.acme","fields":[{"name":"id","type":"long"},{"name":"region","type":"string","default":"eu"},{"name":"note","type":["null","string"],"default":null}]}`
	resp, err := http.Post(reg.URL()+"/subjects/orders-value/versions", "application/json", strings.NewReader(`{"schema":`+strconv.Quote(latest)+`}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	c := configured(t, map[string]string{KeyRegistryURL: reg.URL(), KeyAutoRegister: "false", KeyUseLatest: "true"}, false)
	b, err := c.FromConnectData("orders", nil, own, v)
	if err != nil {
		t.Fatal(err)
	}
	codec, _ := goavro.NewCodec(latest)
	native, _, err := codec.NativeFromBinary(b[5:])
	if err != nil {
		t.Fatal(err)
	}
	rec := native.(map[string]any)
	if rec["id"] != int64(5) || rec["region"] != "eu" || rec["note"].(map[string]any)["string"] != "hi" {
		t.Fatalf("written with the latest schema: %v", rec)
	}
	if err := New().Configure(map[string]string{KeyRegistryURL: reg.URL(), KeyUseLatest: "true"}, false); err == nil {
		t.Fatal("use.latest.version with auto.register.schemas=true was accepted")
	}
}

func TestBasicAuthAndErrorsHideCredentials(t *testing.T) {
	reg := schemaregistry.ForTestWith(t, schemaregistry.Options{Username: "u", Password: "topsecret"})
	s, v := allTypes()
	for _, props := range []map[string]string{
		{KeyRegistryURL: reg.URL(), KeyAuthSource: "USER_INFO", KeyAuthUserInfo: "u:topsecret"},
		{KeyRegistryURL: strings.Replace(reg.URL(), "http://", "http://u:topsecret@", 1)},
		{KeyRegistryURL: reg.URL(), KeyAuthSource: "SASL_INHERIT", KeySASLJAAS: `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="topsecret";`},
	} {
		c := configured(t, props, false)
		roundTrip(t, c, "all", s, v)
	}
	bad := configured(t, map[string]string{KeyRegistryURL: strings.Replace(reg.URL(), "http://", "http://u:wrongpass@", 1)}, false)
	_, err := bad.FromConnectData("all", nil, s, v)
	if err == nil || strings.Contains(err.Error(), "wrongpass") || !strings.Contains(err.Error(), "401") {
		t.Fatalf("error with wrong credentials: %v", err)
	}
}

func TestFailoverToTheNextURL(t *testing.T) {
	reg := schemaregistry.ForTest(t)
	c := configured(t, map[string]string{KeyRegistryURL: "http://127.0.0.1:1," + reg.URL()}, false)
	s, v := allTypes()
	roundTrip(t, c, "all", s, v)
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		props map[string]string
		want  string
	}{
		{map[string]string{}, KeyRegistryURL},
		{map[string]string{KeyRegistryURL: "ftp://x"}, KeyRegistryURL},
		{map[string]string{KeyRegistryURL: "http://x", KeyValueStrategy: "Nope"}, KeyValueStrategy},
		{map[string]string{KeyRegistryURL: "http://x", KeyAuthSource: "USER_INFO", KeyAuthUserInfo: "nocolon"}, KeyAuthUserInfo},
		{map[string]string{KeyRegistryURL: "http://x", KeyTruststoreLocation: "/x.jks"}, KeyTruststoreType},
		{map[string]string{KeyRegistryURL: "http://x", KeyCALocation: "/does/not/exist.pem"}, KeyCALocation},
	}
	for _, tc := range cases {
		err := New().Configure(tc.props, false)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Configure(%v) = %v, want an error naming %s", tc.props, err, tc.want)
		}
	}
}

func TestBadBytes(t *testing.T) {
	reg := schemaregistry.ForTest(t)
	c := configured(t, map[string]string{KeyRegistryURL: reg.URL()}, false)
	s, v := allTypes()
	good, err := c.FromConnectData("all", nil, s, v)
	if err != nil {
		t.Fatal(err)
	}
	for _, data := range [][]byte{{}, {0, 0, 0}, {1, 0, 0, 0, 1, 2}, {0, 0, 0, 0, 99}, good[:len(good)-3], good[:6]} {
		if _, err := c.ToConnectData("all", nil, data); err == nil {
			t.Errorf("ToConnectData(%x) gave no error", data)
		}
	}
	if sv, err := c.ToConnectData("all", nil, nil); err != nil || sv.Schema != nil || sv.Value != nil {
		t.Errorf("null bytes: %v %v", sv, err)
	}
	if b, err := c.FromConnectData("all", nil, nil, nil); err != nil || b != nil {
		t.Errorf("tombstone: %x %v", b, err)
	}
	if _, err := c.FromConnectData("all", nil, s, nil); err == nil {
		t.Error("null value for a required schema was accepted")
	}
}

func FuzzToConnectData(f *testing.F) {
	reg := schemaregistry.ForTest(f)
	c := configured(f, map[string]string{KeyRegistryURL: reg.URL()}, false)
	s, v := allTypes()
	good, err := c.FromConnectData("all", nil, s, v)
	if err != nil {
		f.Fatal(err)
	}
	o := dtstest.NewOrders(3)
	ev, err := c.FromConnectData("orders", nil, o.Envelope, o.Insert("g", 1))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][]byte{good, ev, good[:7], {0, 0, 0, 0, 1}, {0, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 0x0f}, {}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Unknown ids are answered by the registry; only ids 1 and 2 exist.
		if len(data) >= 5 {
			if id := binary.BigEndian.Uint32(data[1:5]); id > 2 {
				return
			}
		}
		_, _ = c.ToConnectData("all", nil, data)
	})
}

func BenchmarkFromConnectData(b *testing.B) {
	reg := schemaregistry.ForTest(b)
	c := configured(b, map[string]string{KeyRegistryURL: reg.URL()}, false)
	o := dtstest.NewOrders(6)
	ev := o.Update("g:1", 1700000000000)
	buf, err := c.AppendConnectData(nil, "orders", nil, o.Envelope, ev)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if buf, err = c.AppendConnectData(buf[:0], "orders", nil, o.Envelope, ev); err != nil {
			b.Fatal(err)
		}
	}
}
