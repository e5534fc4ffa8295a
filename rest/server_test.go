package rest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	keystore "github.com/pavlo-v-chernykh/keystore-go/v4"
	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// writeCert writes a self-signed PEM certificate and key for 127.0.0.1, good
// for a server and a client.
func writeCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sluice-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestServerConfigFromProperties(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "users")
	os.WriteFile(users, []byte("# admins\nalice: pa:ss\nbob=pw\n\n"), 0o600)
	cases := []struct {
		name    string
		props   map[string]string
		wantErr string
		check   func(t *testing.T, c ServerConfig)
	}{
		{name: "defaults", props: map[string]string{}, check: func(t *testing.T, c ServerConfig) {
			if c.AdminListeners != nil || c.Options.BasicAuth != nil || c.Options.TopicTrackingDisabled {
				t.Errorf("%+v", c)
			}
		}},
		{name: "admin disabled", props: map[string]string{"admin.listeners": ""}, check: func(t *testing.T, c ServerConfig) {
			if c.AdminListeners == nil || *c.AdminListeners != "" {
				t.Errorf("admin listeners %v", c.AdminListeners)
			}
		}},
		{name: "auth file", props: map[string]string{"rest.basic.auth.file": users}, check: func(t *testing.T, c ServerConfig) {
			a := c.Options.BasicAuth
			if a == nil || !a.check("alice", "pa:ss") || !a.check("bob", "pw") || a.check("bob", "pa:ss") || a.check("carol", "") {
				t.Error("users from file not loaded as user:password / user=password")
			}
		}},
		{name: "auth pair", props: map[string]string{"rest.basic.auth.user": "u", "rest.basic.auth.password": "p"}, check: func(t *testing.T, c ServerConfig) {
			if c.Options.BasicAuth == nil || !c.Options.BasicAuth.check("u", "p") {
				t.Error("pair not loaded")
			}
		}},
		{name: "tracking switches", props: map[string]string{"topic.tracking.enable": "false", "topic.tracking.allow.reset": "FALSE"}, check: func(t *testing.T, c ServerConfig) {
			if !c.Options.TopicTrackingDisabled || !c.Options.TopicTrackingResetDisabled {
				t.Error("switches not read")
			}
		}},
		{name: "user without password", props: map[string]string{"rest.basic.auth.user": "u"}, wantErr: "rest.basic.auth.password is missing"},
		{name: "both auth forms", props: map[string]string{"rest.basic.auth.user": "u", "rest.basic.auth.file": users}, wantErr: "not both"},
		{name: "missing auth file", props: map[string]string{"rest.basic.auth.file": filepath.Join(dir, "nope")}, wantErr: "rest.basic.auth.file"},
		{name: "keystore missing", props: map[string]string{"listeners.https.ssl.keystore.location": "/ks.jks"}, wantErr: "listeners.https.ssl.keystore.location=/ks.jks"},
		{name: "keystore type", props: map[string]string{"listeners.https.ssl.keystore.location": "/ks.bks", "listeners.https.ssl.keystore.type": "BKS"}, wantErr: "listeners.https.ssl.keystore.type=BKS"},
		{name: "bad bool", props: map[string]string{"topic.tracking.enable": "maybe"}, wantErr: "topic.tracking.enable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := ServerConfigFromProperties(c.props, Options{})
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, cfg)
		})
	}
}

func TestNewServerRejectsBadListeners(t *testing.T) {
	for _, c := range []struct{ listeners, want string }{
		{"ftp://:21", "must be http or https"},
		{"http://localhost", "a port is required"},
		{"https://:0", "listeners.https.ssl.certificate.location"},
		{"http://:0/path", "no path"},
		{" , ", "lists no listener"},
	} {
		_, err := NewServer(newFakeHerder(), ServerConfig{Listeners: c.listeners})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.listeners, err, c.want)
		}
	}
	_, err := NewServer(newFakeHerder(), ServerConfig{Listeners: "https://:0", TLSCertFile: "/nope.pem", TLSKeyFile: "/nope.key"})
	if err == nil || !strings.Contains(err.Error(), "listeners.https.ssl.certificate.location=/nope.pem") {
		t.Errorf("missing cert file: %v", err)
	}
}

func get(t *testing.T, c *http.Client, url, user, pass string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServerTLSAuthAndAdminListener(t *testing.T) {
	certFile, keyFile, pool := writeCert(t)
	auth, _ := NewBasicAuth(map[string]string{"admin": "secret"})
	admin := "http://127.0.0.1:0"
	srv, err := NewServer(newFakeHerder(), ServerConfig{
		Listeners: "http://127.0.0.1:0, https://127.0.0.1:0", AdminListeners: &admin,
		TLSCertFile: certFile, TLSKeyFile: keyFile,
		Options: Options{Logger: quietLog, BasicAuth: auth},
	})
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := srv.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	if len(addrs) != 2 || !strings.HasPrefix(addrs[0], "http://127.0.0.1:") || !strings.HasPrefix(addrs[1], "https://127.0.0.1:") {
		t.Fatalf("addrs = %v", addrs)
	}
	adminAddrs := srv.AdminAddrs()
	if len(adminAddrs) != 1 {
		t.Fatalf("admin addrs = %v", adminAddrs)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	for _, base := range addrs {
		if st, body := get(t, client, base+"/connectors", "admin", "secret"); st != 200 || body != "[]\n" {
			t.Errorf("%s authorised: %d %s", base, st, body)
		}
		if st, body := get(t, client, base+"/connectors", "admin", "wrong"); st != 401 || body != `{"error_code":401,"message":"User cannot access the resource."}`+"\n" {
			t.Errorf("%s bad password: %d %s", base, st, body)
		}
		if st, _ := get(t, client, base+"/connectors", "", ""); st != 401 {
			t.Errorf("%s no credentials: %d", base, st)
		}
		if st, _ := get(t, client, base+"/admin/loggers", "admin", "secret"); st != 404 {
			t.Errorf("%s serves admin endpoints although admin.listeners is set: %d", base, st)
		}
	}
	if st, body := get(t, client, adminAddrs[0]+"/admin/loggers", "admin", "secret"); st != 200 || !strings.Contains(body, `"root"`) {
		t.Errorf("admin listener: %d %s", st, body)
	}
	if st, _ := get(t, client, adminAddrs[0]+"/connectors", "admin", "secret"); st != 404 {
		t.Errorf("admin listener serves /connectors: %d", st)
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Get(addrs[0] + "/"); err == nil {
		t.Error("still serving after Shutdown")
	}
}

func TestServerAdminDisabled(t *testing.T) {
	empty := ""
	srv, err := NewServer(newFakeHerder(), ServerConfig{Listeners: "http://127.0.0.1:0", AdminListeners: &empty, Options: Options{Logger: quietLog}})
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := srv.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	if st, _ := get(t, http.DefaultClient, addrs[0]+"/admin/loggers", "", ""); st != 404 {
		t.Errorf("admin endpoints with admin.listeners empty: %d", st)
	}
	if len(srv.AdminAddrs()) != 0 {
		t.Errorf("admin addrs %v", srv.AdminAddrs())
	}
	// Unset admin.listeners puts them on the main listener.
	srv2, _ := NewServer(newFakeHerder(), ServerConfig{Listeners: "http://127.0.0.1:0", Options: Options{Logger: quietLog}})
	addrs2, err := srv2.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Shutdown(context.Background())
	if st, _ := get(t, http.DefaultClient, addrs2[0]+"/admin/loggers", "", ""); st != 200 {
		t.Errorf("admin endpoints with admin.listeners unset: %d", st)
	}
	if _, err := srv2.Start(context.Background()); err == nil {
		t.Error("second Start succeeded")
	}
}

// TestServerTLSFromJKSKeyStore: an https listener configured as a Kafka
// Connect worker's is, with a JKS key store, serves with its certificate;
// a wrong password is refused naming the key, without the password.
func TestServerTLSFromJKSKeyStore(t *testing.T) {
	certFile, keyFile, pool := writeCert(t)
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(pair.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	ks := keystore.New()
	if err := ks.SetPrivateKeyEntry("rest", keystore.PrivateKeyEntry{CreationTime: time.Now(), PrivateKey: keyDER,
		CertificateChain: []keystore.Certificate{{Type: "X509", Content: pair.Certificate[0]}}}, []byte("changeit")); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := ks.Store(&buf, []byte("changeit")); err != nil {
		t.Fatal(err)
	}
	jks := filepath.Join(t.TempDir(), "rest.jks")
	if err := os.WriteFile(jks, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	props := map[string]string{"listeners": "https://127.0.0.1:0", "listeners.https.ssl.keystore.location": jks,
		"listeners.https.ssl.keystore.password": "changeit"}
	addrs := startFromProperties(t, props)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if st, body := get(t, client, addrs[0]+"/connectors", "", ""); st != 200 || body != "[]\n" {
		t.Fatalf("GET /connectors over https: %d %s", st, body)
	}
	props["listeners.https.ssl.keystore.password"] = "not-it-9"
	_, err = ServerConfigFromProperties(props, Options{})
	if err == nil || !strings.Contains(err.Error(), "listeners.https.ssl.keystore.password") || strings.Contains(err.Error(), "not-it-9") {
		t.Fatalf("wrong password: %v", err)
	}
}

// TestServerTLSFromPEMKeyStore: ssl.keystore.type=PEM takes one file with
// the key and its chain, and the admin listeners, with no key store of
// their own, use the main one (what rest/README.md documents).
func TestServerTLSFromPEMKeyStore(t *testing.T) {
	certFile, keyFile, pool := writeCert(t)
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(t.TempDir(), "rest.pem")
	if err := os.WriteFile(store, append(keyPEM, certPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	props := map[string]string{"listeners": "https://127.0.0.1:0", "admin.listeners": "https://127.0.0.1:0",
		"listeners.https.ssl.keystore.location": store, "listeners.https.ssl.keystore.type": "PEM"}
	cfg, err := ServerConfigFromProperties(props, Options{Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(newFakeHerder(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := srv.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if st, body := get(t, client, addrs[0]+"/connectors", "", ""); st != 200 || body != "[]\n" {
		t.Fatalf("GET /connectors over https: %d %s", st, body)
	}
	if st, _ := get(t, client, srv.AdminAddrs()[0]+"/admin/loggers", "", ""); st != 200 {
		t.Fatalf("GET /admin/loggers over https: %d", st)
	}
}

// TestServerClientCertificates: listeners.https.ssl.client.auth=required
// with a PKCS12 trust store admits a client with a certificate its CA
// signed and refuses one without.
func TestServerClientCertificates(t *testing.T) {
	certFile, keyFile, pool := writeCert(t)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(10), Subject: pkix.Name{CommonName: "clients CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	cliKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cliDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(11), Subject: pkix.Name{CommonName: "ops"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}, ca, &cliKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	trust, err := pkcs12.Modern2023.EncodeTrustStore([]*x509.Certificate{ca}, "trustpw")
	if err != nil {
		t.Fatal(err)
	}
	trustFile := filepath.Join(t.TempDir(), "clients.p12")
	if err := os.WriteFile(trustFile, trust, 0o600); err != nil {
		t.Fatal(err)
	}
	addrs := startFromProperties(t, map[string]string{"listeners": "https://127.0.0.1:0",
		PropTLSCertificate: certFile, PropTLSKey: keyFile, "listeners.https.ssl.client.auth": "required",
		"listeners.https.ssl.truststore.location": trustFile, "listeners.https.ssl.truststore.type": "PKCS12",
		"listeners.https.ssl.truststore.password": "trustpw"})
	anon := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if resp, err := anon.Get(addrs[0] + "/connectors"); err == nil {
		resp.Body.Close()
		t.Fatal("a client without a certificate was served")
	}
	withCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool,
		Certificates: []tls.Certificate{{Certificate: [][]byte{cliDER}, PrivateKey: cliKey}}}}}
	if st, body := get(t, withCert, addrs[0]+"/connectors", "", ""); st != 200 || body != "[]\n" {
		t.Fatalf("client with a certificate: %d %s", st, body)
	}
	if _, err := ServerConfigFromProperties(map[string]string{"listeners.https.ssl.client.auth": "required"}, Options{}); err == nil ||
		!strings.Contains(err.Error(), "listeners.https.ssl.truststore.location") {
		t.Fatalf("required without a trust store: %v", err)
	}
}

// startFromProperties starts a server configured from worker properties
// until the test ends, returning its listeners' URLs.
func startFromProperties(t *testing.T, props map[string]string) []string {
	t.Helper()
	cfg, err := ServerConfigFromProperties(props, Options{Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(newFakeHerder(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := srv.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	return addrs
}

// The client a worker calls other workers with reads the same
// listeners.https.ssl.* settings: it trusts the trust store and presents the
// listeners' certificate, and talks to a listener that requires one.
func TestInterWorkerTLSFromProperties(t *testing.T) {
	certFile, keyFile, _ := writeCert(t)
	cfg, err := ServerConfigFromProperties(map[string]string{"listeners": "http://127.0.0.1:0"}, Options{})
	if err != nil || cfg.Options.InterWorkerTLS != nil {
		t.Fatalf("plain http: InterWorkerTLS %v, %v; want nil", cfg.Options.InterWorkerTLS, err)
	}
	props := map[string]string{
		"listeners": "https://127.0.0.1:0",
		"listeners.https.ssl.certificate.location": certFile,
		"listeners.https.ssl.key.location":         keyFile,
		"listeners.https.ssl.truststore.location":  certFile,
		"listeners.https.ssl.truststore.type":      "PEM",
		"listeners.https.ssl.client.auth":          "required",
	}
	cfg, err = ServerConfigFromProperties(props, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c := cfg.Options.InterWorkerTLS; c == nil || c.RootCAs == nil || len(c.Certificates) != 1 {
		t.Fatalf("InterWorkerTLS %+v: want the trust store and the listeners' certificate", c)
	}
	urls := startFromProperties(t, props)
	resp, err := InterWorkerClient(cfg.Options.InterWorkerTLS).Get(urls[0] + "/")
	if err != nil {
		t.Fatalf("inter-worker client to an https listener requiring client certificates: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
}
