// Package javastore reads Java key and trust stores — JKS (recognised by
// its magic number) or PKCS#12, Java 9's default type — so that configs
// written for Java clients (Kafka's ssl.keystore.location, Debezium's
// database.ssl.keystore) work unchanged. Errors never carry a password.
package javastore

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	keystore "github.com/pavlo-v-chernykh/keystore-go/v4"
	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

const jksMagic = 0xFEEDFEED

// ErrPassword marks a store that would not open with the given password.
var ErrPassword = errors.New("wrong password or damaged store")

// IsJKS reports whether data is a JKS store.
func IsJKS(data []byte) bool {
	return len(data) >= 4 && binary.BigEndian.Uint32(data) == jksMagic
}

// KeyPair reads the first key entry of a key store: its certificate chain
// and private key. keyPassword opens a JKS key entry ("" means the store's
// password, as keytool makes them).
func KeyPair(path, storePassword, keyPassword string) (tls.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("cannot read the key store: %w", err)
	}
	if keyPassword == "" {
		keyPassword = storePassword
	}
	if IsJKS(data) {
		ks := keystore.New()
		if err := ks.Load(bytes.NewReader(data), []byte(storePassword)); err != nil {
			return tls.Certificate{}, fmt.Errorf("cannot open the JKS key store: %w (%v)", ErrPassword, err)
		}
		for _, alias := range ks.Aliases() {
			if !ks.IsPrivateKeyEntry(alias) {
				continue
			}
			e, err := ks.GetPrivateKeyEntry(alias, []byte(keyPassword))
			if err != nil {
				return tls.Certificate{}, fmt.Errorf("cannot read key entry %q: %w (%v)", alias, ErrPassword, err)
			}
			key, err := x509.ParsePKCS8PrivateKey(e.PrivateKey)
			if err != nil {
				return tls.Certificate{}, fmt.Errorf("key entry %q: %v", alias, err)
			}
			cert := tls.Certificate{PrivateKey: key}
			for _, c := range e.CertificateChain {
				cert.Certificate = append(cert.Certificate, c.Content)
			}
			if len(cert.Certificate) == 0 {
				return tls.Certificate{}, fmt.Errorf("key entry %q has no certificate", alias)
			}
			return cert, nil
		}
		return tls.Certificate{}, errors.New("the JKS key store has no key entry")
	}
	key, leaf, chain, err := pkcs12.DecodeChain(data, storePassword)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("cannot open the PKCS#12 key store: %w (%v)", ErrPassword, err)
	}
	cert := tls.Certificate{PrivateKey: key, Certificate: [][]byte{leaf.Raw}, Leaf: leaf}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.Raw)
	}
	return cert, nil
}

// Trusted reads the trusted certificates of a trust store. A JKS store
// opens without a password too (its integrity is then not checked, as
// Java does).
func Trusted(path, password string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the trust store: %w", err)
	}
	var out []*x509.Certificate
	if IsJKS(data) {
		ks := keystore.New()
		// Without a password Java reads a JKS trust store unchecked; the
		// library has read every entry by the time the digest check fails.
		if err := ks.Load(bytes.NewReader(data), []byte(password)); err != nil && !(password == "" && err.Error() == "got invalid digest") {
			return nil, fmt.Errorf("cannot open the JKS trust store: %w (%v)", ErrPassword, err)
		}
		for _, alias := range ks.Aliases() {
			if !ks.IsTrustedCertificateEntry(alias) {
				continue
			}
			e, err := ks.GetTrustedCertificateEntry(alias)
			if err != nil {
				return nil, fmt.Errorf("entry %q: %v", alias, err)
			}
			c, err := x509.ParseCertificate(e.Certificate.Content)
			if err != nil {
				return nil, fmt.Errorf("entry %q: %v", alias, err)
			}
			out = append(out, c)
		}
	} else if out, err = pkcs12.DecodeTrustStore(data, password); err != nil {
		return nil, fmt.Errorf("cannot open the PKCS#12 trust store: %w (%v)", ErrPassword, err)
	}
	if len(out) == 0 {
		return nil, errors.New("the trust store holds no trusted certificate")
	}
	return out, nil
}

// CertsPEM encodes certificates as concatenated PEM blocks.
func CertsPEM(certs [][]byte) string {
	var b bytes.Buffer
	for _, der := range certs {
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	}
	return b.String()
}

// KeyPEM encodes a private key as an unencrypted PKCS#8 PEM block.
func KeyPEM(key any) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}
