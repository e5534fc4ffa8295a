package mysql

import (
	"testing"

	"github.com/sluicehq/sluice/connect"
)

// task.class follows the connector.class a config names: Debezium's task
// class for Debezium's connector classes, so the task configs read as they
// would under Debezium.
func TestTaskClassByConnectorClass(t *testing.T) {
	for name, want := range map[string]string{
		ConnectorClass:       TaskClass,
		"MySql":              TaskClass,
		DebeziumMySQLClass:   DebeziumMySQLTaskClass,
		DebeziumMariaDBClass: DebeziumMariaDBTaskClass,
		"MariaDbConnector":   DebeziumMariaDBTaskClass,
	} {
		p, err := connect.Lookup(name, connect.PluginSource)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.TaskClassFor(name); got != want {
			t.Errorf("connector.class=%s: task.class %s, want %s", name, got, want)
		}
	}
}
