package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

var (
	sluiceBinOnce sync.Once
	sluiceBinPath string
	sluiceBinErr  error
)

// sluiceBinary builds cmd/sluice once per test run into bin/test/, so that
// end-to-end tests run the worker exactly as a user does: a separate process
// that can be stopped with SIGTERM or killed with SIGKILL.
func sluiceBinary(t testing.TB) string {
	t.Helper()
	sluiceBinOnce.Do(func() {
		root, err := filepath.Abs("..")
		if err != nil {
			sluiceBinErr = err
			return
		}
		dir := filepath.Join(root, "bin", "test")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			sluiceBinErr = err
			return
		}
		sluiceBinPath = filepath.Join(dir, "sluice")
		cmd := exec.Command("go", "build", "-o", sluiceBinPath, "./cmd/sluice")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			sluiceBinErr = fmt.Errorf("go build ./cmd/sluice: %v\n%s", err, out)
		}
	})
	if sluiceBinErr != nil {
		t.Fatal(sluiceBinErr)
	}
	return sluiceBinPath
}

// workerProc is one `sluice` process under test.
type workerProc struct {
	t    testing.TB
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
	rest string
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startSluice runs the built binary with args; rest is the worker's REST base
// URL, waited for before returning.
func startSluice(t testing.TB, rest string, args ...string) *workerProc {
	t.Helper()
	return startSluiceEnv(t, rest, nil, args...)
}

// startSluiceEnv is startSluice with env added to the worker's environment.
func startSluiceEnv(t testing.TB, rest string, env []string, args ...string) *workerProc {
	t.Helper()
	w := &workerProc{t: t, log: &syncBuffer{}, done: make(chan struct{}), rest: rest}
	w.cmd = exec.Command(sluiceBinary(t), args...)
	if env != nil {
		w.cmd.Env = append(os.Environ(), env...)
	}
	w.cmd.Stdout, w.cmd.Stderr = w.log, w.log
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = w.cmd.Wait(); close(w.done) }()
	t.Cleanup(func() { w.kill() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		if st, _, err := httpCall(http.MethodGet, rest+"/", nil); err == nil && st == 200 {
			return w
		}
		select {
		case <-w.done:
			t.Fatalf("sluice exited during startup:\n%s", w.log.String())
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("sluice REST API at %s did not come up:\n%s", rest, w.log.String())
		}
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (w *workerProc) stop() {
	w.t.Helper()
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		w.t.Fatalf("sluice did not stop within 30 s of SIGTERM:\n%s", w.log.String())
	}
}

// kill sends SIGKILL: no flush, no goodbye.
func (w *workerProc) kill() {
	select {
	case <-w.done:
		return
	default:
	}
	_ = w.cmd.Process.Kill()
	<-w.done
}

// waitTaskRunning waits until the connector and its tasks are RUNNING.
func (w *workerProc) waitTaskRunning(name string) {
	w.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		st, body, err := httpCall(http.MethodGet, w.rest+"/connectors/"+name+"/status", nil)
		if err == nil && st == 200 {
			last = body
			var s struct {
				Connector struct{ State string }
				Tasks     []struct{ State, Trace string }
			}
			if json.Unmarshal([]byte(body), &s) == nil && s.Connector.State == "RUNNING" && len(s.Tasks) > 0 {
				all := true
				for _, tk := range s.Tasks {
					if tk.State == "FAILED" {
						w.t.Fatalf("task FAILED: %s", tk.Trace)
					}
					all = all && tk.State == "RUNNING"
				}
				if all {
					return
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	w.t.Fatalf("connector %s not RUNNING within 60 s; last status %s\n%s", name, last, w.log.String())
}

func httpCall(method, url string, body []byte) (int, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// freeTCPPort picks a port no other part of this test process was given
// (see harness.FreePort).
func freeTCPPort(t testing.TB) int {
	t.Helper()
	port, err := harness.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func writeProps(t testing.TB, path string, props map[string]string) {
	t.Helper()
	var b strings.Builder
	for k, v := range props {
		fmt.Fprintf(&b, "%s=%s\n", k, strings.ReplaceAll(v, `\`, `\\`))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}
