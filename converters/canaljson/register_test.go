package canaljson

import (
	"testing"

	"github.com/sluicehq/sluice/connect"
)

func TestRegistered(t *testing.T) {
	for _, name := range []string{Class, "CanalJsonConverter", "CanalJson", "canal-json"} {
		conv, p, err := connect.NewConverter(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.Class != Class {
			t.Errorf("%s resolved to %s", name, p.Class)
		}
		if _, ok := conv.(connect.AppendConverter); !ok {
			t.Errorf("%s is not an AppendConverter", name)
		}
		if _, ok := conv.(connect.Configurable); !ok {
			t.Errorf("%s is not Configurable", name)
		}
		if err := conv.Configure(map[string]string{}, false); err != nil {
			t.Errorf("%s: defaults rejected: %v", name, err)
		}
	}
}
