package distributed

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sluicehq/sluice/offsets"
	"github.com/sluicehq/sluice/rest"
	"github.com/sluicehq/sluice/runtime"
)

// RunOptions configure Run.
type RunOptions struct {
	Logger  *slog.Logger
	Loggers *rest.Loggers
	// Version and Commit are reported by GET /.
	Version, Commit string
	// Ready, if set, is called with the REST URLs once the worker serves.
	Ready func(urls []string)
}

// Run is `sluice distributed worker.properties`: it opens the three
// internal topics, starts the REST API, joins the cluster and runs until
// ctx ends, then stops its work and leaves the group.
func Run(ctx context.Context, props map[string]string, opts RunOptions) error {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	wc, err := runtime.ParseWorkerConfig(props)
	if err != nil {
		return err
	}
	dc, err := ParseConfig(props)
	if err != nil {
		return fmt.Errorf("worker config: %w", err)
	}
	clientProps, err := wc.InternalClientConfig()
	if err != nil {
		return err
	}
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	store, err := offsets.OpenKafkaStore(startCtx, offsets.KafkaStoreConfig{
		Bootstrap: strings.Join(dc.Bootstrap, ","), Topic: dc.OffsetTopic, Partitions: dc.OffsetPartitions,
		ReplicationFactor: dc.OffsetRF, TopicConfigs: dc.OffsetTopicConfigs, ClientID: dc.clientBase() + "offsets",
		ClientProps: clientProps, IsolationLevel: offsetIsolation(dc),
	})
	if err != nil {
		return err
	}
	defer store.Close()
	w := runtime.NewWorker(wc, store, runtime.WorkerOptions{Logger: log})
	h, err := NewHerder(startCtx, w, dc, log)
	if err != nil {
		return err
	}
	if opts.Loggers == nil {
		opts.Loggers = rest.NewLoggers(slog.LevelInfo)
	}
	h.UseLoggers(opts.Loggers)
	scfg, err := rest.ServerConfigFromProperties(props, rest.Options{Version: opts.Version, Commit: opts.Commit, Logger: log, Loggers: opts.Loggers, AdminEnabled: true,
		Extra: map[string]http.Handler{"/metrics": w.MetricsHandler()}})
	if err != nil {
		return fmt.Errorf("worker config: %w", err)
	}
	h.UseInterWorkerTLS(scfg.Options.InterWorkerTLS)
	srv, err := rest.NewServer(h, scfg)
	if err != nil {
		return fmt.Errorf("REST server: %w", err)
	}
	urls, err := srv.Start(ctx)
	if err != nil {
		return fmt.Errorf("REST server: %w", err)
	}
	if err := h.ListenersBound(urls); err != nil {
		return err
	}
	log.Info("worker joining the cluster", "group.id", dc.GroupID, "url", h.URL(), "listeners", urls)
	h.Start()
	if opts.Ready != nil {
		opts.Ready(urls)
	}
	<-ctx.Done()
	log.Info("stopping the worker")
	stopCtx, cancel2 := context.WithTimeout(context.Background(), w.ShutdownTimeout()+15*time.Second)
	defer cancel2()
	h.Stop(stopCtx)
	_ = srv.Shutdown(stopCtx)
	return nil
}

// offsetIsolation is the offsets reader's isolation level: exactly-once
// tasks commit offsets in transactions, and only committed ones may be
// resumed from; otherwise Kafka Connect reads uncommitted.
func offsetIsolation(c *Config) string {
	if c.exactlyOnceTasks() {
		return "read_committed"
	}
	return "read_uncommitted"
}
