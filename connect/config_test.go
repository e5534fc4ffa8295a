package connect

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseConfigValue(t *testing.T) {
	tests := []struct {
		typ     ConfigType
		raw     string
		want    any
		wantErr string
	}{
		{ConfigBoolean, "TRUE", true, ""},
		{ConfigBoolean, " false ", false, ""},
		{ConfigBoolean, "yes", nil, "Expected value to be either true or false"},
		{ConfigString, " x ", "x", ""},
		{ConfigClass, "a.B", "a.B", ""},
		{ConfigPassword, " secret ", Password(" secret "), ""},
		{ConfigInt, "42", 42, ""},
		{ConfigInt, "", nil, ""},
		{ConfigInt, "2147483648", nil, "Not a number of type INT"},
		{ConfigShort, "-32768", -32768, ""},
		{ConfigShort, "40000", nil, "Not a number of type SHORT"},
		{ConfigLong, "9223372036854775807", int64(9223372036854775807), ""},
		{ConfigLong, "1.5", nil, "Not a number of type LONG"},
		{ConfigDouble, "1.5", 1.5, ""},
		{ConfigDouble, "x", nil, "Not a number of type DOUBLE"},
		{ConfigList, " a, ,b ,", []string{"a", "b"}, ""},
		{ConfigList, "", []string{}, ""},
		{ConfigType("NOPE"), "x", nil, "unknown config type"},
	}
	for _, tc := range tests {
		got, err := ParseConfigValue(tc.typ, tc.raw)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s %q: err %v, want %q", tc.typ, tc.raw, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %q = %#v, %v; want %#v", tc.typ, tc.raw, got, err, tc.want)
		}
	}
}

func testDef() *ConfigDef {
	return NewConfigDef().
		Define(ConfigKey{Name: "host", Type: ConfigString, Required: true, Validator: NonEmptyString(), Group: "Conn"}).
		Define(ConfigKey{Name: "port", Type: ConfigInt, Default: "3306", Validator: Between(1, 65535), Group: "Conn"}).
		Define(ConfigKey{Name: "password", Type: ConfigPassword, Default: ""}).
		Define(ConfigKey{Name: "batch", Type: ConfigLong, Default: "100", Validator: AtLeast(1), Group: "Tuning"}).
		Define(ConfigKey{Name: "ratio", Type: ConfigDouble, Default: "0.5"}).
		Define(ConfigKey{Name: "mode", Type: ConfigString, Default: "initial", Validator: OneOf("initial", "never")}).
		Define(ConfigKey{Name: "fmt", Type: ConfigString, Default: "BASE64", Validator: OneOfIgnoreCase("BASE64", "NUMERIC")}).
		Define(ConfigKey{Name: "ops", Type: ConfigList, Default: "c,u", Validator: ListOf("c", "u", "d")}).
		Define(ConfigKey{Name: "include", Type: ConfigList, Default: "", Validator: RegexList()}).
		Define(ConfigKey{Name: "even", Type: ConfigInt, Default: "2", Validator: ValidatorFunc{Desc: "even", Fn: func(name string, v any) error {
			if v.(int)%2 != 0 {
				return fmt.Errorf("must be even")
			}
			return nil
		}}}).
		Define(ConfigKey{Name: "on", Type: ConfigBoolean, Default: "true"})
}

func TestConfigDefParse(t *testing.T) {
	cfg, err := testDef().Parse(map[string]string{"host": "db", "password": "s3cret", "fmt": "numeric", "ops": "c, d"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.String("host") != "db" || cfg.Int("port") != 3306 || cfg.Long("batch") != 100 || cfg.Double("ratio") != 0.5 ||
		!cfg.Bool("on") || cfg.String("fmt") != "numeric" || !reflect.DeepEqual(cfg.List("ops"), []string{"c", "d"}) {
		t.Errorf("parsed values wrong: %+v", cfg.values)
	}
	if cfg.Password("password").Value() != "s3cret" || cfg.String("password") != "s3cret" {
		t.Error("password value lost")
	}
	if s := fmt.Sprintf("%v %s %#v", cfg.Password("password"), cfg.Password("password"), cfg.Password("password")); strings.Contains(s, "s3cret") {
		t.Errorf("password printed: %s", s)
	}
}

func TestConfigDefParseErrors(t *testing.T) {
	tests := []struct {
		props map[string]string
		want  string
	}{
		{map[string]string{}, `Missing required configuration "host" which has no default value.`},
		{map[string]string{"host": " "}, "Invalid value   for configuration host: String must be non-empty"},
		{map[string]string{"host": "h", "port": "0"}, "Invalid value 0 for configuration port: Value must be at least 1"},
		{map[string]string{"host": "h", "port": "70000"}, "Value must be no more than 65535"},
		{map[string]string{"host": "h", "port": "x"}, "Invalid value x for configuration port: Not a number of type INT"},
		{map[string]string{"host": "h", "batch": "0"}, "configuration batch: Value must be at least 1"},
		{map[string]string{"host": "h", "mode": "INITIAL"}, "String must be one of: initial, never"},
		{map[string]string{"host": "h", "fmt": "hex"}, "String must be one of: BASE64, NUMERIC"},
		{map[string]string{"host": "h", "ops": "c,x"}, "Invalid value x; must be one of c, u, d"},
		{map[string]string{"host": "h", "include": "db\\.(a"}, "is not a valid regular expression"},
		{map[string]string{"host": "h", "even": "3"}, "must be even"},
		{map[string]string{"host": "h", "on": "1"}, "Expected value to be either true or false"},
	}
	for _, tc := range tests {
		_, err := testDef().Parse(tc.props)
		var ce *ConfigError
		if err == nil || !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want %q", tc.props, err, tc.want)
		}
	}
}

func TestConfigDefValidate(t *testing.T) {
	vals := testDef().Validate(map[string]string{"port": "x", "password": "hunter2"})
	byName := map[string]ConfigValue{}
	var order []string
	for _, v := range vals {
		byName[v.Name] = v
		order = append(order, v.Name)
	}
	if order[0] != "host" || order[1] != "port" || len(order) != len(testDef().Keys()) {
		t.Errorf("order = %v", order)
	}
	if e := byName["host"].Errors; len(e) != 1 || !strings.Contains(e[0], `Missing required configuration "host"`) {
		t.Errorf("host errors = %v", e)
	}
	if e := byName["port"].Errors; len(e) != 1 || !strings.Contains(e[0], "Not a number of type INT") {
		t.Errorf("port errors = %v", e)
	}
	if v := byName["password"]; v.Value != "[hidden]" || len(v.Errors) != 0 {
		t.Errorf("password = %+v", v)
	}
	if v := byName["batch"]; v.Value != "100" || len(v.Errors) != 0 {
		t.Errorf("default not reported: %+v", v)
	}
	for _, v := range vals {
		for _, e := range v.Errors {
			if strings.Contains(e, "hunter2") {
				t.Errorf("secret in error: %s", e)
			}
		}
	}
}

func TestConfigDefHelpers(t *testing.T) {
	d := testDef()
	if got := d.Groups(); !reflect.DeepEqual(got, []string{"Conn", "Tuning"}) {
		t.Errorf("Groups = %v", got)
	}
	if k, ok := d.Key("port"); !ok || k.Importance != Medium || k.DisplayName != "port" || k.Width != WidthNone {
		t.Errorf("defaults not applied: %+v", k)
	}
	p := d.WithPrefix("db.", "DB")
	if k, ok := p.Key("db.port"); !ok || k.Group != "DB" {
		t.Errorf("WithPrefix: %+v", k)
	}
	m := NewConfigDef().Define(ConfigKey{Name: "port", Type: ConfigString}).Merge(d)
	if k, _ := m.Key("port"); k.Type != ConfigString || len(m.Keys()) != len(d.Keys()) {
		t.Error("Merge replaced an existing key")
	}
	defer func() {
		if recover() == nil {
			t.Error("defining a key twice did not panic")
		}
	}()
	d.Define(ConfigKey{Name: "port", Type: ConfigInt})
}

func TestValidatorStrings(t *testing.T) {
	for _, tc := range []struct {
		v    Validator
		want string
	}{
		{AtLeast(1), "[1,...]"}, {Between(0, 1.5), "[0,...,1.5]"}, {OneOf("a", "b"), "[a, b]"}, {ListOf("x"), "[x]"},
	} {
		if v, want := tc.v, tc.want; v.String() != want {
			t.Errorf("%T.String() = %q, want %q", v, v.String(), want)
		}
	}
}

func TestWithPrefixStripped(t *testing.T) {
	got := WithPrefixStripped(map[string]string{"value.converter.schemas.enable": "false", "value.converter": "json", "key.x": "1"}, "value.converter.")
	if !reflect.DeepEqual(got, map[string]string{"schemas.enable": "false"}) {
		t.Errorf("got %v", got)
	}
}
