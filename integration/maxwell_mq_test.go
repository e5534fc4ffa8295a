package integration

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"math/bits"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/spaolacci/murmur3"

	"github.com/sluicehq/sluice/connectors/mysql"
	_ "github.com/sluicehq/sluice/converters/maxwelljson"
	"github.com/sluicehq/sluice/integration/harness"
)

// TestMaxwellRoutingKeys: connectors configured with Maxwell's own routing
// keys (kafka_topic with %{database}, ddl_kafka_topic,
// producer_partition_by, producer_partition_columns,
// producer_partition_by_fallback, kafka_partition_hash) and the
// maxwell-json converters write each row to the topic and partition
// Maxwell would, computed here from Maxwell's rules with this file's own
// hash functions. A real worker produces to a real broker and a consumer
// reads it back.
func TestMaxwellRoutingKeys(t *testing.T) {
	t.Parallel()
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	myExec(t, db, "CREATE DATABASE shop", "CREATE DATABASE other",
		"CREATE TABLE shop.orders (id INT PRIMARY KEY, region VARCHAR(10), amount DECIMAL(10,2))",
		"CREATE TABLE shop.audit (id INT PRIMARY KEY, what VARCHAR(10))",
		"CREATE TABLE other.t (id INT PRIMARY KEY, region VARCHAR(10))",
		"INSERT INTO shop.orders VALUES (1, 'north', 1.50), (2, 'south', 2.00), (3, NULL, 3.25)",
		"INSERT INTO shop.audit VALUES (1, 'a'), (2, 'b')", "INSERT INTO other.t VALUES (1, 'east')")
	const parts = 4
	aShop, aOther, aDDL, b, e := k.Topic("mxa_shop"), k.Topic("mxa_other"), k.Topic("mxa-ddl"), k.Topic("mxb"), k.Topic("mxe")
	for _, topic := range []string{aShop, aOther, aDDL, b, e} {
		if err := k.CreateTopic(ctx, topic, parts, nil); err != nil {
			t.Fatal(err)
		}
	}
	rest, w := gapsWorker(t, k)
	// connector is the config every connector here shares, with the
	// server id and the key/value pairs that set it apart.
	connector := func(id string, kv ...string) map[string]string {
		c := map[string]string{
			"connector.class":    "MySqlConnector",
			"database.hostname":  db.Host(),
			"database.port":      strconv.Itoa(db.Port()),
			"database.user":      db.User(),
			"database.password":  db.Password(),
			"database.server.id": id,
			"database.ssl.mode":  "disabled",
			"topic.partitions":   strconv.Itoa(parts),
			"table.include.list": `shop\..*,other\..*`,
			"key.converter":      "maxwell-json",
			"value.converter":    "maxwell-json",
		}
		for i := 0; i+1 < len(kv); i += 2 {
			c[kv[i]] = kv[i+1]
		}
		return c
	}
	// A: a topic per database; a row's partition hashes its region, or its
	// primary key where it has none (Maxwell's fallback).
	gapsCreateConnector(t, rest, "mxa", connector("6501", "topic.prefix", k.Topic("mxap"), "kafka_topic", k.Topic("mxa_%{database}"),
		"ddl_kafka_topic", aDDL, "producer_partition_by", "column", "producer_partition_columns", "region",
		"producer_partition_by_fallback", "primary_key", "value.converter.output_ddl", "true"))
	// B: one topic; partitions by the table name's murmur3 hash.
	gapsCreateConnector(t, rest, "mxb", connector("6502", "topic.prefix", k.Topic("mxbp"), "kafka_topic", b,
		"producer_partition_by", "table", "kafka_partition_hash", "murmur3", "include.schema.changes", "false"))
	// D: Maxwell's filter, with table rules and row rules; last match wins.
	gapsCreateConnector(t, rest, "mxd", connector("6504", "topic.prefix", k.Topic("mxdp"), "kafka_topic", k.Topic("mxd"),
		"topic.partitions", "1", "include.schema.changes", "false",
		"filter", "exclude: *.*, include: shop.*, exclude: shop.audit, include: shop.audit.what=/^[bc]$/, exclude: shop.orders.region=south"))
	// E: partitions by the writing session's thread id, which the
	// messages carry (output_thread_id). Snapshot rows have none, and
	// neither do MariaDB's row transactions (a GTID event opens them, not a
	// BEGIN query with the session's id), so here every row hashes "null";
	// the unit test TestMaxwellPartitions covers a binlog that names it.
	gapsCreateConnector(t, rest, "mxe", connector("6505", "topic.prefix", k.Topic("mxep"), "kafka_topic", e,
		"producer_partition_by", "thread_id", "include.schema.changes", "false", "value.converter.output_thread_id", "true"))
	w.waitTaskRunning("mxa")
	w.waitTaskRunning("mxb")
	w.waitTaskRunning("mxd")
	w.waitTaskRunning("mxe")
	myExec(t, db, "INSERT INTO shop.orders VALUES (4, 'west', 4.00)", "UPDATE shop.orders SET region = 'north' WHERE id = 2",
		"INSERT INTO shop.audit VALUES (3, 'c')", "INSERT INTO other.t VALUES (2, NULL)",
		"INSERT INTO shop.orders VALUES (6, 'south', 6.00)", "INSERT INTO shop.audit VALUES (4, 'd')",
		// One transaction of two rows: only the second is its last.
		"INSERT INTO shop.audit VALUES (5, 'e'), (6, 'f')",
		"ALTER TABLE shop.orders ADD COLUMN note TEXT")

	type maxwellMsg struct {
		Thread   *int64          `json:"thread_id"`
		Type     string          `json:"type"`
		Database string          `json:"database"`
		Table    string          `json:"table"`
		Data     map[string]any  `json:"data"`
		Def      json.RawMessage `json:"def"`
	}
	part := func(h int32) int32 {
		p := h % parts
		if p < 0 {
			p = -p
		}
		return p
	}
	read := func(topic string, want int, partition func(m maxwellMsg) int32) map[string]int {
		t.Helper()
		msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, want, 60*time.Second)
		if err != nil {
			t.Fatalf("%s: %v\n%s", topic, err, w.log.String())
		}
		n := map[string]int{}
		for _, m := range msgs {
			var c maxwellMsg
			if err := json.Unmarshal(m.Value, &c); err != nil {
				t.Fatalf("%s: %s is not Maxwell JSON: %v", topic, m.Value, err)
			}
			if want := partition(c); m.TopicPartition.Partition != want {
				t.Errorf("%s: %s in partition %d, want %d", topic, m.Value, m.TopicPartition.Partition, want)
			}
			if c.Type != "table-alter" {
				var key map[string]any
				if err := json.Unmarshal(m.Key, &key); err != nil || key["database"] != c.Database || key["table"] != c.Table || key["pk.id"] != c.Data["id"] {
					t.Errorf("%s: key %s for %s", topic, m.Key, m.Value)
				}
			}
			n[c.Table+"/"+c.Type]++
		}
		return n
	}
	byColumn := func(m maxwellMsg) int32 {
		if r, ok := m.Data["region"].(string); ok {
			return part(javaHash(r))
		}
		return part(javaHash(fmt.Sprint(m.Data["id"])))
	}
	if got, want := fmt.Sprint(read(aShop, 12, byColumn)), "map[audit/bootstrap-insert:2 audit/insert:4 orders/bootstrap-insert:3 orders/insert:2 orders/update:1]"; got != want {
		t.Errorf("%s: %s, want %s", aShop, got, want)
	}
	if got, want := fmt.Sprint(read(aOther, 2, byColumn)), "map[t/bootstrap-insert:1 t/insert:1]"; got != want {
		t.Errorf("%s: %s, want %s", aOther, got, want)
	}
	ddl := read(aDDL, 1, func(m maxwellMsg) int32 { return part(javaHash(m.Database)) })
	if ddl["orders/table-alter"] != 1 {
		t.Errorf("%s: %v, want the ALTER TABLE as table-alter", aDDL, ddl)
	}
	// E: 6 snapshot rows and the 8 row changes, each where the hash of
	// String.valueOf(thread_id) puts it.
	byThread := func(m maxwellMsg) int32 {
		if m.Thread == nil {
			return part(javaHash("null"))
		}
		return part(javaHash(strconv.FormatInt(*m.Thread, 10)))
	}
	if n := read(e, 14, byThread); n["orders/bootstrap-insert"] != 3 || n["audit/insert"] != 4 {
		t.Errorf("%s: %v", e, n)
	}
	// D's filter: shop's tables only; audit rows only where what is b or c;
	// orders rows not while their region is south (a NULL region is no match).
	dmsgs, err := harness.ReadTopic(ctx, k.Bootstrap(), k.Topic("mxd"), 6, 60*time.Second)
	if err != nil {
		t.Fatalf("filtered topic: %v\n%s", err, w.log.String())
	}
	var got []string
	for _, m := range dmsgs {
		var c maxwellMsg
		if err := json.Unmarshal(m.Value, &c); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s/%s/%v", c.Table, c.Type, c.Data["id"]))
	}
	sort.Strings(got)
	if want := "[audit/bootstrap-insert/2 audit/insert/3 orders/bootstrap-insert/1 orders/bootstrap-insert/3 orders/insert/4 orders/update/2]"; fmt.Sprint(got) != want {
		t.Errorf("filter: %v, want %s", got, want)
	}
	if all, err := harness.ReadAll(ctx, k.Bootstrap(), k.Topic("mxd"), 2*time.Second); err != nil || len(all) != 6 {
		t.Errorf("filtered topic holds %d messages (%v), want 6", len(all), err)
	}
	// C: topic.partitions says 4, but its topic is created by the broker
	// with one: the task fails saying how to make the two agree.
	cc := connector("6503", "topic.prefix", k.Topic("mxcp"), "kafka_topic", k.Topic("mxc"), "producer_partition_by", "primary_key",
		"table.include.list", `shop\.orders`, "include.schema.changes", "false")
	gapsCreateConnector(t, rest, "mxc", cc)
	var trace string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && trace == ""; time.Sleep(200 * time.Millisecond) {
		_, body, _ := httpCall(http.MethodGet, rest+"/connectors/mxc/status", nil)
		var st struct {
			Tasks []struct{ State, Trace string }
		}
		if json.Unmarshal([]byte(body), &st) == nil && len(st.Tasks) == 1 && st.Tasks[0].State == "FAILED" {
			trace = st.Tasks[0].Trace
		}
	}
	if !strings.Contains(trace, "topic.creation.default.partitions") || !strings.Contains(trace, k.Topic("mxc")) || strings.Contains(trace, db.Password()) {
		t.Errorf("a topic with fewer partitions than topic.partitions: trace %q", trace)
	}
	byTable := func(m maxwellMsg) int32 { return part(int32(murmur3x86(m.Table, 25342))) }
	if got, want := fmt.Sprint(read(b, 14, byTable)), "map[audit/bootstrap-insert:2 audit/insert:4 orders/bootstrap-insert:3 orders/insert:2 orders/update:1 t/bootstrap-insert:1 t/insert:1]"; got != want {
		t.Errorf("%s: %s, want %s", b, got, want)
	}
	// Maxwell's commit flag: the last row of each transaction carries it,
	// and the rows of one transaction share their xid.
	all, err := harness.ReadAll(ctx, k.Bootstrap(), b, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var commits []string
	xids := map[any]json.Number{}
	for _, m := range all {
		var c struct {
			Table, Type string
			Commit      bool
			Xid         json.Number
			Data        map[string]any
		}
		if err := json.Unmarshal(m.Value, &c); err != nil {
			t.Fatal(err)
		}
		if c.Table == "audit" && c.Type == "insert" {
			commits = append(commits, fmt.Sprintf("%v:%v", c.Data["id"], c.Commit))
			xids[c.Data["id"]] = c.Xid
		}
	}
	if fmt.Sprint(commits) != "[3:true 4:true 5:false 6:true]" || xids[5.0] != xids[6.0] || xids[4.0] == xids[5.0] || xids[5.0] == "" {
		t.Errorf("audit inserts (id:commit) %v, xids %v: want commit on each transaction's last row, one xid per transaction", commits, xids)
	}
}

// javaHash is Java's String.hashCode: s's UTF-16 units, h = 31h + u.
func javaHash(s string) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(u)
	}
	return h
}

// murmur3x86 is MurmurHash3's x86 32-bit function over s's UTF-8 bytes,
// written from its published description so the test does not check the
// connector's hash against the same library.
func murmur3x86(s string, seed uint32) uint32 {
	const c1, c2 = 0xcc9e2d51, 0x1b873593
	b := []byte(s)
	h := seed
	for len(b) >= 4 {
		k := binary.LittleEndian.Uint32(b)
		k *= c1
		k = bits.RotateLeft32(k, 15)
		k *= c2
		h ^= k
		h = bits.RotateLeft32(h, 13)
		h = h*5 + 0xe6546b64
		b = b[4:]
	}
	var k uint32
	switch len(b) {
	case 3:
		k ^= uint32(b[2]) << 16
		fallthrough
	case 2:
		k ^= uint32(b[1]) << 8
		fallthrough
	case 1:
		k ^= uint32(b[0])
		k *= c1
		k = bits.RotateLeft32(k, 15)
		k *= c2
		h ^= k
	}
	h ^= uint32(len(s))
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// The test's murmur3 agrees with the published test vector and with the
// library the connector uses.
func TestMurmur3Reference(t *testing.T) {
	if got := murmur3x86("The quick brown fox jumps over the lazy dog", 0); got != 0x2e4ff723 {
		t.Errorf("murmur3 vector: %#x, want 0x2e4ff723", got)
	}
	for _, s := range []string{"", "a", "ab", "abc", "abcd", "orders", "audit", "t", "héllo 😀"} {
		if a, b := murmur3x86(s, 25342), murmur3.Sum32WithSeed([]byte(s), 25342); a != b {
			t.Errorf("%q: %#x here, %#x from the library", s, a, b)
		}
	}
}

// TestMaxwellBootstrap: with bootstrapper=async, a row inserted into
// Maxwell's bootstrap table (as maxwell-bootstrap inserts it) re-reads the
// table under its where_clause while streaming goes on: the rows arrive as
// bootstrap-insert, requests for another client_id are ignored, and the
// request row is marked complete as Maxwell's bootstrapper marks it.
func TestMaxwellBootstrap(t *testing.T) {
	t.Parallel()
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	myExec(t, db, "CREATE DATABASE maxwell", "CREATE DATABASE shop",
		// Maxwell's own DDL of the table (maxwell_schema_bootstrap.sql).
		`CREATE TABLE maxwell.bootstrap (
		  id int unsigned auto_increment NOT NULL primary key,
		  database_name varchar(255) charset 'utf8' NOT NULL, table_name varchar(255) charset 'utf8' NOT NULL,
		  where_clause text default NULL, is_complete tinyint(1) unsigned NOT NULL default 0,
		  inserted_rows bigint(20) unsigned NOT NULL DEFAULT 0, total_rows bigint(20) unsigned NOT NULL DEFAULT 0,
		  created_at DATETIME default NULL, started_at DATETIME default NULL, completed_at DATETIME default NULL,
		  binlog_file varchar(255) default NULL, binlog_position int unsigned default 0,
		  client_id varchar(255) charset 'latin1' not null default 'maxwell', comment varchar(255) charset 'utf8' default NULL)`,
		"CREATE TABLE shop.orders (id INT PRIMARY KEY, region VARCHAR(10))",
		"INSERT INTO shop.orders VALUES (1, 'n'), (2, 's'), (3, 'e'), (4, 'w'), (5, 'n')",
		"GRANT UPDATE ON maxwell.bootstrap TO 'sluice'@'%'")
	topic := k.Topic("mxboot")
	if err := k.CreateTopic(ctx, topic, 1, nil); err != nil {
		t.Fatal(err)
	}
	rest, w := gapsWorker(t, k)
	gapsCreateConnector(t, rest, "mxboot", map[string]string{
		"connector.class":        "MySqlConnector",
		"database.hostname":      db.Host(),
		"database.port":          strconv.Itoa(db.Port()),
		"database.user":          db.User(),
		"database.password":      db.Password(),
		"database.server.id":     "6505",
		"database.ssl.mode":      "disabled",
		"topic.prefix":           k.Topic("mxbootp"),
		"snapshot.mode":          "no_data",
		"table.include.list":     `shop\..*`,
		"include.schema.changes": "false",
		"bootstrapper":           "async",
		"kafka_topic":            topic,
		"key.converter":          "maxwell-json",
		"value.converter":        "maxwell-json",
	})
	w.waitTaskRunning("mxboot")
	myExec(t, db, "INSERT INTO shop.orders VALUES (6, 's')",
		"INSERT INTO maxwell.bootstrap (database_name, table_name, client_id) VALUES ('shop', 'orders', 'someone-else')",
		"INSERT INTO maxwell.bootstrap (database_name, table_name, where_clause, created_at) VALUES ('shop', 'orders', 'id > 2', NOW())")
	msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, 5, 60*time.Second)
	if err != nil {
		t.Fatalf("%v\n%s", err, w.log.String())
	}
	var got []string
	for _, m := range msgs {
		var c struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(m.Value, &c); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s/%v", c.Type, c.Data["id"]))
	}
	sort.Strings(got)
	// Row 6 streams, then the bootstrap reads rows 3 to 6.
	if want := "[bootstrap-insert/3 bootstrap-insert/4 bootstrap-insert/5 bootstrap-insert/6 insert/6]"; fmt.Sprint(got) != want {
		t.Errorf("messages %v, want %s", got, want)
	}
	if all, err := harness.ReadAll(ctx, k.Bootstrap(), topic, 2*time.Second); err != nil || len(all) != 5 {
		t.Errorf("%d messages (%v), want 5: the other client's request must be ignored", len(all), err)
	}
	var rows []map[string]string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if rows, err = db.QueryMaps(ctx, "SELECT client_id, is_complete, inserted_rows, started_at IS NOT NULL AS started, completed_at IS NOT NULL AS completed FROM maxwell.bootstrap ORDER BY id"); err == nil && len(rows) == 2 && rows[1]["is_complete"] == "1" {
			break
		}
	}
	if len(rows) != 2 || fmt.Sprint(rows[1]) != "map[client_id:maxwell completed:1 inserted_rows:4 is_complete:1 started:1]" || rows[0]["is_complete"] != "0" {
		t.Errorf("bootstrap rows %v: want the request marked complete with its 4 rows, the other client's left alone\n%s", rows, w.log.String())
	}
}

// TestMaxwellWithoutDDLLeavesSchemaChangesOut: with maxwell-json as the
// value converter and no output_ddl, the connector emits no schema-change
// records (their value would be null, under a random key, in Maxwell's
// topic, where Maxwell sends nothing) unless include.schema.changes says
// otherwise; with output_ddl, or another converter, they stay.
func TestMaxwellWithoutDDLLeavesSchemaChangesOut(t *testing.T) {
	base := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "p", "database.server.id": "1"}
	for _, tc := range []struct {
		extra map[string]string
		want  bool
	}{
		{map[string]string{"value.converter": "maxwell-json"}, false},
		{map[string]string{"value.converter": "io.sluice.converters.MaxwellJsonConverter", "value.converter.output_ddl": "true"}, true},
		{map[string]string{"value.converter": "maxwell-json", "include.schema.changes": "true"}, true},
		{map[string]string{"value.converter": "io.sluice.converters.CanalJsonConverter"}, true},
		{map[string]string{}, true},
		{map[string]string{"value.converter": "io.sluice.converters.CanalJsonConverter", "include.schema.changes": "false"}, false},
	} {
		props := maps.Clone(base)
		maps.Copy(props, tc.extra)
		o, err := mysql.ParseOptions(props)
		if err != nil {
			t.Fatal(err)
		}
		if o.IncludeSchemaChanges != tc.want {
			t.Errorf("%v: include schema changes %v, want %v", tc.extra, o.IncludeSchemaChanges, tc.want)
		}
	}
}
