// Package app is the sluice command as a library: cmd/sluice is a main that
// calls Main, and a custom build (a binary with its own converters,
// transforms or connectors registered by blank imports) does the same; see
// examples/custom-converter.
//
//	sluice standalone worker.properties [connector.properties|connector.json ...]
//	sluice dev [--rest :8083] [--kafka-port 9092] [--offsets file] [connector files ...]
//	sluice distributed worker.properties
//	sluice version
package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/offsets"
	"github.com/sluicehq/sluice/rest"
	"github.com/sluicehq/sluice/runtime"
)

// Version and Commit are set at build time with
// -ldflags "-X github.com/sluicehq/sluice/cmd/sluice/app.Version=…" (make
// build sets Commit); a plain go build in a git checkout still reports the
// commit Go recorded in the binary.
var (
	Version = "0.1.0-dev"
	Commit  = "unknown"
)

func init() {
	if Commit == "unknown" {
		Commit = vcsRevision()
	}
}

// vcsRevision is the commit go build recorded (as long as Kafka's commit
// ids, 16 hex digits), or "unknown".
func vcsRevision() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 16 {
				return s.Value[:16]
			}
		}
	}
	return "unknown"
}

const usage = `Usage:
  sluice standalone worker.properties [connector.(properties|json) ...]
  sluice dev [--rest ADDR] [--kafka-port PORT] [--offsets FILE] [connector.(properties|json) ...]
  sluice distributed worker.properties
  sluice version
`

// Main runs the sluice command with args (without the program name) and
// returns its exit code: 0 success, 1 failure, 2 usage error.
func Main(args []string, stdout, stderr io.Writer) int { return run(args, stdout, stderr) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	loggers := rest.NewLoggers(slog.LevelInfo)
	// Values resolved by config providers never reach the log.
	log := slog.New(runtime.RedactingHandler(loggers.Handler(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.Level(math.MinInt32)}))))
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var err error
	switch args[0] {
	case "standalone":
		err = runStandalone(ctx, args[1:], log, loggers)
	case "dev":
		err = runDev(ctx, args[1:], stdout, log, loggers)
	case "distributed":
		err = runDistributed(ctx, args[1:], log, loggers)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "sluice %s (commit %s)\n", Version, Commit)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "sluice %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func runStandalone(ctx context.Context, args []string, log *slog.Logger, loggers *rest.Loggers) error {
	if len(args) < 1 {
		return errors.New("missing the worker properties file: sluice standalone worker.properties [connector files ...]")
	}
	props, err := runtime.LoadProperties(args[0])
	if err != nil {
		return fmt.Errorf("worker config: %w", err)
	}
	wc, err := runtime.ParseWorkerConfig(props)
	if err != nil {
		return err
	}
	if wc.OffsetFile == "" {
		return fmt.Errorf("%s: offset.storage.file.filename is required in standalone mode, e.g. offset.storage.file.filename=/tmp/connect.offsets", args[0])
	}
	store, err := offsets.OpenFileStore(wc.OffsetFile)
	if err != nil {
		return err
	}
	defer store.Close()
	return serve(ctx, props, wc, store, args[1:], log, loggers, nil)
}

// serve runs a standalone herder with the REST API until ctx ends. ready,
// if set, is called with the REST URLs once the connectors were created.
func serve(ctx context.Context, props map[string]string, wc *runtime.WorkerConfig, store offsets.Store, connectorFiles []string, log *slog.Logger, loggers *rest.Loggers, ready func(urls []string)) error {
	// Read the connector files first, so a typo fails before anything runs.
	type connFile struct {
		path   string
		name   string
		config map[string]string
	}
	var conns []connFile
	for _, path := range connectorFiles {
		name, config, err := loadConnectorFile(path)
		if err != nil {
			return err
		}
		conns = append(conns, connFile{path, name, config})
	}

	worker := runtime.NewWorker(wc, store, runtime.WorkerOptions{Logger: log})
	scfg, err := rest.ServerConfigFromProperties(props, rest.Options{Version: Version, Commit: Commit, Logger: log, Loggers: loggers, AdminEnabled: true,
		Extra: map[string]http.Handler{"/metrics": worker.MetricsHandler()}})
	if err != nil {
		return fmt.Errorf("worker config: %w", err)
	}
	herder := runtime.NewStandaloneHerder(worker)
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), wc.TaskShutdownTimeout+wc.OffsetFlushTimeout+5*time.Second)
		defer cancel()
		herder.Stop(shutdownCtx)
	}()
	srv, err := rest.NewServer(herder, scfg)
	if err != nil {
		return fmt.Errorf("REST server: %w", err)
	}
	urls, err := srv.Start(ctx)
	if err != nil {
		return fmt.Errorf("REST server: %w", err)
	}
	// A listener on port 0 got its port only now: the worker id in
	// statuses names it, as the distributed worker's does.
	worker.ListenersBound(urls)
	defer func() {
		log.Info("stopping the worker")
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()

	for _, c := range conns {
		if _, _, err := herder.PutConnectorConfig(ctx, c.name, c.config, false, ""); err != nil {
			return fmt.Errorf("connector %s (%s): %w", c.name, c.path, err)
		}
		log.Info("created connector", "connector", c.name, "file", c.path)
	}
	if ready != nil {
		ready(urls)
	}
	<-ctx.Done()
	return nil
}

// loadConnectorFile reads a connector config: a .properties file, Kafka's
// JSON form {"name":…,"config":{…}}, or a flat JSON map.
func loadConnectorFile(path string) (string, map[string]string, error) {
	var config map[string]string
	name := ""
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		data, err := os.ReadFile(path)
		if err != nil {
			return "", nil, fmt.Errorf("connector file: %w", err)
		}
		var raw map[string]any
		if err := json.Unmarshal(data, &raw); err != nil {
			return "", nil, fmt.Errorf("connector file %s: not a JSON object: %w", path, err)
		}
		if inner, ok := raw["config"].(map[string]any); ok {
			if n, ok := raw["name"].(string); ok {
				name = n
			}
			raw = inner
		}
		config = map[string]string{}
		for k, v := range raw {
			switch x := v.(type) {
			case string:
				config[k] = x
			case nil:
				return "", nil, fmt.Errorf("connector file %s: %s is null; Connect config values must be strings", path, k)
			case map[string]any, []any:
				return "", nil, fmt.Errorf("connector file %s: %s must be a string, not a JSON %T", path, k, v)
			default:
				config[k] = fmt.Sprint(x)
			}
		}
	default:
		props, err := runtime.LoadProperties(path)
		if err != nil {
			return "", nil, fmt.Errorf("connector file: %w", err)
		}
		config = props
	}
	if name == "" {
		name = config["name"]
	}
	if name == "" {
		return "", nil, fmt.Errorf("connector file %s has no name; add name=<connector name>", path)
	}
	if n, ok := config["name"]; ok && n != name {
		return "", nil, fmt.Errorf("connector file %s: config name %q does not match name %q", path, n, name)
	}
	config["name"] = name
	return name, config, nil
}
