package runtime

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/sluicehq/sluice/connect"
)

// Worker keys of config providers (KIP-297, KIP-421).
const (
	WorkerConfigProviders = "config.providers"
	configProvidersPrefix = "config.providers."
)

// ConfigProvider resolves ${name:path:key} variables in connector and
// worker configs (Kafka's org.apache.kafka.common.config.provider
// .ConfigProvider). Get returns the values of the keys it has at path;
// keys it does not have are left out, so their variables stay unresolved.
type ConfigProvider interface {
	Configure(params map[string]string) error
	Get(path string, keys []string) (map[string]string, error)
}

// configProviderClasses maps the class names Kafka users write (and short
// aliases) to constructors.
var configProviderClasses = map[string]func() ConfigProvider{
	"org.apache.kafka.common.config.provider.FileConfigProvider": func() ConfigProvider { return &fileProvider{} },
	"FileConfigProvider": func() ConfigProvider { return &fileProvider{} },
	"file":               func() ConfigProvider { return &fileProvider{} },
	"org.apache.kafka.common.config.provider.EnvVarConfigProvider": func() ConfigProvider { return &envProvider{} },
	"EnvVarConfigProvider": func() ConfigProvider { return &envProvider{} },
	"env":                  func() ConfigProvider { return &envProvider{} },
	"org.apache.kafka.common.config.provider.DirectoryConfigProvider": func() ConfigProvider { return &dirProvider{} },
	"DirectoryConfigProvider": func() ConfigProvider { return &dirProvider{} },
	"directory":               func() ConfigProvider { return &dirProvider{} },
}

// variablePattern is Kafka's ConfigTransformer.DEFAULT_PATTERN:
// ${provider:[path:]key}.
var variablePattern = connect.ConfigVariablePattern

// ConfigProviders are the worker's configured providers, by name.
type ConfigProviders struct {
	byName map[string]ConfigProvider
}

// NewConfigProviders builds the providers named by config.providers in a
// worker config, each from config.providers.<name>.class and its
// config.providers.<name>.param.* settings.
func NewConfigProviders(workerProps map[string]string) (*ConfigProviders, error) {
	cp := &ConfigProviders{byName: map[string]ConfigProvider{}}
	for _, name := range connect.SplitList(workerProps[WorkerConfigProviders]) {
		classKey := configProvidersPrefix + name + ".class"
		class := strings.TrimSpace(workerProps[classKey])
		if class == "" {
			return nil, fmt.Errorf("%s lists %q but %s is not set; set it to e.g. org.apache.kafka.common.config.provider.FileConfigProvider", WorkerConfigProviders, name, classKey)
		}
		mk := configProviderClasses[class]
		if mk == nil {
			return nil, fmt.Errorf("%s: unknown config provider class %q; this build has FileConfigProvider, EnvVarConfigProvider and DirectoryConfigProvider (org.apache.kafka.common.config.provider.*)", classKey, class)
		}
		p := mk()
		params := connect.WithPrefixStripped(workerProps, configProvidersPrefix+name+".param.")
		if err := p.Configure(params); err != nil {
			return nil, fmt.Errorf("config provider %s: %w", name, err)
		}
		cp.byName[name] = p
	}
	return cp, nil
}

// HasVariables reports whether a value holds a ${provider:...} variable.
func HasVariables(v string) bool { return connect.HasConfigVariables(v) }

// Transform returns props with every variable of a configured provider
// replaced by its value, as Kafka's ConfigTransformer: variables of
// unknown providers, or whose key the provider does not have, stay as
// written. The resolved values are registered as secrets, so logs and
// status traces never show them.
func (cp *ConfigProviders) Transform(props map[string]string) (map[string]string, error) {
	out, _, err := cp.transform(props)
	return out, err
}

// UnresolvedVariable is a ${provider:[path:]key} variable that Transform
// left as written, with why. It holds the config's own text only, never
// a resolved value.
type UnresolvedVariable struct {
	Key      string // the config key whose value holds it
	Variable string // as written, e.g. ${env:DB_PASSWORD}
	Reason   string
}

// transform is Transform that also reports the variables it left as
// written, sorted by key. Kafka keeps them, and so does Sluice, but a
// variable passed on literally otherwise shows only as the source
// refusing it (a database's "Access denied"), with nothing pointing at
// the missing provider or key.
func (cp *ConfigProviders) transform(props map[string]string) (map[string]string, []UnresolvedVariable, error) {
	var byName map[string]ConfigProvider
	if cp != nil {
		byName = cp.byName
	}
	// provider → path → keys, to ask each provider once per path.
	want := map[string]map[string][]string{}
	hasVars := false
	for _, v := range props {
		for _, m := range variablePattern.FindAllStringSubmatch(v, -1) {
			hasVars = true
			if byName[m[1]] == nil {
				continue
			}
			if want[m[1]] == nil {
				want[m[1]] = map[string][]string{}
			}
			if !slices.Contains(want[m[1]][m[3]], m[4]) {
				want[m[1]][m[3]] = append(want[m[1]][m[3]], m[4])
			}
		}
	}
	if !hasVars {
		return props, nil, nil
	}
	values := map[string]string{} // provider \x00 path \x00 key → value
	for _, name := range slices.Sorted(maps.Keys(want)) {
		for path, keys := range want[name] {
			got, err := byName[name].Get(path, keys)
			if err != nil {
				return nil, nil, fmt.Errorf("config provider %s: %w", name, err)
			}
			for k, v := range got {
				values[name+"\x00"+path+"\x00"+k] = v
				registerSecret(v)
			}
		}
	}
	out := make(map[string]string, len(props))
	var unresolved []UnresolvedVariable
	for _, k := range slices.Sorted(maps.Keys(props)) {
		out[k] = variablePattern.ReplaceAllStringFunc(props[k], func(s string) string {
			m := variablePattern.FindStringSubmatch(s)
			if r, ok := values[m[1]+"\x00"+m[3]+"\x00"+m[4]]; ok {
				return r
			}
			unresolved = append(unresolved, UnresolvedVariable{Key: k, Variable: s, Reason: cp.whyUnresolved(m[1], m[3], m[4])})
			return s
		})
	}
	return out, unresolved, nil
}

// whyUnresolved says why ${provider:path:key} stayed as written.
func (cp *ConfigProviders) whyUnresolved(provider, path, key string) string {
	if cp == nil || cp.byName[provider] == nil {
		configured := "none"
		if cp != nil && len(cp.byName) > 0 {
			configured = strings.Join(slices.Sorted(maps.Keys(cp.byName)), ",")
		}
		return fmt.Sprintf("no config provider %q is configured on this worker (%s: %s)", provider, WorkerConfigProviders, configured)
	}
	if path != "" {
		return fmt.Sprintf("config provider %q has no key %q at path %q", provider, key, path)
	}
	return fmt.Sprintf("config provider %q has no key %q", provider, key)
}

// reverseTransform puts the raw (variable) value of the connector config
// back into task configs for keys whose raw value has variables, as Kafka
// Connect does before storing task configs, so they never hold secrets.
func reverseTransform(raw map[string]string, taskConfigs []map[string]string) []map[string]string {
	var keys []string
	for k, v := range raw {
		if HasVariables(v) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return taskConfigs
	}
	out := make([]map[string]string, len(taskConfigs))
	for i, c := range taskConfigs {
		c = maps.Clone(c)
		for _, k := range keys {
			if _, ok := c[k]; ok {
				c[k] = raw[k]
			}
		}
		out[i] = c
	}
	return out
}

// allowedPaths is the allowed.paths parameter of the file and directory
// providers (KIP-993): when set, only files under these directories may be
// read.
type allowedPaths []string

func parseAllowedPaths(params map[string]string) (allowedPaths, error) {
	var out allowedPaths
	for _, p := range connect.SplitList(params["allowed.paths"]) {
		if !filepath.IsAbs(p) {
			return nil, fmt.Errorf("allowed.paths: %q is not an absolute path", p)
		}
		out = append(out, filepath.Clean(p))
	}
	return out, nil
}

func (a allowedPaths) check(path string) error {
	if len(a) == 0 {
		return nil
	}
	clean := filepath.Clean(path)
	for _, p := range a {
		if clean == p || strings.HasPrefix(clean, p+string(filepath.Separator)) {
			return nil
		}
	}
	return fmt.Errorf("%s is not under allowed.paths", path)
}

// fileProvider is FileConfigProvider: ${file:/path/to/file.properties:key}.
type fileProvider struct{ allowed allowedPaths }

func (p *fileProvider) Configure(params map[string]string) (err error) {
	p.allowed, err = parseAllowedPaths(params)
	return err
}

func (p *fileProvider) Get(path string, keys []string) (map[string]string, error) {
	if path == "" {
		return nil, nil
	}
	if err := p.allowed.check(path); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("could not read properties from file %s: %w", path, err)
	}
	props, err := ParseProperties(string(data))
	if err != nil {
		// The parse error may quote a line of the file; say where only.
		return nil, fmt.Errorf("could not read properties from file %s: not a properties file", path)
	}
	out := map[string]string{}
	for _, k := range keys {
		if v, ok := props[k]; ok {
			out[k] = v
		}
	}
	return out, nil
}

// dirProvider is DirectoryConfigProvider: ${directory:/dir:file} is the
// content of the regular file /dir/file (as Kubernetes mounts secrets).
type dirProvider struct{ allowed allowedPaths }

func (p *dirProvider) Configure(params map[string]string) (err error) {
	p.allowed, err = parseAllowedPaths(params)
	return err
}

func (p *dirProvider) Get(path string, keys []string) (map[string]string, error) {
	if path == "" {
		return nil, nil
	}
	if err := p.allowed.check(path); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, k := range keys {
		// Only files directly in the directory, as Kafka's provider.
		if k == "" || strings.ContainsRune(k, filepath.Separator) || k == "." || k == ".." {
			continue
		}
		f := filepath.Join(path, k)
		st, err := os.Stat(f)
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("could not read file %s: %w", f, err)
		}
		out[k] = string(data)
	}
	return out, nil
}

// envProvider is EnvVarConfigProvider: ${env:NAME}, limited to the names
// matching its allowlist.pattern parameter when set.
type envProvider struct{ allow *regexp.Regexp }

func (p *envProvider) Configure(params map[string]string) error {
	if pat := params["allowlist.pattern"]; pat != "" {
		re, err := regexp.Compile("^(?:" + pat + ")$")
		if err != nil {
			return fmt.Errorf("allowlist.pattern: %w", err)
		}
		p.allow = re
	}
	return nil
}

func (p *envProvider) Get(path string, keys []string) (map[string]string, error) {
	if path != "" {
		return nil, fmt.Errorf("a path is not supported by EnvVarConfigProvider; write ${env:NAME}")
	}
	out := map[string]string{}
	for _, k := range keys {
		if p.allow != nil && !p.allow.MatchString(k) {
			continue
		}
		if v, ok := os.LookupEnv(k); ok {
			out[k] = v
		}
	}
	return out, nil
}
