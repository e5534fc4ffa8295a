// Command sluice-bench is Sluice's end-to-end benchmark (`make bench`). It
// starts a private MariaDB and a Kafka-protocol broker, loads the benchmark
// tables, runs every scenario -runs times through the real runtime
// (standalone herder, worker task, the MySQL connector and the converters, in
// this process so -cpuprofile shows Sluice's hot path), measures the physical
// limits of the same machine in the same run (go-mysql parsing the same
// binlog alone, the pipeline's producer client producing messages of the same sizes alone, a raw
// SELECT through the same driver), and prints the medians and the ratios as
// BENCHMARKS.md-ready Markdown.
//
// The broker (kfake) runs in a child process, so the peak RSS reported for
// each scenario is the pipeline's, not the broker's log; set
// SLUICE_TEST_KAFKA to use an external cluster instead.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	goruntime "runtime"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
	"github.com/sluicehq/sluice/integration/schemaregistry"
	sluiceruntime "github.com/sluicehq/sluice/runtime"

	// The plugins under test register themselves on import.
	_ "github.com/sluicehq/sluice/connectors/mysql"
	_ "github.com/sluicehq/sluice/converters/all"
	_ "github.com/sluicehq/sluice/converters/avro"
	_ "github.com/sluicehq/sluice/converters/canaljson"
	_ "github.com/sluicehq/sluice/converters/dtsavro"
	_ "github.com/sluicehq/sluice/converters/shareplexjson"
)

var (
	runs         = flag.Int("runs", 3, "runs of each scenario; the tables show medians")
	rows         = flag.Int64("rows", 1_000_000, "rows of the 7-column table (catch-up, snapshot, raw SELECT); issue 10's 1M, a default run of about 6 min on a busy 2-core machine")
	wideRows     = flag.Int64("wide-rows", 50_000, "rows of the 40-column table")
	convFlag     = flag.String("converters", "", "comma-separated converters to run (json-schemas,json,canal-json,shareplex-json,maxwell-json,dts-avro,avro); empty: all")
	scenFlag     = flag.String("scenarios", "catchup,snapshot,steady,txn", "comma-separated scenarios: catchup (with its parse-only and produce-only limits), snapshot (with raw SELECT), steady, txn (the 200 MB transaction)")
	rateFlag     = flag.String("rates", "5000,20000", "steady-state writer rates, rows/s")
	steadyDur    = flag.Duration("steady-duration", 10*time.Second, "how long the steady-state writer runs at each rate")
	latTimeline  = flag.Bool("latency-timeline", false, "log the steady-state runs' highest latency per 100 ms of commit time, to see when stalls happen")
	steadyConv   = flag.String("steady-converter", "canal-json", "value converter of the steady-state and 200 MB transaction runs")
	txnMB        = flag.Int("txn-mb", 200, "size of the single big transaction, MB of row data")
	bufferPool   = flag.String("buffer-pool", "1G", "innodb_buffer_pool_size of the private MariaDB")
	outPath      = flag.String("out", "", "write the Markdown report to this file (e.g. BENCHMARKS.md)")
	cpuDir       = flag.String("cpuprofile", "", "save a CPU profile of each scenario's first run in this directory")
	traceDir     = flag.String("trace", "", "save an execution trace (go tool trace) of each scenario's first run in this directory, to see where the pipeline waits")
	producerFlag = flag.String("producer", "", "comma-separated producer settings (k=v, librdkafka's names; sluice.client=librdkafka picks that client) given to the pipeline's worker (producer.k) and to produce-only alike, e.g. linger.ms=20")
	connFlag     = flag.String("connector", "", "comma-separated connector settings (k=v) given to every pipeline run's connector, e.g. max.batch.size=512")
	verbose      = flag.Bool("v", false, "log the runtime and connector")
	brokerChild  = flag.Bool("broker-child", false, "internal: run the embedded broker and print its address")
	commandLine  = strings.TrimSpace("go run ./cmd/sluice-bench " + strings.Join(os.Args[1:], " "))
	errAvailable = errors.New("not available in this build")
)

func main() {
	// As the sluice worker (cmd/sluice): re-executes with two glibc
	// arenas unless MALLOC_ARENA_MAX is set.
	sluiceruntime.ApplyDefaultMallocArenas()
	flag.Parse()
	if !*verbose {
		// The connector logs through slog's default logger.
		slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	if *brokerChild {
		if err := runBrokerChild(); err != nil {
			fmt.Fprintln(os.Stderr, "broker:", err)
			os.Exit(1)
		}
		return
	}
	// The pipeline runs in this process: give it the memory limit the
	// and collector settings the sluice worker sets for itself
	// (runtime/memlimit_perf.go).
	sluiceruntime.ApplyDefaultMemoryLimit()
	sluiceruntime.ApplyDefaultGCPercent()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "sluice-bench:", err)
		os.Exit(1)
	}
}

// env is the servers every scenario shares.
type env struct {
	db           *harness.MariaDB
	kafka        *harness.Kafka
	bootstrap    string
	brokerDesc   string
	registry     *schemaregistry.Server
	nextSteadyID int64
}

func (e *env) dbAddr() dbAddr {
	return dbAddr{host: e.db.Host(), port: e.db.Port(), user: e.db.User(), password: e.db.Password()}
}

func run(ctx context.Context) error {
	scen := map[string]bool{}
	for _, s := range strings.Split(*scenFlag, ",") {
		if s = strings.TrimSpace(s); s != "" {
			scen[s] = true
		}
	}
	for s := range scen {
		switch s {
		case "catchup", "snapshot", "steady", "txn":
		default:
			return fmt.Errorf("-scenarios: unknown scenario %q (want catchup, snapshot, steady, txn)", s)
		}
	}
	if *runs < 1 {
		return fmt.Errorf("-runs must be at least 1")
	}
	for _, d := range []string{*cpuDir, *traceDir} {
		if d != "" {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return fmt.Errorf("-cpuprofile/-trace: %w", err)
			}
		}
	}
	began := time.Now()
	e, cleanup, err := setup(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	vs, err := selectVariants(variants(e.registry.URL()), *convFlag)
	if err != nil {
		return err
	}
	steadyV, err := selectVariants(variants(e.registry.URL()), *steadyConv)
	if err != nil {
		return fmt.Errorf("-steady-converter: %w", err)
	}
	rep := newReport(e)

	t7, wide := narrowTable("t7", 50), wideTable("wide")
	for _, t := range []table{t7, wide, narrowTable("steady", 50)} {
		if err := e.db.Exec(ctx, t.ddl); err != nil {
			return err
		}
	}
	logf("loading %d rows into %s.t7", *rows, benchDB)
	lt := time.Now()
	r7, err := load(ctx, e.db, t7, loadOptions{rows: *rows, firstID: 1, stmtRows: 1000, txRows: 50_000, loaders: 2, seed: 7, rotateLogs: true})
	if err != nil {
		return err
	}
	rep.loads = append(rep.loads, loadInfo{"t7", r7, time.Since(lt)})
	logf("loaded in %s (%.0f rows/s, %.1f MB of binlog)", time.Since(lt).Round(time.Millisecond), float64(*rows)/time.Since(lt).Seconds(), float64(r7.Bytes)/1e6)
	var rw binlogRange
	if *wideRows > 0 {
		logf("loading %d rows into %s.wide", *wideRows, benchDB)
		lt = time.Now()
		rw, err = load(ctx, e.db, wide, loadOptions{rows: *wideRows, firstID: 1, stmtRows: 200, txRows: 20_000, loaders: 2, seed: 40, rotateLogs: true})
		if err != nil {
			return err
		}
		rep.loads = append(rep.loads, loadInfo{"wide", rw, time.Since(lt)})
		logf("loaded in %s (%.1f MB of binlog)", time.Since(lt).Round(time.Millisecond), float64(rw.Bytes)/1e6)
	}
	tables := []struct {
		t table
		r binlogRange
	}{{t7, r7}}
	if *wideRows > 0 {
		tables = append(tables, struct {
			t table
			r binlogRange
		}{wide, rw})
	}

	if scen["catchup"] {
		// Each run measures the limits right beside the pipeline runs they
		// bound, so the ratios compare figures taken under the same load
		// from whatever else shares the machine.
		for _, tb := range tables {
			sizes := map[string][2]float64{}
			for run := range *runs {
				rate, err := profiled(fmt.Sprintf("parse-only-%s", tb.t.name), run, func() (float64, error) {
					return parseOnly(ctx, e.db, tb.r, tb.t.name)
				})
				if err != nil {
					return err
				}
				rep.add("parse-only", tb.t.name, "", rate, 0)
				logf("parse-only %s run %d: %.0f rows/s", tb.t.name, run+1, rate)
				for _, v := range vs {
					res, sz, err := e.catchUp(ctx, tb.t.name, tb.r, v, run, run == 0)
					if err != nil {
						return fmt.Errorf("catch-up %s %s: %w", tb.t.name, v.name, err)
					}
					if run == 0 {
						sizes[v.name] = sz
						rep.bytes[key("catch-up", tb.t.name, v.name)] = sz
					}
					rep.add("catch-up", tb.t.name, v.name, res.rate, res.peakMB)
					rep.addCPU("catch-up", tb.t.name, v.name, res.cpuPerRow, res.brokerCPU)
					logf("catch-up %s %s run %d: %.0f rows/s, %.1f µs CPU/row (broker %.1f), %.1f allocs/row, first ack after %s, peak RSS %.0f MiB (Go %.0f MiB)", tb.t.name, v.name, run+1, res.rate, float64(res.cpuPerRow)/1e3, float64(res.brokerCPU)/1e3, res.allocsPerRow, res.firstAck.Round(time.Millisecond), res.peakMB, float64(goPeak.Load())/(1<<20))

					sz = sizes[v.name]
					topic := fmt.Sprintf("produce-only-%s-%s-%d", tb.t.name, v.name, run)
					var clientCPU time.Duration
					rate, err := profiled("produce-only-"+tb.t.name+"-"+v.name, run, func() (float64, error) {
						rate, cpu, err := produceOnly(ctx, e.bootstrap, topic, tb.r.Rows, int(sz[0]+0.5), int(sz[1]+0.5))
						clientCPU = cpu
						return rate, err
					})
					_ = e.kafka.DeleteTopics(context.Background(), topic)
					if err != nil {
						return err
					}
					rep.add("produce-only", tb.t.name, v.name, rate, 0)
					rep.addCPU("produce-only", tb.t.name, v.name, clientCPU, 0)
					logf("produce-only %s %s (%.0f+%.0f B) run %d: %.0f msgs/s, %.1f µs CPU/msg", tb.t.name, v.name, sz[0], sz[1], run+1, rate, float64(clientCPU)/1e3)
				}
			}
		}
	}

	if scen["snapshot"] {
		for _, tb := range tables {
			// Each snapshot run follows its own raw SELECT, so that its
			// ratio compares two runs minutes apart at most: on a shared
			// machine the spell a run falls in moves both figures.
			for run := range *runs {
				db0, cpu0 := procCPUTime(e.db.PID()), cpuTime()
				rate, n, err := rawSelect(ctx, e.db, tb.t.name)
				if err != nil {
					return err
				}
				dbCPU, clientCPU := (procCPUTime(e.db.PID())-db0)/time.Duration(n), (cpuTime()-cpu0)/time.Duration(n)
				rep.add("raw-select", tb.t.name, "", rate, 0)
				rep.addCPU("raw-select", tb.t.name, "", clientCPU, 0)
				rep.addDBCPU("raw-select", tb.t.name, "", dbCPU)
				logf("raw SELECT %s run %d: %.0f rows/s (%d rows), µs CPU/row: MariaDB %.2f, client %.2f", tb.t.name, run+1, rate, n, float64(dbCPU)/1e3, float64(clientCPU)/1e3)
				res, err := e.snapshot(ctx, tb.t.name, tb.r.Rows, steadyV[0], run)
				if errors.Is(err, errAvailable) {
					rep.snapshotNA = err.Error()
					logf("snapshot: %v", err)
					break
				}
				if err != nil {
					return fmt.Errorf("snapshot %s: %w", tb.t.name, err)
				}
				rep.add("snapshot", tb.t.name, steadyV[0].name, res.rate, res.peakMB)
				rep.add("snapshot-ratio", tb.t.name, steadyV[0].name, res.rate/rate, 0)
				rep.addCPU("snapshot", tb.t.name, steadyV[0].name, res.cpuPerRow, res.brokerCPU)
				rep.addDBCPU("snapshot", tb.t.name, steadyV[0].name, res.dbCPU)
				logf("snapshot %s run %d: %.0f rows/s, %.1f µs CPU/row (MariaDB %.1f, broker %.1f), %.1f allocs/row, peak RSS %.0f MiB", tb.t.name, run+1, res.rate, float64(res.cpuPerRow)/1e3, float64(res.dbCPU)/1e3, float64(res.brokerCPU)/1e3, res.allocsPerRow, res.peakMB)
			}
			if rep.snapshotNA != "" {
				break
			}
		}
	}

	if scen["steady"] {
		var rates []int
		for _, s := range strings.Split(*rateFlag, ",") {
			var r int
			if _, err := fmt.Sscan(strings.TrimSpace(s), &r); err != nil || r <= 0 {
				return fmt.Errorf("-rates: %q is not a positive number of rows/s", s)
			}
			rates = append(rates, r)
		}
		for run := range *runs {
			for _, rate := range rates {
				var res latencyResult
				_, err := profiled(fmt.Sprintf("steady-%d", rate), run, func() (float64, error) {
					var err error
					res, err = e.steadyState(ctx, rate, *steadyDur, steadyV[0], run)
					return 0, err
				})
				if err != nil {
					return err
				}
				rep.latency[rate] = append(rep.latency[rate], res)
				logf("steady %d rows/s run %d: achieved %.0f, p50 %.1f ms, p99 %.1f ms, p999 %.1f ms, max %.1f ms (%d rows)", rate, run+1, res.achieved, res.p50, res.p99, res.p999, res.max, res.samples)
			}
		}
	}

	if scen["txn"] {
		// Rows of about 2 KB (the 7-column shape with a 1,900-character
		// TEXT), all in one transaction.
		t := narrowTable("txn", 1900)
		if err := e.db.Exec(ctx, t.ddl); err != nil {
			return err
		}
		n := int64(*txnMB) * 1_000_000 / 2000
		logf("loading one %d MB transaction (%d rows) into %s.txn", *txnMB, n, benchDB)
		lt := time.Now()
		rt, err := load(ctx, e.db, t, loadOptions{rows: n, firstID: 1, stmtRows: 100, txRows: 0, seed: 200, rotateLogs: true})
		if err != nil {
			return err
		}
		rep.loads = append(rep.loads, loadInfo{"txn", rt, time.Since(lt)})
		for run := range *runs {
			res, _, err := e.catchUp(ctx, "txn", rt, steadyV[0], run, false)
			if err != nil {
				return fmt.Errorf("200 MB transaction: %w", err)
			}
			rep.add("txn", "txn", steadyV[0].name, res.rate, res.peakMB)
			rep.addStart("txn", "txn", steadyV[0].name, res.startMB)
			logf("one %d MB transaction run %d: %.0f rows/s, %.1f µs CPU/row, peak RSS %.0f MiB from %.0f MiB at the start (Go %.0f MiB)", *txnMB, run+1, res.rate, float64(res.cpuPerRow)/1e3, res.peakMB, res.startMB, float64(goPeak.Load())/(1<<20))
		}
	}

	rep.elapsed = time.Since(began)
	md := rep.markdown()
	fmt.Println()
	fmt.Print(md)
	if *outPath != "" {
		if old, err := os.ReadFile(*outPath); err == nil {
			if _, kept, ok := strings.Cut(string(old), handWrittenMarker); ok {
				md += "\n" + handWrittenMarker + kept
			}
		}
		if err := os.WriteFile(*outPath, []byte(md), 0o644); err != nil {
			return err
		}
		logf("wrote %s", *outPath)
	}
	return nil
}

func selectVariants(all []converterVariant, names string) ([]converterVariant, error) {
	if strings.TrimSpace(names) == "" {
		return all, nil
	}
	var out []converterVariant
	for _, n := range strings.Split(names, ",") {
		n = strings.TrimSpace(n)
		found := false
		for _, v := range all {
			if v.name == n {
				out = append(out, v)
				found = true
			}
		}
		if !found {
			var known []string
			for _, v := range all {
				known = append(known, v.name)
			}
			return nil, fmt.Errorf("unknown converter %q (known: %s)", n, strings.Join(known, ", "))
		}
	}
	return out, nil
}

// setup starts MariaDB, the broker and the schema registry.
func setup(ctx context.Context) (*env, func(), error) {
	e := &env{nextSteadyID: 1}
	var closers []func()
	cleanup := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	fail := func(err error) (*env, func(), error) {
		cleanup()
		return nil, nil, err
	}
	logf("starting MariaDB (innodb_buffer_pool_size=%s)", *bufferPool)
	db, err := harness.StartMariaDB(ctx, harness.MariaDBOptions{
		InnoDBBufferPoolSize: *bufferPool,
		// The loads commit big transactions; a 256 MB log keeps checkpoints
		// from throttling them.
		ExtraArgs: []string{"--innodb-log-file-size=256M", "--max-binlog-size=1G"},
	})
	if err != nil {
		return fail(err)
	}
	closers = append(closers, func() { db.Close() })
	e.db = db
	if err := db.Exec(ctx, "CREATE DATABASE "+benchDB); err != nil {
		return fail(err)
	}

	bootstrap := os.Getenv(harness.KafkaEnv)
	e.brokerDesc = "external Kafka (" + harness.KafkaEnv + ")"
	if bootstrap == "" {
		b, stopChild, err := startBrokerChild(ctx)
		if err != nil {
			return fail(err)
		}
		closers = append(closers, stopChild)
		bootstrap = b
		e.brokerDesc = "kfake (franz-go's Kafka-protocol broker) in a child process, its logs in files in the page cache as a real broker's"
	}
	k, err := harness.StartKafkaWith(ctx, harness.KafkaOptions{Bootstrap: bootstrap})
	if err != nil {
		return fail(err)
	}
	closers = append(closers, func() { k.Close() })
	e.kafka, e.bootstrap = k, bootstrap

	reg, err := schemaregistry.Start()
	if err != nil {
		return fail(err)
	}
	closers = append(closers, func() { reg.Close() })
	e.registry = reg
	return e, cleanup, nil
}

// brokerPID is the broker child's process, whose CPU time the runs report:
// on a small machine the broker's share of the cores is part of the limit.
var brokerPID int

// startBrokerChild runs this program with -broker-child and reads the
// bootstrap address it prints. Closing its stdin (or our death) stops it.
func startBrokerChild(ctx context.Context) (string, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	args := []string{"-broker-child"}
	if *cpuDir != "" {
		// The broker shares the cores: its profile shows what a message
		// costs it (for the whole session, not per scenario).
		args = append(args, "-cpuprofile", *cpuDir)
	}
	cmd := exec.Command(self, args...)
	cmd.SysProcAttr = childAttr()
	// The child keeps its logs in files (see runBrokerChild), so its heap
	// stays small and Go's default collector suits it.
	cmd.Env = os.Environ()
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start the broker child: %w", err)
	}
	brokerPID = cmd.Process.Pid
	stop := func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "BOOTSTRAP ") {
		stop()
		return "", nil, fmt.Errorf("the broker child did not report its address (%q): %v", line, err)
	}
	return strings.TrimSpace(strings.TrimPrefix(line, "BOOTSTRAP ")), stop, nil
}

func runBrokerChild() error {
	os.Unsetenv(harness.KafkaEnv)
	// In memory, kfake appends each partition's log to a Go slice that
	// doubles as it grows, on fresh pages every time: page faults and
	// copies cost it 4–17 µs of the two cores per message, several times
	// a real broker, and its collector stalled produce requests. A real
	// broker appends to files in the page cache; so does this one, in a
	// directory removed when it exits (kfake fsyncs only on a segment
	// roll, as Kafka by default).
	dir, err := os.MkdirTemp("", "sluice-bench-broker-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	opts := harness.KafkaOptions{DataDir: dir}
	k, err := harness.StartKafkaWith(context.Background(), opts)
	if err != nil {
		return err
	}
	defer k.Close()
	if *cpuDir != "" {
		f, err := os.Create(filepath.Join(*cpuDir, "broker.pprof"))
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("BOOTSTRAP %s\n", k.Bootstrap())
	// Run until the parent closes our stdin.
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

// catchUpResult is one catch-up run.
type catchUpResult struct {
	rate      float64       // rows/s from connector creation to the last acknowledgement
	peakMB    float64       // VmHWM during the run
	startMB   float64       // VmRSS when the run began: what earlier runs left in this process
	firstAck  time.Duration // connector creation to the first acknowledgement
	cpuPerRow time.Duration // this process's CPU time per row: comparable on a busy machine
	brokerCPU time.Duration // the broker child's CPU time per row (0 with an external broker)
	dbCPU     time.Duration // MariaDB's CPU time per row (snapshot runs)
	// allocsPerRow is this process's heap allocations per row: unlike
	// CPU time it barely moves with the machine's load, so it shows what
	// a change did to the per-row path even in a noisy spell.
	allocsPerRow float64
}

// mallocs is the process's count of heap allocations so far.
func mallocs() uint64 {
	var ms goruntime.MemStats
	goruntime.ReadMemStats(&ms)
	return ms.Mallocs
}

// catchUp streams the binlog range of a table from its start until every
// row is acknowledged by the broker. With sample set it also returns the
// average key and value sizes of the records written.
func (e *env) catchUp(ctx context.Context, tableName string, r binlogRange, v converterVariant, run int, sample bool) (catchUpResult, [2]float64, error) {
	var res catchUpResult
	var sizes [2]float64
	prefix := strings.ReplaceAll(fmt.Sprintf("cu_%s_%s_%d", tableName, v.name, run), "-", "_")
	p := &pipelineRun{name: prefix, prefix: prefix, table: tableName, variant: v, start: &r, snapMode: "never", bootstrap: e.bootstrap, db: e.dbAddr()}
	defer e.kafka.DeleteTopics(context.Background(), p.topic())
	resetOK := resetPeakRSS()
	_, res.startMB = rssMB()
	resetGoPeak()
	_, err := profiled("catchup-"+tableName+"-"+v.name, run, func() (float64, error) {
		began, cpu0, bcpu0, m0 := time.Now(), cpuTime(), procCPUTime(brokerPID), mallocs()
		pr, err := p.startPipeline(ctx)
		if err != nil {
			return 0, err
		}
		defer pr.stop()
		pr.midway = heapSnapshot("catchup-"+tableName+"-"+v.name, run)
		first, end, err := pr.waitAcked(ctx, r.Rows, max(2*time.Minute, time.Duration(r.Rows)*100*time.Microsecond))
		if err != nil {
			return 0, err
		}
		res.rate = float64(r.Rows) / end.Sub(began).Seconds()
		res.cpuPerRow = (cpuTime() - cpu0) / time.Duration(r.Rows)
		res.allocsPerRow = float64(mallocs()-m0) / float64(r.Rows)
		res.brokerCPU = (procCPUTime(brokerPID) - bcpu0) / time.Duration(r.Rows)
		res.firstAck = first.Sub(began)
		return res.rate, nil
	})
	if err != nil {
		return res, sizes, err
	}
	if resetOK {
		res.peakMB, _ = rssMB()
	}
	if sample {
		msgs, err := harness.ReadTopic(ctx, e.bootstrap, p.topic(), int(min(2000, r.Rows)), 60*time.Second)
		if err != nil {
			return res, sizes, fmt.Errorf("read back %s: %w", p.topic(), err)
		}
		for _, m := range msgs {
			sizes[0] += float64(len(m.Key))
			sizes[1] += float64(len(m.Value))
		}
		sizes[0] /= float64(len(msgs))
		sizes[1] /= float64(len(msgs))
	}
	return res, sizes, nil
}

// snapshot runs the connector with snapshot.mode=initial and no stored
// offset until every row of the table is acknowledged.
func (e *env) snapshot(ctx context.Context, tableName string, want int64, v converterVariant, run int) (catchUpResult, error) {
	var res catchUpResult
	prefix := fmt.Sprintf("snap_%s_%d", tableName, run)
	p := &pipelineRun{name: prefix, prefix: prefix, table: tableName, variant: v, snapMode: "initial", bootstrap: e.bootstrap, db: e.dbAddr()}
	defer e.kafka.DeleteTopics(context.Background(), p.topic())
	resetOK := resetPeakRSS()
	_, res.startMB = rssMB()
	resetGoPeak()
	_, err := profiled("snapshot-"+tableName, run, func() (float64, error) {
		began, cpu0, bcpu0, db0, m0 := time.Now(), cpuTime(), procCPUTime(brokerPID), procCPUTime(e.db.PID()), mallocs()
		pr, err := p.startPipeline(ctx)
		if err != nil {
			return 0, err
		}
		defer pr.stop()
		pr.midway = heapSnapshot("snapshot-"+tableName, run)
		first, end, err := pr.waitAcked(ctx, want, max(2*time.Minute, time.Duration(want)*100*time.Microsecond))
		if err != nil {
			return 0, err
		}
		res.rate = float64(want) / end.Sub(began).Seconds()
		res.cpuPerRow = (cpuTime() - cpu0) / time.Duration(want)
		res.allocsPerRow = float64(mallocs()-m0) / float64(want)
		res.brokerCPU = (procCPUTime(brokerPID) - bcpu0) / time.Duration(want)
		res.dbCPU = (procCPUTime(e.db.PID()) - db0) / time.Duration(want)
		res.firstAck = first.Sub(began)
		return res.rate, nil
	})
	if err != nil {
		// The connector refuses snapshot.mode=initial when it has no
		// snapshot phase; say so instead of failing the whole run.
		if s := err.Error(); strings.Contains(s, "snapshot phase") || strings.Contains(s, "does not include") {
			return res, fmt.Errorf("%w (%s)", errAvailable, s)
		}
		return res, err
	}
	if resetOK {
		res.peakMB, _ = rssMB()
	}
	return res, nil
}

// profiled runs f, under a CPU profile saved as <dir>/<name>.pprof on the
// first run when -cpuprofile is set.
func profiled(name string, run int, f func() (float64, error)) (float64, error) {
	if *traceDir != "" && run == 0 {
		file, err := os.Create(filepath.Join(*traceDir, name+".trace"))
		if err != nil {
			return 0, fmt.Errorf("-trace: %w", err)
		}
		defer file.Close()
		if err := trace.Start(file); err != nil {
			return 0, fmt.Errorf("-trace: %w", err)
		}
		defer trace.Stop()
	}
	if *cpuDir == "" || run != 0 {
		return f()
	}
	file, err := os.Create(filepath.Join(*cpuDir, name+".pprof"))
	if err != nil {
		return 0, fmt.Errorf("-cpuprofile: %w", err)
	}
	defer file.Close()
	if err := pprof.StartCPUProfile(file); err != nil {
		return 0, fmt.Errorf("-cpuprofile: %w", err)
	}
	defer pprof.StopCPUProfile()
	// The allocation profile (go tool pprof -sample_index=alloc_objects)
	// covers the whole process lifetime, so it is taken as a delta.
	before := heapProfile()
	rate, err := f()
	if err == nil && before != nil {
		if hf, herr := os.Create(filepath.Join(*cpuDir, name+".allocs.pprof")); herr == nil {
			_ = pprof.Lookup("allocs").WriteTo(hf, 0)
			hf.Close()
			_ = os.WriteFile(filepath.Join(*cpuDir, name+".allocs-base.pprof"), before, 0o644)
		}
	}
	return rate, err
}

func heapProfile() []byte {
	var b bytes.Buffer
	if err := pprof.Lookup("allocs").WriteTo(&b, 0); err != nil {
		return nil
	}
	return b.Bytes()
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// producerProps parses -producer.
func producerProps() map[string]string { return parseKVs(*producerFlag) }

// connectorProps parses -connector.
func connectorProps() map[string]string { return parseKVs(*connFlag) }

// parseKVs parses comma-separated k=v settings.
func parseKVs(list string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(list, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// heapSnapshot returns a function that saves the in-use heap profile
// (go tool pprof -sample_index=inuse_space) of a scenario's first run
// under -cpuprofile, taken when half its rows are acknowledged: what the
// pipeline holds in memory in full flow.
func heapSnapshot(name string, run int) func() {
	if *cpuDir == "" || run != 0 {
		return nil
	}
	return func() {
		f, err := os.Create(filepath.Join(*cpuDir, name+".heap.pprof"))
		if err != nil {
			return
		}
		defer f.Close()
		_ = pprof.Lookup("heap").WriteTo(f, 0)
	}
}
