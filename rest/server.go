package rest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice/internal/javastore"
)

// Worker property names the REST server reads. HTTPS takes Kafka's key
// stores (listeners.https.ssl.keystore.location, JKS, PKCS12 or PEM, with
// .password and ssl.key.password) or PEM files under the two
// *.certificate.location / *.key.location keys.
const (
	PropListeners      = "listeners"
	PropAdminListeners = "admin.listeners"
	// PEM certificate chain and private key for https:// listeners.
	PropTLSCertificate = "listeners.https.ssl.certificate.location"
	PropTLSKey         = "listeners.https.ssl.key.location"
	// The same for https:// admin listeners; they fall back to the two above.
	PropAdminTLSCertificate = "admin.listeners.https.ssl.certificate.location"
	PropAdminTLSKey         = "admin.listeners.https.ssl.key.location"
	// HTTP basic authentication: a file of user:password lines, or one pair.
	PropBasicAuthFile     = "rest.basic.auth.file"
	PropBasicAuthUser     = "rest.basic.auth.user"
	PropBasicAuthPassword = "rest.basic.auth.password"
	// Kafka Connect's topic-tracking switches, which gate /topics.
	PropTopicTrackingEnable     = "topic.tracking.enable"
	PropTopicTrackingAllowReset = "topic.tracking.allow.reset"

	DefaultListeners = "http://:8083"
)

// ServerConfig configures a Server.
type ServerConfig struct {
	// Listeners is a comma-separated list of http://host:port and
	// https://host:port URLs; an empty host binds every interface and port 0
	// picks a free port. "" means DefaultListeners.
	Listeners string
	// AdminListeners moves /admin/loggers to its own listeners. nil (unset)
	// serves them on Listeners; a pointer to "" disables them.
	AdminListeners *string
	// PEM files for https:// listeners, and for https:// admin listeners
	// (falling back to the main pair when empty).
	TLSCertFile, TLSKeyFile           string
	AdminTLSCertFile, AdminTLSKeyFile string
	// Certificates read from key stores, used instead of the files.
	TLSKeyPair, AdminTLSKeyPair *tls.Certificate
	// Client certificates (listeners.https.ssl.client.auth with a trust
	// store): tls.NoClientCert unless set.
	ClientAuth, AdminClientAuth tls.ClientAuthType
	ClientCAs, AdminClientCAs   *x509.CertPool
	// Handler options; AdminEnabled is derived from AdminListeners.
	Options Options
}

// ServerConfigFromProperties reads the REST keys of a worker config.
func ServerConfigFromProperties(props map[string]string, opts Options) (ServerConfig, error) {
	cfg := ServerConfig{
		Listeners:        props[PropListeners],
		TLSCertFile:      props[PropTLSCertificate],
		TLSKeyFile:       props[PropTLSKey],
		AdminTLSCertFile: props[PropAdminTLSCertificate],
		AdminTLSKeyFile:  props[PropAdminTLSKey],
		Options:          opts,
	}
	if v, ok := props[PropAdminListeners]; ok {
		cfg.AdminListeners = &v
	}
	var err error
	if cfg.TLSKeyPair, err = keyStoreFromProperties(props, "listeners.https."); err != nil {
		return cfg, err
	}
	if cfg.AdminTLSKeyPair, err = keyStoreFromProperties(props, "admin.listeners.https."); err != nil {
		return cfg, err
	}
	if cfg.ClientAuth, cfg.ClientCAs, err = clientAuthFromProperties(props, "listeners.https."); err != nil {
		return cfg, err
	}
	// Kafka's admin.listeners.https.* fall back to listeners.https.*.
	cfg.AdminClientAuth, cfg.AdminClientCAs = cfg.ClientAuth, cfg.ClientCAs
	if _, set := props["admin.listeners.https.ssl.client.auth"]; set {
		if cfg.AdminClientAuth, cfg.AdminClientCAs, err = clientAuthFromProperties(props, "admin.listeners.https."); err != nil {
			return cfg, err
		}
	}
	if cfg.Options.InterWorkerTLS, err = interWorkerTLS(props, cfg.TLSKeyPair); err != nil {
		return cfg, err
	}
	switch file, user := props[PropBasicAuthFile], props[PropBasicAuthUser]; {
	case file != "" && user != "":
		return cfg, fmt.Errorf("set either %s or %s/%s, not both", PropBasicAuthFile, PropBasicAuthUser, PropBasicAuthPassword)
	case file != "":
		if cfg.Options.BasicAuth, err = LoadBasicAuthFile(file); err != nil {
			return cfg, err
		}
	case user != "":
		pass, ok := props[PropBasicAuthPassword]
		if !ok || pass == "" {
			return cfg, fmt.Errorf("%s is set but %s is missing; set both to enable basic authentication", PropBasicAuthUser, PropBasicAuthPassword)
		}
		if cfg.Options.BasicAuth, err = NewBasicAuth(map[string]string{user: pass}); err != nil {
			return cfg, fmt.Errorf("%s: %w", PropBasicAuthUser, err)
		}
	}
	cfg.Options.CORS = NewCORS(props[PropAccessControlAllowOrigin], props[PropAccessControlAllowMethods])
	if cfg.Options.ResponseHeaders, err = ParseResponseHeaders(props[PropResponseHTTPHeaders]); err != nil {
		return cfg, err
	}
	for key, dst := range map[string]*bool{PropTopicTrackingEnable: &cfg.Options.TopicTrackingDisabled, PropTopicTrackingAllowReset: &cfg.Options.TopicTrackingResetDisabled} {
		v, ok := props[key]
		if !ok {
			continue
		}
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return cfg, fmt.Errorf("invalid value %q for configuration %s: expected true or false", v, key)
		}
		*dst = !b
	}
	return cfg, nil
}

type listenerSpec struct {
	scheme, addr string
}

func parseListeners(key, s string) ([]listenerSpec, error) {
	var out []listenerSpec
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		u, err := url.Parse(item)
		if err != nil || u.Host == "" && u.Opaque != "" {
			return nil, fmt.Errorf("invalid value %q in %s: expected http://host:port or https://host:port", item, key)
		}
		scheme := strings.ToLower(u.Scheme)
		if scheme != "http" && scheme != "https" {
			return nil, fmt.Errorf("invalid value %q in %s: the protocol must be http or https", item, key)
		}
		if u.Port() == "" {
			return nil, fmt.Errorf("invalid value %q in %s: a port is required, e.g. %s://%s:8083", item, key, scheme, u.Hostname())
		}
		if u.Path != "" && u.Path != "/" {
			return nil, fmt.Errorf("invalid value %q in %s: a listener has no path", item, key)
		}
		out = append(out, listenerSpec{scheme: scheme, addr: u.Host})
	}
	return out, nil
}

// Server serves the REST API on the configured listeners.
type Server struct {
	main, admin       []listenerSpec
	mainTLS, adminTLS *tls.Config
	mainH, adminH     http.Handler
	log               *slog.Logger

	mu         sync.Mutex
	servers    []*http.Server
	wg         sync.WaitGroup
	addrs      []string
	adminAddrs []string
}

// NewServer checks cfg (listener syntax, certificate files) and builds the
// handlers; nothing is bound until Start.
func NewServer(h Herder, cfg ServerConfig) (*Server, error) {
	if h == nil {
		return nil, errors.New("rest.NewServer: nil Herder")
	}
	ls := cfg.Listeners
	if strings.TrimSpace(ls) == "" {
		ls = DefaultListeners
	}
	s := &Server{log: cfg.Options.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With(LoggerKey, "sluice.rest")
	var err error
	if s.main, err = parseListeners(PropListeners, ls); err != nil {
		return nil, err
	}
	if len(s.main) == 0 {
		return nil, fmt.Errorf("%s lists no listener; set e.g. %s=%s", PropListeners, PropListeners, DefaultListeners)
	}
	opts := cfg.Options
	opts.AdminEnabled = cfg.AdminListeners == nil
	if cfg.AdminListeners != nil {
		if s.admin, err = parseListeners(PropAdminListeners, *cfg.AdminListeners); err != nil {
			return nil, err
		}
	}
	if opts.Loggers == nil {
		// Main and admin handlers must share one set of levels.
		opts.Loggers = NewLoggers(slog.LevelInfo)
	}
	if s.mainTLS, err = tlsConfigFor(s.main, cfg.TLSKeyPair, cfg.TLSCertFile, cfg.TLSKeyFile, PropTLSCertificate, PropTLSKey); err != nil {
		return nil, err
	}
	if s.mainTLS != nil {
		s.mainTLS.ClientAuth, s.mainTLS.ClientCAs = cfg.ClientAuth, cfg.ClientCAs
	}
	apair, acert, akey, ckey, kkey := cfg.AdminTLSKeyPair, cfg.AdminTLSCertFile, cfg.AdminTLSKeyFile, PropAdminTLSCertificate, PropAdminTLSKey
	if apair == nil && acert == "" && akey == "" {
		apair, acert, akey, ckey, kkey = cfg.TLSKeyPair, cfg.TLSCertFile, cfg.TLSKeyFile, PropTLSCertificate, PropTLSKey
	}
	if s.adminTLS, err = tlsConfigFor(s.admin, apair, acert, akey, ckey, kkey); err != nil {
		return nil, err
	}
	if s.adminTLS != nil {
		s.adminTLS.ClientAuth, s.adminTLS.ClientCAs = cfg.AdminClientAuth, cfg.AdminClientCAs
	}
	s.mainH = newHandler(h, opts, false)
	if len(s.admin) > 0 {
		s.adminH = newHandler(h, opts, true)
	}
	return s, nil
}

func tlsConfigFor(ls []listenerSpec, stored *tls.Certificate, cert, key, certProp, keyProp string) (*tls.Config, error) {
	need := false
	for _, l := range ls {
		need = need || l.scheme == "https"
	}
	if !need {
		return nil, nil
	}
	if stored != nil {
		return &tls.Config{Certificates: []tls.Certificate{*stored}, MinVersion: tls.VersionTLS12}, nil
	}
	if cert == "" || key == "" {
		return nil, fmt.Errorf("an https listener needs %s (PEM certificate chain) and %s (PEM private key)", certProp, keyProp)
	}
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		return nil, fmt.Errorf("loading %s=%s and %s=%s: %w", certProp, cert, keyProp, key, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}

// Start binds every listener and serves in the background until Shutdown. It
// returns the main listeners' URLs with the ports actually bound; AdminAddrs
// has the admin ones.
func (s *Server) Start(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.servers != nil {
		return nil, errors.New("rest server already started")
	}
	var lc net.ListenConfig
	bind := func(specs []listenerSpec, tc *tls.Config, h http.Handler) ([]string, error) {
		var urls []string
		for _, sp := range specs {
			ln, err := lc.Listen(ctx, "tcp", sp.addr)
			if err != nil {
				return nil, fmt.Errorf("listen on %s://%s: %w", sp.scheme, sp.addr, err)
			}
			srv := &http.Server{
				Handler:           h,
				ReadHeaderTimeout: 30 * time.Second,
				IdleTimeout:       2 * time.Minute,
				ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
			}
			if sp.scheme == "https" {
				srv.TLSConfig = tc
				ln = tls.NewListener(ln, tc)
			}
			s.servers = append(s.servers, srv)
			urls = append(urls, sp.scheme+"://"+ln.Addr().String())
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
					s.log.Error("REST listener stopped", "addr", ln.Addr().String(), "err", err)
				}
			}()
		}
		return urls, nil
	}
	s.servers = []*http.Server{}
	var err error
	if s.addrs, err = bind(s.main, s.mainTLS, s.mainH); err == nil && s.adminH != nil {
		s.adminAddrs, err = bind(s.admin, s.adminTLS, s.adminH)
	}
	if err != nil {
		for _, srv := range s.servers {
			_ = srv.Close()
		}
		s.wg.Wait()
		s.servers = nil
		return nil, err
	}
	s.log.Info("REST server listening", "listeners", strings.Join(s.addrs, ","), "admin", strings.Join(s.adminAddrs, ","))
	return append([]string(nil), s.addrs...), nil
}

// AdminAddrs returns the bound admin listener URLs (none unless
// admin.listeners is set and non-empty).
func (s *Server) AdminAddrs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.adminAddrs...)
}

// Shutdown stops accepting requests and waits, until ctx ends, for those in
// flight to finish.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	servers := s.servers
	s.mu.Unlock()
	var errs []error
	for _, srv := range servers {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, err)
			_ = srv.Close()
		}
	}
	s.wg.Wait()
	return errors.Join(errs...)
}

// keyStoreFromProperties reads prefix+ssl.keystore.location, Kafka's HTTPS
// key store: JKS (Java's default type), PKCS12, or PEM (one file with the
// key and its chain); nil when it is not set.
func keyStoreFromProperties(props map[string]string, prefix string) (*tls.Certificate, error) {
	loc := props[prefix+"ssl.keystore.location"]
	if loc == "" {
		return nil, nil
	}
	var pair tls.Certificate
	var err error
	switch typ := strings.ToUpper(strings.TrimSpace(props[prefix+"ssl.keystore.type"])); typ {
	case "", "JKS", "PKCS12":
		pair, err = javastore.KeyPair(loc, props[prefix+"ssl.keystore.password"], props[prefix+"ssl.key.password"])
		if errors.Is(err, javastore.ErrPassword) {
			err = fmt.Errorf("%w; is %sssl.keystore.password (or %sssl.key.password) right?", err, prefix, prefix)
		}
	case "PEM":
		pair, err = tls.LoadX509KeyPair(loc, loc)
	default:
		return nil, fmt.Errorf("%sssl.keystore.type=%s: use JKS, PKCS12 or PEM", prefix, typ)
	}
	if err != nil {
		return nil, fmt.Errorf("%sssl.keystore.location=%s: %w", prefix, loc, err)
	}
	return &pair, nil
}

// interWorkerTLS is the TLS side of the client a worker calls other workers
// with (forwarded requests, task configs, fencing), from the same
// listeners.https.ssl.* settings as Kafka Connect's RestClient: it trusts
// listeners.https.ssl.truststore.* (the system's roots when unset) and
// presents the listeners' key store or certificate pair, which a worker
// whose listeners require client certificates asks for. nil when neither
// is set.
func interWorkerTLS(props map[string]string, keyStore *tls.Certificate) (*tls.Config, error) {
	const prefix = "listeners.https."
	pool, err := trustStoreFromProperties(props, prefix)
	if err != nil {
		return nil, err
	}
	pair := keyStore
	if pair == nil && props[PropTLSCertificate] != "" && props[PropTLSKey] != "" {
		p, err := tls.LoadX509KeyPair(props[PropTLSCertificate], props[PropTLSKey])
		if err != nil {
			return nil, fmt.Errorf("%s / %s: %w", PropTLSCertificate, PropTLSKey, err)
		}
		pair = &p
	}
	if pool == nil && pair == nil {
		return nil, nil
	}
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if pair != nil {
		cfg.Certificates = []tls.Certificate{*pair}
	}
	return cfg, nil
}

// trustStoreFromProperties reads prefix+ssl.truststore.location (JKS,
// PKCS12 or PEM, per prefix+ssl.truststore.type); nil when it is unset.
func trustStoreFromProperties(props map[string]string, prefix string) (*x509.CertPool, error) {
	loc := props[prefix+"ssl.truststore.location"]
	if loc == "" {
		return nil, nil
	}
	pool := x509.NewCertPool()
	switch typ := strings.ToUpper(strings.TrimSpace(props[prefix+"ssl.truststore.type"])); typ {
	case "", "JKS", "PKCS12":
		certs, err := javastore.Trusted(loc, props[prefix+"ssl.truststore.password"])
		if err != nil {
			return nil, fmt.Errorf("%sssl.truststore.location=%s: %w", prefix, loc, err)
		}
		for _, c := range certs {
			pool.AddCert(c)
		}
	case "PEM":
		b, err := os.ReadFile(loc)
		if err != nil {
			return nil, fmt.Errorf("%sssl.truststore.location=%s: %w", prefix, loc, err)
		}
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("%sssl.truststore.location=%s holds no PEM certificate", prefix, loc)
		}
	default:
		return nil, fmt.Errorf("%sssl.truststore.type=%s: use JKS, PKCS12 or PEM", prefix, typ)
	}
	return pool, nil
}

// clientAuthFromProperties reads prefix+ssl.client.auth (none, requested,
// required) and the trust store that verifies client certificates
// (prefix+ssl.truststore.location, JKS, PKCS12 or PEM).
func clientAuthFromProperties(props map[string]string, prefix string) (tls.ClientAuthType, *x509.CertPool, error) {
	mode := strings.ToLower(strings.TrimSpace(props[prefix+"ssl.client.auth"]))
	var auth tls.ClientAuthType
	switch mode {
	case "", "none":
		return tls.NoClientCert, nil, nil
	case "requested":
		auth = tls.VerifyClientCertIfGiven
	case "required":
		auth = tls.RequireAndVerifyClientCert
	default:
		return 0, nil, fmt.Errorf("%sssl.client.auth=%s: use none, requested or required", prefix, mode)
	}
	pool, err := trustStoreFromProperties(props, prefix)
	if err != nil {
		return 0, nil, err
	}
	if pool == nil {
		return 0, nil, fmt.Errorf("%sssl.client.auth=%s needs %sssl.truststore.location, the CAs that sign the clients' certificates", prefix, mode, prefix)
	}
	return auth, pool, nil
}
