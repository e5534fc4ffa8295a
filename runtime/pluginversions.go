package runtime

import (
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/connect/pluginversion"
)

// Kafka Connect 4.1 (KIP-891) lets a config pin the version of each plugin
// it names. Sluice has exactly one version of each plugin, the one compiled
// in and listed by GET /connector-plugins, so a requirement is either met by
// that version or by none; Kafka rejects an unmet one, and so do we.
const (
	ConnPluginVersion          = "connector.plugin.version"
	ConnKeyConverterVersion    = "key.converter.plugin.version"
	ConnValueConverterVersion  = "value.converter.plugin.version"
	ConnHeaderConverterVersion = "header.converter.plugin.version"
	pluginVersionSuffix        = "plugin.version"
)

// versionKeyFor names the version key that goes with a plugin class key:
// connector.class, key.converter, transforms.<a>.type, predicates.<a>.type.
func versionKeyFor(classKey string) string {
	switch {
	case classKey == ConnClass:
		return ConnPluginVersion
	case strings.HasSuffix(classKey, ".type"):
		return strings.TrimSuffix(classKey, "type") + pluginVersionSuffix
	}
	return classKey + "." + pluginVersionSuffix
}

// versionSpec checks the form of a *.plugin.version value; whether the
// installed plugin satisfies it is unmetVersion's question.
type versionSpec struct{}

func (versionSpec) Validate(_ string, v any) error {
	s, _ := v.(string)
	if _, err := pluginversion.Parse(s); err != nil {
		return fmt.Errorf("%v; write an exact version such as 1.2.3 or a Maven version range such as [1.0,2.0)", err)
	}
	return nil
}

func (versionSpec) String() string {
	return "latest, an exact version such as 1.2.3, or a Maven version range such as [1.0,2.0)"
}

// unmetVersion is the error for a well-formed spec that p's version does
// not satisfy, and "" otherwise: a malformed spec is versionSpec's to
// report, once.
func unmetVersion(p connect.Plugin, versionKey, spec string) string {
	req, err := pluginversion.Parse(spec)
	have := pluginversion.Of(p.Version)
	if err != nil || req.Allows(have) {
		return ""
	}
	return fmt.Sprintf("no installed version of %s satisfies %s; installed: %s (remove %s, or set it to a version or range that includes %s)",
		p.Class, req, have, versionKey, have)
}

// pluginFor resolves the plugin a class key names, with the type that key
// calls for; ok is false when it names nothing installed.
func pluginFor(classKey, class string) (connect.Plugin, bool) {
	var typ connect.PluginType
	switch {
	case classKey == ConnClass:
		typ = connect.PluginSource
	case classKey == ConnKeyConverter || classKey == ConnValueConverter:
		typ = connect.PluginConverter
	case classKey == ConnHeaderConverter:
		// As NewHeaderConverter: a converter that also handles headers
		// will do.
		if p, err := connect.Lookup(class, connect.PluginHeaderConverter); err == nil {
			return p, true
		}
		typ = connect.PluginConverter
	case strings.HasPrefix(classKey, ConnTransforms+"."):
		typ = connect.PluginTransformation
	case strings.HasPrefix(classKey, ConnPredicates+"."):
		typ = connect.PluginPredicate
	}
	p, err := connect.Lookup(class, typ)
	return p, err == nil
}

// checkPluginVersions refuses a config whose version requirements the
// installed plugins do not meet, so that a stored config (written by a
// Kafka 4.1 cluster, or before a Sluice upgrade changed a plugin) fails its
// connector with the reason instead of silently running another version.
// Converter versions count only where the config names the converter, as
// in Kafka; unresolvable classes and ${…} values are left to the code that
// reports those.
func checkPluginVersions(props map[string]string) error {
	classKeys := []string{ConnClass, ConnKeyConverter, ConnValueConverter, ConnHeaderConverter}
	for _, a := range uniq(connect.SplitList(props[ConnTransforms])) {
		classKeys = append(classKeys, ConnTransforms+"."+a+".type")
	}
	for _, a := range uniq(connect.SplitList(props[ConnPredicates])) {
		classKeys = append(classKeys, ConnPredicates+"."+a+".type")
	}
	for _, ck := range classKeys {
		vk := versionKeyFor(ck)
		spec, class := props[vk], strings.TrimSpace(props[ck])
		if spec == "" || class == "" || HasVariables(spec) || HasVariables(class) {
			continue
		}
		if err := (versionSpec{}).Validate(vk, spec); err != nil {
			return &connect.ConfigError{Name: vk, Value: spec, Message: err.Error()}
		}
		p, ok := pluginFor(ck, class)
		if !ok {
			continue
		}
		if msg := unmetVersion(p, vk, spec); msg != "" {
			return &connect.ConfigError{Name: vk, Value: spec, Message: msg}
		}
	}
	return nil
}

// inheritedConverter is a converter the worker config names, which a
// connector that names none of its own uses, with the worker's version
// requirement for it.
type inheritedConverter struct{ class, version string }

// inheritedConverters are keyed by the connector key they stand in for
// (key.converter, value.converter, header.converter).
type inheritedConverters map[string]inheritedConverter

// inheritedConverters is nil-safe, for validation without a worker.
func (w *WorkerConfig) inheritedConverters() inheritedConverters {
	if w == nil {
		return nil
	}
	return inheritedConverters{
		ConnKeyConverter:    {w.KeyConverter, w.KeyConverterVersion},
		ConnValueConverter:  {w.ValueConverter, w.ValueConverterVersion},
		ConnHeaderConverter: {w.HeaderConverter, w.HeaderConverterVersion},
	}
}

// versionedBaseDef is the base connector def with the defaults and
// recommended values Kafka 4.1 shows in /config/validate: the converter
// keys default to the worker's converters, each version key to the version
// of the plugin in effect (the worker's own requirement for an inherited
// converter), and recommends the installed version.
func versionedBaseDef(props map[string]string, conn connect.Plugin, inh inheritedConverters) *connect.ConfigDef {
	def := connect.NewConfigDef()
	for _, k := range baseConnectorDef.Keys() {
		switch k.Name {
		case ConnPluginVersion:
			v := pluginversion.Of(conn.Version)
			k.Default, k.Recommended = v, []string{v}
		case ConnKeyConverter, ConnValueConverter, ConnHeaderConverter:
			if w := inh[k.Name]; w.class != "" {
				k.Default = w.class
			}
		case ConnKeyConverterVersion, ConnValueConverterVersion, ConnHeaderConverterVersion:
			classKey := strings.TrimSuffix(k.Name, "."+pluginVersionSuffix)
			class, spec := strings.TrimSpace(props[classKey]), ""
			if class == "" {
				class, spec = inh[classKey].class, inh[classKey].version
			}
			if p, ok := pluginFor(classKey, class); ok && class != "" {
				v := pluginversion.Of(p.Version)
				k.Default, k.Recommended = v, []string{v}
				if spec != "" {
					k.Default = spec
				}
			}
		}
		def.Define(k)
	}
	return def
}
