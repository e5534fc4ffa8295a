package runtime

import (
	"context"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/rest"
)

func validConfig(extra map[string]string) map[string]string {
	c := map[string]string{"name": "c1", "connector.class": testSourceClass, "topic": "t"}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

func TestValidateConnectorConfig(t *testing.T) {
	tests := []struct {
		name       string
		config     map[string]string
		policy     string
		wantErrors int
		errorKeys  []string
	}{
		{"valid", validConfig(nil), PolicyAll, 0, nil},
		{"alias of the class", validConfig(map[string]string{"connector.class": "CountingSource"}), PolicyAll, 0, nil},
		{"missing connector key", validConfig(map[string]string{"topic": ""}), PolicyAll, 0, nil},
		{"connector key absent", map[string]string{"name": "c1", "connector.class": testSourceClass}, PolicyAll, 1, []string{"topic"}},
		{"bad tasks.max and tolerance", validConfig(map[string]string{"tasks.max": "0", "errors.tolerance": "some"}), PolicyAll, 2, []string{"tasks.max", "errors.tolerance"}},
		{"connector validator", validConfig(map[string]string{"topic": "forbidden"}), PolicyAll, 1, []string{"topic"}},
		{"unknown transform type", validConfig(map[string]string{"transforms": "a", "transforms.a.type": "NoSuchTransform"}), PolicyAll, 1, []string{"transforms.a.type"}},
		{"transform without type", validConfig(map[string]string{"transforms": "a"}), PolicyAll, 1, []string{"transforms.a.type"}},
		{"duplicate transform alias", validConfig(map[string]string{"transforms": "a,a", "transforms.a.type": "NoSuch"}), PolicyAll, 2, []string{"transforms", "transforms.a.type"}},
		{"undefined predicate and negate", validConfig(map[string]string{"transforms": "a", "transforms.a.type": "NoSuch", "transforms.a.predicate": "p"}), PolicyAll, 2, []string{"transforms.a.type", "transforms.a.predicate"}},
		{"predicate without type", validConfig(map[string]string{"predicates": "p"}), PolicyAll, 1, []string{"predicates.p.type"}},
		{"unknown converter", validConfig(map[string]string{"value.converter": "NoSuchConverter"}), PolicyAll, 1, []string{"value.converter"}},
		{"known converter", validConfig(map[string]string{"value.converter": testConverterClass}), PolicyAll, 0, nil},
		{"override under None", validConfig(map[string]string{"producer.override.linger.ms": "5"}), PolicyNone, 1, []string{"producer.override.linger.ms"}},
		{"override under All", validConfig(map[string]string{"producer.override.linger.ms": "5"}), PolicyAll, 0, nil},
		{"producer client", validConfig(map[string]string{"producer.override.sluice.client": "librdkafka"}), PolicyAll, 0, nil},
		{"unknown producer client", validConfig(map[string]string{"producer.override.sluice.client": "kafka-go"}), PolicyAll, 1, []string{"producer.override.sluice.client"}},
		{"topic creation needs defaults", validConfig(map[string]string{"topic.creation.groups": "g"}), PolicyAll, 2, []string{"topic.creation.default.replication.factor", "topic.creation.default.partitions"}},
		{"topic creation complete", validConfig(map[string]string{"topic.creation.default.replication.factor": "-1", "topic.creation.default.partitions": "3"}), PolicyAll, 0, nil},
		{"bad name", validConfig(map[string]string{"name": "a\x01b"}), PolicyAll, 1, []string{"name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := validateConnectorConfig(context.Background(), tt.config, tt.policy, nil)
			if err != nil {
				t.Fatal(err)
			}
			if v.infos.ErrorCount != tt.wantErrors {
				t.Fatalf("error_count = %d, want %d; errors: %q", v.infos.ErrorCount, tt.wantErrors, v.errors)
			}
			for _, k := range tt.errorKeys {
				if !hasError(v.infos, k) {
					t.Errorf("no error on %s; errors: %q", k, v.errors)
				}
			}
			if v.infos.Name != tt.config["connector.class"] {
				t.Errorf("name = %q, want the connector.class value", v.infos.Name)
			}
		})
	}
}

func hasError(infos rest.ConfigInfos, key string) bool {
	for _, c := range infos.Configs {
		if c.Value.Name == key && len(c.Value.Errors) > 0 {
			return true
		}
	}
	return false
}

func TestValidateShape(t *testing.T) {
	v, err := validateConnectorConfig(context.Background(), validConfig(map[string]string{"db.pw": "s3cret"}), PolicyAll, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantGroups := []string{"Common", "Transforms", "Predicates", "Error Handling", "Topic Creation", "Exactly Once Support", "offsets.topic", "Counting"}
	if strings.Join(v.infos.Groups, ",") != strings.Join(wantGroups, ",") {
		t.Errorf("groups = %v, want %v", v.infos.Groups, wantGroups)
	}
	byName := map[string]rest.ConfigInfo{}
	for _, c := range v.infos.Configs {
		if _, dup := byName[c.Value.Name]; dup {
			t.Errorf("%s listed twice", c.Value.Name)
		}
		byName[c.Value.Name] = c
	}
	tm := byName["tasks.max"]
	if tm.Definition == nil || tm.Definition.Type != "INT" || *tm.Definition.DefaultValue != "1" || *tm.Value.Value != "1" || *tm.Definition.Group != "Common" {
		t.Errorf("tasks.max = %+v / %+v", tm.Definition, tm.Value)
	}
	if pw := byName["db.pw"]; pw.Value.Value == nil || *pw.Value.Value != "[hidden]" {
		t.Errorf("password value not hidden: %+v", pw.Value)
	}
	if byName["name"].Definition == nil || !byName["name"].Definition.Required {
		t.Error("name is not required")
	}

	if _, err := validateConnectorConfig(context.Background(), map[string]string{"name": "x"}, PolicyAll, nil); rest.StatusOf(err) != 400 {
		t.Errorf("no connector.class: status %d (%v), want 400", rest.StatusOf(err), err)
	}
	if _, err := validateConnectorConfig(context.Background(), map[string]string{"connector.class": "Nope"}, PolicyAll, nil); rest.StatusOf(err) != 400 || !strings.Contains(err.Error(), "Nope") {
		t.Errorf("unknown class: %v, want a 400 naming it", err)
	}
}

func TestInvalidConfigMessage(t *testing.T) {
	v, _ := validateConnectorConfig(context.Background(), validConfig(map[string]string{"tasks.max": "0"}), PolicyAll, nil)
	err := invalidConfigError(v, testSourceClass)
	want := "Connector configuration is invalid and contains the following 1 error(s):\ntasks.max: Invalid value 0 for configuration tasks.max: Value must be at least 1\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`"
	if err.Error() != want || rest.StatusOf(err) != 400 {
		t.Errorf("got %d %q\nwant %q", rest.StatusOf(err), err.Error(), want)
	}
}

func TestPluginConfig(t *testing.T) {
	keys, err := pluginConfig("CountingSource", "")
	if err != nil {
		t.Fatal(err)
	}
	if keys[0].Name != "topic" || len(keys) != len(countingDef.Keys())+len(baseConnectorDef.Keys()) {
		t.Errorf("got %d keys starting with %s", len(keys), keys[0].Name)
	}
	if _, err := pluginConfig("Nope", ""); rest.StatusOf(err) != 404 || err.Error() != "Unknown plugin Nope." {
		t.Errorf("unknown plugin: %v", err)
	}
}
