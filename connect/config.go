package connect

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// ConfigType is a config key's type, named as in Kafka's ConfigDef.Type.
type ConfigType string

const (
	ConfigBoolean  ConfigType = "BOOLEAN"
	ConfigString   ConfigType = "STRING"
	ConfigInt      ConfigType = "INT"
	ConfigShort    ConfigType = "SHORT"
	ConfigLong     ConfigType = "LONG"
	ConfigDouble   ConfigType = "DOUBLE"
	ConfigList     ConfigType = "LIST"
	ConfigClass    ConfigType = "CLASS"
	ConfigPassword ConfigType = "PASSWORD"
)

// Importance of a config key.
type Importance string

const (
	High   Importance = "HIGH"
	Medium Importance = "MEDIUM"
	Low    Importance = "LOW"
)

// Width is the display width hint of a config key.
type Width string

const (
	WidthNone   Width = "NONE"
	WidthShort  Width = "SHORT"
	WidthMedium Width = "MEDIUM"
	WidthLong   Width = "LONG"
)

// Password holds a secret; its String and fmt forms never show it.
type Password string

func (p Password) String() string { return "[hidden]" }

// GoString keeps %#v from printing the secret too.
func (p Password) GoString() string { return "[hidden]" }

// Value returns the secret itself.
func (p Password) Value() string { return string(p) }

// Validator checks a parsed config value.
type Validator interface {
	// Validate returns an error whose message reads well after "Invalid value
	// X for configuration NAME: ".
	Validate(name string, value any) error
	String() string
}

// ConfigKey declares one configuration key.
type ConfigKey struct {
	Name string
	Type ConfigType
	// Default is the default in string form ("" is a valid default); a key
	// with Required set has none.
	Default      string
	Required     bool
	Importance   Importance
	Doc          string
	Group        string
	OrderInGroup int
	Width        Width
	DisplayName  string
	Dependents   []string
	Validator    Validator
	// Recommended lists the values a UI may offer.
	Recommended []string
	// Internal keys are not listed by /connector-plugins/{p}/config.
	Internal bool
}

// ConfigDef is an ordered set of config key declarations: the one place a
// key's type, default, validation and documentation live.
type ConfigDef struct {
	keys  []ConfigKey
	index map[string]int
}

// NewConfigDef returns an empty ConfigDef.
func NewConfigDef() *ConfigDef { return &ConfigDef{index: map[string]int{}} }

// Define adds a key; defining the same name twice panics (a programming error).
func (d *ConfigDef) Define(k ConfigKey) *ConfigDef {
	if _, dup := d.index[k.Name]; dup {
		panic(fmt.Sprintf("config key %q defined twice", k.Name))
	}
	if k.Importance == "" {
		k.Importance = Medium
	}
	if k.Width == "" {
		k.Width = WidthNone
	}
	if k.DisplayName == "" {
		k.DisplayName = k.Name
	}
	d.index[k.Name] = len(d.keys)
	d.keys = append(d.keys, k)
	return d
}

// Merge adds the keys of o that d does not have yet.
func (d *ConfigDef) Merge(o *ConfigDef) *ConfigDef {
	if o == nil {
		return d
	}
	for _, k := range o.keys {
		if _, ok := d.index[k.Name]; !ok {
			d.Define(k)
		}
	}
	return d
}

// WithPrefix returns a copy with every key renamed to prefix+name.
func (d *ConfigDef) WithPrefix(prefix, group string) *ConfigDef {
	out := NewConfigDef()
	for _, k := range d.keys {
		k.Name = prefix + k.Name
		if group != "" {
			k.Group = group
		}
		out.Define(k)
	}
	return out
}

// Keys returns the declarations in definition order.
func (d *ConfigDef) Keys() []ConfigKey {
	if d == nil {
		return nil
	}
	return d.keys
}

// Key returns one declaration.
func (d *ConfigDef) Key(name string) (ConfigKey, bool) {
	if d == nil {
		return ConfigKey{}, false
	}
	i, ok := d.index[name]
	if !ok {
		return ConfigKey{}, false
	}
	return d.keys[i], true
}

// Groups returns the group names in first-seen order.
func (d *ConfigDef) Groups() []string {
	var out []string
	seen := map[string]bool{}
	for _, k := range d.keys {
		if k.Group != "" && !seen[k.Group] {
			seen[k.Group] = true
			out = append(out, k.Group)
		}
	}
	return out
}

// ConfigValue is the validation result of one key, as in Kafka's ConfigValue.
type ConfigValue struct {
	Name              string
	Value             string
	RecommendedValues []string
	Errors            []string
	Visible           bool
}

// ConfigError is a parse or validation failure naming the key.
type ConfigError struct {
	Name    string
	Value   string
	Message string
}

func (e *ConfigError) Error() string {
	if e.Name == "" {
		return e.Message
	}
	return fmt.Sprintf("Invalid value %s for configuration %s: %s", e.Value, e.Name, e.Message)
}

// Config is a parsed configuration: every declared key with its typed value,
// plus the original strings.
type Config struct {
	def       *ConfigDef
	values    map[string]any
	originals map[string]string
}

// Parse parses props against the definition, applying defaults and
// validators. The first failing key is returned as a *ConfigError.
func (d *ConfigDef) Parse(props map[string]string) (*Config, error) {
	c := &Config{def: d, values: make(map[string]any, len(d.keys)), originals: props}
	for _, k := range d.keys {
		v, err := d.parseKey(k, props)
		if err != nil {
			return nil, err
		}
		c.values[k.Name] = v
	}
	return c, nil
}

func (d *ConfigDef) parseKey(k ConfigKey, props map[string]string) (any, error) {
	raw, set := props[k.Name]
	if !set {
		if k.Required {
			return nil, &ConfigError{Message: fmt.Sprintf("Missing required configuration %q which has no default value.", k.Name)}
		}
		raw = k.Default
	}
	v, err := ParseConfigValue(k.Type, raw)
	if err != nil {
		return nil, &ConfigError{Name: k.Name, Value: displayValue(k, raw), Message: err.Error()}
	}
	if k.Validator != nil && (set || raw != "") {
		if err := k.Validator.Validate(k.Name, v); err != nil {
			return nil, &ConfigError{Name: k.Name, Value: displayValue(k, raw), Message: err.Error()}
		}
	}
	return v, nil
}

func displayValue(k ConfigKey, raw string) string {
	if k.Type == ConfigPassword {
		return "[hidden]"
	}
	return raw
}

// Validate checks every key and returns one ConfigValue per declared key, in
// definition order, with the errors found (Kafka's ConfigDef.validate).
func (d *ConfigDef) Validate(props map[string]string) []ConfigValue {
	out := make([]ConfigValue, 0, len(d.keys))
	for _, k := range d.keys {
		raw, set := props[k.Name]
		cv := ConfigValue{Name: k.Name, Value: raw, Visible: true, RecommendedValues: k.Recommended}
		if !set {
			cv.Value = k.Default
			if k.Required {
				cv.Value = ""
			}
		}
		if k.Type == ConfigPassword && cv.Value != "" {
			cv.Value = "[hidden]"
		}
		if _, err := d.parseKey(k, props); err != nil {
			msg := err.Error()
			if ce, ok := err.(*ConfigError); ok && ce.Name == "" {
				msg = fmt.Sprintf("Missing required configuration \"%s\" which has no default value.", k.Name)
			}
			cv.Errors = append(cv.Errors, msg)
		}
		out = append(out, cv)
	}
	return out
}

// ParseConfigValue parses a string as Kafka's ConfigDef.parseType does.
func ParseConfigValue(t ConfigType, raw string) (any, error) {
	s := strings.TrimSpace(raw)
	switch t {
	case ConfigBoolean:
		switch strings.ToLower(s) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, fmt.Errorf("Expected value to be either true or false")
	case ConfigString, ConfigClass:
		return s, nil
	case ConfigPassword:
		return Password(raw), nil
	case ConfigInt:
		if s == "" {
			return nil, nil
		}
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("Not a number of type INT")
		}
		return int(n), nil
	case ConfigShort:
		if s == "" {
			return nil, nil
		}
		n, err := strconv.ParseInt(s, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("Not a number of type SHORT")
		}
		return int(n), nil
	case ConfigLong:
		if s == "" {
			return nil, nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("Not a number of type LONG")
		}
		return n, nil
	case ConfigDouble:
		if s == "" {
			return nil, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("Not a number of type DOUBLE")
		}
		return f, nil
	case ConfigList:
		return SplitList(s), nil
	}
	return nil, fmt.Errorf("unknown config type %s", t)
}

// SplitList splits a comma-separated list, trimming blanks and dropping empty
// items.
func SplitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return []string{}
	}
	parts := strings.Split(s, ",")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Originals returns the strings the config was parsed from.
func (c *Config) Originals() map[string]string { return c.originals }

// Get returns a parsed value.
func (c *Config) Get(name string) any { return c.values[name] }

// String returns a STRING, CLASS or PASSWORD value as a string.
func (c *Config) String(name string) string {
	switch v := c.values[name].(type) {
	case string:
		return v
	case Password:
		return string(v)
	}
	return ""
}

// Password returns a PASSWORD value.
func (c *Config) Password(name string) Password {
	p, _ := c.values[name].(Password)
	return p
}

// Int returns an INT or SHORT value (0 if unset).
func (c *Config) Int(name string) int {
	n, _ := c.values[name].(int)
	return n
}

// Long returns a LONG value (0 if unset).
func (c *Config) Long(name string) int64 {
	switch v := c.values[name].(type) {
	case int64:
		return v
	case int:
		return int64(v)
	}
	return 0
}

// Bool returns a BOOLEAN value.
func (c *Config) Bool(name string) bool {
	b, _ := c.values[name].(bool)
	return b
}

// Double returns a DOUBLE value.
func (c *Config) Double(name string) float64 {
	f, _ := c.values[name].(float64)
	return f
}

// List returns a LIST value.
func (c *Config) List(name string) []string {
	l, _ := c.values[name].([]string)
	return l
}

// Prefixed returns the original props under prefix, with the prefix removed.
func (c *Config) Prefixed(prefix string) map[string]string {
	return WithPrefixStripped(c.originals, prefix)
}

// WithPrefixStripped returns the entries of props whose keys start with prefix,
// with the prefix removed.
func WithPrefixStripped(props map[string]string, prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range props {
		if strings.HasPrefix(k, prefix) {
			out[k[len(prefix):]] = v
		}
	}
	return out
}

// --- validators ---

type rangeValidator struct {
	min, max *float64
}

// AtLeast accepts numbers >= min.
func AtLeast(min float64) Validator { return rangeValidator{min: &min} }

// Between accepts numbers in [min, max].
func Between(min, max float64) Validator { return rangeValidator{min: &min, max: &max} }

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func (r rangeValidator) Validate(name string, v any) error {
	if v == nil {
		return nil
	}
	f, ok := toFloat(v)
	if !ok {
		return fmt.Errorf("Not a number")
	}
	if r.min != nil && f < *r.min {
		return fmt.Errorf("Value must be at least %s", fmtNum(*r.min))
	}
	if r.max != nil && f > *r.max {
		return fmt.Errorf("Value must be no more than %s", fmtNum(*r.max))
	}
	return nil
}

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func (r rangeValidator) String() string {
	switch {
	case r.min != nil && r.max != nil:
		return fmt.Sprintf("[%s,...,%s]", fmtNum(*r.min), fmtNum(*r.max))
	case r.min != nil:
		return fmt.Sprintf("[%s,...]", fmtNum(*r.min))
	}
	return ""
}

type oneOf struct {
	values []string
	fold   bool
}

// OneOf accepts exactly the listed strings.
func OneOf(values ...string) Validator { return oneOf{values: values} }

// OneOfIgnoreCase accepts the listed strings in any case.
func OneOfIgnoreCase(values ...string) Validator { return oneOf{values: values, fold: true} }

func (o oneOf) Validate(name string, v any) error {
	s, _ := v.(string)
	for _, x := range o.values {
		if s == x || (o.fold && strings.EqualFold(s, x)) {
			return nil
		}
	}
	return fmt.Errorf("String must be one of: %s", strings.Join(o.values, ", "))
}

func (o oneOf) String() string { return "[" + strings.Join(o.values, ", ") + "]" }

type listOf struct{ values []string }

// ListOf accepts lists whose every item is one of values (case-insensitive).
func ListOf(values ...string) Validator { return listOf{values} }

func (l listOf) Validate(name string, v any) error {
	items, _ := v.([]string)
	for _, it := range items {
		ok := false
		for _, x := range l.values {
			if strings.EqualFold(it, x) {
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Errorf("Invalid value %s; must be one of %s", it, strings.Join(l.values, ", "))
		}
	}
	return nil
}

func (l listOf) String() string { return "[" + strings.Join(l.values, ", ") + "]" }

type nonEmpty struct{}

// NonEmptyString rejects "".
func NonEmptyString() Validator { return nonEmpty{} }

func (nonEmpty) Validate(name string, v any) error {
	if s, _ := v.(string); strings.TrimSpace(s) == "" {
		return fmt.Errorf("String must be non-empty")
	}
	return nil
}
func (nonEmpty) String() string { return "non-empty string" }

type regexList struct{}

// RegexList accepts a list whose every item compiles as a regular expression.
func RegexList() Validator { return regexList{} }

func (regexList) Validate(name string, v any) error {
	items, _ := v.([]string)
	for _, it := range items {
		if _, err := regexp.Compile(it); err != nil {
			return fmt.Errorf("%q is not a valid regular expression: %v", it, err)
		}
	}
	return nil
}
func (regexList) String() string { return "comma-separated list of regular expressions" }

// ValidatorFunc adapts a function (with a description) to Validator.
type ValidatorFunc struct {
	Fn   func(name string, v any) error
	Desc string
}

func (f ValidatorFunc) Validate(name string, v any) error { return f.Fn(name, v) }
func (f ValidatorFunc) String() string                    { return f.Desc }

// SortedNames returns the keys of props sorted, for stable output.
func SortedNames(props map[string]string) []string {
	out := make([]string, 0, len(props))
	for k := range props {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
