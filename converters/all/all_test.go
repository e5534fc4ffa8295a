package all

import (
	"testing"

	"github.com/sluicehq/sluice/connect"
)

// Kafka's built-in converter names resolve once this package is imported.
func TestKafkaConvertersRegistered(t *testing.T) {
	for _, class := range []string{
		"org.apache.kafka.connect.json.JsonConverter",
		"org.apache.kafka.connect.storage.StringConverter",
		"org.apache.kafka.connect.converters.ByteArrayConverter",
		"org.apache.kafka.connect.converters.BooleanConverter",
		"org.apache.kafka.connect.converters.ShortConverter",
		"org.apache.kafka.connect.converters.IntegerConverter",
		"org.apache.kafka.connect.converters.LongConverter",
		"org.apache.kafka.connect.converters.FloatConverter",
		"org.apache.kafka.connect.converters.DoubleConverter",
	} {
		c, p, err := connect.NewConverter(class)
		if err != nil {
			t.Errorf("%s: %v", class, err)
			continue
		}
		if _, ok := c.(connect.Configurable); !ok {
			t.Errorf("%s has no ConfigDef", class)
		}
		if _, ok := c.(connect.AppendConverter); !ok {
			t.Errorf("%s has no append fast path", class)
		}
		if p.Version == "" {
			t.Errorf("%s has no version", class)
		}
	}
	if _, _, err := connect.NewHeaderConverter("org.apache.kafka.connect.storage.SimpleHeaderConverter"); err != nil {
		t.Error(err)
	}
	for _, alias := range []string{"json", "string", "bytearray", "JsonConverter", "Integer"} {
		if _, _, err := connect.NewConverter(alias); err != nil {
			t.Errorf("alias %s: %v", alias, err)
		}
	}
}
