package connect

import (
	"errors"
	"strings"
	"testing"
)

type fakeConverter struct{ name string }

func (fakeConverter) Configure(map[string]string, bool) error { return nil }
func (fakeConverter) FromConnectData(string, Headers, *Schema, any) ([]byte, error) {
	return nil, nil
}
func (fakeConverter) ToConnectData(string, Headers, []byte) (SchemaAndValue, error) {
	return SchemaAndValue{}, nil
}

// The registry is global: these tests use class names no real plugin has.
func init() {
	Register(Plugin{Class: "test.one.WidgetConverter", Type: PluginConverter, Version: "1.0", Aliases: []string{"wid"},
		New: func() any { return fakeConverter{"one"} }})
	Register(Plugin{Class: "test.two.GadgetConverter", Type: PluginConverter, New: func() any { return fakeConverter{"gadget-two"} }})
	Register(Plugin{Class: "test.three.GadgetConverter", Type: PluginConverter, New: func() any { return fakeConverter{"gadget-three"} }})
	Register(Plugin{Class: "test.four.NotAConverter", Type: PluginConverter, New: func() any { return 42 }})
	Register(Plugin{Class: "test.five.ThingTransformation", Type: PluginTransformation, New: func() any { return nil }})
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name, want string
		typ        PluginType
	}{
		{"test.one.WidgetConverter", "test.one.WidgetConverter", PluginConverter},
		{" test.one.WidgetConverter ", "test.one.WidgetConverter", PluginConverter},
		{"WidgetConverter", "test.one.WidgetConverter", PluginConverter},
		{"Widget", "test.one.WidgetConverter", PluginConverter},
		{"widget", "test.one.WidgetConverter", ""},
		{"wid", "test.one.WidgetConverter", PluginConverter},
		{"test.two.GadgetConverter", "test.two.GadgetConverter", PluginConverter},
		{"Thing", "test.five.ThingTransformation", PluginTransformation},
	}
	for _, tc := range tests {
		p, err := Lookup(tc.name, tc.typ)
		if err != nil || p.Class != tc.want {
			t.Errorf("Lookup(%q, %q) = %q, %v; want %q", tc.name, tc.typ, p.Class, err, tc.want)
		}
	}
}

func TestLookupFailures(t *testing.T) {
	_, err := Lookup("Gadget", PluginConverter)
	if err == nil || !strings.Contains(err.Error(), "ambiguous") ||
		!strings.Contains(err.Error(), "test.two.GadgetConverter") || !strings.Contains(err.Error(), "test.three.GadgetConverter") {
		t.Errorf("ambiguous alias: %v", err)
	}
	_, err = Lookup("Widget", PluginTransformation)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "transformation plugin") {
		t.Errorf("wrong type: %v", err)
	}
	_, err = Lookup("test.one.widgetconverter", PluginConverter)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("class names are case-sensitive, got %v", err)
	}
	if _, _, err := NewConverter("NotA"); err == nil || !strings.Contains(err.Error(), "does not implement") {
		t.Errorf("non-converter instance: %v", err)
	}
}

func TestNewConverterAndPlugins(t *testing.T) {
	c, p, err := NewConverter("wid")
	if err != nil || c.(fakeConverter).name != "one" || p.Version != "1.0" {
		t.Fatalf("NewConverter: %v %v %v", c, p, err)
	}
	names := p.AllNames()
	if names[0] != "test.one.WidgetConverter" || !contains(names, "WidgetConverter") || !contains(names, "Widget") || !contains(names, "wid") {
		t.Errorf("AllNames = %v", names)
	}
	var last Plugin
	for i, pl := range Plugins() {
		if i > 0 && last.Type == pl.Type && last.Class > pl.Class {
			t.Errorf("Plugins not sorted: %s before %s", last.Class, pl.Class)
		}
		last = pl
	}
	defer func() {
		if recover() == nil {
			t.Error("registering a class twice did not panic")
		}
	}()
	Register(Plugin{Class: "test.one.WidgetConverter", Type: PluginConverter, New: func() any { return nil }})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestTaskClassFor(t *testing.T) {
	derived := Plugin{Class: "org.apache.kafka.connect.file.FileStreamSourceConnector", Type: PluginSource}
	named := Plugin{Class: "io.example.MySqlConnector", Type: PluginSource, TaskClass: "io.example.MySqlConnectorTask",
		Aliases: []string{"com.vendor.VendorConnector"}, AliasTaskClasses: map[string]string{"com.vendor.VendorConnector": "com.vendor.VendorTask"}}
	for _, tc := range []struct {
		p          Plugin
		name, want string
	}{
		{derived, derived.Class, "org.apache.kafka.connect.file.FileStreamSourceTask"},
		{derived, "FileStreamSource", "org.apache.kafka.connect.file.FileStreamSourceTask"},
		{Plugin{Class: "io.example.Tailer", Type: PluginSource}, "Tailer", "io.example.TailerTask"},
		{named, named.Class, "io.example.MySqlConnectorTask"},
		{named, "MySql", "io.example.MySqlConnectorTask"},
		{named, "com.vendor.VendorConnector", "com.vendor.VendorTask"},
		{named, " com.vendor.VendorConnector ", "com.vendor.VendorTask"},
	} {
		if got := tc.p.TaskClassFor(tc.name); got != tc.want {
			t.Errorf("%s named %q: task class %q, want %q", tc.p.Class, tc.name, got, tc.want)
		}
	}
}
