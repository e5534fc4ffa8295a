package runtime

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/rest"
)

// Versioned test plugins, each with one config key of its own so a test can
// see whether validation looked at the plugin.
const (
	versionedConverterClass = "sluice.runtimetest.VersionedConverter"
	versionedHeaderClass    = "sluice.runtimetest.VersionedHeaderConverter"
	versionedTransformClass = "sluice.runtimetest.VersionedTransform"
	versionedPredicateClass = "sluice.runtimetest.VersionedPredicate"
	pluginsVersion          = "2.5.0"
)

func init() {
	connect.Register(connect.Plugin{Class: versionedConverterClass, Type: connect.PluginConverter, Version: pluginsVersion, New: func() any { return &versionedConverter{} }})
	connect.Register(connect.Plugin{Class: versionedHeaderClass, Type: connect.PluginHeaderConverter, Version: pluginsVersion, New: func() any { return &versionedHeaders{} }})
	connect.Register(connect.Plugin{Class: versionedTransformClass, Type: connect.PluginTransformation, Version: pluginsVersion, New: func() any { return versionedTransform{} }})
	connect.Register(connect.Plugin{Class: versionedPredicateClass, Type: connect.PluginPredicate, Version: pluginsVersion, New: func() any { return versionedPredicate{} }})
}

func ownKeyDef(name string) *connect.ConfigDef {
	return connect.NewConfigDef().Define(connect.ConfigKey{Name: name, Type: connect.ConfigString, Default: "x", Doc: "A key of the plugin's own."})
}

type versionedConverter struct{ stringBytes }

func (versionedConverter) Config() *connect.ConfigDef { return ownKeyDef("conv.own") }

type versionedHeaders struct{ stringHeaders }

func (versionedHeaders) Config() *connect.ConfigDef { return ownKeyDef("hdr.own") }

type versionedTransform struct{ failOdd }

func (versionedTransform) Config() *connect.ConfigDef { return ownKeyDef("smt.own") }

type versionedPredicate struct{}

func (versionedPredicate) Config() *connect.ConfigDef        { return ownKeyDef("pred.own") }
func (versionedPredicate) Configure(map[string]string) error { return nil }
func (versionedPredicate) Test(*connect.SourceRecord) bool   { return true }
func (versionedPredicate) Close() error                      { return nil }

func configInfo(infos rest.ConfigInfos, name string) (rest.ConfigInfo, bool) {
	for _, c := range infos.Configs {
		if c.Value.Name == name {
			return c, true
		}
	}
	return rest.ConfigInfo{}, false
}

func unmetMsg(class, spec, have, key string) string {
	return "no installed version of " + class + " satisfies " + spec + "; installed: " + have +
		" (remove " + key + ", or set it to a version or range that includes " + have + ")"
}

// Every kind of *.plugin.version key: a spec the installed plugin meets is
// accepted, an unmet one is reported on the plugin key and its version key
// (and the plugin's own keys are not validated), a malformed one on the
// version key.
func TestValidatePluginVersions(t *testing.T) {
	withConv := func(key, class string, extra map[string]string) map[string]string {
		c := validConfig(map[string]string{key: class})
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	smt := func(extra map[string]string) map[string]string {
		return withConv("transforms", "a", mergeMaps(map[string]string{"transforms.a.type": versionedTransformClass}, extra))
	}
	pred := func(extra map[string]string) map[string]string {
		return withConv("predicates", "p", mergeMaps(map[string]string{"predicates.p.type": versionedPredicateClass}, extra))
	}
	tests := []struct {
		name string
		cfg  map[string]string
		// errs maps each key with errors to the one error it must carry.
		errs map[string]string
		// present and absent are keys the answer must and must not list.
		present, absent []string
	}{
		{name: "connector exact", cfg: validConfig(map[string]string{"connector.plugin.version": "1.0"}), present: []string{"topic"}},
		{name: "connector range", cfg: validConfig(map[string]string{"connector.plugin.version": "[1.0,2.0)"}), present: []string{"topic"}},
		{name: "connector latest", cfg: validConfig(map[string]string{"connector.plugin.version": "latest"})},
		{name: "connector union", cfg: validConfig(map[string]string{"connector.plugin.version": "(,0.5],[0.9,1.1)"})},
		{name: "connector unmet", cfg: validConfig(map[string]string{"connector.plugin.version": "[2.0,3.0)"}),
			errs: map[string]string{
				"connector.class":          unmetMsg(testSourceClass, "[2.0,3.0)", "1.0", "connector.plugin.version"),
				"connector.plugin.version": unmetMsg(testSourceClass, "[2.0,3.0)", "1.0", "connector.plugin.version"),
			},
			absent: []string{"topic"}}, // the connector's keys: there is no such connector to ask
		{name: "connector exact unmet", cfg: validConfig(map[string]string{"connector.plugin.version": "1.0.1"}),
			errs: map[string]string{"connector.class": unmetMsg(testSourceClass, "1.0.1", "1.0", "connector.plugin.version"),
				"connector.plugin.version": unmetMsg(testSourceClass, "1.0.1", "1.0", "connector.plugin.version")}},

		{name: "key converter met", cfg: withConv("key.converter", versionedConverterClass, map[string]string{"key.converter.plugin.version": "[2,3)"}),
			present: []string{"key.converter.conv.own"}},
		{name: "key converter unmet", cfg: withConv("key.converter", versionedConverterClass, map[string]string{"key.converter.plugin.version": "(,2.5.0)"}),
			errs: map[string]string{
				"key.converter":                unmetMsg(versionedConverterClass, "(,2.5.0)", "2.5.0", "key.converter.plugin.version"),
				"key.converter.plugin.version": unmetMsg(versionedConverterClass, "(,2.5.0)", "2.5.0", "key.converter.plugin.version"),
			},
			absent: []string{"key.converter.conv.own"}},
		{name: "value converter malformed", cfg: withConv("value.converter", versionedConverterClass, map[string]string{"value.converter.plugin.version": "[2.0"}),
			errs:   map[string]string{"value.converter.plugin.version": "Invalid value [2.0 for configuration value.converter.plugin.version: range [2.0 has no closing ] or ); write an exact version such as 1.2.3 or a Maven version range such as [1.0,2.0)"},
			absent: []string{"value.converter.conv.own"}},
		{name: "header converter unmet", cfg: withConv("header.converter", versionedHeaderClass, map[string]string{"header.converter.plugin.version": "3.0"}),
			errs: map[string]string{
				"header.converter":                unmetMsg(versionedHeaderClass, "3.0", "2.5.0", "header.converter.plugin.version"),
				"header.converter.plugin.version": unmetMsg(versionedHeaderClass, "3.0", "2.5.0", "header.converter.plugin.version"),
			}},
		{name: "unversioned converter matches undefined", cfg: withConv("value.converter", testConverterClass, map[string]string{"value.converter.plugin.version": "undefined"})},
		// As in Kafka, a converter version counts only with the converter
		// class it goes with; the worker's converter is not checked here.
		{name: "converter version without converter", cfg: validConfig(map[string]string{"key.converter.plugin.version": "[9,10)"})},

		{name: "transform met", cfg: smt(map[string]string{"transforms.a.plugin.version": pluginsVersion}), present: []string{"transforms.a.smt.own"}},
		{name: "transform unmet", cfg: smt(map[string]string{"transforms.a.plugin.version": "[1,2)"}),
			errs: map[string]string{
				"transforms.a.type":           unmetMsg(versionedTransformClass, "[1,2)", "2.5.0", "transforms.a.plugin.version"),
				"transforms.a.plugin.version": unmetMsg(versionedTransformClass, "[1,2)", "2.5.0", "transforms.a.plugin.version"),
			},
			present: []string{"transforms.a.predicate"}, absent: []string{"transforms.a.smt.own"}},
		{name: "transform malformed", cfg: smt(map[string]string{"transforms.a.plugin.version": "[2,1]"}),
			errs: map[string]string{"transforms.a.plugin.version": "Invalid value [2,1] for configuration transforms.a.plugin.version: [2,1]: the lower bound 2 is above the upper bound 1; write an exact version such as 1.2.3 or a Maven version range such as [1.0,2.0)"}},

		{name: "predicate met", cfg: pred(map[string]string{"predicates.p.plugin.version": "[2.5,)"}), present: []string{"predicates.p.pred.own"}},
		{name: "predicate unmet", cfg: pred(map[string]string{"predicates.p.plugin.version": "2.4"}),
			errs: map[string]string{
				"predicates.p.type":           unmetMsg(versionedPredicateClass, "2.4", "2.5.0", "predicates.p.plugin.version"),
				"predicates.p.plugin.version": unmetMsg(versionedPredicateClass, "2.4", "2.5.0", "predicates.p.plugin.version"),
			},
			absent: []string{"predicates.p.pred.own"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := validateConnectorConfig(context.Background(), tt.cfg, PolicyAll, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			for key, msg := range tt.errs {
				want++
				c, _ := configInfo(v.infos, key)
				if !slices.Equal(c.Value.Errors, []string{msg}) {
					t.Errorf("%s errors = %q\nwant [%q]", key, c.Value.Errors, msg)
				}
			}
			if v.infos.ErrorCount != want {
				t.Errorf("error_count = %d, want %d: %q", v.infos.ErrorCount, want, v.errors)
			}
			for _, k := range tt.present {
				if _, ok := configInfo(v.infos, k); !ok {
					t.Errorf("%s missing from the answer", k)
				}
			}
			for _, k := range tt.absent {
				if _, ok := configInfo(v.infos, k); ok {
					t.Errorf("%s listed, want it left out", k)
				}
			}
		})
	}
}

func mergeMaps(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// A malformed connector version is Kafka 4.1's 400, not a validation error:
// without it Kafka cannot pick the connector to validate against.
func TestValidateMalformedConnectorVersion(t *testing.T) {
	_, err := validateConnectorConfig(context.Background(), validConfig(map[string]string{"connector.plugin.version": "(1.0)"}), PolicyAll, nil)
	want := "Invalid value (1.0) for configuration connector.plugin.version: (1.0): a single version must be enclosed in [ ], as in [1.0]; write an exact version such as 1.2.3 or a Maven version range such as [1.0,2.0)"
	if rest.StatusOf(err) != 400 || err.Error() != want {
		t.Errorf("got %d %v\nwant 400 %s", rest.StatusOf(err), err, want)
	}
}

// The unmet-version 400 of a create names the key, the installed version
// and the fix.
func TestInvalidConfigMessageForVersion(t *testing.T) {
	v, err := validateConnectorConfig(context.Background(), validConfig(map[string]string{"connector.plugin.version": "[2.0,3.0)"}), PolicyAll, nil)
	if err != nil {
		t.Fatal(err)
	}
	msg := invalidConfigError(v, testSourceClass).Error()
	line := "connector.plugin.version: " + unmetMsg(testSourceClass, "[2.0,3.0)", "1.0", "connector.plugin.version")
	if !strings.Contains(msg, "contains the following 2 error(s)") || !strings.Contains(msg, "\n"+line+"\n") {
		t.Errorf("message %q\nlacks %q", msg, line)
	}
}

// The version keys appear in /config/validate as Kafka 4.1 shows them:
// STRING keys in the plugin's group right after its class key, defaulting
// to and recommending the installed version.
func TestValidateShowsVersionKeys(t *testing.T) {
	cfg := validConfig(map[string]string{
		"value.converter": versionedConverterClass,
		"transforms":      "a", "transforms.a.type": versionedTransformClass,
		"predicates": "p", "predicates.p.type": versionedPredicateClass,
	})
	inh := inheritedConverters{
		ConnKeyConverter:    {class: versionedConverterClass},
		ConnValueConverter:  {class: testConverterClass},
		ConnHeaderConverter: {class: versionedHeaderClass, version: "[2,3)"},
	}
	v, err := validateConnectorConfig(context.Background(), cfg, PolicyAll, inh)
	if err != nil {
		t.Fatal(err)
	}
	if v.infos.ErrorCount != 0 {
		t.Fatalf("errors: %q", v.errors)
	}
	type shape struct {
		group      string
		order      int
		importance string
		def, value string
		recommend  []string
	}
	want := map[string]shape{
		"connector.plugin.version": {"Common", 3, "MEDIUM", "1.0", "1.0", []string{"1.0"}},
		// inherited from the worker: its converter, at its version
		"key.converter.plugin.version": {"Common", 7, "LOW", pluginsVersion, pluginsVersion, []string{pluginsVersion}},
		// named by the connector: that converter's version
		"value.converter.plugin.version": {"Common", 9, "LOW", pluginsVersion, pluginsVersion, []string{pluginsVersion}},
		// inherited, with the worker's own requirement as the default
		"header.converter.plugin.version": {"Common", 11, "LOW", "[2,3)", "[2,3)", []string{pluginsVersion}},
		"transforms.a.plugin.version":     {"Transforms: a", 1, "HIGH", pluginsVersion, pluginsVersion, []string{pluginsVersion}},
		"predicates.p.plugin.version":     {"Predicates: p", 1, "HIGH", pluginsVersion, pluginsVersion, []string{pluginsVersion}},
	}
	for key, w := range want {
		c, ok := configInfo(v.infos, key)
		if !ok || c.Definition == nil {
			t.Errorf("%s missing or without a definition", key)
			continue
		}
		d := c.Definition
		got := shape{*d.Group, d.Order, d.Importance, *d.DefaultValue, *c.Value.Value, c.Value.RecommendedValues}
		if d.Type != "STRING" || d.Required || got.group != w.group || got.order != w.order || got.importance != w.importance ||
			got.def != w.def || got.value != w.value || !slices.Equal(got.recommend, w.recommend) {
			t.Errorf("%s = %+v (type %s), want %+v", key, got, d.Type, w)
		}
	}
	if c, _ := configInfo(v.infos, "key.converter"); *c.Definition.DefaultValue != versionedConverterClass {
		t.Errorf("key.converter default = %q, want the worker's converter", *c.Definition.DefaultValue)
	}
	// Kafka's order within an alias group: type, version, then the rest.
	for _, k := range []string{"transforms.a.predicate", "transforms.a.negate", "transforms.a.smt.own", "predicates.p.pred.own"} {
		if c, ok := configInfo(v.infos, k); !ok || c.Definition.Order < 2 {
			t.Errorf("%s comes before the version key: %+v", k, c.Definition)
		}
	}
}

func TestPluginConfigVersion(t *testing.T) {
	for _, spec := range []string{"", "latest", "1.0", "[1.0]", "[1.0,2.0)", "(,1.0]", "[0.1,0.2),[0.9,)"} {
		keys, err := pluginConfig("CountingSource", spec)
		if err != nil {
			t.Errorf("version=%q: %v", spec, err)
			continue
		}
		i := slices.IndexFunc(keys, func(k rest.ConfigKeyInfo) bool { return k.Name == "connector.plugin.version" })
		if i < 0 || keys[i].DefaultValue == nil || *keys[i].DefaultValue != "1.0" {
			t.Errorf("version=%q: connector.plugin.version not listed with the installed version as default", spec)
		}
	}
	_, err := pluginConfig("CountingSource", "[2.0,)")
	if want := "no installed version of " + testSourceClass + " satisfies [2.0,); installed: 1.0 (leave out version= or use a range that includes 1.0)"; rest.StatusOf(err) != 400 || err.Error() != want {
		t.Errorf("unmet: %d %v\nwant 400 %s", rest.StatusOf(err), err, want)
	}
	_, err = pluginConfig("CountingSource", "[1.0")
	if rest.StatusOf(err) != 400 || !strings.HasPrefix(err.Error(), "Invalid version specification: [1.0 (range [1.0 has no closing ] or );") {
		t.Errorf("malformed: %d %v", rest.StatusOf(err), err)
	}
	// Plugins that report no version are "undefined", as in Kafka.
	if _, err := pluginConfig(testConverterClass, "undefined"); err != nil {
		t.Errorf("undefined version: %v", err)
	}
	if _, err := pluginConfig(versionedTransformClass, "[2,3)"); err != nil {
		t.Errorf("transform: %v", err)
	}
}

// A stored config whose requirement the installed plugins no longer meet
// (written by a Kafka 4.1 cluster, or before an upgrade) fails to start
// with the key and the reason.
func TestParseConnectorConfigChecksVersions(t *testing.T) {
	tests := []struct {
		name string
		cfg  map[string]string
		err  string
	}{
		{"met", validConfig(map[string]string{"connector.plugin.version": "1.0", "transforms": "a", "transforms.a.type": versionedTransformClass, "transforms.a.plugin.version": "2.5"}), ""},
		{"variable left alone", validConfig(map[string]string{"connector.plugin.version": "${file:/v.properties:v}"}), ""},
		{"connector", validConfig(map[string]string{"connector.plugin.version": "2.0"}),
			"Invalid value 2.0 for configuration connector.plugin.version: " + unmetMsg(testSourceClass, "2.0", "1.0", "connector.plugin.version")},
		{"value converter", validConfig(map[string]string{"value.converter": versionedConverterClass, "value.converter.plugin.version": "[3,)"}),
			"Invalid value [3,) for configuration value.converter.plugin.version: " + unmetMsg(versionedConverterClass, "[3,)", "2.5.0", "value.converter.plugin.version")},
		{"predicate", validConfig(map[string]string{"predicates": "p", "predicates.p.type": versionedPredicateClass, "predicates.p.plugin.version": "1"}),
			"Invalid value 1 for configuration predicates.p.plugin.version: " + unmetMsg(versionedPredicateClass, "1", "2.5.0", "predicates.p.plugin.version")},
		{"malformed transform version", validConfig(map[string]string{"transforms": "a", "transforms.a.type": versionedTransformClass, "transforms.a.plugin.version": "[1,"}),
			"Invalid value [1, for configuration transforms.a.plugin.version: range [1, has no closing ] or ); write an exact version such as 1.2.3 or a Maven version range such as [1.0,2.0)"},
	}
	for _, tt := range tests {
		_, err := ParseConnectorConfig(tt.cfg)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.err {
			t.Errorf("%s: error %q\nwant %q", tt.name, got, tt.err)
		}
	}
}

func TestWorkerConverterVersions(t *testing.T) {
	props := func(extra map[string]string) map[string]string {
		return mergeMaps(map[string]string{"bootstrap.servers": "localhost:9092", "key.converter": versionedConverterClass, "value.converter": testConverterClass}, extra)
	}
	wc, err := ParseWorkerConfig(props(map[string]string{"key.converter.plugin.version": "[2,3)", "value.converter.plugin.version": "undefined"}))
	if err != nil {
		t.Fatal(err)
	}
	if wc.KeyConverterVersion != "[2,3)" || wc.inheritedConverters()[ConnKeyConverter].version != "[2,3)" {
		t.Errorf("key converter version not kept: %+v", wc)
	}
	_, err = ParseWorkerConfig(props(map[string]string{"key.converter.plugin.version": "3.0"}))
	if want := "worker config: key.converter.plugin.version: " + unmetMsg(versionedConverterClass, "3.0", "2.5.0", "key.converter.plugin.version"); err == nil || err.Error() != want {
		t.Errorf("unmet: %v\nwant %s", err, want)
	}
	if _, err := ParseWorkerConfig(props(map[string]string{"value.converter.plugin.version": "(2"})); err == nil || !strings.Contains(err.Error(), "value.converter.plugin.version") {
		t.Errorf("malformed: %v, want an error naming the key", err)
	}
}
