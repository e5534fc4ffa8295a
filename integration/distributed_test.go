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
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/sluicehq/sluice/integration/harness"
)

// Issue 7's acceptance: a three-process cluster of distributed workers on
// one Kafka-protocol broker.

const counterClass = "io.sluice.testing.CounterSourceConnector"

type worker struct {
	t     *testing.T
	bin   string
	props string
	port  int
	log   string
	cmd   *exec.Cmd
	done  chan struct{} // closed when the current process has exited
}

func (w *worker) url() string { return fmt.Sprintf("http://127.0.0.1:%d", w.port) }
func (w *worker) id() string  { return fmt.Sprintf("127.0.0.1:%d", w.port) }

func (w *worker) start() {
	w.t.Helper()
	f, err := os.OpenFile(w.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		w.t.Fatal(err)
	}
	w.cmd = exec.Command(w.bin, w.props)
	w.cmd.Stdout, w.cmd.Stderr = f, f
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := w.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	done := make(chan struct{})
	w.done = done
	go func() { _ = w.cmd.Wait(); f.Close(); close(done) }()
}

// exited reports whether the worker's process has ended: a worker that
// failed to start must not pass for healthy because something else answers
// on its port.
func (w *worker) exited() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

func (w *worker) kill() {
	if w.cmd != nil && w.cmd.Process != nil {
		_ = w.cmd.Process.Kill()
		time.Sleep(100 * time.Millisecond)
	}
}

func (w *worker) isLeader() bool {
	data, _ := os.ReadFile(w.log)
	re := regexp.MustCompile(`joined group.* leader=(true|false)`)
	m := re.FindAllSubmatch(data, -1)
	return len(m) > 0 && string(m[len(m)-1][1]) == "true"
}

func call(method, url string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// mustCall retries 409s (a rebalance in progress) until the deadline.
func mustCall(t *testing.T, method, url string, body any, want ...int) []byte {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, data, err := call(method, url, body)
		if err == nil {
			for _, w := range want {
				if code == w {
					return data
				}
			}
		}
		if time.Now().After(deadline) || (err == nil && code != 409 && code != 500 && code != 404) {
			t.Fatalf("%s %s: %d %s %v, want %v", method, url, code, data, err, want)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

type stateInfo struct {
	Name      string `json:"name"`
	Connector struct {
		State    string `json:"state"`
		WorkerID string `json:"worker_id"`
	} `json:"connector"`
	Tasks []struct {
		ID       int    `json:"id"`
		State    string `json:"state"`
		WorkerID string `json:"worker_id"`
	} `json:"tasks"`
}

func status(w *worker, c string) (stateInfo, bool) {
	var s stateInfo
	code, data, err := call("GET", w.url()+"/connectors/"+c+"/status", nil)
	if err != nil || code != 200 || json.Unmarshal(data, &s) != nil {
		return s, false
	}
	return s, true
}

func eventually(t *testing.T, what string, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		ok, msg := cond()
		if ok {
			return
		}
		last = msg
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s; last: %s", timeout, what, last)
}

// allRunning reports whether every worker sees every connector RUNNING with
// `tasks` RUNNING tasks on live workers, and returns the per-worker counts.
func allRunning(view *worker, conns []string, tasks int, live map[string]bool) (bool, string, map[string]int, map[string]int) {
	cc, tc := map[string]int{}, map[string]int{}
	for _, c := range conns {
		s, ok := status(view, c)
		if !ok {
			return false, c + ": no status", nil, nil
		}
		if s.Connector.State != "RUNNING" || !live[s.Connector.WorkerID] {
			return false, fmt.Sprintf("%s: connector %s on %s", c, s.Connector.State, s.Connector.WorkerID), nil, nil
		}
		cc[s.Connector.WorkerID]++
		if len(s.Tasks) != tasks {
			return false, fmt.Sprintf("%s: %d tasks", c, len(s.Tasks)), nil, nil
		}
		for _, tk := range s.Tasks {
			if tk.State != "RUNNING" || !live[tk.WorkerID] {
				return false, fmt.Sprintf("%s task %d: %s on %s", c, tk.ID, tk.State, tk.WorkerID), nil, nil
			}
			tc[tk.WorkerID]++
		}
	}
	return true, "", cc, tc
}

func spreadOK(counts map[string]int, live map[string]bool) bool {
	min, max := 1<<30, -1
	for id := range live {
		n := counts[id]
		if n < min {
			min = n
		}
		if n > max {
			max = n
		}
	}
	return max-min <= 1
}

func waitBalanced(t *testing.T, ws []*worker, conns []string, tasks int, live map[string]bool, timeout time.Duration) map[string]int {
	t.Helper()
	var tc map[string]int
	eventually(t, "every connector and task RUNNING and spread within one", timeout, func() (bool, string) {
		for _, w := range ws {
			if !live[w.id()] {
				continue
			}
			ok, msg, cc, tcs := allRunning(w, conns, tasks, live)
			if !ok {
				return false, w.id() + ": " + msg
			}
			if !spreadOK(cc, live) || !spreadOK(tcs, live) {
				return false, fmt.Sprintf("%s: connectors %v tasks %v", w.id(), cc, tcs)
			}
			tc = tcs
		}
		return true, ""
	})
	return tc
}

func buildTestWorker(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "testworker")
	args := []string{"build", "-o", bin}
	if os.Getenv("SLUICE_TESTWORKER_RACE") == "1" {
		// Race-detector build of the workers, to check the herder's
		// goroutines end to end.
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./testworker")...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build testworker: %v", err)
	}
	return bin
}

// startCluster starts n worker processes sharing one group and the three
// internal topics, waits until each is healthy, and kills them when t ends
// (logging their output if t failed).
func startCluster(t *testing.T, k *harness.Kafka, n int, extra map[string]string) ([]*worker, map[string]bool) {
	t.Helper()
	bin := buildTestWorker(t)
	dir := t.TempDir()
	var ws []*worker
	for i := 0; i < n; i++ {
		port := freeTCPPort(t)
		props := map[string]string{
			"bootstrap.servers":    k.Bootstrap(),
			"group.id":             k.Topic("cluster"),
			"config.storage.topic": k.Topic("connect-configs"), "offset.storage.topic": k.Topic("connect-offsets"), "status.storage.topic": k.Topic("connect-status"),
			"config.storage.replication.factor": "-1", "offset.storage.replication.factor": "-1", "status.storage.replication.factor": "-1",
			"offset.storage.partitions": "5", "status.storage.partitions": "3",
			"offset.flush.interval.ms":         "300",
			"listeners":                        "http://127.0.0.1:" + strconv.Itoa(port),
			"rest.advertised.host.name":        "127.0.0.1",
			"scheduled.rebalance.max.delay.ms": "4000",
			"session.timeout.ms":               "6000", "heartbeat.interval.ms": "1000",
		}
		for k, v := range extra {
			props[k] = v
		}
		var lines []string
		for k, v := range props {
			lines = append(lines, k+"="+v)
		}
		sort.Strings(lines)
		path := filepath.Join(dir, fmt.Sprintf("worker%d.properties", i))
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(props["listeners"], ":0") {
			port = 0 // learnt from the log once bound (boundPort)
		}
		ws = append(ws, &worker{t: t, bin: bin, props: path, port: port, log: filepath.Join(dir, fmt.Sprintf("worker%d.log", i))})
	}
	t.Cleanup(func() {
		for _, w := range ws {
			w.kill()
		}
		for _, w := range ws {
			data, _ := os.ReadFile(w.log)
			if i := bytes.Index(data, []byte("WARNING: DATA RACE")); i >= 0 {
				t.Errorf("%s: data race:\n%s", w.id(), data[i:min(len(data), i+4000)])
			}
			if t.Failed() {
				if len(data) > 6000 {
					data = data[len(data)-6000:]
				}
				t.Logf("--- %s log tail:\n%s", w.id(), data)
			}
		}
	})
	for _, w := range ws {
		w.start()
	}
	live := map[string]bool{}
	for _, w := range ws {
		eventually(t, w.log+" healthy", 60*time.Second, func() (bool, string) {
			if w.exited() {
				data, _ := os.ReadFile(w.log)
				t.Fatalf("%s exited while starting:\n%s", w.id(), data[max(0, len(data)-2000):])
			}
			if w.port == 0 && !w.boundPort() {
				return false, "REST listener not bound yet"
			}
			u := w.url()
			if user := extra["rest.basic.auth.user"]; user != "" {
				u = strings.Replace(u, "http://", "http://"+user+":"+extra["rest.basic.auth.password"]+"@", 1)
			}
			code, data, err := call("GET", u+"/health", nil)
			return err == nil && code == 200, fmt.Sprintf("%d %s %v", code, data, err)
		})
		live[w.id()] = true
	}
	return ws, live
}

// boundPort reads the port a worker on listeners=http://127.0.0.1:0 was
// given from its log.
func (w *worker) boundPort() bool {
	data, _ := os.ReadFile(w.log)
	m := regexp.MustCompile(`REST server listening.* listeners=http://127\.0\.0\.1:(\d+)`).FindSubmatch(data)
	if m == nil {
		return false
	}
	w.port, _ = strconv.Atoi(string(m[1]))
	return w.port != 0
}

func TestDistributedCluster(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts three worker processes")
	}
	k := harness.KafkaForTest(t)
	ws, live := startCluster(t, k, 3, map[string]string{
		"key.converter":   "org.apache.kafka.connect.storage.StringConverter",
		"value.converter": "org.apache.kafka.connect.storage.StringConverter",
	})
	cfgTopic, offTopic, stTopic := k.Topic("connect-configs"), k.Topic("connect-offsets"), k.Topic("connect-status")
	dataTopic := k.Topic("counter")
	leader, follower := leaderAndFollower(t, ws)

	// Acceptance 3: POST to a non-leader creates the connector; every worker
	// agrees on GET.
	conns := []string{"count-a", "count-b", "count-c", "count-d"}
	for _, c := range conns {
		mustCall(t, "POST", follower.url()+"/connectors", map[string]any{"name": c, "config": map[string]string{
			"connector.class": counterClass, "tasks.max": "3", "topic": dataTopic, "interval.ms": "10"}}, 201)
	}
	code, data, _ := call("POST", follower.url()+"/connectors", map[string]any{"name": "count-a", "config": map[string]string{
		"connector.class": counterClass, "tasks.max": "3", "topic": dataTopic}})
	if code != 409 {
		t.Errorf("creating an existing connector through a follower: %d %s, want 409", code, data)
	}

	// Acceptance 1: 4 connectors x 3 tasks, spread within one.
	waitBalanced(t, ws, conns, 3, live, 60*time.Second)
	var want []byte
	for _, w := range ws {
		got := mustCall(t, "GET", w.url()+"/connectors", nil, 200)
		if want == nil {
			want = got
		} else if !bytes.Equal(got, want) {
			t.Errorf("GET /connectors differs: %s vs %s", got, want)
		}
		info := mustCall(t, "GET", w.url()+"/connectors/count-b", nil, 200)
		var ci struct {
			Tasks []any `json:"tasks"`
		}
		if json.Unmarshal(info, &ci) != nil || len(ci.Tasks) != 3 {
			t.Errorf("%s: GET /connectors/count-b = %s", w.id(), info)
		}
	}

	if m := mustCall(t, "GET", ws[0].url()+"/metrics", nil, 200); len(m) == 0 {
		t.Error("empty /metrics")
	}

	// A cluster-scope log level set on one worker reaches every worker.
	mustCall(t, "PUT", ws[0].url()+"/admin/loggers/io.sluice.test?scope=cluster", map[string]string{"level": "DEBUG"}, 204)
	eventually(t, "the cluster log level on every worker", 20*time.Second, func() (bool, string) {
		for _, w := range ws {
			code, data, _ := call("GET", w.url()+"/admin/loggers/io.sluice.test", nil)
			if code != 200 || !bytes.Contains(data, []byte(`"DEBUG"`)) {
				return false, fmt.Sprintf("%s: %d %s", w.id(), code, data)
			}
		}
		return true, ""
	})

	// kill -9 a worker: after the session timeout and the scheduled delay
	// its work runs on the others.
	victim := follower
	victim.kill()
	killedAt := time.Now()
	delete(live, victim.id())
	waitBalanced(t, ws, conns, 3, live, 60*time.Second)
	t.Logf("work of the killed worker taken over after %v", time.Since(killedAt).Round(time.Millisecond))

	// Bring it back: the cluster rebalances onto it.
	victim.start()
	live[victim.id()] = true
	tc := waitBalanced(t, ws, conns, 3, live, 90*time.Second)
	if tc[victim.id()] == 0 {
		t.Errorf("the returning worker got no tasks: %v", tc)
	}

	// kill -9 the leader: a new leader, with no memory of the last
	// assignment, hands its work out from the members' reports.
	leader.kill()
	delete(live, leader.id())
	waitBalanced(t, ws, conns, 3, live, 60*time.Second)
	leader.start()
	live[leader.id()] = true
	tc = waitBalanced(t, ws, conns, 3, live, 90*time.Second)
	if tc[leader.id()] == 0 {
		t.Errorf("the restarted leader got no tasks: %v", tc)
	}
	// A graceful stop leaves the group at once and marks the worker's
	// work UNASSIGNED, instead of leaving it RUNNING under a dead id.
	quitter := ws[2]
	stoppedAt := time.Now()
	quitter.cmd.Process.Signal(syscall.SIGTERM)
	delete(live, quitter.id())
	eventually(t, "the stopped worker's tasks UNASSIGNED or moved", 20*time.Second, func() (bool, string) {
		for _, c := range conns {
			s, ok := status(ws[0], c)
			if !ok {
				return false, c
			}
			for _, tk := range s.Tasks {
				if tk.WorkerID == quitter.id() && tk.State != "UNASSIGNED" {
					return false, fmt.Sprintf("%s task %d still %s on the stopped worker", c, tk.ID, tk.State)
				}
			}
		}
		return true, ""
	})
	waitBalanced(t, ws, conns, 3, live, 60*time.Second)
	if d := time.Since(stoppedAt); d > 20*time.Second {
		t.Errorf("work of a gracefully stopped worker moved after %v; LeaveGroup should skip the session timeout", d)
	}
	time.Sleep(time.Second)
	quitter.start()
	live[quitter.id()] = true
	waitBalanced(t, ws, conns, 3, live, 90*time.Second)

	eventually(t, "a stable leader after the leader's death", 30*time.Second, func() (bool, string) {
		follower, leader = nil, nil
		for _, w := range ws {
			if w.isLeader() {
				if leader != nil {
					return false, "two workers claim to lead"
				}
				leader = w
			} else {
				follower = w
			}
		}
		return leader != nil && follower != nil, "no leader yet"
	})

	// Acceptance 5: pause, resume, stop, restart, delete across workers.
	other := ws[0]
	if other == leader {
		other = ws[1]
	}
	mustCall(t, "PUT", other.url()+"/connectors/count-a/pause", nil, 202)
	eventually(t, "count-a PAUSED everywhere", 30*time.Second, func() (bool, string) {
		for _, w := range ws {
			s, ok := status(w, "count-a")
			if !ok || s.Connector.State != "PAUSED" || len(s.Tasks) != 3 {
				return false, fmt.Sprintf("%s: %+v", w.id(), s)
			}
			for _, tk := range s.Tasks {
				if tk.State != "PAUSED" {
					return false, fmt.Sprintf("%s: task %d %s", w.id(), tk.ID, tk.State)
				}
			}
		}
		return true, ""
	})
	mustCall(t, "PUT", leader.url()+"/connectors/count-a/resume", nil, 202)
	waitBalanced(t, ws, conns, 3, live, 30*time.Second)

	mustCall(t, "PUT", other.url()+"/connectors/count-b/stop", nil, 202, 204)
	eventually(t, "count-b STOPPED with no tasks", 30*time.Second, func() (bool, string) {
		for _, w := range ws {
			s, ok := status(w, "count-b")
			if !ok || s.Connector.State != "STOPPED" || len(s.Tasks) != 0 {
				return false, fmt.Sprintf("%s: %+v", w.id(), s)
			}
			info := mustCall(t, "GET", w.url()+"/connectors/count-b", nil, 200)
			if !bytes.Contains(info, []byte(`"tasks":[]`)) {
				return false, string(info)
			}
		}
		return true, ""
	})
	offs := mustCall(t, "GET", other.url()+"/connectors/count-b/offsets", nil, 200)
	if !bytes.Contains(offs, []byte(`"task":"count-b-0"`)) {
		t.Errorf("offsets of a stopped connector: %s", offs)
	}
	mustCall(t, "PUT", other.url()+"/connectors/count-b/resume", nil, 202)
	waitBalanced(t, ws, conns, 3, live, 60*time.Second)

	plan := mustCall(t, "POST", follower.url()+"/connectors/count-c/restart?includeTasks=true", nil, 202)
	if !bytes.Contains(plan, []byte("RESTARTING")) {
		t.Errorf("restart plan: %s", plan)
	}
	mustCall(t, "POST", follower.url()+"/connectors/count-c/tasks/1/restart", nil, 204)
	mustCall(t, "POST", follower.url()+"/connectors/count-c/restart", nil, 204)
	waitBalanced(t, ws, conns, 3, live, 60*time.Second)

	mustCall(t, "DELETE", follower.url()+"/connectors/count-d", nil, 204)
	conns = conns[:3]
	eventually(t, "count-d gone everywhere", 30*time.Second, func() (bool, string) {
		for _, w := range ws {
			if code, _, _ := call("GET", w.url()+"/connectors/count-d", nil); code != 404 {
				return false, fmt.Sprintf("%s: %d", w.id(), code)
			}
		}
		return true, ""
	})
	waitBalanced(t, ws, conns, 3, live, 60*time.Second)

	// No row lost: every task's counter sequence is gap-free from 0 up to
	// its committed offset (at-least-once allows repeats).
	for _, w := range ws {
		w.cmd.Process.Signal(syscall.SIGTERM)
	}
	time.Sleep(3 * time.Second)
	msgs, err := harness.ReadAll(context.Background(), k.Bootstrap(), dataTopic, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]map[int]bool{}
	for _, m := range msgs {
		key := string(m.Key)
		i := strings.LastIndexByte(key, '-')
		n, err := strconv.Atoi(key[i+1:])
		if err != nil {
			t.Fatalf("bad key %q", key)
		}
		if seen[key[:i]] == nil {
			seen[key[:i]] = map[int]bool{}
		}
		seen[key[:i]][n] = true
	}
	committed := readOffsets(t, k.Bootstrap(), offTopic)
	for prefix, nums := range seen {
		var max int
		for n := range nums {
			if n > max {
				max = n
			}
		}
		for n := 0; n <= max; n++ {
			if !nums[n] {
				t.Errorf("%s: record %d missing (max %d)", prefix, n, max)
				break
			}
		}
		if next, ok := committed[prefix]; ok && next > max+1 {
			t.Errorf("%s: committed offset %d is past the last record written (%d)", prefix, next, max)
		}
	}
	if len(seen) != 12 {
		t.Errorf("records from %d task partitions, want 12", len(seen))
	}

	// Followers that own a connector hand its task configs to the leader
	// over the signed internal endpoint instead of writing them.
	accepted := 0
	for _, w := range ws {
		data, _ := os.ReadFile(w.log)
		accepted += bytes.Count(data, []byte("leader accepted task configs"))
	}
	if accepted == 0 {
		t.Error("no follower sent task configs to the leader")
	}

	// Acceptance 4: raw internal records have Kafka Connect's shapes,
	// checked with a decoder written from the spec, not the stores' code.
	checkRawConfigTopic(t, k.Bootstrap(), cfgTopic)
	checkRawStatusTopic(t, k.Bootstrap(), stTopic)
}

func rawRecords(t *testing.T, bootstrap, topic string) []*kafka.Message {
	t.Helper()
	msgs, err := harness.ReadAll(context.Background(), bootstrap, topic, 2*time.Second)
	if err != nil {
		t.Fatalf("read %s: %v", topic, err)
	}
	return msgs
}

// fieldOrder returns the top-level keys of a JSON object in wire order.
func fieldOrder(t *testing.T, b []byte) []string {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", b)
	}
	var keys []string
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
	}
	return keys
}

func readOffsets(t *testing.T, bootstrap, topic string) map[string]int {
	out := map[string]int{}
	for _, m := range rawRecords(t, bootstrap, topic) {
		var key []json.RawMessage
		if err := json.Unmarshal(m.Key, &key); err != nil || len(key) != 2 {
			t.Errorf("offset key %s is not [connector, partition]", m.Key)
			continue
		}
		var conn string
		var part map[string]string
		if json.Unmarshal(key[0], &conn) != nil || json.Unmarshal(key[1], &part) != nil || !strings.HasPrefix(part["task"], conn+"-") {
			t.Errorf("offset key %s has the wrong shape", m.Key)
			continue
		}
		if m.Value == nil {
			delete(out, part["task"])
			continue
		}
		var v map[string]int
		if json.Unmarshal(m.Value, &v) != nil || len(v) != 1 {
			t.Errorf("offset value %s is not {\"next\":N}", m.Value)
			continue
		}
		out[part["task"]] = v["next"]
	}
	return out
}

func checkRawConfigTopic(t *testing.T, bootstrap, topic string) {
	t.Helper()
	kinds := map[string]int{}
	for _, m := range rawRecords(t, bootstrap, topic) {
		key := string(m.Key)
		if m.TopicPartition.Partition != 0 {
			t.Errorf("config record %s in partition %d", key, m.TopicPartition.Partition)
		}
		if m.Value == nil {
			kinds["tombstone"]++
			continue
		}
		order := strings.Join(fieldOrder(t, m.Value), ",")
		switch {
		case strings.HasPrefix(key, "connector-"):
			kinds["connector"]++
			var v struct {
				Properties map[string]string `json:"properties"`
			}
			if order != "properties" || json.Unmarshal(m.Value, &v) != nil || v.Properties["connector.class"] != counterClass || "connector-"+v.Properties["name"] != key {
				t.Errorf("connector record %s = %s", key, m.Value)
			}
		case strings.HasPrefix(key, "task-"):
			kinds["task"]++
			var v struct {
				Properties map[string]string `json:"properties"`
			}
			// Kafka Connect adds the task class to every task config.
			if !regexp.MustCompile(`^task-count-[a-d]-[0-2]$`).MatchString(key) || order != "properties" ||
				json.Unmarshal(m.Value, &v) != nil || v.Properties["task.class"] != "io.sluice.testing.CounterSourceTask" {
				t.Errorf("task record %s = %s", key, m.Value)
			}
		case strings.HasPrefix(key, "commit-"):
			kinds["commit"]++
			var v map[string]int
			if order != "tasks" || json.Unmarshal(m.Value, &v) != nil || (v["tasks"] != 3 && v["tasks"] != 0) {
				t.Errorf("commit record %s = %s", key, m.Value)
			}
		case strings.HasPrefix(key, "target-state-"):
			kinds["target-state"]++
			var v map[string]string
			if order != "state,state.v2" || json.Unmarshal(m.Value, &v) != nil {
				t.Errorf("target state record %s = %s", key, m.Value)
			}
			if v["state.v2"] == "STOPPED" && v["state"] != "PAUSED" {
				t.Errorf("STOPPED must be written as state PAUSED for old readers: %s", m.Value)
			}
		case strings.HasPrefix(key, "restart-connector-"):
			kinds["restart"]++
			if order != "include-tasks,only-failed" {
				t.Errorf("restart record %s = %s", key, m.Value)
			}
		case strings.HasPrefix(key, "logger-cluster-"):
			kinds["logger"]++
			if key != "logger-cluster-io.sluice.test" || string(m.Value) != `{"level":"DEBUG"}` {
				t.Errorf("logger record %s = %s", key, m.Value)
			}
		case key == "session-key":
			kinds["session-key"]++
			if order != "key,algorithm,creation-timestamp" {
				t.Errorf("session key record = %s", m.Value)
			}
		default:
			t.Errorf("unexpected config key %q", key)
		}
	}
	for _, k := range []string{"connector", "task", "commit", "target-state", "restart", "logger", "tombstone"} {
		if kinds[k] == 0 {
			t.Errorf("no %s record in the config topic (%v)", k, kinds)
		}
	}
}

func checkRawStatusTopic(t *testing.T, bootstrap, topic string) {
	t.Helper()
	states := map[string]bool{}
	var n int
	for _, m := range rawRecords(t, bootstrap, topic) {
		key := string(m.Key)
		if m.Value == nil {
			continue
		}
		switch {
		case strings.HasPrefix(key, "status-connector-"), strings.HasPrefix(key, "status-task-"):
			n++
			var v struct {
				State      string  `json:"state"`
				Trace      *string `json:"trace"`
				WorkerID   string  `json:"worker_id"`
				Generation *int    `json:"generation"`
			}
			order := strings.Join(fieldOrder(t, m.Value), ",")
			if order != "state,trace,worker_id,generation,version" || json.Unmarshal(m.Value, &v) != nil || v.Generation == nil || !strings.HasPrefix(v.WorkerID, "127.0.0.1:") {
				t.Errorf("status record %s = %s", key, m.Value)
			}
			states[v.State] = true
		case strings.HasPrefix(key, "status-topic-"):
			if !strings.HasSuffix(key, ":connector-"+strings.TrimPrefix(key[strings.LastIndex(key, ":connector-")+1:], "connector-")) || fieldOrder(t, m.Value)[0] != "topic" {
				t.Errorf("topic record %s = %s", key, m.Value)
			}
		default:
			t.Errorf("unexpected status key %q", key)
		}
	}
	var got []string
	for s := range states {
		got = append(got, s)
	}
	sort.Strings(got)
	for _, s := range []string{"PAUSED", "RUNNING", "STOPPED", "UNASSIGNED"} {
		if !states[s] {
			t.Errorf("no %s status record (states seen: %v, %d records)", s, got, n)
		}
	}
}

// TestDistributedMySQLFailover: the MySQL connector's task is killed -9
// with its worker in the middle of a stream of inserts, updates and
// deletes; the other worker takes it over from the offsets topic, and the
// topic folded by key equals SELECT * (issue 7 acceptance 1's row check).
func TestDistributedMySQLFailover(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts MariaDB and two worker processes")
	}
	const rows = 600
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, q := range []string{
		"CREATE DATABASE fo",
		"CREATE TABLE fo.rows (id INT PRIMARY KEY, v INT NOT NULL, s VARCHAR(32) NOT NULL)",
	} {
		if err := db.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 100; i++ {
		if err := db.Exec(ctx, "INSERT INTO fo.rows VALUES (?, ?, ?)", i, i, "snap"); err != nil {
			t.Fatal(err)
		}
	}
	ws, live := startCluster(t, k, 2, map[string]string{
		"key.converter": "org.apache.kafka.connect.json.JsonConverter", "key.converter.schemas.enable": "false",
		"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false",
	})
	prefix := k.TopicPrefix() + "fo"
	topic := prefix + ".fo.rows"
	mustCall(t, "POST", ws[0].url()+"/connectors", map[string]any{"name": "fo", "config": map[string]string{
		"connector.class": "MySqlConnector", "database.hostname": db.Host(), "database.port": strconv.Itoa(db.Port()),
		"database.user": db.User(), "database.password": db.Password(), "database.server.id": "5601",
		"topic.prefix": prefix, "table.include.list": `fo\.rows`, "tombstones.on.delete": "false",
	}}, 201)
	var owner string
	eventually(t, "the MySQL task RUNNING", 60*time.Second, func() (bool, string) {
		s, ok := status(ws[1], "fo")
		if !ok || len(s.Tasks) != 1 || s.Tasks[0].State != "RUNNING" {
			return false, fmt.Sprintf("%+v", s)
		}
		owner = s.Tasks[0].WorkerID
		return true, ""
	})

	// Writes keep coming while the task's worker dies.
	writerDone := make(chan error, 1)
	go func() {
		for i := 101; i <= 100+rows; i++ {
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{"INSERT INTO fo.rows VALUES (?, ?, ?)", []any{i, i, "new"}},
				{"UPDATE fo.rows SET v = v + 1000, s = 'upd' WHERE id = ?", []any{i - 50}},
				{"DELETE FROM fo.rows WHERE id = ?", []any{i - 90}},
			} {
				if err := db.Exec(ctx, q.sql, q.args...); err != nil {
					writerDone <- err
					return
				}
			}
			if i%100 == 0 {
				time.Sleep(200 * time.Millisecond)
			}
		}
		writerDone <- nil
	}()
	time.Sleep(time.Second)
	var victim, survivor *worker
	for _, w := range ws {
		if w.id() == owner {
			victim = w
		} else {
			survivor = w
		}
	}
	select {
	case err := <-writerDone:
		t.Fatalf("the writes ended (%v) before the kill; the takeover would not be mid-stream", err)
	default:
	}
	victim.kill()
	delete(live, victim.id())
	eventually(t, "the MySQL task RUNNING on the surviving worker", 60*time.Second, func() (bool, string) {
		s, ok := status(survivor, "fo")
		if !ok || len(s.Tasks) != 1 || s.Tasks[0].State != "RUNNING" || s.Tasks[0].WorkerID != survivor.id() {
			return false, fmt.Sprintf("%+v", s)
		}
		return true, ""
	})
	if err := <-writerDone; err != nil {
		t.Fatal(err)
	}

	want := map[int]skelRow{}
	got, err := db.QueryMaps(ctx, "SELECT id, v, s FROM fo.rows")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range got {
		id, _ := strconv.Atoi(r["id"])
		v, _ := strconv.Atoi(r["v"])
		want[id] = skelRow{ID: id, V: v, S: r["s"]}
	}
	var fold map[int]skelRow
	eventually(t, "the topic folded by key to equal SELECT *", 90*time.Second, func() (bool, string) {
		msgs, err := harness.ReadAll(ctx, k.Bootstrap(), topic, 2*time.Second)
		if err != nil {
			return false, err.Error()
		}
		fold = map[int]skelRow{}
		snapshotReads := 0
		for _, m := range msgs {
			e := decodeSkel(t, m)
			if e.op == "r" {
				snapshotReads++
			}
			if e.op == "d" {
				delete(fold, e.key)
			} else if e.after != nil {
				fold[e.key] = *e.after
			}
		}
		if snapshotReads != 100 {
			// The new owner must resume from the committed binlog offset,
			// not snapshot again.
			t.Fatalf("%d snapshot events, want the 100 of the one snapshot", snapshotReads)
		}
		if len(fold) != len(want) {
			return false, fmt.Sprintf("%d rows folded from %d events, table has %d", len(fold), len(msgs), len(want))
		}
		for id, r := range want {
			if fold[id] != r {
				return false, fmt.Sprintf("row %d: topic %+v, table %+v", id, fold[id], r)
			}
		}
		return true, ""
	})
}

// TestSluiceDistributedCommand runs the production binary's
// `sluice distributed` with Kafka's FileStreamSource: one worker forms a
// cluster by itself and runs the connector.
func TestSluiceDistributedCommand(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the sluice binary")
	}
	k := harness.KafkaForTest(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "sluice")
	build := exec.Command("go", "build", "-o", bin, "../cmd/sluice")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build sluice: %v", err)
	}
	input := filepath.Join(dir, "input.txt")
	if err := os.WriteFile(input, []byte("one\ntwo\nthree\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freeTCPPort(t)
	props := filepath.Join(dir, "worker.properties")
	if err := os.WriteFile(props, []byte(strings.Join([]string{
		"bootstrap.servers=" + k.Bootstrap(), "group.id=" + k.Topic("cmd"),
		"config.storage.topic=" + k.Topic("cmd-configs"), "offset.storage.topic=" + k.Topic("cmd-offsets"), "status.storage.topic=" + k.Topic("cmd-status"),
		"config.storage.replication.factor=-1", "offset.storage.replication.factor=-1", "status.storage.replication.factor=-1",
		"key.converter=org.apache.kafka.connect.storage.StringConverter", "value.converter=org.apache.kafka.connect.storage.StringConverter",
		"listeners=http://127.0.0.1:" + strconv.Itoa(port), "offset.flush.interval.ms=300",
	}, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w := &worker{t: t, bin: bin, props: props, port: port, log: filepath.Join(dir, "sluice.log")}
	w.cmd = exec.Command(bin, "distributed", props)
	logf, err := os.Create(w.log)
	if err != nil {
		t.Fatal(err)
	}
	w.cmd.Stdout, w.cmd.Stderr = logf, logf
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		w.kill()
		logf.Close()
		if t.Failed() {
			data, _ := os.ReadFile(w.log)
			t.Logf("sluice log:\n%s", data)
		}
	})
	eventually(t, "sluice distributed healthy", 60*time.Second, func() (bool, string) {
		code, data, err := call("GET", w.url()+"/health", nil)
		return err == nil && code == 200, fmt.Sprintf("%d %s %v", code, data, err)
	})
	topic := k.Topic("lines")
	mustCall(t, "POST", w.url()+"/connectors", map[string]any{"name": "lines", "config": map[string]string{
		"connector.class": "FileStreamSource", "file": input, "topic": topic}}, 201)
	msgs, err := harness.ReadTopic(context.Background(), k.Bootstrap(), topic, 3, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, string(m.Value))
	}
	if strings.Join(got, ",") != "one,two,three" {
		t.Errorf("lines = %v", got)
	}
	eventually(t, "offsets in the offsets topic", 30*time.Second, func() (bool, string) {
		_, data, _ := call("GET", w.url()+"/connectors/lines/offsets", nil)
		return bytes.Contains(data, []byte(`"position":14`)), string(data)
	})
}

// leaderAndFollower waits for the cluster to settle on a leader and returns
// it and one of the other workers.
func leaderAndFollower(t *testing.T, ws []*worker) (leader, follower *worker) {
	t.Helper()
	eventually(t, "a stable leader", 30*time.Second, func() (bool, string) {
		leader, follower = nil, nil
		for _, w := range ws {
			if w.isLeader() {
				leader = w
			} else {
				follower = w
			}
		}
		return leader != nil && follower != nil, "no leader yet"
	})
	return leader, follower
}
