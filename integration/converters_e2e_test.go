package integration

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/linkedin/goavro/v2"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/converters/canaljson"
	"github.com/sluicehq/sluice/converters/dtsavro"
	"github.com/sluicehq/sluice/converters/maxwelljson"
	"github.com/sluicehq/sluice/converters/shareplexjson"
	"github.com/sluicehq/sluice/integration/harness"
	"github.com/sluicehq/sluice/integration/schemaregistry"
)

// cvCase is one value converter run end to end by TestConvertersEndToEnd.
type cvCase struct {
	name string
	// conn holds the converter settings and any other connector keys.
	conn map[string]string
	// ddl: the connector writes the ALTER TABLE to its schema change topic.
	ddl bool
	// schemaSnapshot counts the snapshot's DDL records ahead of the ALTER
	// (DROP TABLE, DROP/CREATE DATABASE, USE, CREATE TABLE): Debezium's
	// formats have them, the DTS formats leave them out.
	schemaSnapshot int
	// key is the record key of row id; nil: JsonConverter's {"id":n}.
	key   func(id int) string
	check func(t *testing.T, e *cvEnv, data, ddl []*kafka.Message)
}

// cvEnv is what the checks need besides the messages.
type cvEnv struct {
	registry string
	prefix   string
}

// TestConvertersEndToEnd is issue 3's acceptance 3: the MySQL connector
// runs with each value converter in one `sluice standalone` worker (one
// connector per converter, all at once) against one MariaDB and one kfake,
// and what reaches Kafka is decoded by an implementation other than
// Sluice's and compared value by value: encoding/json for JsonConverter,
// Canal JSON and Shareplex JSON; goavro with the schema fetched by id over
// HTTP for Confluent's AvroConverter; goavro and npm's avsc against the
// published dts-record.avsc for DTS Avro, plain and in the Confluent
// framing. Each connector sees the same workload: two rows read by the
// snapshot, then an insert, an update, a delete, an ALTER TABLE ADD COLUMN
// and an insert using the new column, through the binlog, and last a
// transaction of three inserts, whose rows DTS Avro checks for the
// transaction's start as safeSourcePosition.
//
// MariaDB has no JSON type (JSON is an alias of LONGTEXT with a check), so
// the doc column arrives as text in every format.
func TestConvertersEndToEnd(t *testing.T) {
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	reg := schemaregistry.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel) // the parallel subtests run after this function returns

	conn, err := db.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sqlExec := func(qs ...string) {
		t.Helper()
		for _, q := range qs {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	sqlExec(cvSchema...)
	sqlExec(cvSnapshotRows...)

	cases := cvCases(reg.URL())
	rest, w := gapsWorker(t, k)
	envs := make([]*cvEnv, len(cases))
	for i, tc := range cases {
		envs[i] = &cvEnv{registry: reg.URL(), prefix: cvPrefix(k) + strconv.Itoa(i)}
		cfg := map[string]string{
			"connector.class":      "MySqlConnector",
			"tasks.max":            "1",
			"database.hostname":    db.Host(),
			"database.port":        strconv.Itoa(db.Port()),
			"database.user":        db.User(),
			"database.password":    db.Password(),
			"database.server.id":   strconv.Itoa(6100 + i),
			"topic.prefix":         envs[i].prefix,
			"table.include.list":   `shop\.types`,
			"tombstones.on.delete": "false",
		}
		for k, v := range tc.conn {
			cfg[k] = v
		}
		body, _ := json.Marshal(map[string]any{"name": "cv-" + tc.name, "config": cfg})
		if st, resp, err := httpCall(http.MethodPost, rest+"/connectors", body); err != nil || st != http.StatusCreated {
			t.Fatalf("create connector %s: %d %s %v", tc.name, st, resp, err)
		}
	}
	// Every connector has read the two existing rows before the changes
	// are made, so they arrive through the snapshot (op r) and the changes
	// through the binlog, for every converter alike.
	for i, tc := range cases {
		w.waitTaskRunning("cv-" + tc.name)
		if _, err := harness.ReadTopic(ctx, k.Bootstrap(), envs[i].prefix+".shop.types", 2, 45*time.Second); err != nil {
			t.Fatalf("%s snapshot: %v\n%s", tc.name, err, w.log.String())
		}
	}
	sqlExec(cvStreamChanges...)
	sqlExec(cvTxRows...)

	for i, tc := range cases {
		e := envs[i]
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data, err := harness.ReadTopic(ctx, k.Bootstrap(), e.prefix+".shop.types", cvDataMessages+len(cvTxRows)-2, 45*time.Second)
			if err != nil {
				t.Fatalf("%v\n%s", err, w.log.String())
			}
			var ddl []*kafka.Message
			if tc.ddl {
				if ddl, err = harness.ReadTopic(ctx, k.Bootstrap(), e.prefix, 1+tc.schemaSnapshot, 45*time.Second); err != nil {
					t.Fatalf("%v\n%s", err, w.log.String())
				}
				ddl = ddl[tc.schemaSnapshot:]
			}
			for i, ev := range cvEvents {
				want := fmt.Sprintf(`{"id":%d}`, ev.id)
				if tc.key != nil {
					want = tc.key(ev.id)
				}
				if string(data[i].Key) != want {
					t.Errorf("event %d: key %s, want %s", i, data[i].Key, want)
				}
			}
			tc.check(t, e, data, ddl)
		})
	}
}

// The workload. Row 1 fills every column; row 2 is all NULLs but the key.
// The session time zone is not UTC, so a TIMESTAMP arriving as the right
// UTC instant shows it was converted rather than copied as wall clock.
var (
	cvSchema = []string{
		"SET time_zone = '+08:00'",
		"CREATE DATABASE shop CHARACTER SET utf8mb4",
		`CREATE TABLE shop.types (
			id INT NOT NULL PRIMARY KEY,
			big BIGINT UNSIGNED,
			amount DECIMAL(12,2),
			name VARCHAR(32) CHARACTER SET utf8mb4,
			dt DATETIME(3),
			ts TIMESTAMP(6) NULL,
			d DATE,
			tm TIME,
			doc JSON,
			status ENUM('new','paid','shipped'),
			data BLOB
		) CHARACTER SET utf8mb4`,
	}
	cvSnapshotRows = []string{
		`INSERT INTO shop.types VALUES (1, 18446744073709551615, 12.30, 'héllo 😀', '2024-11-23 08:00:00.250',
			'2024-11-23 16:00:00.250000', '2024-02-29', '12:34:56', '{"k": [1, "x"]}', 'paid', x'00ff7f80')`,
		`INSERT INTO shop.types (id) VALUES (2)`,
	}
	cvStreamChanges = []string{
		`INSERT INTO shop.types VALUES (3, 9223372036854775808, -0.05, 'naïve ✓', '1999-12-31 23:59:59.999',
			'1970-01-01 08:00:01.000001', '1970-01-01', '-01:02:03', '[]', 'new', x'')`,
		`UPDATE shop.types SET amount = 99.99, status = 'shipped', name = '更新 🎉' WHERE id = 1`,
		`DELETE FROM shop.types WHERE id = 2`,
		`ALTER TABLE shop.types ADD COLUMN note VARCHAR(16) NULL`,
		`INSERT INTO shop.types (id, note) VALUES (4, 'after ddl')`,
	}
)

// cvDataMessages: two snapshot rows, insert, update, delete, insert. The
// rows of cvTxRows follow them; only DTS Avro looks at those.
const cvDataMessages = 6

// cvTxRows is one transaction of three inserts after the workload, each
// its own rows event: DTS Avro's safeSourcePosition is the transaction's
// start on all three, while each sourcePosition is the row's own event.
var cvTxRows = []string{
	"BEGIN",
	"INSERT INTO shop.types (id, note) VALUES (5, 'tx 1')",
	"INSERT INTO shop.types (id, note) VALUES (6, 'tx 2')",
	"INSERT INTO shop.types (id, note) VALUES (7, 'tx 3')",
	"COMMIT",
}

// cvEvents are the data events every connector writes, in order: the
// Debezium op, and the names of the before and after row images ("" when
// absent) in the per-format expectations below.
var cvEvents = []struct {
	op            string
	id            int
	before, after string
}{
	{"r", 1, "", "r1"},
	{"r", 2, "", "r2"},
	{"c", 3, "", "r3"},
	{"u", 1, "r1", "r1u"},
	{"d", 2, "r2", ""},
	{"c", 4, "", "r4"},
}

const cvDDL = "ALTER TABLE shop.types ADD COLUMN note VARCHAR(16) NULL"

func cvCases(registry string) []cvCase {
	return []cvCase{
		{name: "json-schemas-numeric", ddl: true, schemaSnapshot: 5, conn: map[string]string{
			"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "true",
			"value.converter.decimal.format": "NUMERIC", "bigint.unsigned.handling.mode": "precise"},
			check: func(t *testing.T, e *cvEnv, data, ddl []*kafka.Message) { cvCheckJSON(t, e, data, ddl, true) }},
		{name: "json-schemaless", ddl: true, schemaSnapshot: 5, conn: map[string]string{
			"value.converter": "JsonConverter", "value.converter.schemas.enable": "false"},
			check: func(t *testing.T, e *cvEnv, data, ddl []*kafka.Message) { cvCheckJSON(t, e, data, ddl, false) }},
		{name: "string", ddl: true, schemaSnapshot: 5, conn: map[string]string{
			"value.converter": "org.apache.kafka.connect.storage.StringConverter"}, check: cvCheckString},
		// ByteArrayConverter takes only bytes, so two ExtractField$Value
		// transforms reduce each change event to its BLOB column (a delete,
		// whose after image is null, to null). Schema change records have no
		// "after" field, so this connector writes none.
		{name: "bytearray", conn: map[string]string{
			"value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter", "include.schema.changes": "false",
			"transforms": "after,blob", "transforms.after.type": "org.apache.kafka.connect.transforms.ExtractField$Value",
			"transforms.after.field": "after", "transforms.blob.type": "org.apache.kafka.connect.transforms.ExtractField$Value",
			"transforms.blob.field": "data"}, check: cvCheckByteArray},
		{name: "confluent-avro", ddl: true, schemaSnapshot: 5, conn: map[string]string{
			"value.converter": "io.confluent.connect.avro.AvroConverter", "value.converter.schema.registry.url": registry},
			check: cvCheckConfluentAvro},
		{name: "dts-avro", ddl: true, conn: map[string]string{
			"value.converter": "io.sluice.converters.DtsAvroConverter"},
			check: func(t *testing.T, e *cvEnv, data, ddl []*kafka.Message) { cvCheckDTSAvro(t, e, data, ddl, false) }},
		{name: "dts-avro-registry", ddl: true, conn: map[string]string{
			"value.converter": "DtsAvroConverter", "value.converter.schema.registry.url": registry},
			check: func(t *testing.T, e *cvEnv, data, ddl []*kafka.Message) { cvCheckDTSAvro(t, e, data, ddl, true) }},
		{name: "canal-json", ddl: true, conn: map[string]string{
			"value.converter": "io.sluice.converters.CanalJsonConverter"}, check: cvCheckCanal},
		{name: "shareplex-json", ddl: true, conn: map[string]string{
			"value.converter": "io.sluice.converters.ShareplexJsonConverter"}, check: cvCheckShareplex},
		// Maxwell's key and value, and its DDL message with output_ddl.
		{name: "maxwell-json", ddl: true, conn: map[string]string{
			"key.converter": "maxwell-json", "value.converter": "io.sluice.converters.MaxwellJsonConverter",
			"value.converter.output_ddl": "true", "value.converter.output_binlog_position": "true"},
			key:   func(id int) string { return fmt.Sprintf(`{"database":"shop","table":"types","pk.id":%d}`, id) },
			check: cvCheckMaxwell},
		// The same with Maxwell's encrypt=data and output_push_timestamp:
		// read back, push_ts taken out and decrypted as Maxwell's
		// RowEncrypt.decrypt does, the messages are the ones above.
		{name: "maxwell-json-encrypted", ddl: true, conn: map[string]string{
			"key.converter": "maxwell-json", "value.converter": "io.sluice.converters.MaxwellJsonConverter",
			"value.converter.output_ddl": "true", "value.converter.output_binlog_position": "true",
			"value.converter.encrypt": "data", "value.converter.secret_key": cvMaxwellKey,
			"value.converter.output_push_timestamp": "true"},
			key: func(id int) string { return fmt.Sprintf(`{"database":"shop","table":"types","pk.id":%d}`, id) },
			check: func(t *testing.T, e *cvEnv, data, ddl []*kafka.Message) {
				plain := make([]*kafka.Message, len(data))
				for i, m := range data {
					v := m.Value
					if m.Value != nil {
						v = cvCutPushTS(t, m.Value)
					}
					plain[i] = &kafka.Message{Key: m.Key, Value: cvMaxwellDecrypt(t, v), Headers: m.Headers, TopicPartition: m.TopicPartition}
				}
				cvCheckMaxwell(t, e, plain, ddl)
			}},
	}
}

const cvMaxwellKey = "sluice-e2e-aes-key-of-32-bytes!!"

// cvCutPushTS checks a row message's push_ts (output_push_timestamp): Unix
// seconds with microseconds, taken within the last hour, and returns the
// message without it.
func cvCutPushTS(t *testing.T, b []byte) []byte {
	t.Helper()
	i := bytes.Index(b, []byte(`,"push_ts":`))
	if i < 0 {
		t.Fatalf("no push_ts in %s", b)
	}
	n := i + len(`,"push_ts":`)
	end := n + bytes.IndexAny(b[n:], ",}")
	ts, err := strconv.ParseFloat(string(b[n:end]), 64)
	if err != nil || !bytes.Contains(b[n:end], []byte(".")) {
		t.Fatalf("push_ts %q: %v", b[n:end], err)
	}
	if age := time.Since(time.UnixMicro(int64(ts * 1e6))); age < -time.Minute || age > time.Hour {
		t.Fatalf("push_ts %s is %v old", b[n:end], age)
	}
	return append(append([]byte(nil), b[:i]...), b[end:]...)
}

// cvMaxwellDecrypt turns an encrypt=data message back into the plain one:
// "encrypted":{"iv","bytes"} decrypted (AES/CBC, PKCS#5) holds the data
// and old fields.
func cvMaxwellDecrypt(t *testing.T, b []byte) []byte {
	t.Helper()
	i := bytes.Index(b, []byte(`,"encrypted":`))
	if i < 0 || bytes.Contains(b, []byte(`"data":`)) {
		t.Fatalf("not an encrypt=data message: %s", b)
	}
	var enc struct{ IV, Bytes string }
	if err := json.Unmarshal(b[i+len(`,"encrypted":`):len(b)-1], &enc); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	iv, err1 := base64.StdEncoding.DecodeString(enc.IV)
	ct, err2 := base64.StdEncoding.DecodeString(enc.Bytes)
	block, err3 := aes.NewCipher([]byte(cvMaxwellKey))
	if err1 != nil || err2 != nil || err3 != nil || len(iv) != aes.BlockSize || len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		t.Fatalf("encrypted part of %s: %v %v %v", b, err1, err2, err3)
	}
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(ct, ct)
	inner := ct[:len(ct)-int(ct[len(ct)-1])]
	if len(inner) < 2 || inner[0] != '{' || inner[len(inner)-1] != '}' {
		t.Fatalf("decrypted %q", inner)
	}
	out := append(append([]byte{}, b[:i+1]...), inner[1:len(inner)-1]...)
	return append(out, '}')
}

// cvJSONValue decodes JSON keeping numbers as their literal text, so that
// "12.30" and 12.3 stay different.
func cvJSONValue(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v\n%q", err, b)
	}
	return v
}

func cvObject(t *testing.T, v any, what string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s is %T, want an object: %v", what, v, v)
	}
	return m
}

// cvDebeziumRows are the row images as JsonConverter writes them: with
// bigint.unsigned.handling.mode=precise and decimal.format=NUMERIC (numeric)
// or the defaults, long and BASE64 (12.30 is the unscaled 1230 = 0x04ce).
func cvDebeziumRows(numeric bool) map[string]string {
	pick := func(n, b string) string {
		if numeric {
			return n
		}
		return b
	}
	nulls := `"big":null,"amount":null,"name":null,"dt":null,"ts":null,"d":null,"tm":null,"doc":null,"status":null,"data":null`
	return map[string]string{
		"r1": `{"id":1,"big":` + pick(`18446744073709551615`, `-1`) + `,"amount":` + pick(`12.30`, `"BM4="`) +
			`,"name":"héllo 😀","dt":1732348800250,"ts":"2024-11-23T08:00:00.250000Z","d":19782,"tm":45296000000,` +
			`"doc":"{\"k\": [1, \"x\"]}","status":"paid","data":"AP9/gA=="}`,
		"r1u": `{"id":1,"big":` + pick(`18446744073709551615`, `-1`) + `,"amount":` + pick(`99.99`, `"Jw8="`) +
			`,"name":"更新 🎉","dt":1732348800250,"ts":"2024-11-23T08:00:00.250000Z","d":19782,"tm":45296000000,` +
			`"doc":"{\"k\": [1, \"x\"]}","status":"shipped","data":"AP9/gA=="}`,
		"r2": `{"id":2,` + nulls + `}`,
		"r3": `{"id":3,"big":` + pick(`9223372036854775808`, `-9223372036854775808`) + `,"amount":` + pick(`-0.05`, `"+w=="`) +
			`,"name":"naïve ✓","dt":946684799999,"ts":"1970-01-01T00:00:01.000001Z","d":0,"tm":-3723000000,` +
			`"doc":"[]","status":"new","data":""}`,
		"r4": `{"id":4,` + nulls + `,"note":"after ddl"}`,
	}
}

func cvCheckJSON(t *testing.T, e *cvEnv, data, ddl []*kafka.Message, schemas bool) {
	rows := cvDebeziumRows(schemas)
	image := func(name string) any {
		if name == "" {
			return nil
		}
		return cvJSONValue(t, []byte(rows[name]))
	}
	for i, ev := range cvEvents {
		v := cvObject(t, cvJSONValue(t, data[i].Value), "value")
		if schemas {
			schema := cvObject(t, v["schema"], "schema")
			if schema["name"] != e.prefix+".shop.types.Envelope" {
				t.Errorf("event %d: schema name %v", i, schema["name"])
			}
			cvCheckConnectFieldSchema(t, schema, "amount", "org.apache.kafka.connect.data.Decimal", "2")
			cvCheckConnectFieldSchema(t, schema, "big", "org.apache.kafka.connect.data.Decimal", "0")
			cvCheckConnectFieldSchema(t, schema, "ts", "io.debezium.time.ZonedTimestamp", "")
			v = cvObject(t, v["payload"], "payload")
		}
		if v["op"] != ev.op {
			t.Errorf("event %d: op %v, want %s", i, v["op"], ev.op)
		}
		for _, side := range []struct{ field, row string }{{"before", ev.before}, {"after", ev.after}} {
			if got, want := v[side.field], image(side.row); !reflect.DeepEqual(got, want) {
				t.Errorf("event %d (%s %d): %s\n got %v\nwant %v", i, ev.op, ev.id, side.field, got, want)
			}
		}
		src := cvObject(t, v["source"], "source")
		snap := src["snapshot"]
		if (ev.op == "r") != (snap == "first" || snap == "last" || snap == "true") || src["db"] != "shop" || src["table"] != "types" {
			t.Errorf("event %d: source %v", i, src)
		}
	}
	d := cvObject(t, cvJSONValue(t, ddl[0].Value), "DDL value")
	if schemas {
		d = cvObject(t, d["payload"], "DDL payload")
	}
	changes, _ := d["tableChanges"].([]any)
	if d["ddl"] != cvDDL || d["databaseName"] != "shop" || len(changes) != 1 || cvObject(t, changes[0], "table change")["type"] != "ALTER" {
		t.Errorf("DDL record %v", d)
	}
}

// cvCheckConnectFieldSchema finds the after image's field in a JsonConverter
// envelope schema and checks its logical name and scale.
func cvCheckConnectFieldSchema(t *testing.T, envelope map[string]any, field, name, scale string) {
	t.Helper()
	for _, f := range envelope["fields"].([]any) {
		f := f.(map[string]any)
		if f["field"] != "after" {
			continue
		}
		for _, c := range f["fields"].([]any) {
			c := c.(map[string]any)
			if c["field"] != field {
				continue
			}
			params, _ := c["parameters"].(map[string]any)
			if c["name"] != name || (scale != "" && params["scale"] != scale) {
				t.Errorf("schema of after.%s: %v", field, c)
			}
			return
		}
	}
	t.Errorf("no after.%s in the envelope schema", field)
}

func cvCheckString(t *testing.T, e *cvEnv, data, ddl []*kafka.Message) {
	rows := map[string]string{
		"r1": "id=1,big=-1,amount=12.30,name=héllo 😀,dt=1732348800250,ts=2024-11-23T08:00:00.250000Z,d=19782,tm=45296000000," +
			`doc={"k": [1, "x"]},status=paid,data=` + "\x00\xff\x7f\x80",
		"r1u": "id=1,big=-1,amount=99.99,name=更新 🎉,dt=1732348800250,ts=2024-11-23T08:00:00.250000Z,d=19782,tm=45296000000," +
			`doc={"k": [1, "x"]},status=shipped,data=` + "\x00\xff\x7f\x80",
		"r2": "id=2",
		"r3": "id=3,big=-9223372036854775808,amount=-0.05,name=naïve ✓,dt=946684799999,ts=1970-01-01T00:00:01.000001Z,d=0,tm=-3723000000," +
			"doc=[],status=new,data=",
		"r4": "id=4,note=after ddl",
	}
	for i, ev := range cvEvents {
		want := "Struct{"
		if ev.before != "" {
			want += "before=Struct{" + rows[ev.before] + "},"
		}
		if ev.after != "" {
			want += "after=Struct{" + rows[ev.after] + "},"
		}
		want += "source=Struct{version="
		got := string(data[i].Value)
		if !strings.HasPrefix(got, want) || !strings.Contains(got, ",op="+ev.op+",") {
			t.Errorf("event %d (%s %d):\n got %q\nwant %q... op=%s", i, ev.op, ev.id, got, want, ev.op)
		}
	}
	if got := string(ddl[0].Value); !strings.HasPrefix(got, "Struct{source=Struct{") || !strings.Contains(got, ",databaseName=shop,ddl="+cvDDL+",tableChanges=[Struct{type=ALTER,") {
		t.Errorf("DDL record %q", got)
	}
}

func cvCheckByteArray(t *testing.T, e *cvEnv, data, ddl []*kafka.Message) {
	// Kafka does not tell an empty value from a null one here: the BLOB of
	// row 3 is x'' and the others are NULL or a delete.
	want := [][]byte{{0x00, 0xff, 0x7f, 0x80}, nil, {}, {0x00, 0xff, 0x7f, 0x80}, nil, nil}
	for i := range cvEvents {
		if !bytes.Equal(data[i].Value, want[i]) {
			t.Errorf("event %d: value %x, want %x", i, data[i].Value, want[i])
		}
	}
}

// cvRegistrySchema fetches a schema by id with a plain HTTP GET, as any
// Confluent consumer does.
func cvRegistrySchema(t *testing.T, registry string, id uint32) string {
	t.Helper()
	st, body, err := httpCall(http.MethodGet, fmt.Sprintf("%s/schemas/ids/%d", registry, id), nil)
	if err != nil || st != http.StatusOK {
		t.Fatalf("GET schema %d: %d %s %v", id, st, body, err)
	}
	var r struct{ Schema string }
	if err := json.Unmarshal([]byte(body), &r); err != nil || r.Schema == "" {
		t.Fatalf("GET schema %d: %v %s", id, err, body)
	}
	return r.Schema
}

// cvFramed splits a Confluent wire-format message.
func cvFramed(t *testing.T, b []byte) (uint32, []byte) {
	t.Helper()
	if len(b) < 5 || b[0] != 0 {
		t.Fatalf("not the Confluent wire format (magic 0, 4-byte id): %x", b)
	}
	return binary.BigEndian.Uint32(b[1:5]), b[5:]
}

// cvAvroDecode decodes one Avro binary datum that must use every byte.
func cvAvroDecode(t *testing.T, codec *goavro.Codec, b []byte) any {
	t.Helper()
	v, rest, err := codec.NativeFromBinary(b)
	if err != nil {
		t.Fatalf("goavro: %v", err)
	}
	if len(rest) != 0 {
		t.Fatalf("goavro left %d of %d bytes unread", len(rest), len(b))
	}
	return v
}

// cvUnwrap removes goavro's union wrapping ({"long": 5} → 5) from a value
// of the Connect Avro mapping, whose unions are [null, X].
func cvUnwrap(v any) any {
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		for _, x := range m {
			return x
		}
	}
	return v
}

// cvFindField finds the first Avro record field called name in a parsed
// schema.
func cvFindField(s any, name string) map[string]any {
	switch x := s.(type) {
	case map[string]any:
		if x["name"] == name && x["type"] != nil {
			if _, isRecord := x["fields"]; !isRecord {
				return x
			}
		}
		for _, k := range []string{"type", "fields", "items"} {
			if f := cvFindField(x[k], name); f != nil {
				return f
			}
		}
	case []any:
		for _, e := range x {
			if f := cvFindField(e, name); f != nil {
				return f
			}
		}
	}
	return nil
}

func cvCheckConfluentAvro(t *testing.T, e *cvEnv, data, ddl []*kafka.Message) {
	r1 := map[string]any{"id": int32(1), "big": int64(-1), "amount": "12.30", "name": "héllo 😀", "dt": int64(1732348800250),
		"ts": "2024-11-23T08:00:00.250000Z", "d": int32(19782), "tm": int64(45296000000), "doc": `{"k": [1, "x"]}`,
		"status": "paid", "data": []byte{0x00, 0xff, 0x7f, 0x80}}
	r1u := maps.Clone(r1)
	r1u["amount"], r1u["name"], r1u["status"] = "99.99", "更新 🎉", "shipped"
	r3 := map[string]any{"id": int32(3), "big": int64(-9223372036854775808), "amount": "-0.05", "name": "naïve ✓",
		"dt": int64(946684799999), "ts": "1970-01-01T00:00:01.000001Z", "d": int32(0), "tm": int64(-3723000000),
		"doc": "[]", "status": "new", "data": []byte{}}
	nulls := func(id int32) map[string]any {
		m := map[string]any{"id": id}
		for _, c := range []string{"big", "amount", "name", "dt", "ts", "d", "tm", "doc", "status", "data"} {
			m[c] = nil
		}
		return m
	}
	r4 := nulls(4)
	r4["note"] = "after ddl"
	rows := map[string]map[string]any{"r1": r1, "r1u": r1u, "r2": nulls(2), "r3": r3, "r4": r4}

	codecs := map[uint32]*goavro.Codec{}
	schemas := map[uint32]string{}
	codec := func(id uint32) *goavro.Codec {
		if c := codecs[id]; c != nil {
			return c
		}
		schema := cvRegistrySchema(t, e.registry, id)
		c, err := goavro.NewCodec(schema)
		if err != nil {
			t.Fatalf("schema %d: %v\n%s", id, err, schema)
		}
		codecs[id] = c
		schemas[id] = schema
		return c
	}
	var ids []uint32
	for i, ev := range cvEvents {
		id, body := cvFramed(t, data[i].Value)
		ids = append(ids, id)
		v := cvObject(t, cvAvroDecode(t, codec(id), body), "Avro value")
		if cvUnwrap(v["op"]) != ev.op {
			t.Errorf("event %d: op %v, want %s", i, v["op"], ev.op)
		}
		for _, side := range []struct{ field, row string }{{"before", ev.before}, {"after", ev.after}} {
			got := cvUnwrap(v[side.field])
			if side.row == "" {
				if got != nil {
					t.Errorf("event %d: %s = %v, want null", i, side.field, got)
				}
				continue
			}
			img := cvObject(t, got, side.field)
			want := rows[side.row]
			if len(img) != len(want) {
				t.Errorf("event %d: %s has %d fields, want %d: %v", i, side.field, len(img), len(want), img)
			}
			for col, w := range want {
				g := cvUnwrap(img[col])
				if r, ok := g.(*big.Rat); ok {
					g = r.FloatString(2)
				}
				if !reflect.DeepEqual(g, w) {
					t.Errorf("event %d: %s.%s = %#v, want %#v", i, side.field, col, g, w)
				}
			}
		}
	}
	// One schema for the table until the ALTER TABLE, then a new one with
	// the added column; DECIMAL(12,2) as Avro's decimal logical type.
	if ids[0] != ids[4] || ids[4] == ids[5] {
		t.Errorf("schema ids %v: want one id before the DDL and another after it", ids)
	}
	for _, id := range []uint32{ids[0], ids[5]} {
		var parsed any
		if err := json.Unmarshal([]byte(schemas[id]), &parsed); err != nil {
			t.Fatal(err)
		}
		amount := cvFindField(parsed, "amount")
		b, _ := json.Marshal(amount["type"])
		for _, want := range []string{`"logicalType":"decimal"`, `"scale":2`, `"precision":12`, `"connect.name":"org.apache.kafka.connect.data.Decimal"`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("schema %d: amount's type %s lacks %s", id, b, want)
			}
		}
		if hasNote := cvFindField(parsed, "note") != nil; hasNote != (id == ids[5]) {
			t.Errorf("schema %d has the note column: %v", id, hasNote)
		}
	}
	id, body := cvFramed(t, ddl[0].Value)
	d := cvObject(t, cvAvroDecode(t, codec(id), body), "DDL value")
	if cvUnwrap(d["ddl"]) != cvDDL || cvUnwrap(d["databaseName"]) != "shop" {
		t.Errorf("DDL record %v", d)
	}
	st, body2, err := httpCall(http.MethodGet, e.registry+"/subjects/"+e.prefix+".shop.types-value/versions", nil)
	var versions []int
	if err != nil || st != http.StatusOK || json.Unmarshal([]byte(body2), &versions) != nil || !slices.Equal(versions, []int{1, 2}) {
		t.Errorf("versions of %s.shop.types-value: %d %s %v, want [1,2]", e.prefix, st, body2, err)
	}
}

// DTS Avro image values as goavro returns the union branches of
// dts-record.avsc.
const cvDTSNS = "com.alibaba.dts.formats.avro."

func cvDTS(branch string, fields map[string]any) any {
	return map[string]any{cvDTSNS + branch: fields}
}

func cvDTSInt(precision int32, v string) any {
	return cvDTS("Integer", map[string]any{"precision": precision, "value": v})
}

func cvDTSChar(v string) any {
	return cvDTS("Character", map[string]any{"charset": "utf8mb4", "value": []byte(v)})
}

func cvDTSDec(v string, precision, scale int32) any {
	return cvDTS("Decimal", map[string]any{"value": v, "precision": precision, "scale": scale})
}

func cvDTSTimestamp(sec int64, micros int32) any {
	return cvDTS("Timestamp", map[string]any{"timestamp": sec, "millis": micros})
}

// cvDTSDateTime takes year, month, day, hour, minute, second, microseconds;
// nil leaves a part unset.
func cvDTSDateTime(parts ...any) any {
	m := map[string]any{}
	for i, k := range []string{"year", "month", "day", "hour", "minute", "second", "millis"} {
		if parts[i] == nil {
			m[k] = nil
		} else {
			m[k] = map[string]any{"int": int32(parts[i].(int))}
		}
	}
	return cvDTS("DateTime", m)
}

func cvDTSObject(branch, typ string, v any) any {
	return cvDTS(branch, map[string]any{"type": typ, "value": v})
}

// cvDTSImages are the rows as DTS Avro images (MariaDB's JSON is a LONGTEXT,
// hence a TEXT BinaryObject).
func cvDTSImages() map[string][]any {
	r1 := []any{cvDTSInt(4, "1"), cvDTSInt(8, "18446744073709551615"), cvDTSDec("12.30", 4, 2), cvDTSChar("héllo 😀"),
		cvDTSDateTime(2024, 11, 23, 8, 0, 0, 250000), cvDTSTimestamp(1732348800, 250000), cvDTSDateTime(2024, 2, 29, nil, nil, nil, nil),
		cvDTSDateTime(nil, nil, nil, 12, 34, 56, 0), cvDTSObject("BinaryObject", "TEXT", []byte(`{"k": [1, "x"]}`)),
		cvDTSObject("TextObject", "ENUM", "paid"), cvDTSObject("BinaryObject", "BLOB", []byte{0x00, 0xff, 0x7f, 0x80})}
	r1u := slices.Clone(r1)
	r1u[2], r1u[3], r1u[9] = cvDTSDec("99.99", 4, 2), cvDTSChar("更新 🎉"), cvDTSObject("TextObject", "ENUM", "shipped")
	r3 := []any{cvDTSInt(4, "3"), cvDTSInt(8, "9223372036854775808"), cvDTSDec("-0.05", 1, 2), cvDTSChar("naïve ✓"),
		cvDTSDateTime(1999, 12, 31, 23, 59, 59, 999000), cvDTSTimestamp(1, 1), cvDTSDateTime(1970, 1, 1, nil, nil, nil, nil),
		cvDTSDateTime(nil, nil, nil, -1, -2, -3, 0), cvDTSObject("BinaryObject", "TEXT", []byte("[]")),
		cvDTSObject("TextObject", "ENUM", "new"), cvDTSObject("BinaryObject", "BLOB", []byte{})}
	r2 := append([]any{cvDTSInt(4, "2")}, make([]any, 10)...)
	r4 := append(append([]any{cvDTSInt(4, "4")}, make([]any, 10)...), cvDTSChar("after ddl"))
	return map[string][]any{"r1": r1, "r1u": r1u, "r2": r2, "r3": r3, "r4": r4}
}

// cvDTSFields is the fields array: names and MySQL type codes (VARCHAR 253,
// DATETIME 12, TIMESTAMP 7, DATE 10, TIME 11, LONGTEXT 251, ENUM 247, BLOB 252).
func cvDTSFields(withNote bool) any {
	names := []string{"id", "big", "amount", "name", "dt", "ts", "d", "tm", "doc", "status", "data", "note"}
	codes := []int32{3, 8, 246, 253, 12, 7, 10, 11, 251, 247, 252, 253}
	n := 11
	if withNote {
		n = 12
	}
	var fs []any
	for i := range n {
		fs = append(fs, map[string]any{"name": names[i], "dataTypeNumber": codes[i]})
	}
	return map[string]any{"array": fs}
}

// cvDTSSpecCodec reads a Record with the published dts-record.avsc as it
// is, a JSON array of named types: goavro compiles it to the union of
// those types, which reads a Record when the Record's branch index (13,
// zig-zag 0x1a) is put before its bytes.
func cvDTSSpecCodec(t *testing.T) func(b []byte) map[string]any {
	t.Helper()
	schema, err := os.ReadFile(filepath.Join("..", "converters", "dtsavro", "dts-record.avsc"))
	if err != nil {
		t.Fatal(err)
	}
	union, err := goavro.NewCodec(string(schema))
	if err != nil {
		t.Fatalf("goavro cannot compile dts-record.avsc: %v", err)
	}
	return func(b []byte) map[string]any {
		t.Helper()
		v := cvObject(t, cvAvroDecode(t, union, append([]byte{0x1a}, b...)), "union")
		return cvObject(t, v[cvDTSNS+"Record"], "Record")
	}
}

// cvDTSPosition is the offset of a DTS Avro position "<offset>@1": every
// position of the test is in the first binlog file.
func cvDTSPosition(t *testing.T, v any) int64 {
	t.Helper()
	off, ok := strings.CutSuffix(fmt.Sprint(v), "@1")
	n, err := strconv.ParseInt(off, 10, 64)
	if !ok || err != nil {
		t.Fatalf("position %v, want <offset>@1", v)
	}
	return n
}

func cvCheckDTSAvro(t *testing.T, e *cvEnv, data, ddl []*kafka.Message, registry bool) {
	decode := cvDTSSpecCodec(t)
	images := cvDTSImages()
	ops := map[string]string{"r": "INSERT", "c": "INSERT", "u": "UPDATE", "d": "DELETE"}
	var plain [][]byte // what avsc decodes below
	var registryCodec *goavro.Codec
	var registryID uint32
	unframe := func(b []byte) []byte {
		if !registry {
			return b
		}
		id, body := cvFramed(t, b)
		if registryCodec != nil && id != registryID {
			t.Errorf("schema id %d after %d: the Record schema is registered once, whatever the table", id, registryID)
		}
		if registryCodec == nil {
			registryID = id
			c, err := goavro.NewCodec(cvRegistrySchema(t, e.registry, id))
			if err != nil {
				t.Fatalf("the registered schema %d: %v", id, err)
			}
			registryCodec = c
		}
		// The schema registered once reads every record (DDL too) as the
		// published one does.
		if got, want := cvAvroDecode(t, registryCodec, body), decode(body); !reflect.DeepEqual(got, want) {
			t.Errorf("schema %d reads\n %v\nthe published schema reads\n %v", id, got, want)
		}
		return body
	}
	var lastID int64
	metaVersions := map[string]bool{}
	for i, ev := range cvEvents {
		body := unframe(data[i].Value)
		plain = append(plain, body)
		r := decode(body)
		if r["operation"] != ops[ev.op] || !reflect.DeepEqual(r["objectName"], map[string]any{"string": "shop.types"}) {
			t.Errorf("event %d: operation %v objectName %v, want %s shop.types", i, r["operation"], r["objectName"], ops[ev.op])
		}
		if !reflect.DeepEqual(r["fields"], cvDTSFields(ev.id == 4)) {
			t.Errorf("event %d: fields\n got %v\nwant %v", i, r["fields"], cvDTSFields(ev.id == 4))
		}
		for _, side := range []struct{ field, row string }{{"beforeImages", ev.before}, {"afterImages", ev.after}} {
			var want any
			if side.row != "" {
				want = map[string]any{"array": images[side.row]}
			}
			if !reflect.DeepEqual(r[side.field], want) {
				t.Errorf("event %d (%s %d): %s\n got %v\nwant %v", i, ev.op, ev.id, side.field, r[side.field], want)
			}
		}
		tags, _ := r["tags"].(map[string]any)
		if tags["pk_uk_info"] != `{"PRIMARY":["id"]}` {
			t.Errorf("event %d: tags %v", i, tags)
		}
		metaVersions[fmt.Sprint(tags["metaVersion"])] = true
		// MariaDB rows name no thread (no BEGIN query event): no thread_id.
		if th, ok := tags["thread_id"]; ok {
			t.Errorf("event %d: thread_id %v on a MariaDB row, which carries no thread id", i, th)
		}
		src, _ := r["source"].(map[string]any)
		if r["version"] != int32(0) || src["sourceType"] != "MySQL" || !strings.Contains(fmt.Sprint(src["version"]), "MariaDB") ||
			!regexp.MustCompile(`^\d+@1$`).MatchString(fmt.Sprint(r["sourcePosition"])) || r["bornTimestamp"] != r["sourceTimestamp"] {
			t.Errorf("event %d: header version %v source %v position %v born %v source ts %v", i, r["version"], src, r["sourcePosition"], r["bornTimestamp"], r["sourceTimestamp"])
		}
		if id := r["id"].(int64); id <= lastID {
			t.Errorf("event %d: id %d after %d", i, id, lastID)
		} else {
			lastID = id
		}
		// A snapshot row resumes from its own (the snapshot's) position; a
		// binlog row, an autocommit statement, from its transaction's
		// start, before its rows event.
		pos, safe := cvDTSPosition(t, r["sourcePosition"]), cvDTSPosition(t, r["safeSourcePosition"])
		if ev.op == "r" && safe != pos || ev.op != "r" && safe >= pos {
			t.Errorf("event %d (%s): safeSourcePosition %v, sourcePosition %v", i, ev.op, r["safeSourcePosition"], r["sourcePosition"])
		}
	}
	// The transaction's three rows: one safeSourcePosition, its start,
	// after the previous statement's rows; three sourcePositions after it,
	// in order.
	var txSafe any
	lastPos := cvDTSPosition(t, decode(unframe(data[cvDataMessages-1].Value))["sourcePosition"])
	for i := cvDataMessages; i < cvDataMessages+len(cvTxRows)-2; i++ {
		body := unframe(data[i].Value)
		plain = append(plain, body)
		r := decode(body)
		pos, safe := cvDTSPosition(t, r["sourcePosition"]), cvDTSPosition(t, r["safeSourcePosition"])
		if i == cvDataMessages {
			txSafe = r["safeSourcePosition"]
			if safe <= lastPos {
				t.Errorf("transaction row 1: safeSourcePosition %v, not after the previous statement's rows at %d", txSafe, lastPos)
			}
		}
		if r["operation"] != "INSERT" || r["safeSourcePosition"] != txSafe || safe >= pos || pos <= lastPos {
			t.Errorf("transaction row %d: %v safeSourcePosition %v sourcePosition %v, want INSERT, %v, after %d",
				i-cvDataMessages+1, r["operation"], r["safeSourcePosition"], r["sourcePosition"], txSafe, lastPos)
		}
		lastPos = pos
	}
	// The ALTER TABLE changed the column list, so the last row carries a
	// new metaVersion (DTS's consumer caches fields per metaVersion).
	if len(metaVersions) != 2 {
		t.Errorf("metaVersions %v: want one before and one after the DDL", metaVersions)
	}
	body := unframe(ddl[0].Value)
	plain = append(plain, body)
	d := decode(body)
	if d["operation"] != "DDL" || !reflect.DeepEqual(d["objectName"], map[string]any{"string": "shop"}) || d["fields"] != nil ||
		d["beforeImages"] != nil || !reflect.DeepEqual(d["afterImages"], map[string]any{"string": cvDDL}) {
		t.Errorf("DDL record %v", d)
	}
	if d["safeSourcePosition"] != d["sourcePosition"] {
		t.Errorf("DDL safeSourcePosition %v, sourcePosition %v: a DDL statement is its own transaction", d["safeSourcePosition"], d["sourcePosition"])
	}
	if tags, _ := d["tags"].(map[string]any); !regexp.MustCompile(`^[1-9]\d*$`).MatchString(fmt.Sprint(tags["thread_id"])) {
		t.Errorf("DDL tags %v: the DDL's query event names its thread, want thread_id", tags)
	}
	t.Run("avsc", func(t *testing.T) { cvAvscDecode(t, plain) })
}

// cvAvscDecode has npm's avsc read the messages against dts-record.avsc
// through integration/node/dts-avro-decode.js and re-encode them
// byte-identically.
func cvAvscDecode(t *testing.T, msgs [][]byte) {
	node, npm := nodeTool(t)
	dir := nodeModules(t, npm)
	type msg struct {
		Name string `json:"name"`
		Hex  string `json:"hex"`
	}
	var in []msg
	for i, m := range msgs {
		in = append(in, msg{strconv.Itoa(i), hex.EncodeToString(m)})
	}
	path := filepath.Join(t.TempDir(), "messages.json")
	b, _ := json.Marshal(in)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	schema, _ := filepath.Abs(filepath.Join("..", "converters", "dtsavro", "dts-record.avsc"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "dts-avro-decode.js"), schema, path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("avsc: %v\n%s", err, stderr.String())
	}
	var res []nodeResult
	if err := json.Unmarshal(out, &res); err != nil || len(res) != len(in) {
		t.Fatalf("avsc decoded %d of %d messages: %v\n%s", len(res), len(in), err, out)
	}
	for i, r := range res {
		if r.Reencoded != in[i].Hex {
			t.Errorf("message %d: avsc re-encodes differently:\n sluice %s\n avsc   %s", i, in[i].Hex, r.Reencoded)
		}
	}
	for _, want := range []string{`"operation":"INSERT"`, `"objectName":{"string":"shop.types"}`,
		`{"com.alibaba.dts.formats.avro.Integer":{"precision":8,"value":"18446744073709551615"}}`,
		`{"com.alibaba.dts.formats.avro.Decimal":{"value":"12.30","precision":4,"scale":2}}`,
		`{"com.alibaba.dts.formats.avro.Timestamp":{"timestamp":1732348800,"millis":250000}}`} {
		if !strings.Contains(res[0].Value, want) {
			t.Errorf("avsc's reading of the first snapshot row lacks %s:\n%s", want, res[0].Value)
		}
	}
	if last := res[len(res)-1].Value; !strings.Contains(last, `"operation":"DDL"`) || !strings.Contains(last, `"afterImages":{"string":"`+cvDDL+`"}`) {
		t.Errorf("avsc's reading of the DDL record: %s", last)
	}
}

// cvTextRows are the rows as Canal JSON and Shareplex JSON print them:
// strings, TIMESTAMP in UTC, binary bytes as ISO-8859-1 characters; ENUM as
// its 1-based index in Canal JSON and as its label in Shareplex JSON.
func cvTextRows(enumIndex bool) map[string]map[string]any {
	enum := func(label, index string) string {
		if enumIndex {
			return index
		}
		return label
	}
	blob := "\u0000\u00ff\u007f\u0080"
	r1 := map[string]any{"id": "1", "big": "18446744073709551615", "amount": "12.30", "name": "héllo 😀",
		"dt": "2024-11-23 08:00:00.250", "ts": "2024-11-23 08:00:00.250000", "d": "2024-02-29", "tm": "12:34:56",
		"doc": `{"k": [1, "x"]}`, "status": enum("paid", "2"), "data": blob}
	r1u := maps.Clone(r1)
	r1u["amount"], r1u["name"], r1u["status"] = "99.99", "更新 🎉", enum("shipped", "3")
	r3 := map[string]any{"id": "3", "big": "9223372036854775808", "amount": "-0.05", "name": "naïve ✓",
		"dt": "1999-12-31 23:59:59.999", "ts": "1970-01-01 00:00:01.000001", "d": "1970-01-01", "tm": "-01:02:03",
		"doc": "[]", "status": enum("new", "1"), "data": ""}
	nulls := func(id string) map[string]any {
		m := map[string]any{"id": id}
		for _, c := range []string{"big", "amount", "name", "dt", "ts", "d", "tm", "doc", "status", "data"} {
			m[c] = nil
		}
		return m
	}
	r4 := nulls("4")
	r4["note"] = "after ddl"
	return map[string]map[string]any{"r1": r1, "r1u": r1u, "r2": nulls("2"), "r3": r3, "r4": r4}
}

func cvCheckCanal(t *testing.T, e *cvEnv, data, ddl []*kafka.Message) {
	rows := cvTextRows(true)
	types := map[string]string{"id": "int", "big": "bigint", "amount": "decimal", "name": "varchar", "dt": "datetime",
		"ts": "timestamp", "d": "date", "tm": "time", "doc": "longtext", "status": "enum", "data": "blob"}
	kinds := map[string]string{"r": "INIT", "c": "INSERT", "u": "UPDATE", "d": "DELETE"}
	var lastID int64
	for i, ev := range cvEvents {
		m := cvObject(t, cvJSONValue(t, data[i].Value), "Canal message")
		row := ev.after
		if ev.op == "d" {
			row = ev.before
		}
		wantTypes := maps.Clone(types)
		if ev.id == 4 {
			wantTypes["note"] = "varchar"
		}
		// sqlType: JDBC codes; BIGINT UNSIGNED widens to DECIMAL (3) for a
		// value above the signed range, as Canal does.
		wantSQL := map[string]any{"id": "4", "big": "-5", "amount": "3", "name": "12", "dt": "93", "ts": "93", "d": "91",
			"tm": "92", "doc": "2005", "status": "4", "data": "2004"}
		if ev.id == 1 || ev.id == 3 {
			wantSQL["big"] = "3"
		}
		if ev.id == 4 {
			wantSQL["note"] = "12"
		}
		sqlType := map[string]any{}
		for k, v := range cvObject(t, m["sqlType"], "sqlType") {
			sqlType[k] = fmt.Sprint(v)
		}
		want := map[string]any{"data": []any{rows[row]}, "database": "shop", "table": "types", "isDdl": false, "sql": "",
			"type": kinds[ev.op], "pkNames": []any{"id"}}
		if ev.op == "u" {
			want["old"] = []any{rows[ev.before]}
		}
		for k, w := range want {
			if got := cvAnyRows(m[k]); !reflect.DeepEqual(got, cvAnyRows(w)) {
				t.Errorf("event %d (%s %d): %s\n got %v\nwant %v", i, ev.op, ev.id, k, m[k], w)
			}
		}
		if _, ok := m["old"]; ok != (ev.op == "u") {
			t.Errorf("event %d: old present %v", i, ok)
		}
		if got := cvObject(t, m["mysqlType"], "mysqlType"); !reflect.DeepEqual(got, cvAnyMap(wantTypes)) {
			t.Errorf("event %d: mysqlType %v", i, got)
		}
		if !reflect.DeepEqual(sqlType, wantSQL) {
			t.Errorf("event %d: sqlType %v, want %v", i, sqlType, wantSQL)
		}
		es, _ := m["es"].(json.Number).Int64()
		id, _ := m["id"].(json.Number).Int64()
		if es <= 0 || es%1000 != 0 || id <= lastID {
			t.Errorf("event %d: es %v id %v (previous id %d)", i, m["es"], m["id"], lastID)
		}
		lastID = id
		if _, hasGTID := m["gtid"]; hasGTID == (ev.op == "r") {
			t.Errorf("event %d: gtid %v: want one on binlog events only", i, m["gtid"])
		}
	}
	d := cvObject(t, cvJSONValue(t, ddl[0].Value), "Canal DDL")
	for k, w := range map[string]any{"database": "shop", "table": "types", "isDdl": true, "sql": cvDDL, "type": "DDL"} {
		if d[k] != w {
			t.Errorf("DDL %s = %v, want %v", k, d[k], w)
		}
	}
	for _, k := range []string{"data", "old", "mysqlType", "sqlType", "pkNames"} {
		if _, ok := d[k]; ok {
			t.Errorf("DDL message has %s: %v", k, d)
		}
	}
}

// cvAnyRows and cvAnyMap give expectations the shapes encoding/json decodes to.
func cvAnyRows(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func cvAnyMap(m map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func cvCheckShareplex(t *testing.T, e *cvEnv, data, ddl []*kafka.Message) {
	rows := cvTextRows(false)
	ops := map[string]string{"r": "ins", "c": "ins", "u": "upd", "d": "del"}
	meta := func(i int, m map[string]any, op string, binlog bool) {
		t.Helper()
		md := cvObject(t, m["meta"], "meta")
		for k, w := range map[string]any{"op": op, "table": "shop.types", "rowid": "", "idx": "1/1"} {
			if md[k] != w {
				t.Errorf("message %d: meta.%s = %v, want %v", i, k, md[k], w)
			}
		}
		for _, k := range []string{"userid", "seq", "size"} {
			if _, ok := md[k].(json.Number); !ok {
				t.Errorf("message %d: meta.%s = %v, want a number", i, k, md[k])
			}
		}
		for _, k := range []string{"time", "posttime"} {
			if _, err := time.Parse("2006-01-02T15:04:05", fmt.Sprint(md[k])); err != nil {
				t.Errorf("message %d: meta.%s: %v", i, k, err)
			}
		}
		// Binlog events carry their GTID (domain-server-sequence on
		// MariaDB), whose sequence number is the scn.
		if binlog {
			if trans := fmt.Sprint(md["trans"]); !strings.HasSuffix(trans, "-"+fmt.Sprint(md["scn"])) {
				t.Errorf("message %d: trans %v scn %v", i, md["trans"], md["scn"])
			}
		}
	}
	for i, ev := range cvEvents {
		m := cvObject(t, cvJSONValue(t, data[i].Value), "Shareplex message")
		meta(i, m, ops[ev.op], ev.op != "r")
		want := map[string]any{}
		switch ev.op {
		case "u":
			// data: the changed columns' new values; key: the full before image.
			want["data"] = map[string]any{"amount": "99.99", "name": "更新 🎉", "status": "shipped"}
			want["key"] = rows[ev.before]
		case "d":
			want["data"] = rows[ev.before]
		default:
			want["data"] = rows[ev.after]
		}
		delete(m, "meta")
		if !reflect.DeepEqual(m, want) {
			t.Errorf("event %d (%s %d):\n got %v\nwant %v", i, ev.op, ev.id, m, want)
		}
	}
	d := cvObject(t, cvJSONValue(t, ddl[0].Value), "Shareplex DDL")
	meta(len(cvEvents), d, "ddl", true)
	if !reflect.DeepEqual(d["data"], map[string]any{"ddl": cvDDL}) {
		t.Errorf("DDL data %v", d["data"])
	}
}

// cvCheckMaxwell compares each message with Maxwell's for the same change:
// typed values, old with the changed columns, bootstrap-insert for snapshot
// rows, xid and position on binlog events; then the DDL message.
func cvCheckMaxwell(t *testing.T, e *cvEnv, data, ddl []*kafka.Message) {
	nulls := `"big":null,"amount":null,"name":null,"dt":null,"ts":null,"d":null,"tm":null,"doc":null,"status":null,"data":null`
	r1 := `"id":1,"big":18446744073709551615,"amount":12.30,"name":"héllo 😀","dt":"2024-11-23 08:00:00.250",` +
		`"ts":"2024-11-23 08:00:00.250000","d":"2024-02-29","tm":"12:34:56","doc":"{\"k\": [1, \"x\"]}",` +
		`"status":"%s","data":"AP9/gA=="`
	want := []string{
		`{"type":"bootstrap-insert","data":{` + fmt.Sprintf(r1, "paid") + `}}`,
		`{"type":"bootstrap-insert","data":{"id":2,` + nulls + `}}`,
		`{"type":"insert","data":{"id":3,"big":9223372036854775808,"amount":-0.05,"name":"naïve ✓","dt":"1999-12-31 23:59:59.999",` +
			`"ts":"1970-01-01 00:00:01.000001","d":"1970-01-01","tm":"-01:02:03","doc":"[]","status":"new","data":""}}`,
		`{"type":"update","data":{` + strings.Replace(strings.Replace(fmt.Sprintf(r1, "shipped"), "12.30", "99.99", 1), "héllo 😀", "更新 🎉", 1) + `},` +
			`"old":{"amount":12.30,"name":"héllo 😀","status":"paid"}}`,
		`{"type":"delete","data":{"id":2,` + nulls + `}}`,
		`{"type":"insert","data":{"id":4,` + nulls + `,"note":"after ddl"}}`,
	}
	for i, ev := range cvEvents {
		m := cvObject(t, cvJSONValue(t, data[i].Value), "Maxwell message")
		if m["database"] != "shop" || m["table"] != "types" {
			t.Errorf("event %d: database/table %v %v", i, m["database"], m["table"])
		}
		if ts, err := m["ts"].(json.Number).Int64(); err != nil || ts < 1_700_000_000 || ts > 4_000_000_000 {
			t.Errorf("event %d: ts %v is not seconds since the epoch", i, m["ts"])
		}
		// Binlog events name their transaction (snapshot rows have no
		// GTID); every row has a position: its event's, or the snapshot's.
		_, hasXID := m["xid"].(json.Number)
		pos, _ := m["position"].(string)
		if binlog := ev.op != "r"; hasXID != binlog || !regexp.MustCompile(`^\S+\.\d+:\d+$`).MatchString(pos) {
			t.Errorf("event %d (%s): xid %v position %q", i, ev.op, m["xid"], pos)
		}
		// Each binlog change here is its own transaction, so its last row:
		// Maxwell's commit flag (the connector's value.converter is
		// maxwell-json, which turns transaction.commit.header on).
		if commit, _ := m["commit"].(bool); commit != (ev.op != "r") {
			t.Errorf("event %d (%s): commit %v", i, ev.op, m["commit"])
		}
		for _, k := range []string{"database", "table", "ts", "xid", "position", "commit"} {
			delete(m, k)
		}
		if w := cvObject(t, cvJSONValue(t, []byte(want[i])), "expected"); !reflect.DeepEqual(m, w) {
			t.Errorf("event %d (%s %d):\n got %s\nwant %s", i, ev.op, ev.id, data[i].Value, want[i])
		}
	}
	d := cvObject(t, cvJSONValue(t, ddl[0].Value), "Maxwell DDL")
	for k, w := range map[string]any{"type": "table-alter", "database": "shop", "table": "types", "sql": cvDDL} {
		if d[k] != w {
			t.Errorf("DDL %s = %v, want %v (%s)", k, d[k], w, ddl[0].Value)
		}
	}
	def := cvObject(t, d["def"], "DDL def")
	// Maxwell's old: the table before the ALTER, which the stream knew
	// from the rows it read of it.
	old := cvObject(t, d["old"], "DDL old")
	if oc, _ := old["columns"].([]any); len(oc) != 11 || old["table"] != "types" || old["database"] != "shop" {
		t.Errorf("DDL old %v: want the 11 columns before the ALTER", old)
	}
	cols, _ := def["columns"].([]any)
	if len(cols) != 12 || def["database"] != "shop" || def["table"] != "types" || !reflect.DeepEqual(def["primary-key"], []any{"id"}) {
		t.Fatalf("DDL def %v", def)
	}
	for i, w := range map[int]string{
		0:  `{"type":"int","name":"id","signed":true}`,
		1:  `{"type":"bigint","name":"big","signed":false}`,
		4:  `{"type":"datetime","name":"dt","column-length":3}`,
		9:  `{"type":"enum","name":"status","charset":"utf8mb4","enum-values":["new","paid","shipped"]}`,
		11: `{"type":"varchar","name":"note","charset":"utf8mb4"}`,
	} {
		if got, want := cvAnyRows(cols[i]), cvAnyRows(cvJSONValue(t, []byte(w))); !reflect.DeepEqual(got, want) {
			t.Errorf("DDL def column %d: %v, want %s", i, cols[i], w)
		}
	}
}

// cvPrefix is the harness's topic prefix as a valid Avro name part: the
// record schemas are named after the topics, and Avro names admit no '-'.
func cvPrefix(k *harness.Kafka) string {
	return strings.ReplaceAll(k.TopicPrefix(), "-", "_") + "cv"
}

// cvTypesRow streams the first row of the types table with the connector
// key set to value and returns its record.
func cvTypesRow(t *testing.T, m *harness.MariaDB, key, value string) *connect.SourceRecord {
	t.Helper()
	myExec(t, m, "DELETE FROM shop.types")
	offsets := &myOffsets{}
	task := myStartTask(t, myStreamProps(m, "table.include.list", `shop\.types`, key, value), offsets)
	myExec(t, m, typesTableRows[0])
	r := myPollN(t, task, offsets, 1)[0]
	_ = task.Stop()
	return r
}

// TestConvertersFollowConnectorBinaryMode: with the connector's
// binary.handling.mode set to base64, base64-url-safe or hex, the DTS
// formats read each binary column's bytes in the mode its field schema
// names, with no converter setting: Canal JSON's row data comes out the
// same as with raw bytes, and DTS Avro and Shareplex JSON convert.
func TestConvertersFollowConnectorBinaryMode(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE shop", typesTableDDL, `SET time_zone = '+00:00'`)
	var want string
	for _, mode := range []string{"bytes", "base64", "base64-url-safe", "hex"} {
		r := cvTypesRow(t, m, "binary.handling.mode", mode)
		for name, c := range map[string]connect.Converter{"dts-avro": dtsavro.New(), "shareplex-json": shareplexjson.New()} {
			if _, err := c.FromConnectData(r.Topic, nil, r.ValueSchema, r.Value); err != nil {
				t.Errorf("binary.handling.mode=%s, %s: %v", mode, name, err)
			}
		}
		b, err := canaljson.New().FromConnectData(r.Topic, nil, r.ValueSchema, r.Value)
		if err != nil {
			t.Fatalf("binary.handling.mode=%s, canal-json: %v", mode, err)
		}
		var msg struct{ Data json.RawMessage }
		if err := json.Unmarshal(b, &msg); err != nil {
			t.Fatal(err)
		}
		if mode == "bytes" {
			want = string(msg.Data)
		} else if string(msg.Data) != want {
			t.Errorf("binary.handling.mode=%s: Canal JSON data\n%s\nwith raw bytes\n%s", mode, msg.Data, want)
		}
	}
}

// TestConvertersFollowConnectorTimePrecision: with the connector's
// time.precision.mode=isostring, the DTS formats and Maxwell read DATE,
// TIME and DATETIME from Debezium's ISO strings: Canal JSON's row data
// equals what it is under adaptive_time_microseconds, except a TIME outside
// the day, which the ISO string has already wrapped.
func TestConvertersFollowConnectorTimePrecision(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE shop", typesTableDDL, `SET time_zone = '+00:00'`)
	var want map[string]any
	for _, mode := range []string{"adaptive_time_microseconds", "isostring"} {
		r := cvTypesRow(t, m, "time.precision.mode", mode)
		for name, c := range map[string]connect.Converter{"dts-avro": dtsavro.New(), "shareplex-json": shareplexjson.New(), "maxwell-json": maxwelljson.New()} {
			if _, err := c.FromConnectData(r.Topic, nil, r.ValueSchema, r.Value); err != nil {
				t.Errorf("time.precision.mode=%s, %s: %v", mode, name, err)
			}
		}
		b, err := canaljson.New().FromConnectData(r.Topic, nil, r.ValueSchema, r.Value)
		if err != nil {
			t.Fatalf("time.precision.mode=%s, canal-json: %v", mode, err)
		}
		var msg struct{ Data []map[string]any }
		if err := json.Unmarshal(b, &msg); err != nil || len(msg.Data) != 1 {
			t.Fatalf("%v: %s", err, b)
		}
		row := msg.Data[0]
		if mode != "isostring" {
			want = row
			continue
		}
		if row["tm"] != "01:00:01.000000" {
			t.Errorf("tm: %v, want -838:59:59 wrapped to 01:00:01.000000", row["tm"])
		}
		delete(row, "tm")
		w := maps.Clone(want)
		delete(w, "tm")
		for _, col := range []string{"dt", "tm0", "dtm", "dtm3", "dtm6", "ts", "ts6"} {
			if row[col] == nil || row[col] != w[col] {
				t.Errorf("%s: isostring %v, adaptive %v", col, row[col], w[col])
			}
		}
		if !reflect.DeepEqual(row, w) {
			t.Errorf("Canal JSON data under isostring\n%v\nunder adaptive_time_microseconds\n%v", row, w)
		}
	}
}
