package harness

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"time"

	keystore "github.com/pavlo-v-chernykh/keystore-go/v4"
	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// JavaStores are the paths of a client key and its CA written as the Java
// stores Kafka and Debezium configs name.
type JavaStores struct{ P12Key, P12Trust, JKSKey, JKSTrust string }

// WriteJavaStores writes key with its certificate chain (cert, then ca) as
// PKCS#12 and JKS key stores, and ca as PKCS#12 and JKS trust stores, into
// dir under storePassword. The JKS key entry is sealed with keyPassword
// ("" for storePassword), as keytool allows.
func WriteJavaStores(dir string, key crypto.PrivateKey, cert, ca *x509.Certificate, storePassword, keyPassword string) (JavaStores, error) {
	if keyPassword == "" {
		keyPassword = storePassword
	}
	var s JavaStores
	write := func(name string, data []byte) (string, error) {
		p := filepath.Join(dir, name)
		return p, os.WriteFile(p, data, 0o600)
	}
	p12, err := pkcs12.Modern2023.Encode(key, cert, []*x509.Certificate{ca}, storePassword)
	if err != nil {
		return s, fmt.Errorf("PKCS#12 key store: %w", err)
	}
	if s.P12Key, err = write("client.p12", p12); err != nil {
		return s, err
	}
	if p12, err = pkcs12.Modern2023.EncodeTrustStore([]*x509.Certificate{ca}, storePassword); err != nil {
		return s, fmt.Errorf("PKCS#12 trust store: %w", err)
	}
	if s.P12Trust, err = write("trust.p12", p12); err != nil {
		return s, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return s, err
	}
	now := time.Now()
	jks := func(name string, fill func(keystore.KeyStore) error) (string, error) {
		ks := keystore.New()
		if err := fill(ks); err != nil {
			return "", fmt.Errorf("JKS %s: %w", name, err)
		}
		var buf bytes.Buffer
		if err := ks.Store(&buf, []byte(storePassword)); err != nil {
			return "", fmt.Errorf("JKS %s: %w", name, err)
		}
		return write(name, buf.Bytes())
	}
	if s.JKSKey, err = jks("client.jks", func(ks keystore.KeyStore) error {
		return ks.SetPrivateKeyEntry("client", keystore.PrivateKeyEntry{CreationTime: now, PrivateKey: keyDER,
			CertificateChain: []keystore.Certificate{{Type: "X509", Content: cert.Raw}, {Type: "X509", Content: ca.Raw}}}, []byte(keyPassword))
	}); err != nil {
		return s, err
	}
	s.JKSTrust, err = jks("trust.jks", func(ks keystore.KeyStore) error {
		return ks.SetTrustedCertificateEntry("ca", keystore.TrustedCertificateEntry{CreationTime: now,
			Certificate: keystore.Certificate{Type: "X509", Content: ca.Raw}})
	})
	return s, err
}
