package integration

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/sluicehq/sluice/integration/harness"
)

// rtRSS reads a process's resident set size in bytes.
func rtRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// TestRuntimeBrokerOutageBackpressure is issue 6's acceptance 2: under a
// continuous load, the broker is stopped for 60 s and started again (same
// port, same data). The worker's memory stays bounded while it cannot
// write, no line is lost, and the pipeline resumes.
func TestRuntimeBrokerOutageBackpressure(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("takes 90 s")
	}
	began := time.Now()
	defer func() { t.Logf("took %s", time.Since(began).Round(time.Second)) }()
	outage := 60 * time.Second
	dataDir := t.TempDir()
	port := freeTCPPort(t)
	start := func() *kfake.Cluster {
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port), kfake.DataDir(dataDir),
			kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(1))
		if err != nil {
			t.Fatalf("start kfake on port %d: %v", port, err)
		}
		return c
	}
	cluster := start()
	defer func() { cluster.Close() }()
	bootstrap := fmt.Sprintf("127.0.0.1:%d", port)

	dir := t.TempDir()
	rest := fmt.Sprintf("http://127.0.0.1:%d", freeTCPPort(t))
	input := filepath.Join(dir, "load.txt")
	topic := "backpressure"
	workerProps := filepath.Join(dir, "worker.properties")
	writeProps(t, workerProps, map[string]string{
		"bootstrap.servers":            bootstrap,
		"offset.storage.file.filename": filepath.Join(dir, "offsets"),
		"offset.flush.interval.ms":     "1000",
		"listeners":                    rest,
		"key.converter":                "org.apache.kafka.connect.storage.StringConverter",
		"value.converter":              "org.apache.kafka.connect.storage.StringConverter",
	})
	connProps := filepath.Join(dir, "load.properties")
	writeProps(t, connProps, map[string]string{
		"name": "load", "connector.class": "FileStreamSource", "file": input, "topic": topic, "batch.size": "2000",
	})
	f, err := os.Create(input)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	w := startSluice(t, rest, "standalone", workerProps, connProps)
	w.waitTaskRunning("load")
	pid := w.cmd.Process.Pid

	// The load: 100-byte lines, 5,000 a second, until told to stop: the
	// outage's 300,000 lines are three times what the worker lets wait for
	// the broker (100,000 records), so backpressure has to hold it.
	ctx, cancel := context.WithCancel(context.Background())
	var written atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		bw := bufio.NewWriterSize(f, 1<<20)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		pad := strings.Repeat("x", 88)
		for {
			select {
			case <-ctx.Done():
				_ = bw.Flush()
				return
			case <-tick.C:
			}
			for i := 0; i < 50; i++ {
				fmt.Fprintf(bw, "%010d%s\n", written.Load(), pad)
				written.Add(1)
			}
			_ = bw.Flush()
		}
	}()
	defer func() { cancel(); wg.Wait() }()

	sample := func(d time.Duration, label string) (maxRSS int64) {
		end := time.Now().Add(d)
		for time.Now().Before(end) {
			r, err := rtRSS(pid)
			if err != nil {
				t.Fatalf("RSS: %v\n%s", err, w.log.String())
			}
			maxRSS = max(maxRSS, r)
			time.Sleep(time.Second)
		}
		t.Logf("%s: max RSS %.1f MiB", label, float64(maxRSS)/(1<<20))
		return maxRSS
	}
	before := sample(6*time.Second, "before the outage")

	cluster.Close()
	t.Logf("broker stopped; %d lines written so far", written.Load())
	var during []int64
	for i := 0; i < int(outage/(10*time.Second)); i++ {
		during = append(during, sample(10*time.Second, fmt.Sprintf("outage %ds", (i+1)*10)))
	}
	cluster = start()
	t.Logf("broker back; %d lines written so far", written.Load())
	sample(3*time.Second, "after the outage")
	cancel()
	wg.Wait()
	total := int(written.Load())

	limit := 2*before + 64<<20
	for i, r := range during {
		if r > limit {
			t.Errorf("RSS %.1f MiB in outage window %d exceeds %.1f MiB (2 × %.1f MiB before + 64 MiB)", float64(r)/(1<<20), i, float64(limit)/(1<<20), float64(before)/(1<<20))
		}
	}
	// Bounded, not just slow to grow: the last 20 s add little to the
	// first 40 s (the writer kept going the whole time).
	if last, mid := max(during[4], during[5]), max(during[2], during[3]); last > mid+32<<20 {
		t.Errorf("RSS still growing at the end of the outage: %.1f MiB after %.1f MiB", float64(last)/(1<<20), float64(mid)/(1<<20))
	}

	// Every line arrives once the broker is back (at least once).
	readCtx, readCancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer readCancel()
	msgs, err := harness.ReadTopic(readCtx, bootstrap, topic, total, 60*time.Second)
	if err != nil {
		t.Fatalf("%v\n%s", err, rtTail(w.log.String(), 4000))
	}
	seen := make([]bool, total)
	for _, m := range msgs {
		n, err := strconv.Atoi(string(m.Value[:10]))
		if err != nil || n >= total {
			t.Fatalf("unexpected line %q", m.Value)
		}
		seen[n] = true
	}
	missing := 0
	for _, ok := range seen {
		if !ok {
			missing++
		}
	}
	if missing > 0 {
		// ReadTopic stops at total messages; duplicates can hide lines.
		more, _ := harness.ReadAll(readCtx, bootstrap, topic, 3*time.Second)
		for _, m := range more {
			if n, err := strconv.Atoi(string(m.Value[:10])); err == nil && n < total {
				seen[n] = true
			}
		}
		missing = 0
		for _, ok := range seen {
			if !ok {
				missing++
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d lines never reached Kafka", missing, total)
	}
	t.Logf("%d lines written, all in Kafka (%d messages read)", total, len(msgs))
	w.waitTaskRunning("load")
}

func rtTail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
