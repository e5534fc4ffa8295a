package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseProperties(t *testing.T) {
	in := "# comment\n" +
		"! another comment\n" +
		"name=fs\n" +
		"  indented.key = spaced value  \n" +
		"colon:sep\n" +
		"space sep value\n" +
		"empty=\n" +
		"bare\n" +
		"multi=one, \\\n" +
		"      two\n" +
		"escaped\\=key=v\n" +
		"tab=a\\tb\n" +
		"uni=caf\\u00e9 \\uD83D\\uDE00\n" +
		"regex=inventory\\\\..*\n" +
		"trailing.backslash.pair=x\\\\\n"
	got, err := parseProperties([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"name":                    "fs",
		"indented.key":            "spaced value  ",
		"colon":                   "sep",
		"space":                   "sep value",
		"empty":                   "",
		"bare":                    "",
		"multi":                   "one, two",
		"escaped=key":             "v",
		"tab":                     "a\tb",
		"uni":                     "café 😀",
		"regex":                   `inventory\..*`,
		"trailing.backslash.pair": `x\`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	if _, err := parseProperties([]byte("x=\\u12\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("bad \\u escape: err = %v", err)
	}
}

func TestLoadConnectorFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, file, content string
		wantName            string
		wantConfig          map[string]string
		wantErr             string
	}{
		{name: "POST form", file: "a.json", content: `{"name":"a","config":{"connector.class":"X","tasks.max":1,"flag":true}}`,
			wantName: "a", wantConfig: map[string]string{"connector.class": "X", "tasks.max": "1", "flag": "true", "name": "a"}},
		{name: "POST form with initial_state", file: "a2.json", content: `{"name":"a","config":{"connector.class":"X"},"initial_state":"PAUSED"}`,
			wantName: "a", wantConfig: map[string]string{"connector.class": "X", "name": "a"}},
		{name: "name only in config", file: "b.json", content: `{"config":{"name":"b","connector.class":"X"}}`,
			wantName: "b", wantConfig: map[string]string{"connector.class": "X", "name": "b"}},
		{name: "flat map", file: "c.json", content: "\ufeff" + `{"name":"c","connector.class":"X","topic":"t"}`,
			wantName: "c", wantConfig: map[string]string{"connector.class": "X", "name": "c", "topic": "t"}},
		{name: "properties", file: "d.properties", content: "name=d\nconnector.class=X\n",
			wantName: "d", wantConfig: map[string]string{"connector.class": "X", "name": "d"}},
		{name: "properties without extension", file: "e.conf", content: "name=e\nconnector.class=X\n",
			wantName: "e", wantConfig: map[string]string{"connector.class": "X", "name": "e"}},
		{name: "no name", file: "f.json", content: `{"connector.class":"X"}`, wantErr: "no connector name"},
		{name: "name mismatch", file: "g.json", content: `{"name":"g","config":{"name":"other"}}`, wantErr: `"name" is "g" but config "name" is "other"`},
		{name: "null value", file: "h.json", content: `{"name":"h","config":{"topic":null}}`, wantErr: "config.topic is null"},
		{name: "nested value", file: "i.json", content: `{"name":"i","config":{"topics":["a"]}}`, wantErr: "config.topics must be a string, not a JSON array"},
		{name: "unknown top-level key", file: "j.json", content: `{"name":"j","config":{},"tasks":[]}`, wantErr: `unexpected top-level key "tasks"`},
		{name: "invalid JSON", file: "k.json", content: `{"name":`, wantErr: "k.json: invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, dir, tt.file, tt.content)
			cf, err := loadConnectorFile(p)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cf.name != tt.wantName || !reflect.DeepEqual(cf.config, tt.wantConfig) {
				t.Fatalf("got %q %q, want %q %q", cf.name, cf.config, tt.wantName, tt.wantConfig)
			}
		})
	}
}

func TestLoadConnectorDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "b.properties", "name=b\nconnector.class=X\n")
	writeFile(t, dir, "a.json", `{"name":"a","config":{"connector.class":"X"}}`)
	writeFile(t, dir, "README.md", "not a connector")
	got, err := loadConnectorPaths(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].name != "a" || got[1].name != "b" {
		t.Fatalf("got %+v", got)
	}
	if _, err := loadConnectorPaths(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no .json or .properties") {
		t.Fatalf("empty dir: err = %v", err)
	}
	// Validation needs no name: the server reports it.
	p := writeFile(t, dir, "noname.properties", "connector.class=X\n")
	cf, err := readConnectorFile(p)
	if err != nil || cf.name != "" || cf.config["connector.class"] != "X" {
		t.Fatalf("readConnectorFile: %+v %v", cf, err)
	}
}

func TestLoadOffsetsFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		content, want, wantErr string
	}{
		{content: `{"offsets":[{"partition":{"f":"x"},"offset":{"position":3}}]}`, want: `{"offsets":[{"partition":{"f":"x"},"offset":{"position":3}}]}`},
		{content: ` [{"partition":{"f":"x"},"offset":null}] `, want: `{"offsets":[{"partition":{"f":"x"},"offset":null}]}`},
		{content: `{"partition":{}}`, wantErr: `no "offsets" key`},
		{content: `"x"`, wantErr: "expected {\"offsets\": [...]}"},
		{content: `{`, wantErr: "invalid JSON"},
	}
	for i, tt := range tests {
		p := writeFile(t, dir, "o.json", tt.content)
		got, err := loadOffsetsFile(p)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%d: err = %v, want %q", i, err, tt.wantErr)
			}
			continue
		}
		if err != nil || string(got) != tt.want {
			t.Errorf("%d: got %s %v, want %s", i, got, err, tt.want)
		}
	}
}
