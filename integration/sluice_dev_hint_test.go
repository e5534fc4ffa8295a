package integration

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// TestSluiceDevHint runs the command `sluice dev` prints for creating the
// example connector, as printed, from the repository root, and checks the
// connector then runs.
func TestSluiceDevHint(t *testing.T) {
	needTool(t, "curl")
	sh := needTool(t, "sh")
	restPort, kafkaPort := freeTCPPort(t), freeTCPPort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d", restPort)
	// A wildcard listener, as the default :8083: the hint must still name
	// an address curl can reach.
	w := startSluice(t, url, "dev", "--rest", fmt.Sprintf(":%d", restPort), "--kafka-port", strconv.Itoa(kafkaPort))
	hint := regexp.MustCompile(`(?m)^\s+(curl -s -X POST .*/connectors)$`)
	var cmdline string
	deadline := time.Now().Add(10 * time.Second)
	for cmdline == "" {
		if m := hint.FindStringSubmatch(w.log.String()); m != nil {
			cmdline = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("sluice dev printed no hint for creating the example connector:\n%s", w.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sh, "-c", cmdline)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmdline, err, out)
	}
	if !regexp.MustCompile(`"name":"lines"`).Match(out) {
		t.Fatalf("%s answered %s", cmdline, out)
	}
	w.waitTaskRunning("lines")
}
