package all

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/connectors/mysql"
)

// TestExampleConnectorConfigs: every MySQL connector config in
// examples/connectors parses, and its key and value converters take
// their key.converter.* / value.converter.* settings, so the examples the
// README points users to stay valid.
func TestExampleConnectorConfigs(t *testing.T) {
	files, err := filepath.Glob("../../examples/connectors/mysql-*.json")
	if err != nil || len(files) < 6 {
		t.Fatalf("examples: %v %v", files, err)
	}
	env := regexp.MustCompile(`\$\{env:[^}]+\}`)
	for _, f := range files {
		name := filepath.Base(f)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Config map[string]string `json:"config"`
		}
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		props := map[string]string{}
		for k, v := range c.Config {
			props[k] = env.ReplaceAllString(v, "x")
		}
		if _, err := mysql.ParseOptions(props); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		for _, side := range []string{"key.converter", "value.converter"} {
			class, ok := props[side]
			if !ok {
				continue
			}
			conv, _, err := connect.NewConverter(class)
			if err != nil {
				t.Errorf("%s: %s: %v", name, side, err)
				continue
			}
			settings := map[string]string{}
			for k, v := range props {
				if p, ok := strings.CutPrefix(k, side+"."); ok {
					settings[p] = v
				}
			}
			if err := conv.Configure(settings, side == "key.converter"); err != nil {
				t.Errorf("%s: %s: %v", name, side, err)
			}
		}
	}
}
