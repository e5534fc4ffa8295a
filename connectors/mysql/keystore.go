package mysql

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"os"

	keystore "github.com/pavlo-v-chernykh/keystore-go/v4"
	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/sluicehq/sluice/connect"
)

// Debezium's Java key and trust stores for the database connection, beside
// the PEM files of database.ssl.cert/key/ca. A store is a JKS file (magic
// 0xFEEDFEED) or PKCS#12, the default type of Java 9 and later.
const (
	KeySSLKeyStore           = "database.ssl.keystore"
	KeySSLKeyStorePassword   = "database.ssl.keystore.password"
	KeySSLTrustStore         = "database.ssl.truststore"
	KeySSLTrustStorePassword = "database.ssl.truststore.password"
)

const jksMagic = 0xFEEDFEED

func defineKeyStoreKeys(def func(connect.ConfigKey)) {
	def(connect.ConfigKey{Name: KeySSLKeyStore, Type: connect.ConfigString, Default: "", Group: groupConnection,
		Doc: "A Java key store (JKS or PKCS#12) with the client certificate and its key, for servers that require X509 (Debezium's); the alternative to " + KeySSLCert + " and " + KeySSLKey + ". Its first key entry is used."})
	def(connect.ConfigKey{Name: KeySSLKeyStorePassword, Type: connect.ConfigPassword, Default: "", Group: groupConnection,
		Doc: "Password of " + KeySSLKeyStore + " (and of its key entry, as keytool makes them)."})
	def(connect.ConfigKey{Name: KeySSLTrustStore, Type: connect.ConfigString, Default: "", Group: groupConnection,
		Doc: "A Java trust store (JKS or PKCS#12) with the CA certificates that verify the server (Debezium's); the alternative to " + KeySSLCA + "."})
	def(connect.ConfigKey{Name: KeySSLTrustStorePassword, Type: connect.ConfigPassword, Default: "", Group: groupConnection,
		Doc: "Password of " + KeySSLTrustStore + "; a JKS trust store can be read without one."})
}

// loadKeyStore reads the client certificate chain and key of a key store.
func loadKeyStore(path, password string) (tls.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return tls.Certificate{}, keyStoreErr(KeySSLKeyStore, path, fmt.Sprintf("cannot read the key store: %v", err))
	}
	if isJKS(data) {
		ks := keystore.New()
		if err := ks.Load(bytes.NewReader(data), []byte(password)); err != nil {
			return tls.Certificate{}, keyStoreErr(KeySSLKeyStore, path, "cannot open the JKS key store (is "+KeySSLKeyStorePassword+" right?): "+err.Error())
		}
		for _, alias := range ks.Aliases() {
			if !ks.IsPrivateKeyEntry(alias) {
				continue
			}
			e, err := ks.GetPrivateKeyEntry(alias, []byte(password))
			if err != nil {
				return tls.Certificate{}, keyStoreErr(KeySSLKeyStore, path, fmt.Sprintf("cannot read key entry %q (its password must be %s): %v", alias, KeySSLKeyStorePassword, err))
			}
			key, err := x509.ParsePKCS8PrivateKey(e.PrivateKey)
			if err != nil {
				return tls.Certificate{}, keyStoreErr(KeySSLKeyStore, path, fmt.Sprintf("key entry %q: %v", alias, err))
			}
			cert := tls.Certificate{PrivateKey: key}
			for _, c := range e.CertificateChain {
				cert.Certificate = append(cert.Certificate, c.Content)
			}
			if len(cert.Certificate) == 0 {
				return tls.Certificate{}, keyStoreErr(KeySSLKeyStore, path, fmt.Sprintf("key entry %q has no certificate", alias))
			}
			return cert, nil
		}
		return tls.Certificate{}, keyStoreErr(KeySSLKeyStore, path, "the JKS key store has no key entry")
	}
	key, leaf, chain, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		return tls.Certificate{}, keyStoreErr(KeySSLKeyStore, path, "cannot open the PKCS#12 key store (is "+KeySSLKeyStorePassword+" right?): "+err.Error())
	}
	cert := tls.Certificate{PrivateKey: key, Certificate: [][]byte{leaf.Raw}, Leaf: leaf}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.Raw)
	}
	return cert, nil
}

// loadTrustStore reads the trusted certificates of a trust store.
func loadTrustStore(path, password string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, keyStoreErr(KeySSLTrustStore, path, fmt.Sprintf("cannot read the trust store: %v", err))
	}
	pool := x509.NewCertPool()
	if isJKS(data) {
		ks := keystore.New()
		if err := ks.Load(bytes.NewReader(data), []byte(password)); err != nil {
			return nil, keyStoreErr(KeySSLTrustStore, path, "cannot open the JKS trust store (is "+KeySSLTrustStorePassword+" right?): "+err.Error())
		}
		for _, alias := range ks.Aliases() {
			if !ks.IsTrustedCertificateEntry(alias) {
				continue
			}
			e, err := ks.GetTrustedCertificateEntry(alias)
			if err != nil {
				return nil, keyStoreErr(KeySSLTrustStore, path, fmt.Sprintf("entry %q: %v", alias, err))
			}
			c, err := x509.ParseCertificate(e.Certificate.Content)
			if err != nil {
				return nil, keyStoreErr(KeySSLTrustStore, path, fmt.Sprintf("entry %q: %v", alias, err))
			}
			pool.AddCert(c)
		}
	} else {
		certs, err := pkcs12.DecodeTrustStore(data, password)
		if err != nil {
			return nil, keyStoreErr(KeySSLTrustStore, path, "cannot open the PKCS#12 trust store (is "+KeySSLTrustStorePassword+" right?): "+err.Error())
		}
		for _, c := range certs {
			pool.AddCert(c)
		}
	}
	if pool.Equal(x509.NewCertPool()) {
		return nil, keyStoreErr(KeySSLTrustStore, path, "the trust store holds no trusted certificate")
	}
	return pool, nil
}

func isJKS(data []byte) bool {
	return len(data) >= 4 && binary.BigEndian.Uint32(data) == jksMagic
}

// keyStoreErr names the key and the file; the passwords never appear.
func keyStoreErr(key, path, msg string) error {
	return &connect.ConfigError{Name: key, Value: path, Message: msg}
}
