package runtime

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/sluicehq/sluice/integration/harness"
	"github.com/sluicehq/sluice/offsets"
)

// testPKI is a CA, a broker certificate for 127.0.0.1 and a client
// certificate, with the client's key and the CA also as Java stores.
type testPKI struct {
	server                    tls.Certificate
	caPool                    *x509.CertPool
	caPEM, certPEM, keyPEM    string
	jksTrust, p12Trust        string
	jksKey, p12Key            string
	storePassword, keyPasswrd string
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	var serial int64
	sign := func(tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, by *ecdsa.PrivateKey) *x509.Certificate {
		serial++
		tmpl.SerialNumber, tmpl.NotBefore, tmpl.NotAfter = big.NewInt(serial), time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, by)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	caKey := newKey()
	caTmpl := &x509.Certificate{Subject: pkix.Name{CommonName: "test CA"}, IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	ca := sign(caTmpl, caTmpl, &caKey.PublicKey, caKey)
	srvKey := newKey()
	srv := sign(&x509.Certificate{Subject: pkix.Name{CommonName: "broker"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, ca, &srvKey.PublicKey, caKey)
	cliKey := newKey()
	cli := sign(&x509.Certificate{Subject: pkix.Name{CommonName: "connect"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, ca, &cliKey.PublicKey, caKey)
	cliKeyDER, err := x509.MarshalPKCS8PrivateKey(cliKey)
	if err != nil {
		t.Fatal(err)
	}
	p := testPKI{storePassword: "store-secret-1", keyPasswrd: "key-secret-2"}
	p.server = tls.Certificate{Certificate: [][]byte{srv.Raw, ca.Raw}, PrivateKey: srvKey}
	p.caPool = x509.NewCertPool()
	p.caPool.AddCert(ca)
	p.caPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}))
	p.certPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cli.Raw}))
	p.keyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: cliKeyDER}))

	stores, err := harness.WriteJavaStores(t.TempDir(), cliKey, cli, ca, p.storePassword, p.keyPasswrd)
	if err != nil {
		t.Fatal(err)
	}
	p.jksTrust, p.p12Trust, p.jksKey, p.p12Key = stores.JKSTrust, stores.P12Trust, stores.JKSKey, stores.P12Key
	return p
}

// Java stores become the PEM text both clients read; bad ones fail naming
// the key and never the password.
func TestApplyJavaStores(t *testing.T) {
	p := newTestPKI(t)
	for _, tc := range []struct {
		name  string
		props map[string]string
	}{
		{"jks", map[string]string{"ssl.truststore.location": p.jksTrust, "ssl.truststore.password": p.storePassword,
			"ssl.keystore.location": p.jksKey, "ssl.keystore.password": p.storePassword, "ssl.key.password": p.keyPasswrd}},
		{"pkcs12", map[string]string{"ssl.truststore.location": p.p12Trust, "ssl.truststore.type": "PKCS12", "ssl.truststore.password": p.storePassword,
			"ssl.keystore.location": p.p12Key, "ssl.keystore.type": "pkcs12", "ssl.keystore.password": p.storePassword}},
		{"jks truststore without password", map[string]string{"ssl.truststore.location": p.jksTrust}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cm := kafka.ConfigMap{}
			if err := applyJavaProducerProps(cm, tc.props, "producer."); err != nil {
				t.Fatal(err)
			}
			if cm["ssl.ca.pem"] != p.caPEM {
				t.Errorf("ssl.ca.pem = %v", cm["ssl.ca.pem"])
			}
			for _, k := range []string{"ssl.keystore.location", "ssl.keystore.password", "ssl.key.password", "ssl.truststore.location"} {
				if _, ok := cm[k]; ok {
					t.Errorf("%s passed on to the client", k)
				}
			}
			if tc.props["ssl.keystore.location"] == "" {
				return
			}
			if !strings.HasPrefix(cm["ssl.certificate.pem"].(string), p.certPEM) || cm["ssl.key.pem"] != p.keyPEM {
				t.Errorf("client certificate/key not converted: %v / %v", cm["ssl.certificate.pem"], cm["ssl.key.pem"])
			}
		})
	}
	for _, tc := range []struct {
		props map[string]string
		want  string
	}{
		{map[string]string{"ssl.truststore.location": p.jksTrust, "ssl.truststore.password": "wrong-pw-77"}, "producer.ssl.truststore.password"},
		{map[string]string{"ssl.keystore.location": p.p12Key, "ssl.keystore.password": "wrong-pw-77"}, "producer.ssl.keystore.password"},
		{map[string]string{"ssl.keystore.location": p.jksKey, "ssl.keystore.password": p.storePassword, "ssl.key.password": "wrong-pw-77"}, "producer.ssl.key.password"},
		{map[string]string{"ssl.truststore.location": p.jksTrust + ".missing"}, "producer.ssl.truststore.location"},
		{map[string]string{"ssl.keystore.location": p.p12Key, "ssl.keystore.type": "BKS"}, "producer.ssl.keystore.type=BKS"},
	} {
		err := applyJavaProducerProps(kafka.ConfigMap{}, tc.props, "producer.")
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "wrong-pw-77") || strings.Contains(err.Error(), p.storePassword) {
			t.Errorf("%v: error %v, want one naming %s without a password", tc.props, err, tc.want)
		}
	}
}

// TestProducersOverTLSWithJavaStores: a worker whose producer.* settings
// name a JKS trust store and a PKCS#12 key store (as a Java worker's would)
// produces through each client to a broker that requires a client
// certificate.
func TestProducersOverTLSWithJavaStores(t *testing.T) {
	p := newTestPKI(t)
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.TLS(&tls.Config{Certificates: []tls.Certificate{p.server},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: p.caPool, MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	boot := strings.Join(c.ListenAddrs(), ",")
	for _, client := range []string{"franz-go", "librdkafka"} {
		t.Run(client, func(t *testing.T) {
			store, err := offsets.OpenFileStore(filepath.Join(t.TempDir(), "connect.offsets"))
			if err != nil {
				t.Fatal(err)
			}
			h := newTestHerder(t, boot, store, map[string]string{
				"producer.security.protocol":       "SSL",
				"producer.ssl.truststore.location": p.jksTrust, "producer.ssl.truststore.password": p.storePassword,
				"producer.ssl.keystore.location": p.p12Key, "producer.ssl.keystore.type": "PKCS12", "producer.ssl.keystore.password": p.storePassword,
				"producer." + ProducerClientKey: client})
			ctx := context.Background()
			defer h.Stop(ctx)
			const total = 100
			topic := "tls-counting-" + client
			config := map[string]string{"connector.class": testSourceClass, "topic": topic, "count": strconv.Itoa(total), "batch": "50",
				"topic.creation.default.partitions": "1", "topic.creation.default.replication.factor": "1"}
			if _, _, err := h.PutConnectorConfig(ctx, "tls-"+client, config, false, ""); err != nil {
				t.Fatal(err)
			}
			msgs, err := harness.ReadTopic(ctx, boot, topic, total, 60*time.Second, harness.ReadOptions{Config: kafka.ConfigMap{
				"security.protocol": "SSL", "ssl.ca.pem": p.caPEM, "ssl.certificate.pem": p.certPEM, "ssl.key.pem": p.keyPEM}})
			if err != nil {
				st, tr := taskState(h, "tls-"+client)
				t.Fatalf("%v (task %s: %s)", err, st, tr)
			}
			if got := len(readCounted(t, msgs)); got != total {
				t.Fatalf("read %d records, want %d", got, total)
			}
		})
	}
}
