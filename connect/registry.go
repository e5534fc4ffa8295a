package connect

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// PluginType is the kind of plugin, named as in /connector-plugins.
type PluginType string

const (
	PluginSource          PluginType = "source"
	PluginSink            PluginType = "sink"
	PluginConverter       PluginType = "converter"
	PluginHeaderConverter PluginType = "header_converter"
	PluginTransformation  PluginType = "transformation"
	PluginPredicate       PluginType = "predicate"
)

// Plugin describes a registered plugin. New returns a fresh instance of the
// interface its Type implies (SourceConnector, Converter, HeaderConverter,
// Transformation, Predicate).
type Plugin struct {
	// Class is the Java-style class name configs use, e.g.
	// org.apache.kafka.connect.json.JsonConverter.
	Class string
	Type  PluginType
	// Version reported by /connector-plugins; "" means undefined.
	Version string
	// Aliases beyond the derived ones (simple name, simple name without the
	// type suffix), e.g. "json".
	Aliases []string
	// TaskClass is the class name of the connector's task, which Kafka
	// Connect adds to every task config as task.class; "" derives it from
	// Class (a "Connector" suffix becomes "Task":
	// org.apache.kafka.connect.file.FileStreamSourceConnector →
	// …FileStreamSourceTask). Source and sink connectors only.
	TaskClass string
	// AliasTaskClasses names the task class to report when the connector
	// is addressed by one of its Aliases (the key, matched as Lookup does),
	// so a config naming Debezium's connector class sees Debezium's task
	// class in its task configs.
	AliasTaskClasses map[string]string
	New              func() any
}

var registry = struct {
	sync.RWMutex
	byClass map[string]*Plugin
	order   []*Plugin
}{byClass: map[string]*Plugin{}}

// Register makes a plugin available under its class name and aliases. Call it
// from an init function, like a database/sql driver. Registering a class
// twice panics.
func Register(p Plugin) {
	if p.Class == "" || p.New == nil || p.Type == "" {
		panic("connect.Register: plugin needs Class, Type and New")
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.byClass[p.Class]; dup {
		panic("connect.Register: plugin registered twice: " + p.Class)
	}
	pp := p
	registry.byClass[p.Class] = &pp
	registry.order = append(registry.order, &pp)
}

var typeSuffixes = map[PluginType][]string{
	PluginSource:          {"Connector"},
	PluginSink:            {"Connector"},
	PluginConverter:       {"Converter"},
	PluginHeaderConverter: {"HeaderConverter", "Converter"},
	PluginTransformation:  {"Transformation", "Transform"},
	PluginPredicate:       {"Predicate"},
}

// aliases lists every name a plugin answers to.
func (p *Plugin) aliases() []string {
	simple := p.Class[strings.LastIndexByte(p.Class, '.')+1:]
	out := []string{p.Class, simple}
	for _, suf := range typeSuffixes[p.Type] {
		if s := strings.TrimSuffix(simple, suf); s != simple && s != "" {
			out = append(out, s)
		}
	}
	return append(out, p.Aliases...)
}

// TaskClassFor is the task class of the connector when a config names it
// name (its class or an alias): what Kafka Connect puts in task.class.
func (p Plugin) TaskClassFor(name string) string {
	name = strings.TrimSpace(name)
	for alias, class := range p.AliasTaskClasses {
		if alias == name || (strings.EqualFold(alias, name) && name != p.Class) {
			return class
		}
	}
	if p.TaskClass != "" {
		return p.TaskClass
	}
	if base, ok := strings.CutSuffix(p.Class, "Connector"); ok && base != "" && !strings.HasSuffix(base, ".") {
		return base + "Task"
	}
	return p.Class + "Task"
}

// AllNames returns every name the plugin answers to, class name first.
func (p Plugin) AllNames() []string { return p.aliases() }

func compatible(want, have PluginType) bool {
	if want == "" || want == have {
		return true
	}
	// A connector lookup accepts either kind of connector.
	return (want == PluginSource || want == PluginSink) && (have == PluginSource || have == PluginSink)
}

// Lookup resolves a class name or alias to a plugin of the given type ("" for
// any). An alias shared by two plugins is ambiguous and resolves to neither.
func Lookup(name string, typ PluginType) (Plugin, error) {
	name = strings.TrimSpace(name)
	registry.RLock()
	defer registry.RUnlock()
	if p, ok := registry.byClass[name]; ok && compatible(typ, p.Type) {
		return *p, nil
	}
	var found []*Plugin
	for _, p := range registry.order {
		if !compatible(typ, p.Type) {
			continue
		}
		for _, a := range p.aliases() {
			if a == name || (strings.EqualFold(a, name) && a != p.Class) {
				found = append(found, p)
				break
			}
		}
	}
	switch len(found) {
	case 1:
		return *found[0], nil
	case 0:
		what := "plugin"
		if typ != "" {
			what = string(typ) + " plugin"
		}
		return Plugin{}, fmt.Errorf("%w: no %s named %q; GET /connector-plugins?connectorsOnly=false lists the installed ones", ErrNotFound, what, name)
	}
	names := make([]string, len(found))
	for i, p := range found {
		names[i] = p.Class
	}
	return Plugin{}, fmt.Errorf("plugin name %q is ambiguous, use the full class name: %s", name, strings.Join(names, ", "))
}

// Plugins lists registered plugins, sorted by type then class name.
func Plugins() []Plugin {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]Plugin, 0, len(registry.order))
	for _, p := range registry.order {
		out = append(out, *p)
	}
	rank := map[PluginType]int{PluginSink: 0, PluginSource: 1, PluginTransformation: 2, PluginPredicate: 3, PluginConverter: 4, PluginHeaderConverter: 5}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return rank[out[i].Type] < rank[out[j].Type]
		}
		return out[i].Class < out[j].Class
	})
	return out
}

func newTyped[T any](name string, typ PluginType) (T, Plugin, error) {
	var zero T
	p, err := Lookup(name, typ)
	if err != nil {
		return zero, Plugin{}, err
	}
	v, ok := p.New().(T)
	if !ok {
		return zero, Plugin{}, fmt.Errorf("plugin %s does not implement the %s interface", p.Class, typ)
	}
	return v, p, nil
}

// NewSourceConnector instantiates a source connector by class name or alias.
func NewSourceConnector(name string) (SourceConnector, Plugin, error) {
	return newTyped[SourceConnector](name, PluginSource)
}

// NewConverter instantiates a converter by class name or alias.
func NewConverter(name string) (Converter, Plugin, error) {
	return newTyped[Converter](name, PluginConverter)
}

// NewHeaderConverter instantiates a header converter by class name or alias.
// Kafka accepts converters that also implement HeaderConverter here.
func NewHeaderConverter(name string) (HeaderConverter, Plugin, error) {
	hc, p, err := newTyped[HeaderConverter](name, PluginHeaderConverter)
	if err == nil {
		return hc, p, nil
	}
	if c, p2, err2 := newTyped[HeaderConverter](name, PluginConverter); err2 == nil {
		return c, p2, nil
	}
	return nil, Plugin{}, err
}

// NewTransformation instantiates a transformation by class name or alias.
func NewTransformation(name string) (Transformation, Plugin, error) {
	return newTyped[Transformation](name, PluginTransformation)
}

// NewPredicate instantiates a predicate by class name or alias.
func NewPredicate(name string) (Predicate, Plugin, error) {
	return newTyped[Predicate](name, PluginPredicate)
}
