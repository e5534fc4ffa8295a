package integration

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// rtAppendLines appends lines to a file.
func rtAppendLines(t *testing.T, path string, lines ...string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(strings.Join(lines, "\n") + "\n"); err != nil {
		t.Fatal(err)
	}
}

var rtSeries = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$`)

// rtScrape reads GET /metrics into series → value.
func rtScrape(t *testing.T, restURL string) map[string]float64 {
	t.Helper()
	st, body, err := httpCall(http.MethodGet, restURL+"/metrics", nil)
	if err != nil || st != 200 {
		t.Fatalf("GET /metrics: %d %v %s", st, err, body)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(body, "\n") {
		m := rtSeries.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		out[m[1]] = v
	}
	return out
}

func rtWaitMetric(t *testing.T, restURL, series string, want float64, w *workerProc) map[string]float64 {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var m map[string]float64
	for time.Now().Before(deadline) {
		m = rtScrape(t, restURL)
		if m[series] == want {
			return m
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s = %v, want %v within 60 s\n%s", series, m[series], want, w.log.String())
	return nil
}

// TestRuntimeToleranceMetricsAndSecrets runs `sluice standalone` with two
// connectors from the command line, on a real broker, and checks issue 6's
// acceptance 3, 4 and 5:
//   - errors.tolerance=all with a Cast that fails on some lines: the other
//     lines arrive, the failures are counted on /metrics and logged without
//     the line unless errors.log.include.messages=true;
//   - ${file:…} and ${env:…} resolve at task start (the data flows to the
//     resolved topic from the resolved file), GET …/config shows the
//     placeholders, and the worker's log never shows the resolved values;
//   - /metrics counters grow while data flows.
func TestRuntimeToleranceMetricsAndSecrets(t *testing.T) {
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	rest := fmt.Sprintf("http://127.0.0.1:%d", freeTCPPort(t))

	// The "secrets": the topic name comes from the environment and the
	// input file's path from a properties file. Both are distinctive so a
	// grep of the log cannot miss them.
	secretTopic := k.Topic("s3cr3t-topic-name")
	input := filepath.Join(dir, "input-s3cr3t-path.txt")
	secretsFile := filepath.Join(dir, "secrets.properties")
	writeProps(t, secretsFile, map[string]string{"input.file": input})
	t.Setenv("SLUICE_IT_TOPIC", secretTopic)

	workerProps := filepath.Join(dir, "worker.properties")
	writeProps(t, workerProps, map[string]string{
		"bootstrap.servers":            k.Bootstrap(),
		"offset.storage.file.filename": filepath.Join(dir, "offsets"),
		"offset.flush.interval.ms":     "200",
		"listeners":                    rest,
		"key.converter":                "org.apache.kafka.connect.storage.StringConverter",
		"value.converter":              "org.apache.kafka.connect.storage.StringConverter",
		"config.providers":             "file,env",
		"config.providers.file.class":  "org.apache.kafka.common.config.provider.FileConfigProvider",
		"config.providers.env.class":   "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
	})
	castConfig := func(name, file, topic, includeMessages string) string {
		p := filepath.Join(dir, name+".properties")
		writeProps(t, p, map[string]string{
			"name":                        name,
			"connector.class":             "FileStreamSource",
			"file":                        file,
			"topic":                       topic,
			"transforms":                  "num",
			"transforms.num.type":         "org.apache.kafka.connect.transforms.Cast$Value",
			"transforms.num.spec":         "int32",
			"errors.tolerance":            "all",
			"errors.log.enable":           "true",
			"errors.log.include.messages": includeMessages,
		})
		return p
	}
	visibleInput := filepath.Join(dir, "visible.txt")
	visibleTopic := k.Topic("visible")
	rtAppendLines(t, visibleInput, "1", "visible-bad-line", "2")
	lines := func(from, to int) []string {
		var out []string
		for i := from; i < to; i++ {
			if i%10 == 7 {
				out = append(out, fmt.Sprintf("hidden-bad-line-%d", i))
			} else {
				out = append(out, strconv.Itoa(i))
			}
		}
		return out
	}
	rtAppendLines(t, input, lines(0, 500)...)

	w := startSluice(t, rest, "standalone", workerProps,
		castConfig("secretive", "${file:"+secretsFile+":input.file}", "${env:SLUICE_IT_TOPIC}", "false"),
		castConfig("talkative", visibleInput, visibleTopic, "true"))
	w.waitTaskRunning("secretive")
	w.waitTaskRunning("talkative")

	const task = `{connector="secretive",task="0"}`
	m1 := rtWaitMetric(t, rest, "kafka_connect_task_error_total_records_skipped"+task, 50, w)
	rtAppendLines(t, input, lines(500, 1000)...)
	m2 := rtWaitMetric(t, rest, "kafka_connect_task_error_total_records_skipped"+task, 100, w)
	for _, s := range []string{
		"kafka_connect_source_task_source_record_poll_total" + task,
		"kafka_connect_source_task_source_record_write_total" + task,
		"kafka_connect_task_error_total_record_errors" + task,
		"kafka_connect_task_error_total_errors_logged" + task,
	} {
		if !(m2[s] > m1[s]) {
			t.Errorf("%s did not grow while data flowed: %v then %v", s, m1[s], m2[s])
		}
	}
	for s, want := range map[string]float64{
		"kafka_connect_source_task_source_record_poll_total" + task:                       1000,
		"kafka_connect_task_error_total_record_errors" + task:                             100,
		`kafka_connect_worker_connector_count`:                                            2,
		`kafka_connect_worker_connector_running_task_count{connector="secretive"}`:        1,
		`kafka_connect_connector_status{connector="secretive",status="running",task="0"}`: 1,
	} {
		if m2[s] != want {
			t.Errorf("%s = %v, want %v", s, m2[s], want)
		}
	}
	if m2["kafka_connect_source_task_source_record_write_total"+task] < 800 {
		t.Errorf("write total %v, want ≥ 800 (the write count is of records handed to the producer)", m2["kafka_connect_source_task_source_record_write_total"+task])
	}

	// Every good line arrived, in order, and no bad one.
	msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), secretTopic, 900, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := 0; i < 1000; i++ {
		if i%10 == 7 {
			continue
		}
		if got := string(msgs[n].Value); got != strconv.Itoa(i) {
			t.Fatalf("message %d = %q, want %d", n, got, i)
		}
		n++
	}
	if vis, err := harness.ReadTopic(ctx, k.Bootstrap(), visibleTopic, 2, 30*time.Second); err != nil || string(vis[0].Value) != "1" || string(vis[1].Value) != "2" {
		t.Fatalf("visible topic: %v", err)
	}

	// GET …/config shows the placeholders.
	st, body, err := httpCall(http.MethodGet, rest+"/connectors/secretive/config", nil)
	if err != nil || st != 200 || !strings.Contains(body, `"${env:SLUICE_IT_TOPIC}"`) || !strings.Contains(body, `"${file:`+secretsFile+`:input.file}"`) {
		t.Fatalf("GET config: %d %v %s", st, err, body)
	}
	_, tasks, _ := httpCall(http.MethodGet, rest+"/connectors/secretive/tasks", nil)
	_, status, _ := httpCall(http.MethodGet, rest+"/connectors/secretive/status", nil)
	_, topics, _ := httpCall(http.MethodGet, rest+"/connectors/secretive/topics", nil)
	for what, s := range map[string]string{"tasks": tasks, "status": status} {
		if strings.Contains(s, "s3cr3t") {
			t.Errorf("GET %s shows a resolved secret: %s", what, s)
		}
	}
	// /topics names the topic written to; Kafka Connect shows it too, and
	// it is not a secret in practice. It proves the resolved topic was used.
	if !strings.Contains(topics, secretTopic) {
		t.Errorf("GET topics = %s, want %s", topics, secretTopic)
	}

	w.stop()
	log := w.log.String()
	if strings.Contains(log, "s3cr3t") {
		for _, l := range strings.Split(log, "\n") {
			if strings.Contains(l, "s3cr3t") {
				t.Errorf("worker log shows a resolved secret: %s", l)
			}
		}
	}
	if c := strings.Count(log, "Error encountered in task"); c != 101 {
		t.Errorf("%d errors logged, want 101", c)
	}
	if strings.Contains(log, "hidden-bad-line") {
		t.Error("a failed record's data was logged although errors.log.include.messages=false")
	}
	if !strings.Contains(log, "visible-bad-line") {
		t.Error("errors.log.include.messages=true did not log the failed record")
	}
}
