package mysql

import (
	"crypto/tls"
	"crypto/x509"
	"errors"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/internal/javastore"
)

// Debezium's Java key and trust stores for the database connection, beside
// the PEM files of database.ssl.cert/key/ca (internal/javastore reads them).
const (
	KeySSLKeyStore           = "database.ssl.keystore"
	KeySSLKeyStorePassword   = "database.ssl.keystore.password"
	KeySSLTrustStore         = "database.ssl.truststore"
	KeySSLTrustStorePassword = "database.ssl.truststore.password"
)

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
	cert, err := javastore.KeyPair(path, password, "")
	if err != nil {
		return tls.Certificate{}, keyStoreErr(KeySSLKeyStore, KeySSLKeyStorePassword, path, err)
	}
	return cert, nil
}

// loadTrustStore reads the trusted certificates of a trust store.
func loadTrustStore(path, password string) (*x509.CertPool, error) {
	certs, err := javastore.Trusted(path, password)
	if err != nil {
		return nil, keyStoreErr(KeySSLTrustStore, KeySSLTrustStorePassword, path, err)
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// keyStoreErr names the key and the file, and the password key when the
// store would not open; the passwords never appear.
func keyStoreErr(key, passwordKey, path string, err error) error {
	msg := err.Error()
	if errors.Is(err, javastore.ErrPassword) {
		msg += "; is " + passwordKey + " right?"
	}
	return &connect.ConfigError{Name: key, Value: path, Message: msg}
}
