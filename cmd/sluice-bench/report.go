package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// handWrittenMarker separates the generated report from notes kept by hand
// (profile analysis); -out keeps everything after it.
const handWrittenMarker = "<!-- sluice-bench: everything below this line is kept when the file is regenerated -->"

type loadInfo struct {
	table string
	r     binlogRange
	took  time.Duration
}

type report struct {
	machine    []string
	samples    map[string][]float64 // "scenario/table/variant" → rows/s per run
	rss        map[string][]float64 // same keys → peak RSS MiB per run
	startRSS   map[string][]float64 // same keys → VmRSS MiB when the run began
	cpu        map[string][]float64 // same keys → this process's µs CPU per row
	brokerCPU  map[string][]float64 // same keys → the broker child's µs CPU per row
	dbCPU      map[string][]float64 // same keys → MariaDB's µs CPU per row (raw SELECT, snapshot)
	bytes      map[string][2]float64
	latency    map[int][]latencyResult
	loads      []loadInfo
	snapshotNA string
	elapsed    time.Duration
	order      []string
	baseRSS    float64
}

func newReport(e *env) *report {
	r := &report{samples: map[string][]float64{}, rss: map[string][]float64{}, cpu: map[string][]float64{}, startRSS: map[string][]float64{}, brokerCPU: map[string][]float64{}, dbCPU: map[string][]float64{}, bytes: map[string][2]float64{}, latency: map[int][]latencyResult{}}
	cpu := "unknown"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := "unknown"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
				mem = fmt.Sprintf("%.1f GiB", kb/1024/1024)
			}
		}
	}
	kernel := "unknown"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(b))
	}
	version, _ := e.db.QueryValue(context.Background(), "SELECT VERSION()")
	bp, _ := e.db.Variable(context.Background(), "innodb_buffer_pool_size")
	if n, err := strconv.ParseFloat(bp, 64); err == nil {
		bp = fmt.Sprintf("%.0f MiB", n/1024/1024)
	}
	resetPeakRSS()
	_, r.baseRSS = rssMB()
	r.machine = []string{
		fmt.Sprintf("CPUs (nproc): %d, %s", goruntime.NumCPU(), cpu),
		"Memory: " + mem,
		"Kernel: Linux " + kernel + ", " + goruntime.Version() + " " + goruntime.GOOS + "/" + goruntime.GOARCH,
		fmt.Sprintf("MariaDB %s on the same machine (innodb_buffer_pool_size %s, binlog ROW/FULL/FULL, innodb_flush_log_at_trx_commit=2)", version, bp),
		"Broker: " + e.brokerDesc + ", one partition per topic",
		"Load average at start (1/5/15 min): " + loadAvg(),
	}
	return r
}

// loadAvg tells a reader how busy the machine was: the figures of a shared
// box under load are not comparable with an idle one's.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " / ")
}

func key(scenario, table, variant string) string { return scenario + "/" + table + "/" + variant }

func (r *report) add(scenario, table, variant string, rate, peakMB float64) {
	k := key(scenario, table, variant)
	if _, ok := r.samples[k]; !ok {
		r.order = append(r.order, k)
	}
	r.samples[k] = append(r.samples[k], rate)
	if peakMB > 0 {
		r.rss[k] = append(r.rss[k], peakMB)
	}
}

// addStart records the RSS a run began with: what earlier runs left in
// this long-lived process (librdkafka's freed memory that glibc keeps), part
// of every later peak.
func (r *report) addStart(scenario, table, variant string, mb float64) {
	if mb > 0 {
		k := key(scenario, table, variant)
		r.startRSS[k] = append(r.startRSS[k], mb)
	}
}

// addCPU records a run's CPU time per row: Sluice's process (librdkafka's
// threads included) and the broker child's.
func (r *report) addCPU(scenario, table, variant string, sluice, broker time.Duration) {
	k := key(scenario, table, variant)
	if sluice > 0 {
		r.cpu[k] = append(r.cpu[k], float64(sluice)/1e3)
	}
	if broker > 0 {
		r.brokerCPU[k] = append(r.brokerCPU[k], float64(broker)/1e3)
	}
}

// addDBCPU records MariaDB's CPU time per row of a run.
func (r *report) addDBCPU(scenario, table, variant string, d time.Duration) {
	if d > 0 {
		k := key(scenario, table, variant)
		r.dbCPU[k] = append(r.dbCPU[k], float64(d)/1e3)
	}
}

// cpuCell is the median µs per row of a CPU series, "–" without one.
func cpuCell(v []float64) string {
	if len(v) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f", median(v))
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func maxOf(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	return slices.Max(v)
}

func (r *report) med(scenario, table, variant string) (float64, bool) {
	v, ok := r.samples[key(scenario, table, variant)]
	return median(v), ok && len(v) > 0
}

// spread renders the runs' min–max as a percentage of the median, so a
// reader sees how noisy a figure was.
func spread(v []float64) string {
	m := median(v)
	if len(v) < 2 || m == 0 {
		return "–"
	}
	return fmt.Sprintf("±%.0f%%", (slices.Max(v)-slices.Min(v))/2/m*100)
}

func kfmt(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.0fk", v/1e3)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func (r *report) tables() []string {
	var out []string
	for _, k := range r.order {
		t := strings.Split(k, "/")[1]
		if !slices.Contains(out, t) && t != "txn" {
			out = append(out, t)
		}
	}
	return out
}

func (r *report) variantsOf(scenario, table string) []string {
	var out []string
	for _, k := range r.order {
		p := strings.Split(k, "/")
		if p[0] == scenario && p[1] == table {
			out = append(out, p[2])
		}
	}
	return out
}

func (r *report) markdown() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# Benchmarks\n\n")
	w("Generated by `make bench` (`cmd/sluice-bench`): a private MariaDB and a Kafka-protocol broker on this machine, the data loaded, each scenario run %d times through Sluice's real pipeline (standalone herder → worker task → `connectors/mysql` → converter → producer: franz-go, or librdkafka with `-producer sluice.client=librdkafka`) in one process, and the machine's limits measured by the same program in the same run. Figures are **medians**; ± is half the min–max spread of the runs. This machine is shared and noisy: read the ratios to the limits first.\n\n", *runs)
	w("Command: `%s` (wall time %s; load average at the end %s)\n\n", commandLine, r.elapsed.Round(time.Second), loadAvg())
	w("## Machine\n\n")
	for _, m := range r.machine {
		w("- %s\n", m)
	}
	w("\n## Data\n\n")
	w("- `t7`: the 7-column table (BIGINT PK, INT, VARCHAR(64) of 16–48 chars, DECIMAL(12,2), DATETIME(3), DOUBLE, TEXT of 50 chars).\n")
	w("- `wide`: 40 columns (BIGINT PK + 6 × {INT, VARCHAR(32), DECIMAL(12,2), DATETIME(3), DOUBLE, BIGINT} + TINYINT, DATE, TEXT(50)).\n")
	w("- `txn`: the 7-column shape with a 1,900-character TEXT (≈2 KB rows), loaded as **one** transaction.\n\n")
	w("| table | rows | binlog MB | load time | load rows/s |\n|---|---:|---:|---:|---:|\n")
	for _, l := range r.loads {
		w("| %s | %d | %.1f | %s | %s |\n", l.table, l.r.Rows, float64(l.r.Bytes)/1e6, l.took.Round(100*time.Millisecond), kfmt(float64(l.r.Rows)/l.took.Seconds()))
	}

	for _, t := range r.tables() {
		parse, hasParse := r.med("parse-only", t, "")
		vs := r.variantsOf("catch-up", t)
		if len(vs) == 0 {
			continue
		}
		w("\n## Binlog catch-up, `%s`\n\n", t)
		w("Rows already in the binlog; the connector starts from the first row's file/pos (a stored Debezium-format offset) and the clock stops when the broker has acknowledged the last row (worker start and connector start included). Key: JsonConverter without schemas.\n\n")
		if hasParse {
			w("Parse-only limit (go-mysql BinlogSyncer alone, same config as the connector, decoding every row): **%s rows/s** %s.\n\n", kfmt(parse), spread(r.samples[key("parse-only", t, "")]))
		}
		w("| value converter | rows/s | ± | key+value bytes | produce-only msgs/s (same sizes) | ÷ parse-only | ÷ min(parse, produce) | Sluice µs CPU/row | of which producing (produce-only µs CPU/msg) | broker µs CPU/row | peak RSS MiB |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, v := range vs {
			rate, _ := r.med("catch-up", t, v)
			prod, hasProd := r.med("produce-only", t, v)
			sz := r.bytes[key("catch-up", t, v)]
			lim := parse
			if hasProd && (prod < lim || !hasParse) {
				lim = prod
			}
			ratio := func(x float64, ok bool) string {
				if !ok || x == 0 {
					return "–"
				}
				return fmt.Sprintf("%.2f", rate/x)
			}
			k := key("catch-up", t, v)
			w("| %s | **%s** | %s | %.0f+%.0f | %s | %s | %s | %s | %s | %s | %s |\n", v, kfmt(rate), spread(r.samples[k]), sz[0], sz[1],
				orDash(prod, hasProd), ratio(parse, hasParse), ratio(lim, hasParse || hasProd), cpuCell(r.cpu[k]),
				cpuCell(r.cpu[key("produce-only", t, v)]), cpuCell(r.brokerCPU[k]), rssCell(r.rss[k]))
		}
	}

	w("\n## Snapshot\n\n")
	for _, t := range r.tables() {
		sel, ok := r.med("raw-select", t, "")
		if !ok {
			continue
		}
		rk := key("raw-select", t, "")
		w("- `%s` raw `SELECT *` through go-mysql's client (the connector's driver), rows decoded and dropped: **%s rows/s** %s; µs CPU/row: %s in MariaDB, %s in the client.\n", t, kfmt(sel), spread(r.samples[rk]), cpuCell(r.dbCPU[rk]), cpuCell(r.cpu[rk]))
		for _, v := range r.variantsOf("snapshot", t) {
			rate, _ := r.med("snapshot", t, v)
			k := key("snapshot", t, v)
			w("- `%s` snapshot with %s: **%s rows/s**, %s raw SELECT, µs CPU/row: %s in Sluice, %s in MariaDB, %s in the broker; peak RSS %s MiB.\n", t, v, kfmt(rate), r.snapshotRatio(t, v, rate/sel), cpuCell(r.cpu[k]), cpuCell(r.dbCPU[k]), cpuCell(r.brokerCPU[k]), rssCell(r.rss[k]))
		}
	}
	if r.snapshotNA != "" {
		w("- Snapshot: **not available in this build** — the connector refused `snapshot.mode=initial`: %s\n", r.snapshotNA)
	}

	if len(r.latency) > 0 {
		w("\n## Steady state (commit → Kafka latency)\n\n")
		w("A writer commits multi-row INSERTs (autocommit) into `steady` (the 7-column table) every 10 ms at a fixed rate while the connector streams them with %s. Latency of a row = the time its record reached Kafka − the time its commit returned to the writer (µs clock). ", *steadyConv)
		appendTS := false
		for _, rs := range r.latency {
			for _, x := range rs {
				appendTS = appendTS || x.appendTS
			}
		}
		if appendTS {
			w("\"Reached Kafka\" is the broker's LogAppendTime (1 ms resolution).\n\n")
		} else {
			w("\"Reached Kafka\" is when a consumer in the bench process (franz-go, fetch max wait 10 ms, long-polling so it returns as soon as data lands) received it: kfake does not stamp LogAppendTime, so this is an upper bound of commit → broker append.\n\n")
		}
		w("| target rows/s | achieved rows/s | rows | p50 ms | p99 ms | p99.9 ms | max ms |\n|---:|---:|---:|---:|---:|---:|---:|\n")
		rates := slices.Sorted(maps.Keys(r.latency))
		for _, rate := range rates {
			rs := r.latency[rate]
			pick := func(f func(latencyResult) float64) []float64 {
				var out []float64
				for _, x := range rs {
					out = append(out, f(x))
				}
				return out
			}
			w("| %d | %s | %d | %.1f | **%.1f** | %.1f | %.1f |\n", rate, kfmt(median(pick(func(x latencyResult) float64 { return x.achieved }))),
				rs[0].samples, median(pick(func(x latencyResult) float64 { return x.p50 })), median(pick(func(x latencyResult) float64 { return x.p99 })),
				median(pick(func(x latencyResult) float64 { return x.p999 })), median(pick(func(x latencyResult) float64 { return x.max })))
		}
	}

	w("\n## Memory\n\n")
	w("Peak RSS is this process's VmHWM, reset (`/proc/self/clear_refs`) after a GC before each run and read at its end; the broker runs in another process, so it is the pipeline's memory (plus the bench program's own %.0f MiB baseline).\n\n", r.baseRSS)
	if v, ok := r.samples[key("txn", "txn", *steadyConv)]; ok {
		k := key("txn", "txn", *steadyConv)
		w("- One %d MB transaction (`txn`, catch-up with %s): %s rows/s, peak RSS **%s MiB**", *txnMB, *steadyConv, kfmt(median(v)), rssCell(r.rss[k]))
		if st := r.startRSS[k]; len(st) > 0 {
			w(", from %.0f MiB at the start of the run (what the earlier scenarios left in this process; the bench's own baseline is %.0f MiB)", median(st), r.baseRSS)
		}
		w(".\n")
	}
	var worst float64
	var worstKey string
	for k, v := range r.rss {
		if m := maxOf(v); m > worst {
			worst, worstKey = m, k
		}
	}
	if worstKey != "" {
		w("- Highest peak of any run: **%.0f MiB** (%s).\n", worst, worstKey)
	}

	w("\n## Targets (issue 10)\n\n| target | measured | |\n|---|---|---|\n")
	metCell := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**missed**"
	}
	if rate, ok := r.med("catch-up", "t7", "canal-json"); ok {
		parse, _ := r.med("parse-only", "t7", "")
		w("| Canal JSON catch-up ≥ 300,000 rows/s | %s rows/s | %s |\n", kfmt(rate), metCell(rate >= 300_000))
		if parse > 0 {
			w("| Canal JSON catch-up ≥ 0.3 × parse-only | %.2f × (%s of %s) | %s |\n", rate/parse, kfmt(rate), kfmt(parse), metCell(rate/parse >= 0.3))
		}
	}
	if rate, ok := r.med("catch-up", "t7", "dts-avro"); ok {
		w("| DTS Avro catch-up ≥ 200,000 rows/s | %s rows/s | %s |\n", kfmt(rate), metCell(rate >= 200_000))
	}
	if sel, ok := r.med("raw-select", "t7", ""); ok {
		if rate, ok := r.med("snapshot", "t7", *steadyConv); ok {
			ratio := rate / sel
			if paired, ok := r.med("snapshot-ratio", "t7", *steadyConv); ok {
				ratio = paired
			}
			w("| snapshot ≥ 0.6 × raw SELECT | %s | %s |\n", r.snapshotRatio("t7", *steadyConv, rate/sel), metCell(ratio >= 0.6))
		} else {
			w("| snapshot ≥ 0.6 × raw SELECT | no snapshot phase in this build | **missed** |\n")
		}
	}
	for _, rate := range slices.Sorted(maps.Keys(r.latency)) {
		if rate != 20000 {
			continue
		}
		var p99 []float64
		for _, x := range r.latency[rate] {
			p99 = append(p99, x.p99)
		}
		w("| p99 ≤ 50 ms at 20k rows/s | %.1f ms | %s |\n", median(p99), metCell(median(p99) <= 50))
	}
	if worstKey != "" {
		w("| peak RSS ≤ 250 MB in every scenario | %.0f MiB (%s) | %s |\n", worst, worstKey, metCell(worst*1.048576 <= 250))
	}

	w("\n## What limits each figure\n\n")
	w("- **Catch-up** is bounded by the slower of two independent limits on this machine: reading and decoding the binlog (parse-only) and producing records of the same sizes with the same producer settings (produce-only: the pipeline's producer client, acks=all, one request in flight, no idempotence, 32 MiB buffer — Kafka Connect's forced source-producer settings — plus the MySQL connector's lz4). Both limits share the 2 cores with the pipeline's own work (envelope building, conversion), MariaDB's binlog dump thread and the broker, so a ratio of 1.0 is not reachable; the gap to it is Sluice's per-row cost.\n")
	w("- **Snapshot** is bounded by how fast MariaDB streams `SELECT *` to the same driver (raw SELECT).\n")
	w("- **Latency** adds up: binlog group commit and the dump thread's wake-up, the connector's poll loop, the producer's linger (linger.ms=5 by default) and one broker round trip with acks=all. The writer shares the cores with the pipeline.\n")
	w("- **Memory** is the connector's queue (max.queue.size=8192 records and max.queue.size.in.bytes=16 MiB), go-mysql's read-ahead (128 decoded events), the runtime's in-flight bound (8,192 records) and the producer's buffer (buffer.memory 32 MiB), plus Go's heap headroom (GOGC=200 under the worker's 128 MiB soft limit, runtime/memlimit_perf.go).\n")
	return b.String()
}

func orDash(v float64, ok bool) string {
	if !ok {
		return "–"
	}
	return kfmt(v)
}

func rssCell(v []float64) string {
	if len(v) == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f", median(v))
}

// snapshotRatio is a snapshot's ratio to the raw SELECT: the median of each
// run's rate over the raw SELECT run just before it, with the ratio of the
// two medians beside it.
func (r *report) snapshotRatio(table, variant string, ofMedians float64) string {
	paired, ok := r.med("snapshot-ratio", table, variant)
	if !ok {
		return fmt.Sprintf("%.2f ×", ofMedians)
	}
	return fmt.Sprintf("%.2f × (the median of the runs' ratios, each to the raw SELECT run just before it; %.2f × of the medians)", paired, ofMedians)
}
