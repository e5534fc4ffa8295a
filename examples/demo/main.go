// Command demo runs Sluice's main job end to end on embedded defaults: a
// throwaway MariaDB, `sluice dev` (a worker on an embedded Kafka-protocol
// broker), a MySQL connector created through the REST API, a small workload,
// and the resulting change events read back from Kafka with a real consumer.
// `make demo` runs it; it exits non-zero unless every expected event arrived.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/sluicehq/sluice/integration/harness"
)

func main() {
	sluiceBin := flag.String("sluice", "bin/sluice", "path of the sluice binary")
	connFile := flag.String("connector", "examples/connectors/mysql-inventory.json", "connector config to POST")
	verbose := flag.Bool("v", false, "show the worker's log")
	topic := flag.String("topic", "", "topic to read back, as the connector's converter wrote it (e.g. maxwell_inventory for examples/connectors/mysql-maxwell.json); empty: demo.inventory.customers, checked as Debezium change events")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *sluiceBin, *connFile, *topic, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

func step(format string, args ...any) { fmt.Printf("==> "+format+"\n", args...) }

func run(ctx context.Context, sluiceBin, connFile, otherTopic string, verbose bool) error {
	step("starting a throwaway MariaDB (private datadir, binlog on)")
	db, err := harness.StartMariaDB(ctx, harness.MariaDBOptions{})
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Printf("    MariaDB listening on %s\n", db.Addr())

	for _, q := range []string{
		"CREATE DATABASE inventory",
		"CREATE TABLE inventory.customers (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, email VARCHAR(128), balance DECIMAL(10,2), updated_at DATETIME(3))",
		// Rows that exist before the connector starts arrive through the
		// snapshot, as op "r".
		"INSERT INTO inventory.customers VALUES (1000, 'Anne Kretchmar', 'annek@noanswer.org', 42.00, NOW(3)), (999, 'Walter Hook', NULL, NULL, NOW(3))",
	} {
		if err := db.Exec(ctx, q); err != nil {
			return err
		}
	}

	ports := freePorts(2)
	restPort, kafkaPort := ports[0], ports[1]
	step("starting `sluice dev` (embedded broker on :%d, REST API on :%d)", kafkaPort, restPort)
	worker := exec.CommandContext(ctx, sluiceBin, "dev", "--rest", fmt.Sprintf("127.0.0.1:%d", restPort), "--kafka-port", strconv.Itoa(kafkaPort))
	var workerLog bytes.Buffer
	if verbose {
		worker.Stdout, worker.Stderr = io.MultiWriter(os.Stdout, &workerLog), io.MultiWriter(os.Stderr, &workerLog)
	} else {
		worker.Stdout, worker.Stderr = &workerLog, &workerLog
	}
	worker.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := worker.Start(); err != nil {
		return fmt.Errorf("start %s (run `make build` first): %w", sluiceBin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- worker.Wait() }()
	defer func() {
		if worker.ProcessState == nil {
			_ = worker.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(15 * time.Second):
				_ = worker.Process.Kill()
			}
		}
	}()
	rest := fmt.Sprintf("http://127.0.0.1:%d", restPort)
	if err := waitFor(ctx, 60*time.Second, exited, func() error { _, err := httpGet(ctx, rest+"/"); return err }); err != nil {
		return fmt.Errorf("worker REST API did not come up: %w\n%s", err, tail(workerLog.String(), 40))
	}
	root, _ := httpGet(ctx, rest+"/")
	fmt.Printf("    worker answers GET /: %s\n", strings.TrimSpace(root))

	step("creating the connector with POST /connectors (%s)", connFile)
	body, err := connectorBody(connFile, db)
	if err != nil {
		return err
	}
	status, resp, err := httpDo(ctx, http.MethodPost, rest+"/connectors", body)
	if err != nil {
		return err
	}
	if status != http.StatusCreated {
		return fmt.Errorf("POST /connectors answered %d: %s", status, resp)
	}
	var created struct{ Name string }
	_ = json.Unmarshal([]byte(resp), &created)
	statusURL := rest + "/connectors/" + created.Name + "/status"
	if err := waitFor(ctx, 60*time.Second, exited, func() error {
		s, err := httpGet(ctx, statusURL)
		if err != nil {
			return err
		}
		var st struct {
			Connector struct{ State, Trace string }
			Tasks     []struct{ State, Trace string }
		}
		if err := json.Unmarshal([]byte(s), &st); err != nil {
			return err
		}
		if st.Connector.State == "FAILED" {
			return fatal{fmt.Errorf("connector FAILED: %s", st.Connector.Trace)}
		}
		if len(st.Tasks) == 0 || st.Tasks[0].State != "RUNNING" {
			if len(st.Tasks) > 0 && st.Tasks[0].State == "FAILED" {
				return fatal{fmt.Errorf("task FAILED: %s", st.Tasks[0].Trace)}
			}
			return fmt.Errorf("not running yet: %s", s)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("%w\n%s", err, tail(workerLog.String(), 40))
	}
	s, _ := httpGet(ctx, statusURL)
	fmt.Printf("    GET %s: %s\n", strings.TrimPrefix(statusURL, rest), strings.TrimSpace(s))

	step("running a workload: 3 inserts, 2 updates, 1 delete")
	workload := []string{
		"INSERT INTO inventory.customers VALUES (1001, 'Sally Thomas', 'sally.thomas@acme.com', 120.50, NOW(3))",
		"INSERT INTO inventory.customers VALUES (1002, 'George Bailey', 'gbailey@foobar.com', 0.00, NOW(3))",
		"INSERT INTO inventory.customers VALUES (1003, 'Edward Walker', 'ed@walker.com', 99.99, NOW(3))",
		"UPDATE inventory.customers SET email = 'sally@acme.com', balance = balance + 10 WHERE id = 1001",
		"UPDATE inventory.customers SET name = 'George B. Bailey' WHERE id = 1002",
		"DELETE FROM inventory.customers WHERE id = 1003",
	}
	for _, q := range workload {
		fmt.Printf("    mysql> %s;\n", q)
		if err := db.Exec(ctx, q); err != nil {
			return err
		}
	}

	if otherTopic != "" {
		// Another converter's format: shown as written, 2 snapshot rows
		// and the 6 changes at least.
		step("reading topic %s back from Kafka with a consumer", otherTopic)
		addr := fmt.Sprintf("127.0.0.1:%d", kafkaPort)
		if _, err := harness.ReadTopic(ctx, addr, otherTopic, 8, 60*time.Second); err != nil {
			return fmt.Errorf("%w\n%s", err, tail(workerLog.String(), 40))
		}
		msgs, err := harness.ReadAll(ctx, addr, otherTopic, 2*time.Second)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			fmt.Printf("\n  partition %d offset %d\n    key:   %s\n    value: %s\n", m.TopicPartition.Partition, m.TopicPartition.Offset, printable(m.Key), printable(m.Value))
		}
		fmt.Println()
		step("%d messages arrived on %s", len(msgs), otherTopic)
		if st, resp, err := httpDo(ctx, http.MethodDelete, rest+"/connectors/"+created.Name, nil); err != nil || st != http.StatusNoContent {
			return fmt.Errorf("DELETE connector: status %d %s %v", st, resp, err)
		}
		step("done")
		return nil
	}
	topic := "demo.inventory.customers"
	// 2 snapshot rows, 6 changes, and the tombstone that follows the delete.
	const want = 9
	step("reading topic %s back from Kafka with a consumer", topic)
	msgs, err := harness.ReadTopic(ctx, fmt.Sprintf("127.0.0.1:%d", kafkaPort), topic, want, 60*time.Second)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, tail(workerLog.String(), 40))
	}
	ops := map[string]int{}
	for _, m := range msgs {
		fmt.Printf("\n  partition %d offset %d\n    key:   %s\n", m.TopicPartition.Partition, m.TopicPartition.Offset, orNull(m.Key))
		if m.Value == nil {
			fmt.Printf("    value: null (tombstone)\n")
			ops["tombstone"]++
			continue
		}
		var ev struct {
			Op     string          `json:"op"`
			Before json.RawMessage `json:"before"`
			After  json.RawMessage `json:"after"`
			Source map[string]any  `json:"source"`
		}
		dec := json.NewDecoder(bytes.NewReader(m.Value))
		dec.UseNumber()
		if err := dec.Decode(&ev); err != nil {
			return fmt.Errorf("record at offset %d is not the change-event JSON: %w", m.TopicPartition.Offset, err)
		}
		ops[ev.Op]++
		fmt.Printf("    op:     %s\n    before: %s\n    after:  %s\n    source: file=%v pos=%v row=%v snapshot=%v ts_ms=%v\n",
			ev.Op, ev.Before, ev.After, ev.Source["file"], ev.Source["pos"], ev.Source["row"], ev.Source["snapshot"], ev.Source["ts_ms"])
	}
	fmt.Println()
	if ops["r"] != 2 || ops["c"] != 3 || ops["u"] != 2 || ops["d"] != 1 || ops["tombstone"] != 1 {
		return fmt.Errorf("expected 2 snapshot reads, 3 creates, 2 updates, 1 delete and 1 tombstone; got %v", ops)
	}
	step("all %d events arrived: 2 r (snapshot), 3 c, 2 u, 1 d and the delete's tombstone", len(msgs))

	step("deleting the connector and shutting down")
	if st, resp, err := httpDo(ctx, http.MethodDelete, rest+"/connectors/"+created.Name, nil); err != nil || st != http.StatusNoContent {
		return fmt.Errorf("DELETE connector: status %d %s %v", st, resp, err)
	}
	_ = worker.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		return errors.New("worker did not stop within 20 s of SIGTERM")
	}
	if err := db.Stop(ctx); err != nil {
		return err
	}
	step("done")
	return nil
}

// connectorBody reads the example connector and points it at the demo server.
func connectorBody(path string, db *harness.MariaDB) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c struct {
		Name   string            `json:"name"`
		Config map[string]string `json:"config"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.Config["database.hostname"] = db.Host()
	c.Config["database.port"] = strconv.Itoa(db.Port())
	c.Config["database.user"] = db.User()
	c.Config["database.password"] = db.Password()
	return json.Marshal(c)
}

type fatal struct{ error }

func waitFor(ctx context.Context, limit time.Duration, exited <-chan error, check func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := check()
		if err == nil {
			return nil
		}
		var f fatal
		if errors.As(err, &f) {
			return f.error
		}
		select {
		case e := <-exited:
			return fmt.Errorf("worker exited: %v", e)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return err
		}
	}
}

func httpGet(ctx context.Context, url string) (string, error) {
	st, body, err := httpDo(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	if st != http.StatusOK {
		return "", fmt.Errorf("GET %s: %d %s", url, st, body)
	}
	return body, nil
}

func httpDo(ctx context.Context, method, url string, body []byte) (int, string, error) {
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

// freePorts picks n distinct free loopback ports, holding each open until
// all are picked so the kernel cannot offer the same port twice.
func freePorts(n int) []int {
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

func orNull(b []byte) string {
	if b == nil {
		return "null"
	}
	return string(b)
}

func tail(s string, n int) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "worker log (last lines):\n" + strings.Join(lines, "\n")
}

// printable shows a message part as text, or as hex when it is binary
// (Avro).
func printable(b []byte) string {
	if b == nil {
		return "null"
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return "0x" + hex.EncodeToString(b)
}
