package avro

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/schemaregistry"
)

// selfSigned returns a server certificate for 127.0.0.1 and its PEM.
func selfSigned(t *testing.T, hosts ...string) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "registry"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	cert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}))
	if err != nil {
		t.Fatal(err)
	}
	return cert, certPEM
}

func TestTLSRegistry(t *testing.T) {
	cases := []struct {
		name  string
		host  string // name in the certificate
		props func(ca string) map[string]string
		fails bool
	}{
		{"PEM truststore", "127.0.0.1", func(ca string) map[string]string {
			return map[string]string{KeyTruststoreLocation: ca, KeyTruststoreType: "PEM"}
		}, false},
		{"ca.location", "127.0.0.1", func(ca string) map[string]string { return map[string]string{KeyCALocation: ca} }, false},
		{"untrusted", "127.0.0.1", func(string) map[string]string { return map[string]string{} }, true},
		{"wrong host name", "registry.example", func(ca string) map[string]string { return map[string]string{KeyCALocation: ca} }, true},
		{"wrong host name, identification off", "registry.example", func(ca string) map[string]string {
			return map[string]string{KeyCALocation: ca, KeyEndpointIdent: ""}
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cert, certPEM := selfSigned(t, tc.host)
			ca := filepath.Join(t.TempDir(), "ca.pem")
			if err := os.WriteFile(ca, certPEM, 0o600); err != nil {
				t.Fatal(err)
			}
			reg := schemaregistry.ForTestWith(t, schemaregistry.Options{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}})
			if !strings.HasPrefix(reg.URL(), "https://") {
				t.Fatalf("URL %s", reg.URL())
			}
			props := tc.props(ca)
			props[KeyRegistryURL] = reg.URL()
			c := configured(t, props, false)
			s, v := allTypes()
			_, err := c.FromConnectData("all", nil, s, v)
			if tc.fails != (err != nil) {
				t.Fatalf("err = %v, want failure %v", err, tc.fails)
			}
		})
	}
}
