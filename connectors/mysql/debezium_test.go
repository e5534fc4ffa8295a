package mysql

import (
	"bytes"
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
)

func TestDebeziumClassAliases(t *testing.T) {
	for _, name := range []string{ConnectorClass, DebeziumMySQLClass, DebeziumMariaDBClass, "MySqlConnector", "MariaDbConnector"} {
		p, err := connect.Lookup(name, connect.PluginSource)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.Class != ConnectorClass {
			t.Fatalf("%s resolves to %s", name, p.Class)
		}
	}
}

// propsWith returns base and the key/value pairs kv in a new map.
func propsWith(base map[string]string, kv ...string) map[string]string {
	m := maps.Clone(base)
	if m == nil {
		m = map[string]string{}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestLegacyKeys(t *testing.T) {
	base := map[string]string{"database.hostname": "h", "database.user": "u"}
	with := func(kv ...string) map[string]string { return propsWith(base, kv...) }
	tests := []struct {
		name  string
		props map[string]string
		check func(*Options) bool
	}{
		{"database.whitelist", with("database.server.name", "inv", "database.whitelist", "inventory"),
			func(o *Options) bool {
				return o.TopicPrefix == "inv" && o.Filters.Database("inventory") && !o.Filters.Database("other")
			}},
		{"table.whitelist", with("topic.prefix", "p", "table.whitelist", `inv\.a`),
			func(o *Options) bool { return o.Filters.Table("inv", "a") && !o.Filters.Table("inv", "b") }},
		{"table.blacklist", with("topic.prefix", "p", "table.blacklist", `inv\.a`),
			func(o *Options) bool { return !o.Filters.Table("inv", "a") && o.Filters.Table("inv", "b") }},
		{"column.blacklist", with("topic.prefix", "p", "column.blacklist", `inv\.a\.secret`),
			func(o *Options) bool {
				return !o.Filters.Column("inv", "a", "secret") && o.Filters.Column("inv", "a", "id")
			}},
		{"current name wins", with("topic.prefix", "p", "table.include.list", `inv\.b`, "table.whitelist", `inv\.a`),
			func(o *Options) bool { return o.Filters.Table("inv", "b") && !o.Filters.Table("inv", "a") }},
		{"schema_only", with("topic.prefix", "p", "snapshot.mode", "schema_only"),
			func(o *Options) bool { return o.SnapshotMode == "no_data" }},
		{"database.history.file.filename", with("topic.prefix", "p", "database.history.file.filename", "/tmp/h", "database.history.kafka.topic", "dbhistory.inv"),
			func(o *Options) bool { return o.HistoryFile == "/tmp/h" && o.HistoryKafkaTopic == "dbhistory.inv" }},
		{"include.query", with("topic.prefix", "p", "include.query", "true"),
			func(o *Options) bool { return o.IncludeQuery }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := ParseOptions(tc.props)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(o) {
				t.Fatalf("options not as expected: %+v", o)
			}
		})
	}
	if _, err := ParseOptions(with("topic.prefix", "p", "table.whitelist", "(")); err == nil {
		t.Fatal("a bad regular expression in table.whitelist was accepted")
	}
}

func TestUnappliedKeys(t *testing.T) {
	got := unappliedKeys(map[string]string{"topic.prefix": "p", "converters": "boolean", "converters.boolean.type": "x",
		"read.only": "true", "snapshot.mode": "initial", "converters2": "y"})
	if strings.Join(got, " ") != "converters converters.boolean.type" {
		t.Fatalf("unapplied keys %v", got)
	}
	// Whatever they say, Sluice writes nothing to the source.
	if got := unappliedKeys(map[string]string{"read.only": "true", "incremental.snapshot.watermarking.strategy": "insert_delete"}); len(got) != 0 {
		t.Fatalf("unapplied keys %v", got)
	}
	for _, k := range satisfiedDebeziumKeys {
		if _, ok := configDef.Key(k); !ok {
			t.Errorf("%s is not declared: a Debezium config carrying it would not validate", k)
		}
	}
}

func TestUnappliedKeysSkipWhatSluiceDoes(t *testing.T) {
	got := unappliedKeys(map[string]string{"read.only": "False", "schema.name.adjustment.mode": "avro",
		"inconsistent.schema.handling.mode": "fail", "event.deserialization.failure.handling.mode": "warn",
		"incremental.snapshot.allow.schema.changes": "true", "enable.time.adjuster": "true"})
	if len(got) != 0 {
		t.Fatalf("unapplied keys %v", got)
	}
	// Applied now (types.go): a Debezium config carrying it validates.
	for _, v := range []string{"true", "false"} {
		o, err := ParseOptions(propsWith(map[string]string{"database.hostname": "h", "database.user": "u"}, "topic.prefix", "p", KeyTimeAdjuster, v))
		if err != nil {
			t.Fatal(err)
		}
		if o.Types.TimeAdjuster != (v == "true") {
			t.Fatalf("enable.time.adjuster=%s parsed as %v", v, o.Types.TimeAdjuster)
		}
	}
	if _, err := ParseOptions(propsWith(map[string]string{"database.hostname": "h", "database.user": "u"}, "topic.prefix", "p", KeyTimeAdjuster, "sometimes")); err == nil || !strings.Contains(err.Error(), KeyTimeAdjuster) {
		t.Fatalf("a bad enable.time.adjuster gave %v", err)
	}
}

func TestSplitInitialStatements(t *testing.T) {
	for in, want := range map[string]string{
		"":                              "",
		"SET a = 1":                     "SET a = 1",
		" SET a = 1 ; SET b = 2 ;":      "SET a = 1|SET b = 2",
		"INSERT INTO t VALUES ('x;;y')": "INSERT INTO t VALUES ('x;y')",
		"SELECT 1;;;SELECT 2":           "SELECT 1;|SELECT 2",
		";;":                            ";",
		"; ;SET c = 3":                  "SET c = 3",
	} {
		got, err := splitStatements(in)
		if err != nil || strings.Join(got, "|") != want {
			t.Errorf("%q: %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestSnapshotSelectionKeys(t *testing.T) {
	base := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "p"}
	o, err := ParseOptions(propsWith(base, "snapshot.include.collection.list", `inv\.a, inv\.b.*`, "snapshot.delay.ms", "2500",
		"snapshot.tables.order.by.row.count", "Ascending", "database.initial.statements", "SET a = 1;SET b = 2"))
	if err != nil {
		t.Fatal(err)
	}
	if !anyMatch(o.Snapshot.Include, "inv.a") || !anyMatch(o.Snapshot.Include, "inv.b2") || anyMatch(o.Snapshot.Include, "inv.ab") ||
		o.Snapshot.Delay.Milliseconds() != 2500 || o.Snapshot.OrderByRows != "ascending" || len(o.InitStatements) != 2 {
		t.Fatalf("options %+v, init %q", o.Snapshot, o.InitStatements)
	}
	if _, err := ParseOptions(propsWith(base, "snapshot.include.collection.list", "(")); err == nil || !strings.Contains(err.Error(), "snapshot.include.collection.list") {
		t.Fatalf("a bad expression: %v", err)
	}
	if len(unappliedKeys(propsWith(base, "snapshot.delay.ms", "1", "database.initial.statements", "SET a = 1",
		"snapshot.include.collection.list", "x", "snapshot.tables.order.by.row.count", "disabled"))) != 0 {
		t.Fatal("applied keys are still reported as unapplied")
	}
}

func TestSnapshotOverrides(t *testing.T) {
	base := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "p"}
	o, err := ParseOptions(propsWith(base, "snapshot.select.statement.overrides", "shop.orders, shop.items",
		"snapshot.select.statement.overrides.shop.orders", "SELECT * FROM shop.orders WHERE id > 10;",
		"snapshot.select.statement.overrides.shop.items", "SELECT id, name FROM shop.items"))
	if err != nil {
		t.Fatal(err)
	}
	if o.Snapshot.Overrides[TableID{"shop", "orders"}] != "SELECT * FROM shop.orders WHERE id > 10" || len(o.Snapshot.Overrides) != 2 {
		t.Fatalf("overrides %v", o.Snapshot.Overrides)
	}
	for _, tc := range []struct {
		kv   []string
		want string
	}{
		{[]string{"snapshot.select.statement.overrides", "shop.orders"}, "snapshot.select.statement.overrides.shop.orders"},
		{[]string{"snapshot.select.statement.overrides", "orders"}, `"orders" is not a <db>.<table> name`},
		{[]string{"snapshot.select.statement.overrides", "shop.orders", "snapshot.select.statement.overrides.shop.orders", "DELETE FROM shop.orders"}, "must be a SELECT statement"},
		{[]string{"snapshot.select.statement.overrides", "shop.orders", "snapshot.select.statement.overrides.shop.orders", "SELECT * FROM"}, "is not valid SQL"},
		{[]string{"snapshot.select.statement.overrides", "shop.orders", "snapshot.select.statement.overrides.shop.orders", "SELECT 1; SELECT 2"}, "must be one SELECT statement"},
	} {
		if _, err := ParseOptions(propsWith(base, tc.kv...)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error with %q", tc.kv, err, tc.want)
		}
	}
}

func TestTopicNamingKeys(t *testing.T) {
	base := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "inv"}
	o, err := ParseOptions(propsWith(base, "topic.naming.strategy", "io.debezium.schema.SchemaTopicNamingStrategy",
		"topic.delimiter", "_", "topic.heartbeat.prefix", "hb", "topic.transaction", "tx"))
	if err != nil {
		t.Fatal(err)
	}
	r := newRouter(o, nil)
	if got := r.TopicFor(TableID{"shop", "orders"}); got != "inv_shop_orders" {
		t.Fatalf("data topic %q", got)
	}
	if d := o.dts(); d.TransactionTopic != "inv_tx" || d.HeartbeatTopic != "hb_inv" {
		t.Fatalf("transaction topic %q, heartbeat topic %q", d.TransactionTopic, d.HeartbeatTopic)
	}
	o, err = ParseOptions(base)
	if err != nil {
		t.Fatal(err)
	}
	if got := newRouter(o, nil).TopicFor(TableID{"shop", "orders"}); got != "inv.shop.orders" || o.dts().HeartbeatTopic != "__debezium-heartbeat.inv" {
		t.Fatalf("default names %q, %q", got, o.dts().HeartbeatTopic)
	}
	// topic.heartbeat.name names the whole topic, whatever the prefixes say.
	o, err = ParseOptions(propsWith(base, "topic.heartbeat.prefix", "hb", "topic.heartbeat.name", "debezium-heartbeat"))
	if err != nil || o.dts().HeartbeatTopic != "debezium-heartbeat" {
		t.Fatalf("topic.heartbeat.name: %v %v", err, o.dts().HeartbeatTopic)
	}
	for _, kv := range [][]string{{"topic.naming.strategy", "com.acme.MyStrategy"}, {"topic.delimiter", "/"}, {"topic.heartbeat.name", "a b"}} {
		if _, err := ParseOptions(propsWith(base, kv...)); err == nil || !strings.Contains(err.Error(), kv[0]) {
			t.Errorf("%v: %v, want an error naming the key", kv, err)
		}
	}
	if len(unappliedKeys(propsWith(base, "topic.naming.strategy", "io.debezium.schema.DefaultTopicNamingStrategy"))) != 0 {
		t.Fatal("topic.naming.strategy is still reported as unapplied")
	}
}

func TestCustomMetricTags(t *testing.T) {
	base := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "p"}
	o, err := ParseOptions(propsWith(base, KeyCustomMetricTags, " env=prod , team = payments,empty="))
	if err != nil || len(o.MetricTags) != 3 || o.MetricTags["env"] != "prod" || o.MetricTags["team"] != "payments" || o.MetricTags["empty"] != "" {
		t.Fatalf("tags %v, %v", o.MetricTags, err)
	}
	for in, msg := range map[string]string{
		"env":            "not key=value",
		"=x":             "not key=value",
		"my-env=1":       "Prometheus label name",
		"task=1":         "have that label themselves",
		"a=1,a=2":        "given twice",
		"env=prod,,x=1":  "not key=value",
		"9lives=cat,b=2": "Prometheus label name",
	} {
		if _, err := ParseOptions(propsWith(base, KeyCustomMetricTags, in)); err == nil || !strings.Contains(err.Error(), msg) || !strings.Contains(err.Error(), KeyCustomMetricTags) {
			t.Errorf("%q: %v, want an error on %s saying %q", in, err, KeyCustomMetricTags, msg)
		}
	}
	if u := unappliedKeys(map[string]string{KeyCustomMetricTags: "env=prod"}); len(u) != 0 {
		t.Fatalf("custom.metric.tags reported as not applied: %v", u)
	}
}

// Every Debezium MySQL key is declared (a Debezium config validates and
// /config/validate documents it); tuning keys never warn, unapplied ones
// warn only when they ask for something Sluice does not do.
func TestDebeziumKeysClassified(t *testing.T) {
	for _, k := range append([]string{KeySkipUnchanged, KeyStreamingDelay, KeyGuardrailMax, KeyGuardrailAction, KeySchemaComments, KeyContextHeaders, KeyMaxRetries}, func() []string {
		var out []string
		for _, k := range tuningDebeziumKeys {
			out = append(out, k.name)
		}
		for _, k := range unappliedWithDefault {
			out = append(out, k.name)
		}
		return out
	}()...) {
		if _, ok := configDef.Key(k); !ok {
			t.Errorf("%s is not declared", k)
		}
	}
	quiet := map[string]string{"binlog.buffer.size": "1000", "connect.keep.alive": "false", "database.jdbc.driver": "com.mysql.cj.jdbc.Driver",
		"extended.headers.enabled": "False", "snapshot.query.mode": "select_all", "errors.max.retries": "-1", KeySkipUnchanged: "true", KeyStreamingDelay: "5"}
	if got := unappliedKeys(quiet); len(got) != 0 {
		t.Fatalf("warned about %v", got)
	}
	quiet["ddl.parser.type"], quiet["statistics.metrics.enabled"], quiet["event.converting.failure.handling.mode"] = "antlr", "true", "FAIL"
	quiet["resolve.create.table.like.schema"], quiet["database.server.id.offset"], quiet["binlog.metadata.based.schema"] = "true", "20000", "false"
	quiet["transaction.metadata.factory"], quiet["schema.history.internal.kafka.recovery.attempts"] = "io.debezium.pipeline.txmetadata.DefaultTransactionMetadataFactory", "4"
	if got := unappliedKeys(quiet); len(got) != 0 {
		t.Fatalf("warned about %v", got)
	}
	loud := map[string]string{KeyContextHeaders: "true", KeySchemaComments: "true", KeyPostProcessors: "reselector", KeyMaxRetries: "3", KeySSLKeyStore: "/k.jks", "binlog.row.value.options": "PARTIAL_JSON",
		"event.converting.failure.handling.mode": "warn", "gtid.ignore.on.recovery": "true", "openlineage.integration.enabled": "true"}
	if got := strings.Join(unappliedKeys(loud), " "); got != "binlog.row.value.options event.converting.failure.handling.mode gtid.ignore.on.recovery openlineage.integration.enabled" {
		t.Fatalf("unapplied keys %q", got)
	}
	o, err := ParseOptions(propsWith(map[string]string{"database.hostname": "h", "database.user": "u"}, "topic.prefix", "p",
		KeySkipUnchanged, "true", KeyStreamingDelay, "1500", KeyGuardrailMax, "10", KeyGuardrailAction, "FAIL"))
	if err != nil {
		t.Fatal(err)
	}
	if !o.SkipUnchanged || o.StreamingDelay.Milliseconds() != 1500 || o.GuardrailMax != 10 || !o.GuardrailFail {
		t.Fatalf("options %+v", o)
	}
	if _, err := ParseOptions(propsWith(map[string]string{"database.hostname": "h", "database.user": "u"}, "topic.prefix", "p", KeyGuardrailAction, "stop")); err == nil || !strings.Contains(err.Error(), KeyGuardrailAction) {
		t.Fatalf("guardrail action stop: %v", err)
	}
}

// TestDebeziumSnapshotValues: values Debezium accepts for the snapshot keys
// either work (snapshot.fetch.size=0 is Debezium's unset; the locking modes
// that differ from minimal only in how long writes wait run as minimal and
// are named as not applied) or are refused by validation with the key and
// what to use instead, never at task start only.
func TestDebeziumSnapshotValues(t *testing.T) {
	base := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "p"}
	o, err := ParseOptions(propsWith(base, "snapshot.fetch.size", "0"))
	if err != nil || o.Snapshot.FetchSize != 1024 {
		t.Fatalf("snapshot.fetch.size=0: %v, fetch size %d, want the default 1024", err, o.Snapshot.FetchSize)
	}
	if o, err := ParseOptions(propsWith(base, "poll.interval.ms", "120000")); err != nil || o.PollInterval != 2*time.Minute {
		t.Fatalf("poll.interval.ms=120000: %v", err)
	}
	for _, m := range []string{"extended", "minimal_percona", "MINIMAL_PERCONA_NO_TABLE_LOCKS"} {
		p := propsWith(base, "snapshot.locking.mode", m)
		o, err := ParseOptions(p)
		if err != nil || o.Snapshot.LockingMode != "minimal" {
			t.Errorf("snapshot.locking.mode=%s: %v, mode %q, want minimal", m, err, o.Snapshot.LockingMode)
		}
		if got := unappliedKeys(p); len(got) != 1 || !strings.Contains(got[0], "snapshot.locking.mode="+m) {
			t.Errorf("snapshot.locking.mode=%s: unapplied %v, want it named", m, got)
		}
	}
	if got := unappliedKeys(propsWith(base, "snapshot.locking.mode", "minimal")); len(got) != 0 {
		t.Errorf("minimal named as unapplied: %v", got)
	}
	for _, c := range []struct{ key, value, hint string }{
		{"snapshot.locking.mode", "custom", "use minimal"},
		{"snapshot.mode", "custom", "use initial"},
	} {
		p := propsWith(base, c.key, c.value)
		if _, err := ParseOptions(p); err == nil || !strings.Contains(err.Error(), c.key) || !strings.Contains(err.Error(), c.hint) {
			t.Errorf("%s=%s: %v, want a refusal naming the key and %q", c.key, c.value, err, c.hint)
		}
		vals := (&Connector{}).Validate(context.Background(), p)
		refused := false
		for _, cv := range vals {
			if cv.Name == c.key && len(cv.Errors) > 0 {
				refused = true
			}
		}
		if !refused {
			t.Errorf("%s=%s passes validation", c.key, c.value)
		}
	}
}

// TestDebeziumUndeclaredKeys: Debezium keys Sluice did not declare are
// either applied, refused with what to use, or named as not applied; none
// passes unmentioned.
func TestDebeziumUndeclaredKeys(t *testing.T) {
	base := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "p"}
	for _, c := range []struct{ key, value, hint string }{
		{"time.precision.mode", "structured", "use adaptive_time_microseconds"},
		{"time.precision.mode", "adaptive", "use adaptive_time_microseconds"},
		{"source.struct.version", "v1", "set v2"},
	} {
		if _, err := ParseOptions(propsWith(base, c.key, c.value)); err == nil || !strings.Contains(err.Error(), c.key) || !strings.Contains(err.Error(), c.hint) {
			t.Errorf("%s=%s: %v, want a refusal naming the key and %q", c.key, c.value, err, c.hint)
		}
	}
	p := propsWith(base, "source.struct.version", "v2", "database.connectionTimeZone", "UTC", "driver.useSSL", "false",
		"schema.history.internal.ddl.filter", "ALTER .*", "snapshot.mode.tables", "a.b", "database.hostname", "h")
	if _, err := ParseOptions(p); err != nil {
		t.Fatal(err)
	}
	want := []string{"database.connectionTimeZone", "driver.useSSL", "schema.history.internal.ddl.filter", "snapshot.mode.tables"}
	if got := unappliedKeys(p); !slices.Equal(got, want) {
		t.Errorf("unapplied %v, want %v", got, want)
	}
}

// TestDeserializationModeFollowsProcessingMode: as in Debezium 2 and 3,
// event.processing.failure.handling.mode decides for undecodable binlog
// events unless the deprecated event.deserialization key is set.
func TestDeserializationModeFollowsProcessingMode(t *testing.T) {
	base := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "p"}
	for _, c := range []struct {
		kv   []string
		want string
	}{
		{nil, "fail"},
		{[]string{"event.processing.failure.handling.mode", "warn"}, "warn"},
		{[]string{"event.processing.failure.handling.mode", "ignore"}, "skip"},
		{[]string{"event.processing.failure.handling.mode", "warn", "event.deserialization.failure.handling.mode", "fail"}, "fail"},
		{[]string{"event.deserialization.failure.handling.mode", "ignore"}, "skip"},
	} {
		o, err := ParseOptions(propsWith(base, c.kv...))
		if err != nil || o.DeserializationMode != c.want {
			t.Errorf("%v: %v, mode %q, want %q", c.kv, err, o.DeserializationMode, c.want)
		}
	}
}

// TestValidateNamesUnappliedKeys: validation, whose answer carries errors
// only, names the accepted-but-not-applied settings in the worker log, as
// the task's start does.
func TestValidateNamesUnappliedKeys(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	defer slog.SetDefault(prev)
	props := map[string]string{"name": "v", "database.hostname": "127.0.0.1", "database.port": "1", "database.user": "u", "topic.prefix": "p",
		"connect.timeout.ms": "200", "database.connectionTimeZone": "UTC", "signal.enabled.channels": "source,jmx"}
	(&Connector{}).Validate(context.Background(), props)
	out := buf.String()
	for _, want := range []string{"validate: these Debezium settings are accepted but not applied", "database.connectionTimeZone", "validate: signals sent through these channels are not read", "jmx"} {
		if !strings.Contains(out, want) {
			t.Errorf("validation log lacks %q:\n%s", want, out)
		}
	}
}
