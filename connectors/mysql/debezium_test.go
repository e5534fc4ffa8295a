package mysql

import (
	"maps"
	"strings"
	"testing"

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
		"snapshot.select.statement.overrides.db.t": "SELECT 1", "snapshot.mode": "initial", "converters2": "y"})
	if strings.Join(got, " ") != "converters converters.boolean.type snapshot.select.statement.overrides.db.t" {
		t.Fatalf("unapplied keys %v", got)
	}
}
