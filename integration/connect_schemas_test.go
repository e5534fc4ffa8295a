package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
	"github.com/sluicehq/sluice/integration/schemaregistry"
)

// TestConnectFormatsCarryDebeziumSchemas: what a Kafka Connect consumer sees
// of the MySQL connector's schemas is what Debezium's connector gives it. The
// connector describes every column to the DTS-format converters in __sluice.*
// schema parameters; through the real pipeline (sluice standalone, MariaDB,
// a broker, a consumer, a Schema Registry) neither the JsonConverter schema
// envelope of keys and values nor the Avro schemas Confluent's converter
// registers carry them, while the parameters Debezium itself writes
// (Decimal's, Enum's, column.propagate.source.type's, in Debezium's order)
// still come through. The registered key and row schemas are compared with
// the text Debezium registers for the table: a connector taken over from
// Debezium registers no new version. Two GEOMETRY columns, which differed
// only in internal parameters, share one Geometry record as in Debezium's
// schema (Avro allows one definition per name).
func TestConnectFormatsCarryDebeziumSchemas(t *testing.T) {
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	reg := schemaregistry.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, q := range []string{
		"CREATE DATABASE shop CHARACTER SET utf8mb4",
		`CREATE TABLE shop.places (
			id INT NOT NULL PRIMARY KEY,
			name VARCHAR(32),
			amount DECIMAL(12,2),
			status ENUM('new','paid'),
			g1 GEOMETRY,
			g2 GEOMETRY
		) CHARACTER SET utf8mb4`,
		`INSERT INTO shop.places VALUES (1, 'x', 12.30, 'paid', ST_GeomFromText('POINT(1 2)'), NULL)`,
	} {
		if _, err := db.DB().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	rest, w := gapsWorker(t, k)
	prefix := strings.ReplaceAll(k.TopicPrefix(), "-", "_") + "dbzschema"
	formats := []struct {
		name string
		conv map[string]string
	}{
		{"json", map[string]string{
			"key.converter": "org.apache.kafka.connect.json.JsonConverter", "key.converter.schemas.enable": "true",
			"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "true"}},
		{"avro", map[string]string{
			"key.converter": "io.confluent.connect.avro.AvroConverter", "key.converter.schema.registry.url": reg.URL(),
			"value.converter": "io.confluent.connect.avro.AvroConverter", "value.converter.schema.registry.url": reg.URL()}},
	}
	for i, f := range formats {
		cfg := map[string]string{
			"connector.class":              "MySqlConnector",
			"tasks.max":                    "1",
			"database.hostname":            db.Host(),
			"database.port":                strconv.Itoa(db.Port()),
			"database.user":                db.User(),
			"database.password":            db.Password(),
			"database.server.id":           strconv.Itoa(6300 + i),
			"topic.prefix":                 prefix + f.name,
			"table.include.list":           `shop\.places`,
			"include.schema.changes":       "false",
			"column.propagate.source.type": `shop\.places\.amount`,
		}
		for k, v := range f.conv {
			cfg[k] = v
		}
		gapsCreateConnector(t, rest, "dbz-"+f.name, cfg)
	}
	for _, f := range formats {
		w.waitTaskRunning("dbz-" + f.name)
	}

	// Debezium's schemas for the table; only the topic prefix differs.
	const amountParams = `{"scale":"2","connect.decimal.precision":"12",` +
		`"__debezium.source.column.type":"DECIMAL","__debezium.source.column.length":"12","__debezium.source.column.scale":"2"}`

	t.Run("json", func(t *testing.T) {
		topic := prefix + "json.shop.places"
		msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, 1, 45*time.Second)
		if err != nil {
			t.Fatalf("%v\n%s", err, w.log.String())
		}
		key, value := msgs[0].Key, msgs[0].Value
		for _, b := range [][]byte{key, value} {
			if bytes.Contains(b, []byte("__sluice")) {
				t.Errorf("internal schema parameters in the message:\n%s", b)
			}
		}
		wantKey := `{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"` +
			topic + `.Key"},"payload":{"id":1}}`
		if string(key) != wantKey {
			t.Errorf("key\n got %s\nwant %s", key, wantKey)
		}
		wantRow := `{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},` +
			`{"type":"string","optional":true,"field":"name"},` +
			`{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":` + amountParams + `,"field":"amount"},` +
			`{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"new,paid"},"field":"status"},` +
			`{"type":"struct","fields":[{"type":"bytes","optional":false,"field":"wkb"},{"type":"int32","optional":true,"field":"srid"}],"optional":true,"name":"io.debezium.data.geometry.Geometry","version":1,"doc":"Geometry","field":"g1"},` +
			`{"type":"struct","fields":[{"type":"bytes","optional":false,"field":"wkb"},{"type":"int32","optional":true,"field":"srid"}],"optional":true,"name":"io.debezium.data.geometry.Geometry","version":1,"doc":"Geometry","field":"g2"}],` +
			`"optional":true,"name":"` + topic + `.Value","field":"after"}`
		if !bytes.Contains(value, []byte(wantRow)) {
			t.Errorf("the envelope's after schema is not Debezium's\nwant %s\nin   %s", wantRow, value)
		}
		var env struct{ Payload struct{ Op string } }
		if err := json.Unmarshal(value, &env); err != nil || env.Payload.Op != "r" {
			t.Errorf("envelope op %q, %v", env.Payload.Op, err)
		}
	})

	t.Run("avro", func(t *testing.T) {
		topic := prefix + "avro.shop.places"
		if _, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, 1, 45*time.Second); err != nil {
			t.Fatalf("%v\n%s", err, w.log.String())
		}
		latest := func(subject string) string {
			t.Helper()
			st, body, err := httpCall(http.MethodGet, fmt.Sprintf("%s/subjects/%s/versions/latest", reg.URL(), subject), nil)
			if err != nil || st != http.StatusOK {
				t.Fatalf("GET %s: %d %s %v", subject, st, body, err)
			}
			var r struct {
				Version int
				Schema  string
			}
			if err := json.Unmarshal([]byte(body), &r); err != nil || r.Version != 1 {
				t.Fatalf("subject %s: %v %s", subject, err, body)
			}
			return r.Schema
		}
		key, value := latest(topic+"-key"), latest(topic+"-value")
		for _, s := range []string{key, value} {
			if strings.Contains(s, "__sluice") {
				t.Errorf("internal schema parameters registered:\n%s", s)
			}
		}
		wantKey := `{"type":"record","name":"Key","namespace":"` + topic + `","fields":[{"name":"id","type":"int"}],"connect.name":"` + topic + `.Key"}`
		if key != wantKey {
			t.Errorf("registered key schema\n got %s\nwant %s", key, wantKey)
		}
		wantRow := `{"type":"record","name":"Value","fields":[{"name":"id","type":"int"},` +
			`{"name":"name","type":["null","string"],"default":null},` +
			`{"name":"amount","type":["null",{"type":"bytes","scale":2,"precision":12,"connect.version":1,"connect.parameters":` + amountParams +
			`,"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}],"default":null},` +
			`{"name":"status","type":["null",{"type":"string","connect.version":1,"connect.parameters":{"allowed":"new,paid"},"connect.name":"io.debezium.data.Enum"}],"default":null},` +
			`{"name":"g1","type":["null",{"type":"record","name":"Geometry","namespace":"io.debezium.data.geometry","fields":[{"name":"wkb","type":"bytes"},` +
			`{"name":"srid","type":["null","int"],"default":null}],"connect.doc":"Geometry","connect.version":1,"connect.name":"io.debezium.data.geometry.Geometry"}],"default":null},` +
			`{"name":"g2","type":["null","io.debezium.data.geometry.Geometry"],"default":null}],"connect.name":"` + topic + `.Value"}`
		if !strings.Contains(value, `{"name":"before","type":["null",`+wantRow+`],"default":null}`) {
			t.Errorf("the registered row schema is not Debezium's\nwant %s\nin   %s", wantRow, value)
		}
	})
}
