package avro

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/riferrei/srclient"
	"github.com/sluicehq/sluice/connect"
)

// Config keys, named as Confluent's AvroConverter names them.
const (
	KeyRegistryURL      = "schema.registry.url"
	KeyAuthSource       = "basic.auth.credentials.source"
	KeyAuthUserInfo     = "basic.auth.user.info"
	KeyBearerSource     = "bearer.auth.credentials.source"
	KeyBearerToken      = "bearer.auth.token"
	KeySASLJAAS         = "sasl.jaas.config"
	KeyAutoRegister     = "auto.register.schemas"
	KeyUseLatest        = "use.latest.version"
	KeyKeyStrategy      = "key.subject.name.strategy"
	KeyValueStrategy    = "value.subject.name.strategy"
	KeyConnectMetaData  = "connect.meta.data"
	KeyScrubNames       = "scrub.invalid.names"
	KeyCacheSize        = "schemas.cache.config"
	KeyRequestTimeoutMs = "schema.registry.request.timeout.ms"

	// TLS for the registry: Kafka's ssl.* keys under schema.registry.,
	// with PEM stores (Go reads neither JKS nor PKCS12), plus the
	// librdkafka-style file names for the same PEM files.
	KeyTruststoreLocation = "schema.registry.ssl.truststore.location"
	KeyTruststoreType     = "schema.registry.ssl.truststore.type"
	KeyTruststoreCerts    = "schema.registry.ssl.truststore.certificates"
	KeyKeystoreLocation   = "schema.registry.ssl.keystore.location"
	KeyKeystoreType       = "schema.registry.ssl.keystore.type"
	KeyKeystoreChain      = "schema.registry.ssl.keystore.certificate.chain"
	KeyKeystoreKey        = "schema.registry.ssl.keystore.key"
	KeyKeyPassword        = "schema.registry.ssl.key.password"
	KeyEndpointIdent      = "schema.registry.ssl.endpoint.identification.algorithm"
	KeyCALocation         = "schema.registry.ssl.ca.location"
	KeyCertLocation       = "schema.registry.ssl.certificate.location"
	KeyKeyLocation        = "schema.registry.ssl.key.location"
)

const strategyPkg = "io.confluent.kafka.serializers.subject."

var strategies = []string{
	strategyPkg + "TopicNameStrategy", strategyPkg + "RecordNameStrategy", strategyPkg + "TopicRecordNameStrategy",
	"TopicNameStrategy", "RecordNameStrategy", "TopicRecordNameStrategy",
}

var configDef = func() *connect.ConfigDef {
	const grp = "Schema Registry"
	d := connect.NewConfigDef()
	d.Define(connect.ConfigKey{Name: KeyRegistryURL, Type: connect.ConfigList, Required: true, Importance: connect.High, Group: grp,
		Doc: "Comma-separated Schema Registry URLs; the next one is tried when one cannot be reached. Basic-auth user info may be embedded (http://user:pass@host:8081) with basic.auth.credentials.source=URL.",
		Validator: connect.ValidatorFunc{Desc: "non-empty list of http(s) URLs", Fn: func(name string, v any) error {
			urls, _ := v.([]string)
			if len(urls) == 0 {
				return fmt.Errorf("at least one Schema Registry URL is needed")
			}
			for _, u := range urls {
				p, err := url.Parse(u)
				if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
					return fmt.Errorf("%s is not an http:// or https:// URL", redactURL(u))
				}
			}
			return nil
		}}})
	d.Define(connect.ConfigKey{Name: KeyAuthSource, Type: connect.ConfigString, Default: "URL", Group: grp,
		Doc:       "Where basic-auth credentials come from: USER_INFO (basic.auth.user.info), URL (user info in schema.registry.url) or SASL_INHERIT (username and password of sasl.jaas.config).",
		Validator: connect.OneOfIgnoreCase("USER_INFO", "URL", "SASL_INHERIT")})
	d.Define(connect.ConfigKey{Name: KeyAuthUserInfo, Type: connect.ConfigPassword, Default: "", Group: grp,
		Doc: "user:password for basic.auth.credentials.source=USER_INFO."})
	d.Define(connect.ConfigKey{Name: KeyBearerSource, Type: connect.ConfigString, Default: "", Group: grp,
		Doc: "STATIC_TOKEN sends bearer.auth.token as an Authorization: Bearer header instead of basic auth.", Validator: connect.OneOfIgnoreCase("", "STATIC_TOKEN")})
	d.Define(connect.ConfigKey{Name: KeyBearerToken, Type: connect.ConfigPassword, Default: "", Group: grp, Doc: "Token for bearer.auth.credentials.source=STATIC_TOKEN."})
	d.Define(connect.ConfigKey{Name: KeySASLJAAS, Type: connect.ConfigPassword, Default: "", Group: grp,
		Doc: "JAAS login module line whose username and password basic.auth.credentials.source=SASL_INHERIT uses."})
	d.Define(connect.ConfigKey{Name: KeyRequestTimeoutMs, Type: connect.ConfigInt, Default: "30000", Group: grp,
		Doc: "Timeout of one Schema Registry request.", Validator: connect.AtLeast(1)})
	d.Define(connect.ConfigKey{Name: KeyAutoRegister, Type: connect.ConfigBoolean, Default: "true", Importance: connect.Medium, Group: "Serializer",
		Doc: "Register the schema of the records under its subject if it is not registered yet. When false the schema must already be registered (or use.latest.version=true)."})
	d.Define(connect.ConfigKey{Name: KeyUseLatest, Type: connect.ConfigBoolean, Default: "false", Group: "Serializer",
		Doc: "Write records with the latest schema registered under the subject (fields matched by name) instead of the record's own schema; only with auto.register.schemas=false."})
	for _, k := range []string{KeyKeyStrategy, KeyValueStrategy} {
		d.Define(connect.ConfigKey{Name: k, Type: connect.ConfigString, Default: strategyPkg + "TopicNameStrategy", Group: "Serializer",
			Doc:       "Subject the schema is registered under: TopicNameStrategy (<topic>-key / <topic>-value), RecordNameStrategy (<record full name>) or TopicRecordNameStrategy (<topic>-<record full name>).",
			Validator: connect.OneOf(strategies...)})
	}
	d.Define(connect.ConfigKey{Name: KeyConnectMetaData, Type: connect.ConfigBoolean, Default: "true", Group: "Avro data",
		Doc: "Carry Connect schema metadata (connect.name, connect.version, connect.doc, connect.parameters, connect.default, connect.type) in the Avro schema."})
	d.Define(connect.ConfigKey{Name: KeyScrubNames, Type: connect.ConfigBoolean, Default: "false", Group: "Avro data",
		Doc: "Replace characters Avro names do not allow (anything but [A-Za-z0-9_], or a leading digit) instead of failing."})
	d.Define(connect.ConfigKey{Name: KeyCacheSize, Type: connect.ConfigInt, Default: "1000", Group: "Avro data",
		Doc: "How many schemas each direction keeps converted.", Validator: connect.AtLeast(1)})
	tls := []struct{ name, doc string }{
		{KeyTruststoreLocation, "PEM file of CA certificates to trust (with ssl.truststore.type=PEM)."},
		{KeyTruststoreType, "Truststore format; only PEM is readable here. Convert JKS/PKCS12 with keytool -exportcert -rfc."},
		{KeyTruststoreCerts, "CA certificates in PEM, inline."},
		{KeyKeystoreLocation, "PEM file holding the client certificate chain and its unencrypted private key (with ssl.keystore.type=PEM)."},
		{KeyKeystoreType, "Keystore format; only PEM is readable here. Convert PKCS12 with openssl pkcs12 -nodes."},
		{KeyKeystoreChain, "Client certificate chain in PEM, inline."},
		{KeyKeystoreKey, "Client private key in PEM, inline (unencrypted)."},
		{KeyKeyPassword, "Encrypted private keys are not supported; decrypt the key (openssl pkey) and leave this empty."},
		{KeyEndpointIdent, "https (default) verifies the registry's host name; empty disables the check."},
		{KeyCALocation, "PEM file of CA certificates to trust (same as a PEM truststore)."},
		{KeyCertLocation, "PEM file of the client certificate chain."},
		{KeyKeyLocation, "PEM file of the client's unencrypted private key."},
	}
	for _, k := range tls {
		typ, def := connect.ConfigString, ""
		switch k.name {
		case KeyTruststoreType, KeyKeystoreType:
			def = "JKS"
		case KeyEndpointIdent:
			def = "https"
		case KeyKeystoreKey, KeyKeyPassword:
			typ = connect.ConfigPassword
		}
		d.Define(connect.ConfigKey{Name: k.name, Type: typ, Default: def, Group: "Schema Registry TLS", Doc: k.doc, Importance: connect.Low})
	}
	return d
}()

// ConfigDef returns the converter's configuration keys.
func ConfigDef() *connect.ConfigDef { return configDef }

// redactURL drops the user info from a URL for messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparseable URL>"
	}
	u.User = nil
	return u.String()
}

// registry is the Schema Registry behind one or more URLs: a request that
// cannot reach one URL is retried on the next.
type registry struct {
	urls    []string // redacted, for messages
	clients []*srclient.SchemaRegistryClient
}

func (r *registry) where() string { return strings.Join(r.urls, ",") }

func (r *registry) do(fn func(*srclient.SchemaRegistryClient) error) error {
	var err error
	for _, c := range r.clients {
		if err = fn(c); err == nil {
			return nil
		}
		var httpErr srclient.Error
		if asRegistryError(err, &httpErr) {
			return err // the registry answered; another URL would answer the same
		}
	}
	return err
}

func asRegistryError(err error, target *srclient.Error) bool {
	if e, ok := err.(srclient.Error); ok {
		*target = e
		return true
	}
	return false
}

func newRegistry(c *connect.Config) (*registry, error) {
	tlsCfg, err := tlsConfig(c)
	if err != nil {
		return nil, err
	}
	timeout := time.Duration(c.Int(KeyRequestTimeoutMs)) * time.Millisecond
	source := strings.ToUpper(c.String(KeyAuthSource))
	var user, pass string
	switch source {
	case "USER_INFO":
		info := c.Password(KeyAuthUserInfo).Value()
		if info != "" {
			var ok bool
			if user, pass, ok = strings.Cut(info, ":"); !ok {
				return nil, &connect.ConfigError{Name: KeyAuthUserInfo, Value: "[hidden]", Message: "expected user:password"}
			}
		}
	case "SASL_INHERIT":
		jaas := c.Password(KeySASLJAAS).Value()
		user, pass = jaasOption(jaas, "username"), jaasOption(jaas, "password")
		if user == "" || pass == "" {
			return nil, &connect.ConfigError{Name: KeySASLJAAS, Value: "[hidden]", Message: "basic.auth.credentials.source=SASL_INHERIT needs username=\"...\" and password=\"...\" in sasl.jaas.config"}
		}
	}
	bearer := ""
	if strings.EqualFold(c.String(KeyBearerSource), "STATIC_TOKEN") {
		if bearer = c.Password(KeyBearerToken).Value(); bearer == "" {
			return nil, &connect.ConfigError{Name: KeyBearerToken, Value: "", Message: "bearer.auth.credentials.source=STATIC_TOKEN needs a token"}
		}
	}
	r := &registry{}
	for _, raw := range c.List(KeyRegistryURL) {
		u, _ := url.Parse(raw) // validated by the ConfigDef
		u2, p2 := user, pass
		if source == "URL" && u.User != nil {
			u2 = u.User.Username()
			p2, _ = u.User.Password()
		}
		u.User = nil
		base := strings.TrimRight(u.String(), "/")
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.TLSClientConfig = tlsCfg
		client := srclient.NewSchemaRegistryClient(base, srclient.WithClient(&http.Client{Timeout: timeout, Transport: transport}))
		if bearer != "" {
			client.SetBearerToken(bearer)
		} else if u2 != "" && p2 != "" {
			client.SetCredentials(u2, p2)
		}
		r.urls = append(r.urls, base)
		r.clients = append(r.clients, client)
	}
	return r, nil
}

// jaasOption reads key="value" from a JAAS login module line.
func jaasOption(jaas, key string) string {
	rest := jaas
	for {
		i := strings.Index(rest, key)
		if i < 0 {
			return ""
		}
		after := strings.TrimLeft(rest[i+len(key):], " ")
		boundary := i == 0 || rest[i-1] == ' ' || rest[i-1] == '\t' || rest[i-1] == '\n'
		if boundary && strings.HasPrefix(after, "=") {
			val := strings.TrimLeft(after[1:], " ")
			if strings.HasPrefix(val, `"`) {
				if end := strings.IndexByte(val[1:], '"'); end >= 0 {
					return val[1 : end+1]
				}
				return ""
			}
			end := strings.IndexAny(val, " ;\t\n")
			if end < 0 {
				return val
			}
			return val[:end]
		}
		rest = rest[i+len(key):]
	}
}

func tlsConfig(c *connect.Config) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	used := false
	readFile := func(key string) ([]byte, error) {
		b, err := os.ReadFile(c.String(key))
		if err != nil {
			return nil, &connect.ConfigError{Name: key, Value: c.String(key), Message: fmt.Sprintf("cannot read the PEM file: %v", err)}
		}
		return b, nil
	}
	var caPEM []byte
	if loc := c.String(KeyTruststoreLocation); loc != "" {
		if !strings.EqualFold(c.String(KeyTruststoreType), "PEM") {
			return nil, &connect.ConfigError{Name: KeyTruststoreType, Value: c.String(KeyTruststoreType),
				Message: "only PEM truststores can be read; export the CA certificates (keytool -exportcert -rfc) into a PEM file and set schema.registry.ssl.truststore.type=PEM, or use schema.registry.ssl.ca.location"}
		}
		b, err := readFile(KeyTruststoreLocation)
		if err != nil {
			return nil, err
		}
		caPEM = append(caPEM, b...)
	}
	if loc := c.String(KeyCALocation); loc != "" {
		b, err := readFile(KeyCALocation)
		if err != nil {
			return nil, err
		}
		caPEM = append(append(caPEM, '\n'), b...)
	}
	if inline := c.String(KeyTruststoreCerts); inline != "" {
		caPEM = append(append(caPEM, '\n'), inline...)
	}
	if len(caPEM) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, &connect.ConfigError{Name: KeyTruststoreLocation, Value: "", Message: "no PEM certificate found in the configured trust material"}
		}
		cfg.RootCAs, used = pool, true
	}
	if c.Password(KeyKeyPassword).Value() != "" {
		return nil, &connect.ConfigError{Name: KeyKeyPassword, Value: "[hidden]", Message: "encrypted private keys are not supported; decrypt it (openssl pkey -in key.pem -out plain.pem) and leave schema.registry.ssl.key.password empty"}
	}
	var certPEM, keyPEM []byte
	if loc := c.String(KeyKeystoreLocation); loc != "" {
		if !strings.EqualFold(c.String(KeyKeystoreType), "PEM") {
			return nil, &connect.ConfigError{Name: KeyKeystoreType, Value: c.String(KeyKeystoreType),
				Message: "only PEM keystores can be read; convert it (openssl pkcs12 -in store.p12 -nodes -out store.pem) and set schema.registry.ssl.keystore.type=PEM, or use schema.registry.ssl.certificate.location and schema.registry.ssl.key.location"}
		}
		b, err := readFile(KeyKeystoreLocation)
		if err != nil {
			return nil, err
		}
		certPEM, keyPEM = b, b
	}
	if c.String(KeyCertLocation) != "" || c.String(KeyKeyLocation) != "" {
		if c.String(KeyCertLocation) == "" || c.String(KeyKeyLocation) == "" {
			return nil, &connect.ConfigError{Name: KeyCertLocation, Value: c.String(KeyCertLocation), Message: "schema.registry.ssl.certificate.location and schema.registry.ssl.key.location go together"}
		}
		var err error
		if certPEM, err = readFile(KeyCertLocation); err != nil {
			return nil, err
		}
		if keyPEM, err = readFile(KeyKeyLocation); err != nil {
			return nil, err
		}
	}
	if chain := c.String(KeyKeystoreChain); chain != "" {
		certPEM, keyPEM = []byte(chain), []byte(c.Password(KeyKeystoreKey).Value())
	}
	if len(certPEM) > 0 {
		if block, _ := pem.Decode(keyPEM); block != nil && strings.Contains(block.Type, "ENCRYPTED") {
			return nil, &connect.ConfigError{Name: KeyKeystoreKey, Value: "[hidden]", Message: "the private key is encrypted; decrypt it (openssl pkey) first"}
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, &connect.ConfigError{Name: KeyKeystoreLocation, Value: "", Message: fmt.Sprintf("client certificate and key do not load: %v", err)}
		}
		cfg.Certificates, used = []tls.Certificate{cert}, true
	}
	if c.String(KeyEndpointIdent) == "" {
		// Kafka's empty endpoint.identification.algorithm: trust the chain
		// but skip the host-name match.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			opts := x509.VerifyOptions{Roots: cfg.RootCAs, Intermediates: x509.NewCertPool()}
			for _, ic := range cs.PeerCertificates[1:] {
				opts.Intermediates.AddCert(ic)
			}
			_, err := cs.PeerCertificates[0].Verify(opts)
			return err
		}
		used = true
	}
	if !used {
		return nil, nil
	}
	return cfg, nil
}
