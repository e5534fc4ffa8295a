package runtime

import (
	"context"
	"testing"

	"github.com/sluicehq/sluice/connect"
)

type defaultingConnector struct{}

func (defaultingConnector) Version() string                              { return "1" }
func (defaultingConnector) Config() *connect.ConfigDef                   { return connect.NewConfigDef() }
func (defaultingConnector) NewTask() connect.SourceTask                  { return nil }
func (defaultingConnector) Stop() error                                  { return nil }
func (defaultingConnector) TaskConfigs(int) ([]map[string]string, error) { return nil, nil }
func (defaultingConnector) Start(context.Context, connect.ConnectorContext, map[string]string) error {
	return nil
}
func (defaultingConnector) ProducerDefaults(props map[string]string) map[string]string {
	return map[string]string{"compression.type": props["codec"], "acks": "1", "max.request.size": "2000000"}
}

func init() {
	connect.Register(connect.Plugin{Class: "test.ProducerDefaultingConnector", Type: connect.PluginSource, Version: "1",
		New: func() any { return defaultingConnector{} }})
}

// The connector's defaults apply over the runtime's, under the worker's
// producer.* and the connector's producer.override.*.
func TestConnectorProducerDefaults(t *testing.T) {
	cases := []struct {
		worker, conn map[string]string
		want         map[string]any
	}{
		{nil, nil, map[string]any{"compression.type": "zstd", "acks": "1", "message.max.bytes": "2000000"}},
		{map[string]string{"producer.compression.type": "gzip"}, nil, map[string]any{"compression.type": "gzip", "acks": "1"}},
		{map[string]string{"producer.acks": "all"}, map[string]string{"producer.override.acks": "0"}, map[string]any{"acks": "0", "compression.type": "zstd"}},
	}
	for i, c := range cases {
		wprops := map[string]string{"connector.client.config.override.policy": "All"}
		for k, v := range c.worker {
			wprops[k] = v
		}
		w := testWorkerConfig(t, wprops)
		props := map[string]string{ConnClass: "test.ProducerDefaultingConnector", "codec": "zstd"}
		for k, v := range c.conn {
			props[k] = v
		}
		cm, err := producerConfig(w, props, "c", 0)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range c.want {
			if got := cm[k]; got != v {
				t.Errorf("case %d: %s = %v, want %v", i, k, got, v)
			}
		}
	}
}
