package integration

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/connectors/mysql"
	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLPrecheckWarnsWhenNoTableIsCaptured: a connector whose include
// list names no existing table (a typo) validated clean and
// ran RUNNING while sending nothing, with only "snapshot plan tables=0" at
// INFO. Debezium warns that no changes will be captured; the precheck now
// does too, naming the keys to check, without refusing the config (the
// tables may be created later). Not parallel: it reads the process-wide
// slog default.
func TestMySQLPrecheckWarnsWhenNoTableIsCaptured(t *testing.T) {
	if testing.Short() {
		t.Skip("starts MariaDB")
	}
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	ctx := context.Background()
	for _, q := range []string{"CREATE DATABASE nocap", "CREATE TABLE nocap.orders (id INT PRIMARY KEY)"} {
		if err := m.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	prev := slog.Default()
	defer slog.SetDefault(prev)
	c := mysql.NewConnector()
	validate := func(extra ...string) string {
		logs := &syncBuffer{}
		slog.SetDefault(slog.New(slog.NewTextHandler(logs, nil)))
		props := myStreamProps(m, append([]string{"name", "nocap", "database.server.id", "5931"}, extra...)...)
		for _, v := range c.Validate(ctx, props) {
			if len(v.Errors) > 0 {
				t.Errorf("%v: %s: %v", extra, v.Name, v.Errors)
			}
		}
		return logs.String()
	}
	const warning = "precheck: the table filters capture no table"
	for _, extra := range [][]string{
		{"table.include.list", "nocap.nosuch"},
		{"table.include.list", "nocap.order"}, // a regular expression matches the whole name
		{"database.include.list", "nocap", "table.exclude.list", "nocap\\..*"},
	} {
		if log := validate(extra...); !strings.Contains(log, warning) || !strings.Contains(log, "table.include.list") {
			t.Errorf("%v: no warning that nothing is captured:\n%s", extra, log)
		}
	}
	if log := validate("table.include.list", "nocap.orders"); strings.Contains(log, warning) {
		t.Errorf("a connector that captures nocap.orders is warned:\n%s", log)
	}
}
