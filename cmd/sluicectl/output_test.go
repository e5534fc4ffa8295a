package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/rest"
)

func TestYAML(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		{"scalars", `{"s":"plain","num":5,"f":1.5,"t":true,"z":null,"n":1}`,
			"s: plain\nnum: 5\nf: 1.5\nt: true\nz: null\n\"n\": 1\n"},
		{"key order is the server's", `{"zeta":1,"alpha":2}`, "zeta: 1\nalpha: 2\n"},
		{"strings that need quotes", `{"a":"","b":"true","c":"1","d":"no","e":"a: b","f":"#x","g":"- x","h":"x #y","i":"1e3","j":" lead","k":"0x1F","l":"null","m":"~","nn":"tab\there","o":"quote\"s","p":"\"q"}`,
			`a: ""` + "\n" + `b: "true"` + "\n" + `c: "1"` + "\n" + `d: "no"` + "\n" + `e: "a: b"` + "\n" + `f: "#x"` + "\n" +
				`g: "- x"` + "\n" + `h: "x #y"` + "\n" + `i: "1e3"` + "\n" + `j: " lead"` + "\n" + `k: "0x1F"` + "\n" + `l: "null"` + "\n" +
				`m: "~"` + "\n" + `nn: "tab\there"` + "\n" + `o: quote"s` + "\n" + `p: "\"q"` + "\n"},
		{"plain strings stay plain", `{"class":"org.apache.kafka.connect.file.FileStreamSourceConnector","regex":"inventory\\..*","url":"http://x:1/y"}`,
			"class: org.apache.kafka.connect.file.FileStreamSourceConnector\nregex: inventory\\..*\nurl: http://x:1/y\n"},
		{"host:port stays plain, sexagesimal is quoted", `{"w":"127.0.0.1:8083","t":"1:30","u":"190:20:30.15"}`,
			"w: 127.0.0.1:8083\nt: \"1:30\"\nu: \"190:20:30.15\"\n"},
		{"keys needing quotes", `{"":1,"a b":2,"x:":3,"yes":4}`, "\"\": 1\na b: 2\n\"x:\": 3\n\"yes\": 4\n"},
		{"empty containers", `{"m":{},"l":[]}`, "m: {}\nl: []\n"},
		{"top-level empty", `[]`, "[]\n"},
		{"top-level scalar", `"x"`, "x\n"},
		{"list of maps", `{"tasks":[{"id":0,"state":"RUNNING"},{"id":1,"state":"FAILED"}]}`,
			"tasks:\n  - id: 0\n    state: RUNNING\n  - id: 1\n    state: FAILED\n"},
		{"nested lists", `[[1,2],[]]`, "- - 1\n  - 2\n- []\n"},
		{"map in map in list", `[{"p":{"f":"x"},"o":{"pos":6}}]`, "- p:\n    f: x\n  o:\n    pos: 6\n"},
		{"multi-line trace is a literal block", `{"trace":"java.lang.Exception: boom\n\tat A.b(A.java:1)\n"}`,
			"trace: |\n  java.lang.Exception: boom\n  \tat A.b(A.java:1)\n"},
		{"multi-line without final newline", `{"t":"a\nb"}`, "t: |-\n  a\n  b\n"},
		{"multi-line keeping trailing newlines", `{"t":"a\n\n"}`, "t: |+\n  a\n\n"},
		{"multi-line with leading space is quoted", `{"t":" a\nb"}`, "t: \" a\\nb\"\n"},
		{"control characters are escaped", `{"t":"a\u0001b"}`, "t: \"a\\u0001b\"\n"},
		{"unicode stays", `{"t":"déjà vu"}`, "t: déjà vu\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := printData(&b, "yaml", []byte(tt.json)); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Fatalf("got:\n%s\nwant:\n%s", b.String(), tt.want)
			}
		})
	}
}

func TestPrintDataJSONKeepsServerOrder(t *testing.T) {
	var b bytes.Buffer
	if err := printData(&b, "json", []byte(`{"z":1,"a":{"k":"<&>"}}`)); err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"z\": 1,\n  \"a\": {\n    \"k\": \"<&>\"\n  }\n}\n"
	if b.String() != want {
		t.Fatalf("got %q want %q", b.String(), want)
	}
	if err := printData(&b, "json", []byte(`{"broken"`)); err == nil {
		t.Fatal("invalid JSON printed without error")
	}
}

func TestWriteAlignedIgnoresColourCodes(t *testing.T) {
	st := styler{on: true}
	var b bytes.Buffer
	writeAligned(&b, [][]string{{"fs", st.state("RUNNING"), "1/1"}, {"inventory", st.state("FAILED"), "0/1"}}, []string{"NAME", "STATE", "TASKS"})
	plain := stripANSI(b.String())
	want := "NAME       STATE    TASKS\nfs         RUNNING  1/1\ninventory  FAILED   0/1\n"
	if plain != want {
		t.Fatalf("got:\n%s\nwant:\n%s", plain, want)
	}
	if !strings.Contains(b.String(), ansiGreen+"RUNNING"+ansiReset) || !strings.Contains(b.String(), ansiRed+"FAILED"+ansiReset) {
		t.Fatalf("states not coloured: %q", b.String())
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestStyler(t *testing.T) {
	tests := []struct {
		terminal bool
		env      map[string]string
		want     bool
	}{
		{terminal: true, want: true},
		{terminal: false, want: false},
		{terminal: true, env: map[string]string{"NO_COLOR": ""}, want: false},
		{terminal: true, env: map[string]string{"NO_COLOR": "1"}, want: false},
	}
	for _, tt := range tests {
		e := &env{terminal: tt.terminal, lookupEnv: func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }}
		if got := newStyler(e).on; got != tt.want {
			t.Errorf("terminal=%v env=%v: colour %v, want %v", tt.terminal, tt.env, got, tt.want)
		}
	}
}

func TestMaskConfig(t *testing.T) {
	in := map[string]string{
		"database.password":             "pw",
		"database.user":                 "u",
		"api.token":                     "t",
		"client.secret":                 "s",
		"aws.credentials":               "c",
		"SASL.JAAS.PASSWORD":            "x",
		"database.password.ref":         "${file:/etc/secrets.properties:db.password}",
		"connection.url":                "jdbc:mysql://h/db",
		"ssl.keystore.password.partial": "a${b}",
	}
	got := maskConfig(in)
	want := map[string]string{
		"database.password":             "[hidden]",
		"database.user":                 "u",
		"api.token":                     "[hidden]",
		"client.secret":                 "[hidden]",
		"aws.credentials":               "[hidden]",
		"SASL.JAAS.PASSWORD":            "[hidden]",
		"database.password.ref":         "${file:/etc/secrets.properties:db.password}",
		"connection.url":                "jdbc:mysql://h/db",
		"ssl.keystore.password.partial": "[hidden]",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
}

func TestSnapshotProgress(t *testing.T) {
	running := rest.ConnectorStateInfo{Tasks: []rest.TaskState{{ID: 0, State: "RUNNING"}}}
	tests := []struct {
		name     string
		st       rest.ConnectorStateInfo
		offs     []rest.ConnectorOffset
		want     *snapshotProgress
		wantLine string
	}{
		{name: "nothing known", st: running, offs: []rest.ConnectorOffset{{Offset: map[string]any{"file": "b.1", "pos": 4.0}}}},
		{name: "debezium snapshot flag without counts", st: running,
			offs:     []rest.ConnectorOffset{{Offset: map[string]any{"snapshot": true, "file": "b.1"}}},
			want:     &snapshotProgress{InProgress: true},
			wantLine: "in progress"},
		{name: "counts in the offset", st: running,
			offs:     []rest.ConnectorOffset{{Offset: map[string]any{"snapshot": "true", "snapshot_rows": 250.0, "snapshot_total_rows": 1000.0}}},
			want:     &snapshotProgress{InProgress: true, Rows: 250, TotalRows: 1000},
			wantLine: "in progress [#####---------------]  25% (250/1000 rows)"},
		{name: "sluice snapshot_state", st: running,
			offs: []rest.ConnectorOffset{{Offset: map[string]any{"snapshot": true, "file": "b.1",
				"snapshot_state": `{"v":1,"done":["inv.a","inv.b"],"keys":{"inv.c":["9"]},"rows":{"inv.a":10,"inv.b":5,"inv.c":9}}`}}},
			want:     &snapshotProgress{InProgress: true, Rows: 24, TablesDone: 2},
			wantLine: "in progress (24 rows so far, 2 table(s) done)"},
		{name: "sluice mysql connector offset with counts", st: running,
			offs: []rest.ConnectorOffset{{Partition: map[string]any{"server": "shop"}, Offset: map[string]any{"snapshot": true, "file": "mariadb-bin.000002", "pos": 1234.0, "ts_sec": 1.7e9,
				"snapshot_state":      `{"v":1,"done":["inv.a"],"keys":{"inv.b":["i:300"]},"rows":{"inv.a":100,"inv.b":300}}`,
				"snapshot_rows":       400.0,
				"snapshot_total_rows": 1600.0}}},
			want:     &snapshotProgress{InProgress: true, Rows: 400, TotalRows: 1600, TablesDone: 1},
			wantLine: "in progress [#####---------------]  25% (400/1600 rows)"},
		{name: "sluice ad-hoc snapshot of added tables", st: running,
			offs: []rest.ConnectorOffset{{Offset: map[string]any{"file": "b.2", "pos": 77.0, "adhoc_snapshot_pending": true,
				"adhoc_snapshot_state": `{"v":1,"done":["inv.n"],"keys":{"inv.m":["i:4096"]},"rows":{"inv.n":50,"inv.m":4096}}`}}},
			want:     &snapshotProgress{InProgress: true, Rows: 4146, TablesDone: 1},
			wantLine: "in progress (4146 rows so far, 1 table(s) done)"},
		{name: "unknown snapshot_state version is ignored", st: running,
			offs:     []rest.ConnectorOffset{{Offset: map[string]any{"snapshot": true, "snapshot_state": `{"v":9,"rows":{"a":1}}`}}},
			want:     &snapshotProgress{InProgress: true},
			wantLine: "in progress"},
		{name: "completed", st: running,
			offs:     []rest.ConnectorOffset{{Offset: map[string]any{"snapshot": true, "snapshot_completed": true}}},
			want:     &snapshotProgress{},
			wantLine: "completed"},
		{name: "snapshot false", st: running,
			offs:     []rest.ConnectorOffset{{Offset: map[string]any{"snapshot": false}}},
			want:     &snapshotProgress{},
			wantLine: "completed"},
		{name: "trace line", st: rest.ConnectorStateInfo{Tasks: []rest.TaskState{{ID: 0, State: "RUNNING", Trace: "Snapshot: 30/120 rows (inventory.orders)"}}},
			want:     &snapshotProgress{InProgress: true, Rows: 30, TotalRows: 120},
			wantLine: "in progress [#####---------------]  25% (30/120 rows)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := findSnapshotProgress(tt.st, tt.offs)
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			if got != nil {
				if l := got.line(20); l != tt.wantLine {
					t.Fatalf("line %q, want %q", l, tt.wantLine)
				}
			}
		})
	}
}

func TestValidationTable(t *testing.T) {
	s := func(v string) *string { return &v }
	infos := &rest.ConfigInfos{ErrorCount: 2, Configs: []rest.ConfigInfo{
		{Definition: &rest.ConfigKeyInfo{Name: "name", Type: "STRING"}, Value: rest.ConfigValueInfo{Name: "name", Value: s("x")}},
		{Definition: &rest.ConfigKeyInfo{Name: "tasks.max", Type: "INT"}, Value: rest.ConfigValueInfo{Name: "tasks.max", Value: s("zero"), Errors: []string{"Invalid value zero for configuration tasks.max: Not a number of type INT"}}},
		{Definition: &rest.ConfigKeyInfo{Name: "topic", Type: "STRING"}, Value: rest.ConfigValueInfo{Name: "topic", Errors: []string{"Missing required configuration \"topic\" which has no default value."}}},
		{Definition: &rest.ConfigKeyInfo{Name: "batch.size", Type: "INT"}, Value: rest.ConfigValueInfo{Name: "batch.size", Value: s("2000")}},
		{Definition: &rest.ConfigKeyInfo{Name: "db.pw", Type: "PASSWORD"}, Value: rest.ConfigValueInfo{Name: "db.pw", Value: s("[hidden]")}},
	}}
	// tabel.include.list and x.secret are keys no ConfigDef describes (a
	// typo, a key of another version): the server leaves them out of its
	// answer, but they were set, so the table still shows them.
	given := map[string]string{"name": "x", "tasks.max": "zero", "db.pw": "hunter2", "tabel.include.list": "shop\\..*", "x.secret": "s3cr3t"}
	var b bytes.Buffer
	validationTable(infos, given, false).write(&b)
	want := "KEY                 VALUE     ERRORS\n" +
		"name                x\n" +
		"tasks.max           zero      Invalid value zero for configuration tasks.max: Not a number of type INT\n" +
		"topic                         Missing required configuration \"topic\" which has no default value.\n" +
		"db.pw               [hidden]\n" +
		"tabel.include.list  shop\\..*\n" +
		"x.secret            [hidden]\n"
	if b.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	validationTable(infos, given, true).write(&b)
	if strings.Contains(b.String(), "name ") || strings.Contains(b.String(), "tabel") || !strings.Contains(b.String(), "topic") {
		t.Fatalf("only-errors table:\n%s", b.String())
	}
}
