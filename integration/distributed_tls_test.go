package integration

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestDistributedHTTPSListeners runs a two-worker cluster whose REST
// listeners are https with a certificate of a private CA, and that require
// client certificates (listeners.https.ssl.client.auth=required). Workers call
// each other over those listeners: a follower forwards leader-only requests,
// and hands the leader its connector's task configs. As in Kafka Connect,
// whose inter-worker REST client is configured from the listeners.https.ssl.*
// settings, a worker must trust listeners.https.ssl.truststore.* and present
// its own key store; with the system roots only, both failed ("x509:
// certificate signed by unknown authority"): POST through a follower answered
// 500 and the follower's connectors never got tasks.
func TestDistributedHTTPSListeners(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts two worker processes")
	}
	k := harness.KafkaForTest(t)
	certFile, keyFile, pair, pool := writeTestCertBothUsages(t)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}}}}
	do := func(method, url string, body any) (int, []byte, error) {
		var r io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
		req, err := http.NewRequest(method, url, r)
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		return resp.StatusCode, data, err
	}

	bin := buildTestWorker(t)
	dir := t.TempDir()
	var ws []*worker
	for i := 0; i < 2; i++ {
		port := freeTCPPort(t)
		props := map[string]string{
			"bootstrap.servers":    k.Bootstrap(),
			"group.id":             k.Topic("tls-cluster"),
			"config.storage.topic": k.Topic("tls-configs"), "offset.storage.topic": k.Topic("tls-offsets"), "status.storage.topic": k.Topic("tls-status"),
			"config.storage.replication.factor": "-1", "offset.storage.replication.factor": "-1", "status.storage.replication.factor": "-1",
			"key.converter":   "org.apache.kafka.connect.storage.StringConverter",
			"value.converter": "org.apache.kafka.connect.storage.StringConverter",
			"listeners":       "https://127.0.0.1:" + strconv.Itoa(port), "rest.advertised.host.name": "127.0.0.1",
			"listeners.https.ssl.certificate.location": certFile,
			"listeners.https.ssl.key.location":         keyFile,
			"listeners.https.ssl.truststore.location":  certFile,
			"listeners.https.ssl.truststore.type":      "PEM",
			"listeners.https.ssl.client.auth":          "required",
			"scheduled.rebalance.max.delay.ms":         "4000",
			"session.timeout.ms":                       "6000", "heartbeat.interval.ms": "1000",
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
		ws = append(ws, &worker{t: t, bin: bin, props: path, port: port, log: filepath.Join(dir, fmt.Sprintf("worker%d.log", i))})
	}
	t.Cleanup(func() {
		for _, w := range ws {
			w.kill()
			if t.Failed() {
				data, _ := os.ReadFile(w.log)
				t.Logf("--- %s log tail:\n%s", w.id(), data[max(0, len(data)-6000):])
			}
		}
	})
	url := func(w *worker) string { return "https://" + w.id() }
	for _, w := range ws {
		w.start()
	}
	for _, w := range ws {
		eventually(t, w.id()+" healthy", 60*time.Second, func() (bool, string) {
			code, data, err := do("GET", url(w)+"/health", nil)
			return err == nil && code == 200, fmt.Sprintf("%d %s %v", code, data, err)
		})
	}
	leader, follower := leaderAndFollower(t, ws)

	// Created through the follower, which forwards to the leader.
	conns := []string{"tls-a", "tls-b", "tls-c", "tls-d"}
	for _, c := range conns {
		eventually(t, "POST "+c+" through the follower", 60*time.Second, func() (bool, string) {
			code, data, err := do("POST", url(follower)+"/connectors", map[string]any{"name": c, "config": map[string]string{
				"connector.class": counterClass, "tasks.max": "2", "topic": k.Topic("tls-counter"), "interval.ms": "50"}})
			return err == nil && code == 201, fmt.Sprintf("%d %s %v", code, data, err)
		})
	}
	eventually(t, "every connector RUNNING with its 2 tasks, some run by the follower", 60*time.Second, func() (bool, string) {
		code, data, err := do("GET", url(leader)+"/connectors?expand=status", nil)
		if err != nil || code != 200 {
			return false, fmt.Sprintf("%d %s %v", code, data, err)
		}
		var all map[string]struct {
			Status stateInfo `json:"status"`
		}
		if err := json.Unmarshal(data, &all); err != nil {
			return false, err.Error()
		}
		onFollower := 0
		for _, c := range conns {
			st := all[c].Status
			if st.Connector.State != "RUNNING" || len(st.Tasks) != 2 {
				return false, string(data)
			}
			for _, task := range st.Tasks {
				if task.State != "RUNNING" {
					return false, string(data)
				}
			}
			if st.Connector.WorkerID == follower.id() {
				onFollower++
			}
		}
		return onFollower > 0, "no connector instance on the follower yet: " + string(data)
	})
}

// writeTestCertBothUsages writes a self-signed certificate for 127.0.0.1
// good for servers and clients, and returns the files, the pair and a pool
// trusting it.
func writeTestCertBothUsages(t *testing.T) (certFile, keyFile string, pair tls.Certificate, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(2 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	os.WriteFile(certFile, certPEM, 0o600)
	os.WriteFile(keyFile, keyPEM, 0o600)
	if pair, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return certFile, keyFile, pair, pool
}
