package app

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLoadConnectorFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, file, content string
		wantName            string
		want                map[string]string
		wantErr             string
	}{
		{name: "properties", file: "a.properties", content: "name=a\nconnector.class=X\ntasks.max=1\n",
			wantName: "a", want: map[string]string{"name": "a", "connector.class": "X", "tasks.max": "1"}},
		{name: "kafka json", file: "b.json", content: `{"name":"b","config":{"connector.class":"X","tasks.max":1}}`,
			wantName: "b", want: map[string]string{"name": "b", "connector.class": "X", "tasks.max": "1"}},
		{name: "flat json", file: "c.json", content: `{"name":"c","connector.class":"X"}`,
			wantName: "c", want: map[string]string{"name": "c", "connector.class": "X"}},
		{name: "no name", file: "d.properties", content: "connector.class=X\n", wantErr: "has no name"},
		{name: "name mismatch", file: "e.json", content: `{"name":"e","config":{"name":"f"}}`, wantErr: "does not match"},
		{name: "nested value", file: "g.json", content: `{"name":"g","x":{"a":1}}`, wantErr: "must be a string"},
		{name: "null value", file: "h.json", content: `{"name":"h","x":null}`, wantErr: "is null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, cfg, err := loadConnectorFile(write(tt.file, tt.content))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if name != tt.wantName || !reflect.DeepEqual(cfg, tt.want) {
				t.Errorf("got %q %v, want %q %v", name, cfg, tt.wantName, tt.want)
			}
		})
	}
}

func TestCommands(t *testing.T) {
	var out, errb bytes.Buffer
	if rc := run([]string{"version"}, &out, &errb); rc != 0 || !strings.HasPrefix(out.String(), "sluice ") {
		t.Errorf("version: rc %d, out %q", rc, out.String())
	}
	errb.Reset()
	if rc := run([]string{"distributed", filepath.Join(t.TempDir(), "w.properties")}, &out, &errb); rc != 1 || !strings.Contains(errb.String(), "w.properties") {
		t.Errorf("distributed: rc %d, stderr %q", rc, errb.String())
	}
	errb.Reset()
	if rc := run([]string{"standalone", filepath.Join(t.TempDir(), "missing.properties")}, &out, &errb); rc != 1 || !strings.Contains(errb.String(), "missing.properties") {
		t.Errorf("standalone with a missing file: rc %d, stderr %q", rc, errb.String())
	}
	errb.Reset()
	if rc := run([]string{"bogus"}, &out, &errb); rc != 2 {
		t.Errorf("unknown command: rc %d", rc)
	}
}

func TestDialableURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://[::]:8083", "http://localhost:8083"},
		{"http://0.0.0.0:8083", "http://localhost:8083"},
		{"https://:8443", "https://localhost:8443"},
		{"http://127.0.0.1:8083", "http://127.0.0.1:8083"},
		{"http://worker-1:8083", "http://worker-1:8083"},
	} {
		if got := dialableURL(tc.in); got != tc.want {
			t.Errorf("dialableURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
