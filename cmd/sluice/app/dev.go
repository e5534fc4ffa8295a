package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/sluicehq/sluice/offsets"
	"github.com/sluicehq/sluice/rest"
	"github.com/sluicehq/sluice/runtime"
)

// runDev runs an embedded Kafka-protocol broker and a standalone worker on
// it, so Sluice can be tried without a Kafka cluster.
func runDev(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger, loggers *rest.Loggers) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	restAddr := fs.String("rest", ":8083", "address of the REST API (host:port)")
	kafkaPort := fs.Int("kafka-port", 9092, "port of the embedded Kafka broker (0 picks a free one)")
	offsetFile := fs.String("offsets", "", "keep source offsets in this file instead of in memory")
	partitions := fs.Int("partitions", 1, "partitions of auto-created topics")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cluster, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.Ports(*kafkaPort),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(*partitions),
	)
	if err != nil {
		return fmt.Errorf("start the embedded broker on port %d: %w (use --kafka-port to pick another)", *kafkaPort, err)
	}
	defer cluster.Close()
	bootstrap := strings.Join(cluster.ListenAddrs(), ",")

	props := map[string]string{
		runtime.WorkerBootstrapServers:    bootstrap,
		runtime.WorkerKeyConverter:        "org.apache.kafka.connect.json.JsonConverter",
		runtime.WorkerValueConverter:      "org.apache.kafka.connect.json.JsonConverter",
		runtime.WorkerListeners:           "http://" + *restAddr,
		runtime.WorkerOffsetFlushInterval: "1000",
		runtime.WorkerOffsetFile:          *offsetFile,
	}
	if _, err := rest.ServerConfigFromProperties(props, rest.Options{}); err != nil {
		return err
	}
	wc, err := runtime.ParseWorkerConfig(props)
	if err != nil {
		return err
	}
	var store offsets.Store = offsets.NewMemoryStore()
	if *offsetFile != "" {
		if store, err = offsets.OpenFileStore(*offsetFile); err != nil {
			return err
		}
	}
	defer store.Close()
	where := "in memory"
	if *offsetFile != "" {
		where = "in " + *offsetFile
	}
	return serve(ctx, props, wc, store, fs.Args(), log, loggers, func(urls []string) {
		fmt.Fprintf(stdout, "Kafka broker (embedded): %s\n", bootstrap)
		fmt.Fprintf(stdout, "REST API:                %s\n", strings.Join(urls, ", "))
		fmt.Fprintf(stdout, "Offsets:                 %s\n", where)
		u := dialableURL(urls[0])
		fmt.Fprintf(stdout, "Try: curl -s %s/connector-plugins | head\n", u)
		fmt.Fprintf(stdout, "Create the example connector (from the repository root):\n")
		fmt.Fprintf(stdout, "     curl -s -X POST -H 'Content-Type: application/json' -d @examples/connectors/filestream.json %s/connectors\n", u)
		fmt.Fprintf(stdout, "Stop with Ctrl-C.\n")
	})
}

// dialableURL turns a listener URL into one a client on this machine can
// use: a wildcard host (":8083" listens on [::]) becomes localhost.
func dialableURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	switch u.Hostname() {
	case "", "::", "0.0.0.0":
		u.Host = net.JoinHostPort("localhost", u.Port())
	}
	return u.String()
}
