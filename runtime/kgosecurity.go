package runtime

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// KgoSecurity gives a franz-go client (distributed mode's group membership,
// source-task producers) the same TLS and SASL settings as the librdkafka
// clients (cm holds librdkafka's names).
func KgoSecurity(cm kafka.ConfigMap) ([]kgo.Opt, error) {
	str := func(k string) string {
		v, _ := cm[k].(string)
		return strings.TrimSpace(v)
	}
	proto := strings.ToUpper(str("security.protocol"))
	var opts []kgo.Opt
	switch proto {
	case "", "PLAINTEXT", "SASL_PLAINTEXT":
	case "SSL", "SASL_SSL":
		tc, err := tlsConfig(str)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	default:
		return nil, fmt.Errorf("security.protocol=%s is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL", proto)
	}
	if proto == "SASL_PLAINTEXT" || proto == "SASL_SSL" {
		user, pass := str("sasl.username"), str("sasl.password")
		switch mech := strings.ToUpper(str("sasl.mechanisms")); mech {
		case "PLAIN":
			opts = append(opts, kgo.SASL(plain.Auth{User: user, Pass: pass}.AsMechanism()))
		case "SCRAM-SHA-256":
			opts = append(opts, kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()))
		case "SCRAM-SHA-512":
			opts = append(opts, kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()))
		case "":
			return nil, fmt.Errorf("security.protocol=%s needs sasl.mechanism (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512) and sasl.jaas.config with username and password", proto)
		default:
			return nil, fmt.Errorf("sasl.mechanism=%s is not supported by the franz-go client; use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", mech)
		}
	}
	return opts, nil
}

func tlsConfig(str func(string) string) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	var pool *x509.CertPool
	if loc := str("ssl.ca.location"); loc != "" {
		pem, err := os.ReadFile(loc)
		if err != nil {
			return nil, fmt.Errorf("ssl.truststore.location: %w", err)
		}
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ssl.truststore.location %s holds no PEM certificate", loc)
		}
	}
	if pem := str("ssl.ca.pem"); pem != "" {
		if pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM([]byte(pem)) {
			return nil, fmt.Errorf("ssl.truststore.certificates holds no PEM certificate")
		}
	}
	tc.RootCAs = pool
	if cert, key := str("ssl.certificate.pem"), str("ssl.key.pem"); cert != "" || key != "" {
		pair, err := tls.X509KeyPair([]byte(cert), []byte(key))
		if err != nil {
			return nil, fmt.Errorf("ssl.keystore.location: %w", err)
		}
		tc.Certificates = []tls.Certificate{pair}
	} else if cert, key := str("ssl.certificate.location"), str("ssl.key.location"); cert != "" || key != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("ssl.certificate.location/ssl.key.location: %w", err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	if str("ssl.endpoint.identification.algorithm") == "none" {
		// Kafka's empty ssl.endpoint.identification.algorithm: verify the
		// chain but not the host name.
		tc.InsecureSkipVerify = true
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("the broker sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter})
			return err
		}
	}
	return tc, nil
}
