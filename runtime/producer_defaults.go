package runtime

import (
	"log/slog"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/sluicehq/sluice/connect"
)

// applyConnectorProducerDefaults applies the producer settings a connector
// asks for (connect.ProducerDefaulter) onto cm. It runs before the worker's
// producer.* and the connector's producer.override.* settings, so those
// still win. A connector whose defaults cannot be applied only loses them:
// the task still starts with the runtime's defaults.
func applyConnectorProducerDefaults(cm kafka.ConfigMap, connProps map[string]string) {
	conn, _, err := connect.NewSourceConnector(connProps[ConnClass])
	if err != nil {
		return
	}
	pd, ok := conn.(connect.ProducerDefaulter)
	if !ok {
		return
	}
	defaults := pd.ProducerDefaults(connProps)
	if len(defaults) == 0 {
		return
	}
	if err := applyJavaProducerProps(cm, defaults, "connector producer default "); err != nil {
		slog.Warn("ignoring the connector's producer defaults", "connector.class", connProps[ConnClass], "error", err)
	}
}
