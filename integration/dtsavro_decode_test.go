package integration

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/converters/dtsavro"
	"github.com/sluicehq/sluice/converters/dtsavro/dtstest"
)

// nodeTool finds node and npm: when CI=true their absence fails the test,
// otherwise it skips with a hint.
func nodeTool(t *testing.T) (node, npm string) {
	t.Helper()
	node, errNode := exec.LookPath("node")
	npm, errNpm := exec.LookPath("npm")
	if errNode != nil || errNpm != nil {
		msg := "node and npm are needed to decode with npm's avsc (install Node.js 18 or later)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return node, npm
}

// nodeModules installs integration/node's locked dependencies once per
// test binary. Parallel tests share it: a second `npm ci` would delete
// node_modules under a test already running node, and a test that saw the
// directory half extracted read a truncated file.
func nodeModules(t *testing.T, npm string) string {
	t.Helper()
	nodeInstall.once.Do(func() {
		dir, err := filepath.Abs("node")
		if err != nil {
			nodeInstall.err = err
			return
		}
		nodeInstall.dir = dir
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "avsc")); err == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			nodeInstall.err = fmt.Errorf("npm ci in %s: %v\n%s", dir, err, out)
		}
	})
	if nodeInstall.err != nil {
		t.Fatal(nodeInstall.err)
	}
	return nodeInstall.dir
}

var nodeInstall struct {
	once sync.Once
	dir  string
	err  error
}

type nodeResult struct {
	Name      string `json:"name"`
	Value     string `json:"value"`
	Reencoded string `json:"reencoded"`
}

// TestDTSAvroDecodesWithAvsc writes the spec's examples and every type
// family with the DTS Avro converter and has npm's avsc decode them against
// the published dts-record.avsc: all bytes read, the self-contained Record
// schema reading them the same way, and avsc's re-encoding of what it read
// byte-identical to Sluice's output.
func TestDTSAvroDecodesWithAvsc(t *testing.T) {
	t.Parallel()
	node, npm := nodeTool(t)
	dir := nodeModules(t, npm)

	c := dtsavro.New()
	if err := c.Configure(nil, false); err != nil {
		t.Fatal(err)
	}
	type msg struct {
		Name string `json:"name"`
		Hex  string `json:"hex"`
	}
	var msgs []msg
	add := func(name string, s *connect.Schema, v *connect.Struct) {
		b, err := c.FromConnectData("t", nil, s, v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		msgs = append(msgs, msg{name, hex.EncodeToString(b)})
	}
	o := dtstest.NewOrders(6)
	add("spec insert", o.Envelope, o.Insert("", 1732348800217))
	add("spec update", o.Envelope, o.Update("", 1732348860104))
	add("spec delete", o.Envelope, o.Delete("", 1732348920330))
	add("spec ddl", o.SchemaChange, o.AlterTable("3e11fa47-71ca-11e1-9e33-c80aa9429562:23", 1732348980412))
	for _, tc := range dtstest.TypeCases() {
		env, ins := dtstest.OneColumn(tc)
		add("type "+tc.Name, env, ins)
	}
	in := filepath.Join(t.TempDir(), "messages.json")
	b, _ := json.Marshal(msgs)
	if err := os.WriteFile(in, b, 0o600); err != nil {
		t.Fatal(err)
	}
	schema, err := filepath.Abs("../converters/dtsavro/dts-record.avsc")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "dts-avro-decode.js"), schema, in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("avsc: %v\n%s", err, stderr.String())
	}
	var res []nodeResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("avsc output: %v\n%s", err, out)
	}
	if len(res) != len(msgs) {
		t.Fatalf("avsc decoded %d of %d messages", len(res), len(msgs))
	}
	for i, r := range res {
		if r.Reencoded != msgs[i].Hex {
			t.Errorf("%s: avsc re-encodes differently:\n sluice %s\n avsc   %s", r.Name, msgs[i].Hex, r.Reencoded)
		}
	}
	// Spot-check the decoded spec insert against dts-formats.md §2.10.
	var ins map[string]any
	if err := json.Unmarshal([]byte(res[0].Value), &ins); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"sourcePosition":"10622@12"`, `"operation":"INSERT"`, `"objectName":{"string":"shop.orders"}`,
		`{"com.alibaba.dts.formats.avro.Decimal":{"value":"19.90","precision":4,"scale":2}}`,
		`{"com.alibaba.dts.formats.avro.Timestamp":{"timestamp":1732348800,"millis":250000}}`} {
		if !strings.Contains(res[0].Value, want) {
			t.Errorf("decoded insert lacks %s:\n%s", want, res[0].Value)
		}
	}
}
