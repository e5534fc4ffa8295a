package runtime

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/connect/pluginversion"
	"github.com/sluicehq/sluice/rest"
)

// validation is the full validation of one connector config.
type validation struct {
	infos rest.ConfigInfos
	// errors lists every message, prefixed by its key, for the 400 answer.
	errors []string
}

// enrichedDef returns the base def (versionedBaseDef) plus the keys of
// every transform, predicate and topic creation group the config names,
// with problems found while resolving their plugins keyed by config name.
func enrichedDef(props map[string]string, conn connect.Plugin, inh inheritedConverters) (*connect.ConfigDef, map[string][]string) {
	def := versionedBaseDef(props, conn, inh)
	extra := map[string][]string{}
	add := func(name, msg string) { extra[name] = append(extra[name], msg) }

	predAliases := uniq(connect.SplitList(props[ConnPredicates]))
	definedPred := map[string]bool{}
	for _, a := range predAliases {
		definedPred[a] = true
	}

	for _, alias := range uniq(connect.SplitList(props[ConnTransforms])) {
		prefix := ConnTransforms + "." + alias + "."
		group := groupTransforms + ": " + alias
		typeKey := prefix + "type"
		def.Define(connect.ConfigKey{Name: typeKey, Type: connect.ConfigClass, Required: true, Importance: connect.High, Group: group, OrderInGroup: 0, Width: connect.WidthLong,
			DisplayName: "Transformation type for " + alias, Doc: "Class for the '" + alias + "' transformation."})
		versionKey := defineVersionKey(def, props, typeKey, "transformation", alias, group)
		def.Define(connect.ConfigKey{Name: prefix + "predicate", Type: connect.ConfigString, Default: "", Importance: connect.Medium, Group: group, OrderInGroup: 2, Width: connect.WidthLong,
			DisplayName: "Transformation predicate for " + alias, Doc: "The alias of a predicate used to determine whether to apply this transformation."})
		def.Define(connect.ConfigKey{Name: prefix + "negate", Type: connect.ConfigBoolean, Default: "false", Importance: connect.Medium, Group: group, OrderInGroup: 3, Width: connect.WidthShort,
			DisplayName: "Negate the predicate for " + alias, Doc: "Whether the configured predicate should be negated."})
		if p := strings.TrimSpace(props[prefix+"predicate"]); p != "" && !definedPred[p] {
			add(prefix+"predicate", fmt.Sprintf("Invalid value %s for configuration %s: the predicate %q is not listed in %s", p, prefix+"predicate", p, ConnPredicates))
		}
		if strings.EqualFold(strings.TrimSpace(props[prefix+"negate"]), "true") && strings.TrimSpace(props[prefix+"predicate"]) == "" {
			add(prefix+"negate", fmt.Sprintf("Invalid value true for configuration %s: negate requires %s to name a predicate", prefix+"negate", prefix+"predicate"))
		}
		cls := strings.TrimSpace(props[typeKey])
		if cls == "" {
			continue // the required-key check reports it
		}
		t, tp, err := connect.NewTransformation(cls)
		if err != nil {
			add(typeKey, fmt.Sprintf("Invalid value %s for configuration %s: %v", cls, typeKey, err))
			continue
		}
		// As for connectors and converters, an unmet version is reported
		// on both keys; the plugin's own keys, those of a version that is
		// not installed, are left out.
		if msg := unmetVersion(tp, versionKey, props[versionKey]); msg != "" {
			add(typeKey, msg)
			add(versionKey, msg)
			t.Close()
			continue
		}
		embed(def, t.Config(), prefix, group, 4)
		t.Close()
	}
	for _, alias := range predAliases {
		prefix := ConnPredicates + "." + alias + "."
		group := groupPredicates + ": " + alias
		typeKey := prefix + "type"
		def.Define(connect.ConfigKey{Name: typeKey, Type: connect.ConfigClass, Required: true, Importance: connect.High, Group: group, Width: connect.WidthLong,
			DisplayName: "Predicate type for " + alias, Doc: "Class for the '" + alias + "' predicate."})
		versionKey := defineVersionKey(def, props, typeKey, "predicate", alias, group)
		cls := strings.TrimSpace(props[typeKey])
		if cls == "" {
			continue
		}
		p, pp, err := connect.NewPredicate(cls)
		if err != nil {
			add(typeKey, fmt.Sprintf("Invalid value %s for configuration %s: %v", cls, typeKey, err))
			continue
		}
		if msg := unmetVersion(pp, versionKey, props[versionKey]); msg != "" {
			add(typeKey, msg)
			add(versionKey, msg)
			p.Close()
			continue
		}
		embed(def, p.Config(), prefix, group, 2)
		p.Close()
	}
	enrichTopicCreation(def, props, add)
	return def, extra
}

// defineVersionKey declares the KIP-891 version key of a transform or
// predicate alias, right after its type key, defaulting to and recommending
// the installed version of the plugin the type names.
func defineVersionKey(def *connect.ConfigDef, props map[string]string, typeKey, kind, alias, group string) string {
	name := versionKeyFor(typeKey)
	k := connect.ConfigKey{Name: name, Type: connect.ConfigString, Default: "", Validator: versionSpec{}, Importance: connect.High, Group: group, OrderInGroup: 1, Width: connect.WidthLong,
		DisplayName: strings.ToUpper(kind[:1]) + kind[1:] + " version for " + alias, Doc: "Version of the '" + alias + "' " + kind + "."}
	if p, ok := pluginFor(typeKey, strings.TrimSpace(props[typeKey])); ok {
		v := pluginversion.Of(p.Version)
		k.Default, k.Recommended = v, []string{v}
	}
	def.Define(k)
	return name
}

func enrichTopicCreation(def *connect.ConfigDef, props map[string]string, add func(name, msg string)) {
	used := false
	for k := range props {
		if strings.HasPrefix(k, topicCreationPrefix) {
			used = true
			break
		}
	}
	if !used {
		return
	}
	groups := append([]string{"default"}, uniq(connect.SplitList(props[ConnTopicCreationGroups]))...)
	for i, g := range groups {
		if i > 0 && g == "default" {
			add(ConnTopicCreationGroups, "Invalid value default for configuration topic.creation.groups: 'default' is implicit and may not be listed")
			continue
		}
		prefix := topicCreationPrefix + g + "."
		group := "Topic Creation Group - " + g
		rfDefault, partDefault := "", ""
		required := g == "default"
		if !required {
			rfDefault = props[topicCreationPrefix+"default.replication.factor"]
			partDefault = props[topicCreationPrefix+"default.partitions"]
		}
		minusOneOrPositive := connect.ValidatorFunc{Desc: "-1 or at least 1", Fn: func(_ string, v any) error {
			if n, ok := v.(int); ok && n != -1 && n < 1 {
				return fmt.Errorf("Value must be -1 or at least 1")
			}
			return nil
		}}
		if g != "default" {
			def.Define(connect.ConfigKey{Name: prefix + "include", Type: connect.ConfigList, Default: "", Validator: connect.RegexList(), Importance: connect.Low, Group: group, OrderInGroup: 1, Width: connect.WidthLong,
				DisplayName: "Inclusion Topic Pattern for " + g, Doc: "A list of regular expression literals used to match the topic names used by the source connector. This list is used to include topics that should be created using the topic settings defined by this group."})
			def.Define(connect.ConfigKey{Name: prefix + "exclude", Type: connect.ConfigList, Default: "", Validator: connect.RegexList(), Importance: connect.Low, Group: group, OrderInGroup: 2, Width: connect.WidthLong,
				DisplayName: "Exclusion Topic Pattern for " + g, Doc: "A list of regular expression literals used to match the topic names used by the source connector. This list is used to exclude topics from being created with the topic settings defined by this group."})
		}
		def.Define(connect.ConfigKey{Name: prefix + "replication.factor", Type: connect.ConfigShort, Default: rfDefault, Required: required, Validator: minusOneOrPositive, Importance: connect.Low, Group: group, OrderInGroup: 3, Width: connect.WidthLong,
			DisplayName: "Replication Factor for Topics in " + g, Doc: "The replication factor for new topics created for this connector using this group. -1 means the broker's default."})
		def.Define(connect.ConfigKey{Name: prefix + "partitions", Type: connect.ConfigInt, Default: partDefault, Required: required, Validator: minusOneOrPositive, Importance: connect.Low, Group: group, OrderInGroup: 4, Width: connect.WidthLong,
			DisplayName: "Partition Count for Topics in " + g, Doc: "The number of partitions new topics created for this connector. -1 means the broker's default."})
	}
}

// embed adds o's keys under prefix and group, keeping their order.
func embed(def *connect.ConfigDef, o *connect.ConfigDef, prefix, group string, orderStart int) {
	for i, k := range o.Keys() {
		k.Name = prefix + k.Name
		k.Group = group
		k.OrderInGroup = orderStart + i
		if _, dup := def.Key(k.Name); !dup {
			def.Define(k)
		}
	}
}

func uniq(items []string) []string {
	seen := map[string]bool{}
	out := items[:0:0]
	for _, it := range items {
		if !seen[it] {
			seen[it] = true
			out = append(out, it)
		}
	}
	return out
}

// validateConnectorConfig runs the whole validation of a source connector
// config, as Kafka Connect's AbstractHerder.validateConnectorConfig does.
// inh are the worker's converters, which a config naming none inherits.
func validateConnectorConfig(ctx context.Context, props map[string]string, policy string, inh inheritedConverters) (*validation, error) {
	class := strings.TrimSpace(props[ConnClass])
	if class == "" {
		return nil, rest.BadRequest("Connector config contains no connector type: set connector.class to the connector's class name or alias")
	}
	conn, plugin, err := connect.NewSourceConnector(class)
	if err != nil {
		return nil, rest.BadRequest(fmt.Sprintf("Invalid value %s for configuration %s: %v", class, ConnClass, err))
	}
	// Kafka 4.1 answers a malformed connector version with a 400, not a
	// validation error: it needs the version to pick the connector at all.
	if spec := props[ConnPluginVersion]; spec != "" {
		if err := (versionSpec{}).Validate(ConnPluginVersion, spec); err != nil {
			return nil, rest.BadRequest((&connect.ConfigError{Name: ConnPluginVersion, Value: spec, Message: err.Error()}).Error())
		}
	}
	// With no connector of the required version there is nothing to ask
	// for its keys or its precheck: like Kafka, validate the base keys and
	// report the version on connector.class and connector.plugin.version.
	versionErr := unmetVersion(plugin, ConnPluginVersion, props[ConnPluginVersion])
	var def *connect.ConfigDef
	var extra map[string][]string
	if versionErr != "" {
		def = versionedBaseDef(props, plugin, inh)
		extra = map[string][]string{ConnClass: {versionErr}, ConnPluginVersion: {versionErr}}
	} else {
		def, extra = enrichedDef(props, plugin, inh)
	}

	var infos []rest.ConfigInfo
	index := map[string]int{}
	groups := def.Groups()
	appendValues := func(d *connect.ConfigDef, values []connect.ConfigValue) {
		for _, v := range values {
			if i, ok := index[v.Name]; ok {
				infos[i].Value.Errors = append(infos[i].Value.Errors, v.Errors...)
				continue
			}
			var ki *rest.ConfigKeyInfo
			if k, ok := d.Key(v.Name); ok {
				x := rest.KeyInfo(k)
				ki = &x
			}
			index[v.Name] = len(infos)
			infos = append(infos, rest.ConfigInfo{Definition: ki, Value: valueInfo(v, d)})
		}
	}
	appendValues(def, def.Validate(props))
	if versionErr == "" {
		validateConverters(props, extra, appendValues, func(key string) bool {
			i, ok := index[key]
			return ok && len(infos[i].Value.Errors) > 0
		}, &groups)

		// The connector's own keys and precheck.
		cdef := conn.Config()
		if cdef != nil {
			appendValues(cdef, cdef.Validate(props))
			groups = appendNew(groups, cdef.Groups()...)
		}
		if v, ok := conn.(connect.ConfigValidator); ok {
			for _, cv := range v.Validate(ctx, props) {
				if i, ok := index[cv.Name]; ok {
					infos[i].Value.Errors = appendNew(infos[i].Value.Errors, cv.Errors...)
					if cv.RecommendedValues != nil {
						infos[i].Value.RecommendedValues = cv.RecommendedValues
					}
					infos[i].Value.Visible = infos[i].Value.Visible && cv.Visible
					continue
				}
				appendValues(nil, []connect.ConfigValue{cv})
			}
		}

		// Client overrides allowed by the worker's policy.
		for _, k := range connect.SortedNames(props) {
			if !strings.HasPrefix(k, ProducerOverridePrefix) && !strings.HasPrefix(k, AdminOverridePrefix) {
				continue
			}
			if msg := overridePolicyError(policy, k); msg != "" {
				extra[k] = append(extra[k], msg)
			}
		}
		if v, ok := props[ProducerOverridePrefix+ProducerClientKey]; ok {
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "auto", "franz-go", "librdkafka":
			default:
				extra[ProducerOverridePrefix+ProducerClientKey] = append(extra[ProducerOverridePrefix+ProducerClientKey], fmt.Sprintf("Invalid value %s: expected auto, franz-go or librdkafka", v))
			}
		}
	}

	for _, name := range sortedKeys(extra) {
		if i, ok := index[name]; ok {
			infos[i].Value.Errors = append(infos[i].Value.Errors, extra[name]...)
			continue
		}
		val := props[name]
		index[name] = len(infos)
		infos = append(infos, rest.ConfigInfo{Value: rest.ConfigValueInfo{Name: name, Value: &val, RecommendedValues: []string{}, Errors: extra[name], Visible: true}})
	}

	out := &validation{infos: rest.ConfigInfos{Name: class, Groups: groups, Configs: infos}}
	if out.infos.Groups == nil {
		out.infos.Groups = []string{}
	}
	for _, ci := range infos {
		out.infos.ErrorCount += len(ci.Value.Errors)
		for _, e := range ci.Value.Errors {
			out.errors = append(out.errors, ci.Value.Name+": "+e)
		}
	}
	return out, nil
}

// validateConverters checks the converters the connector names, each at the
// version its config requires, and validates their own keys under their
// prefix. hasErrors tells whether a key already failed (a malformed version
// spec), in which case, as in Kafka, the converter is not looked at further.
func validateConverters(props map[string]string, extra map[string][]string, appendValues func(*connect.ConfigDef, []connect.ConfigValue), hasErrors func(string) bool, groups *[]string) {
	for _, key := range []string{ConnKeyConverter, ConnValueConverter, ConnHeaderConverter} {
		cls := strings.TrimSpace(props[key])
		if cls == "" {
			continue
		}
		var inst any
		var p connect.Plugin
		var err error
		if key == ConnHeaderConverter {
			inst, p, err = connect.NewHeaderConverter(cls)
		} else {
			inst, p, err = connect.NewConverter(cls)
		}
		if err != nil {
			extra[key] = append(extra[key], fmt.Sprintf("Invalid value %s for configuration %s: %v", cls, key, err))
			continue
		}
		versionKey := versionKeyFor(key)
		if hasErrors(versionKey) {
			continue
		}
		if msg := unmetVersion(p, versionKey, props[versionKey]); msg != "" {
			extra[key] = append(extra[key], msg)
			extra[versionKey] = append(extra[versionKey], msg)
			continue
		}
		if cf, ok := inst.(connect.Configurable); ok {
			if cdef := cf.Config().WithPrefix(key+".", ""); cdef != nil {
				appendValues(cdef, cdef.Validate(props))
				*groups = appendNew(*groups, cdef.Groups()...)
			}
		}
	}
}

func valueInfo(v connect.ConfigValue, d *connect.ConfigDef) rest.ConfigValueInfo {
	val := v.Value
	if k, ok := d.Key(v.Name); ok && k.Type == connect.ConfigPassword && val != "" {
		val = "[hidden]"
	}
	vi := rest.ConfigValueInfo{Name: v.Name, Value: &val, RecommendedValues: v.RecommendedValues, Errors: v.Errors, Visible: v.Visible}
	if vi.RecommendedValues == nil {
		vi.RecommendedValues = []string{}
	}
	if vi.Errors == nil {
		vi.Errors = []string{}
	}
	return vi
}

// principalKeys are what the Principal policy lets connectors override.
var principalKeys = regexp.MustCompile(`^(sasl\.jaas\.config|sasl\.mechanism|security\.protocol)$`)

func overridePolicyError(policy, key string) string {
	client := strings.TrimSuffix(strings.SplitN(key, ".", 2)[0], ".")
	name := key[strings.Index(key, "override.")+len("override."):]
	switch policy {
	case PolicyAll, "":
		return ""
	case PolicyPrincipal:
		if principalKeys.MatchString(name) {
			return ""
		}
	}
	return fmt.Sprintf("The '%s' policy does not allow '%s' to be overridden in the connector configuration (%s client)", policy, name, client)
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		found := false
		for _, x := range list {
			if x == it {
				found = true
				break
			}
		}
		if !found {
			list = append(list, it)
		}
	}
	return list
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// invalidConfigError is Kafka Connect's 400 answer to a create or update
// with an invalid config.
func invalidConfigError(v *validation, connectorType string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Connector configuration is invalid and contains the following %d error(s):\n", v.infos.ErrorCount)
	for _, e := range v.errors {
		b.WriteString(e)
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`")
	_ = connectorType
	return rest.BadRequest(b.String())
}

// pluginConfig answers GET /connector-plugins/{p}/config?version=: 404 for
// an unknown plugin and, as in Kafka 4.1, 400 for a malformed version spec
// or one the installed plugin does not satisfy.
func pluginConfig(name, version string) ([]rest.ConfigKeyInfo, error) {
	p, err := connect.Lookup(name, "")
	if err != nil {
		return nil, rest.NotFound(fmt.Sprintf("Unknown plugin %s.", name))
	}
	req, err := pluginversion.Parse(version)
	if err != nil {
		return nil, rest.InvalidVersionSpec(version, err)
	}
	if have := pluginversion.Of(p.Version); !req.Allows(have) {
		return nil, rest.BadRequest(fmt.Sprintf("no installed version of %s satisfies %s; installed: %s (leave out version= or use a range that includes %s)", p.Class, req, have, have))
	}
	var def *connect.ConfigDef
	if c, ok := p.New().(connect.Configurable); ok {
		def = c.Config()
	}
	out := []rest.ConfigKeyInfo{}
	seen := map[string]bool{}
	for _, k := range def.Keys() {
		if k.Internal {
			continue
		}
		seen[k.Name] = true
		out = append(out, rest.KeyInfo(k))
	}
	if p.Type == connect.PluginSource || p.Type == connect.PluginSink {
		for _, k := range versionedBaseDef(nil, p, nil).Keys() {
			if !seen[k.Name] {
				out = append(out, rest.KeyInfo(k))
			}
		}
	}
	return out, nil
}

// validate validates a connector config with its variables resolved, as
// Kafka Connect does, and answers with the raw (variable) values of the
// keys that had any and without any resolved value in messages.
func (w *Worker) validate(ctx context.Context, raw map[string]string) (*validation, error) {
	resolved, unresolved, err := w.cfg.Providers.transform(raw)
	if err != nil {
		return nil, rest.BadRequest(Redact(err.Error()))
	}
	// Every config write and validation passes here once, so this warns
	// once per write, not at each task start; the text is the config's
	// own, never a resolved value.
	for _, u := range unresolved {
		w.log.Warn("a config variable stays unresolved and is passed on as written",
			"connector", raw[ConnName], "key", u.Key, "variable", u.Variable, "reason", u.Reason)
	}
	v, err := validateConnectorConfig(ctx, resolved, w.cfg.OverridePolicy, w.cfg.inheritedConverters())
	if err != nil {
		return nil, scrubError(err)
	}
	for i := range v.infos.Configs {
		val := &v.infos.Configs[i].Value
		if r, ok := raw[val.Name]; ok && HasVariables(r) {
			val.Value = &r
		} else if val.Value != nil {
			s := Redact(*val.Value)
			val.Value = &s
		}
		for j, e := range val.Errors {
			val.Errors[j] = Redact(e)
		}
	}
	for i, e := range v.errors {
		v.errors[i] = Redact(e)
	}
	return v, nil
}

// scrubError redacts an error's message, keeping its REST status.
func scrubError(err error) error {
	msg := err.Error()
	if red := Redact(msg); red != msg {
		return &rest.Error{Status: rest.StatusOf(err), Message: red}
	}
	return err
}

// ValidateResolved is ValidateConnector with the config's ${provider:…}
// variables resolved first, as Kafka Connect validates; the answer shows
// the variables, never their values.
func (w *Worker) ValidateResolved(ctx context.Context, config map[string]string) (rest.ConfigInfos, error) {
	v, err := w.validate(ctx, config)
	if err != nil {
		return rest.ConfigInfos{}, err
	}
	return v.infos, nil
}

// CheckResolved is CheckConnectorConfig with variables resolved first.
func (w *Worker) CheckResolved(ctx context.Context, config map[string]string) error {
	v, err := w.validate(ctx, config)
	if err != nil {
		return err
	}
	if v.infos.ErrorCount > 0 {
		return scrubError(invalidConfigError(v, config[ConnClass]))
	}
	return nil
}
