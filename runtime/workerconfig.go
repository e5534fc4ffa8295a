package runtime

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/connect"
)

// Worker config keys (Kafka Connect's names).
const (
	WorkerBootstrapServers          = "bootstrap.servers"
	WorkerKeyConverter              = "key.converter"
	WorkerValueConverter            = "value.converter"
	WorkerHeaderConverter           = "header.converter"
	WorkerKeyConverterVersion       = "key.converter.plugin.version"
	WorkerValueConverterVersion     = "value.converter.plugin.version"
	WorkerHeaderConverterVersion    = "header.converter.plugin.version"
	WorkerOffsetFile                = "offset.storage.file.filename"
	WorkerOffsetFlushInterval       = "offset.flush.interval.ms"
	WorkerOffsetFlushTimeout        = "offset.flush.timeout.ms"
	WorkerTaskShutdownTimeout       = "task.shutdown.graceful.timeout.ms"
	WorkerListeners                 = "listeners"
	WorkerAdvertisedHost            = "rest.advertised.host.name"
	WorkerAdvertisedPort            = "rest.advertised.port"
	WorkerAdvertisedListener        = "rest.advertised.listener"
	WorkerAccessControlAllowOrigin  = "access.control.allow.origin"
	WorkerAccessControlAllowMethods = "access.control.allow.methods"
	WorkerResponseHTTPHeaders       = "response.http.headers.config"
	WorkerPluginPath                = "plugin.path"
	WorkerClientID                  = "client.id"
	WorkerOverridePolicy            = "connector.client.config.override.policy"
	WorkerTopicCreationEnable       = "topic.creation.enable"
	WorkerTopicTrackingEnable       = "topic.tracking.enable"
	WorkerTopicTrackingAllowReset   = "topic.tracking.allow.reset"
	WorkerGroupID                   = "group.id"
	WorkerConfigStorageTopic        = "config.storage.topic"
	WorkerOffsetStorageTopic        = "offset.storage.topic"
	WorkerStatusStorageTopic        = "status.storage.topic"
	WorkerExactlyOnceSourceSupport  = "exactly.once.source.support"
	DefaultSimpleHeaderConverter    = "org.apache.kafka.connect.storage.SimpleHeaderConverter"
	defaultOffsetFlushIntervalMs    = "60000"
	defaultOffsetFlushTimeoutMs     = "5000"
	defaultTaskShutdownGracefulMs   = "5000"
	groupWorkerCommon               = "Worker"
	groupWorkerDistributed          = "Distributed"
	workerDocDistributedParsedLater = " Parsed and validated; used by distributed mode."
)

// Override policies for producer.override.* (KIP-458).
const (
	PolicyAll       = "All"
	PolicyNone      = "None"
	PolicyPrincipal = "Principal"
	PolicyAllowlist = "Allowlist"
)

var workerDef = func() *connect.ConfigDef {
	d := connect.NewConfigDef()
	order := 0
	def := func(k connect.ConfigKey) {
		order++
		k.OrderInGroup = order
		if k.Group == "" {
			k.Group = groupWorkerCommon
		}
		d.Define(k)
	}
	def(connect.ConfigKey{Name: WorkerBootstrapServers, Type: connect.ConfigList, Required: true, Importance: connect.High,
		Doc: "A list of host/port pairs used to establish the initial connection to the Kafka cluster."})
	def(connect.ConfigKey{Name: WorkerKeyConverter, Type: connect.ConfigClass, Required: true, Importance: connect.High,
		Doc: "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka."})
	def(connect.ConfigKey{Name: WorkerKeyConverterVersion, Type: connect.ConfigString, Default: "", Validator: versionSpec{}, Importance: connect.Low,
		Doc: "Version of the key.converter plugin (KIP-891): an exact version or a Maven version range; empty means the installed version."})
	def(connect.ConfigKey{Name: WorkerValueConverter, Type: connect.ConfigClass, Required: true, Importance: connect.High,
		Doc: "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka."})
	def(connect.ConfigKey{Name: WorkerValueConverterVersion, Type: connect.ConfigString, Default: "", Validator: versionSpec{}, Importance: connect.Low,
		Doc: "Version of the value.converter plugin (KIP-891): an exact version or a Maven version range; empty means the installed version."})
	def(connect.ConfigKey{Name: WorkerHeaderConverter, Type: connect.ConfigClass, Default: DefaultSimpleHeaderConverter, Importance: connect.Low,
		Doc: "HeaderConverter class used to convert between Kafka Connect format and the serialized form that is written to Kafka."})
	def(connect.ConfigKey{Name: WorkerHeaderConverterVersion, Type: connect.ConfigString, Default: "", Validator: versionSpec{}, Importance: connect.Low,
		Doc: "Version of the header.converter plugin (KIP-891): an exact version or a Maven version range; empty means the installed version."})
	def(connect.ConfigKey{Name: WorkerOffsetFile, Type: connect.ConfigString, Default: "", Importance: connect.High,
		Doc: "File to store source connector offsets in (standalone mode)."})
	def(connect.ConfigKey{Name: WorkerOffsetFlushInterval, Type: connect.ConfigLong, Default: defaultOffsetFlushIntervalMs, Validator: connect.AtLeast(1), Importance: connect.Low,
		Doc: "Interval at which to try committing offsets for tasks."})
	def(connect.ConfigKey{Name: WorkerOffsetFlushTimeout, Type: connect.ConfigLong, Default: defaultOffsetFlushTimeoutMs, Validator: connect.AtLeast(1), Importance: connect.Low,
		Doc: "Maximum number of milliseconds to wait for records to flush and partition offset data to be committed to offset storage before cancelling the process and restoring the offset data to be committed in a future attempt."})
	def(connect.ConfigKey{Name: WorkerTaskShutdownTimeout, Type: connect.ConfigLong, Default: defaultTaskShutdownGracefulMs, Validator: connect.AtLeast(0), Importance: connect.Low,
		Doc: "Amount of time to wait for tasks to shutdown gracefully."})
	def(connect.ConfigKey{Name: WorkerListeners, Type: connect.ConfigList, Default: "http://:8083", Importance: connect.Low,
		Doc: "List of comma-separated URIs the REST API will listen on. The supported protocols are HTTP and HTTPS."})
	def(connect.ConfigKey{Name: WorkerAdvertisedHost, Type: connect.ConfigString, Default: "", Importance: connect.Low,
		Doc: "If this is set, this is the hostname that will be given out to other workers to connect to."})
	def(connect.ConfigKey{Name: WorkerAdvertisedPort, Type: connect.ConfigInt, Default: "", Importance: connect.Low,
		Doc: "If this is set, this is the port that will be given out to other workers to connect to."})
	def(connect.ConfigKey{Name: WorkerAdvertisedListener, Type: connect.ConfigString, Default: "", Importance: connect.Low,
		Doc: "Sets the advertised listener (HTTP or HTTPS) which will be given to other workers to use."})
	// The REST server (rest.ServerConfigFromProperties) reads and checks
	// these three; they are declared here so they are documented and known.
	def(connect.ConfigKey{Name: WorkerAccessControlAllowOrigin, Type: connect.ConfigString, Default: "", Importance: connect.Low,
		Doc: "Origins allowed to call the REST API from a browser page served elsewhere (CORS): comma-separated, e.g. https://ui.example.com, '*' inside one for any text, or '*' alone for any origin. Empty (the default) turns CORS off, so only pages from the REST API's own origin may use it."})
	def(connect.ConfigKey{Name: WorkerAccessControlAllowMethods, Type: connect.ConfigString, Default: "", Importance: connect.Low,
		Doc: "Comma-separated methods that cross-origin requests may use, sent in Access-Control-Allow-Methods; empty means GET, POST and HEAD."})
	def(connect.ConfigKey{Name: WorkerResponseHTTPHeaders, Type: connect.ConfigString, Default: "", Importance: connect.Low,
		Doc: "Rules for REST API HTTP response headers: comma-separated '[action] [header name]:[header value]' with action set, add, setDate or addDate (a date rule's value is an offset in milliseconds); quote a rule that contains a comma."})
	def(connect.ConfigKey{Name: WorkerPluginPath, Type: connect.ConfigList, Default: "", Importance: connect.Low,
		Doc: "Ignored: Sluice plugins are compiled into the binary. Accepted so existing worker files load."})
	def(connect.ConfigKey{Name: WorkerClientID, Type: connect.ConfigString, Default: "", Importance: connect.Low,
		Doc: "An id string to pass to the server when making requests."})
	def(connect.ConfigKey{Name: WorkerOverridePolicy, Type: connect.ConfigString, Default: PolicyAll,
		Validator: connect.OneOf(PolicyAll, PolicyNone, PolicyPrincipal), Importance: connect.Medium,
		Doc: "Which client configurations connectors may override with producer.override.*: All, None, or Principal (only SASL/security principal settings)."})
	def(connect.ConfigKey{Name: WorkerTopicCreationEnable, Type: connect.ConfigBoolean, Default: "true", Importance: connect.Low,
		Doc: "Whether to allow automatic creation of topics used by source connectors, when source connectors are configured with `topic.creation.` properties."})
	def(connect.ConfigKey{Name: WorkerConfigProviders, Type: connect.ConfigList, Default: "", Importance: connect.Low,
		Doc: "Comma-separated names of ConfigProvider classes, loaded and used in the order specified. Each is configured with config.providers.<name>.class and config.providers.<name>.param.*; ${name:path:key} in worker and connector configs is replaced by its value."})
	def(connect.ConfigKey{Name: WorkerTopicTrackingEnable, Type: connect.ConfigBoolean, Default: "true", Importance: connect.Low,
		Doc: "Enable tracking the set of active topics per connector during runtime."})
	def(connect.ConfigKey{Name: WorkerTopicTrackingAllowReset, Type: connect.ConfigBoolean, Default: "true", Importance: connect.Low,
		Doc: "If set to true, it allows user requests to reset the set of active topics per connector."})
	for _, k := range []string{WorkerGroupID, WorkerConfigStorageTopic, WorkerOffsetStorageTopic, WorkerStatusStorageTopic} {
		def(connect.ConfigKey{Name: k, Type: connect.ConfigString, Default: "", Group: groupWorkerDistributed, Importance: connect.High,
			Doc: "Distributed mode setting." + workerDocDistributedParsedLater})
	}
	def(connect.ConfigKey{Name: WorkerExactlyOnceSourceSupport, Type: connect.ConfigString, Default: "disabled", Group: groupWorkerDistributed,
		Validator: connect.OneOfIgnoreCase("disabled", "preparing", "enabled"), Importance: connect.High,
		Doc: "Whether to enable exactly-once support for source connectors." + workerDocDistributedParsedLater})
	return d
}()

// WorkerConfigDef is the worker's config declaration.
func WorkerConfigDef() *connect.ConfigDef { return workerDef }

// WorkerConfig is a parsed worker properties file.
type WorkerConfig struct {
	cfg *connect.Config

	BootstrapServers string
	KeyConverter     string
	ValueConverter   string
	HeaderConverter  string
	// The worker's version requirements for its converters ("" for none).
	KeyConverterVersion    string
	ValueConverterVersion  string
	HeaderConverterVersion string
	OffsetFile             string
	OffsetFlushInterval    time.Duration
	OffsetFlushTimeout     time.Duration
	TaskShutdownTimeout    time.Duration
	Listeners              []string
	OverridePolicy         string
	TopicCreationEnable    bool
	TopicTrackingEnable    bool
	TopicTrackingAllowRst  bool
	ClientID               string
	GroupID                string
	// Providers resolve ${provider:path:key} variables.
	Providers *ConfigProviders
}

// ParseWorkerConfig validates worker properties.
func ParseWorkerConfig(props map[string]string) (*WorkerConfig, error) {
	providers, err := NewConfigProviders(props)
	if err != nil {
		return nil, fmt.Errorf("worker config: %w", err)
	}
	// As Kafka's AbstractConfig, the worker's own settings may use the
	// providers too (e.g. producer.sasl.jaas.config from a file).
	resolved, err := providers.Transform(withoutProviderKeys(props))
	if err != nil {
		return nil, fmt.Errorf("worker config: %w", err)
	}
	for k, v := range props {
		if _, ok := resolved[k]; !ok {
			resolved[k] = v
		}
	}
	props = resolved
	c, err := workerDef.Parse(props)
	if err != nil {
		return nil, fmt.Errorf("worker config: %w", err)
	}
	w := &WorkerConfig{
		cfg:                    c,
		BootstrapServers:       strings.Join(c.List(WorkerBootstrapServers), ","),
		KeyConverter:           c.String(WorkerKeyConverter),
		ValueConverter:         c.String(WorkerValueConverter),
		HeaderConverter:        c.String(WorkerHeaderConverter),
		KeyConverterVersion:    c.String(WorkerKeyConverterVersion),
		ValueConverterVersion:  c.String(WorkerValueConverterVersion),
		HeaderConverterVersion: c.String(WorkerHeaderConverterVersion),
		OffsetFile:             c.String(WorkerOffsetFile),
		OffsetFlushInterval:    time.Duration(c.Long(WorkerOffsetFlushInterval)) * time.Millisecond,
		OffsetFlushTimeout:     time.Duration(c.Long(WorkerOffsetFlushTimeout)) * time.Millisecond,
		TaskShutdownTimeout:    time.Duration(c.Long(WorkerTaskShutdownTimeout)) * time.Millisecond,
		Listeners:              c.List(WorkerListeners),
		OverridePolicy:         c.String(WorkerOverridePolicy),
		TopicCreationEnable:    c.Bool(WorkerTopicCreationEnable),
		TopicTrackingEnable:    c.Bool(WorkerTopicTrackingEnable),
		TopicTrackingAllowRst:  c.Bool(WorkerTopicTrackingAllowReset),
		ClientID:               c.String(WorkerClientID),
		GroupID:                c.String(WorkerGroupID),
		Providers:              providers,
	}
	inh := w.inheritedConverters()
	for _, key := range []string{ConnKeyConverter, ConnValueConverter, ConnHeaderConverter} {
		conv := inh[key]
		if p, ok := pluginFor(key, conv.class); ok {
			if msg := unmetVersion(p, key+"."+pluginVersionSuffix, conv.version); msg != "" {
				return nil, fmt.Errorf("worker config: %s.%s: %s", key, pluginVersionSuffix, msg)
			}
		}
	}
	if len(w.BootstrapServers) == 0 {
		return nil, fmt.Errorf("worker config: %s is empty; set it to the Kafka brokers, e.g. localhost:9092", WorkerBootstrapServers)
	}
	if _, err := w.listenAddr(); err != nil {
		return nil, err
	}
	return w, nil
}

// Originals returns the properties the config was parsed from.
func (w *WorkerConfig) Originals() map[string]string { return w.cfg.Originals() }

// Prefixed returns the worker properties under prefix, prefix removed.
func (w *WorkerConfig) Prefixed(prefix string) map[string]string { return w.cfg.Prefixed(prefix) }

// ListenAddr is the host:port of the first listener, for net.Listen.
func (w *WorkerConfig) ListenAddr() string {
	a, _ := w.listenAddr()
	return a
}

func (w *WorkerConfig) listenAddr() (string, error) {
	if len(w.Listeners) == 0 {
		return ":8083", nil
	}
	u, err := url.Parse(w.Listeners[0])
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("worker config: %s: %q is not a listener URL like http://:8083", WorkerListeners, w.Listeners[0])
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("worker config: %s: %q: a listener is http://host:port or https://host:port", WorkerListeners, w.Listeners[0])
	}
	return u.Host, nil
}

// AdvertisedScheme is the scheme of the URL other workers call this one at:
// rest.advertised.listener (http or https) when set, else http when a
// listener is http, else https, as Kafka Connect's RestServer decides it.
func (w *WorkerConfig) AdvertisedScheme() string {
	if p := strings.ToLower(strings.TrimSpace(w.cfg.String(WorkerAdvertisedListener))); p != "" {
		return p
	}
	for _, l := range w.Listeners {
		if strings.HasPrefix(strings.ToLower(l), "http://") {
			return "http"
		}
	}
	for _, l := range w.Listeners {
		if strings.HasPrefix(strings.ToLower(l), "https://") {
			return "https"
		}
	}
	return "http"
}

// advertisedListener is the index in Listeners of the first listener of
// the advertised scheme, else 0 (the first listener, or the default one).
func (w *WorkerConfig) advertisedListener() int {
	scheme := w.AdvertisedScheme()
	for i, l := range w.Listeners {
		if u, err := url.Parse(l); err == nil && strings.EqualFold(u.Scheme, scheme) && u.Host != "" {
			return i
		}
	}
	return 0
}

// advertisedListenAddr is the host:port of the first listener of the
// advertised scheme, else of the first listener.
func (w *WorkerConfig) advertisedListenAddr() string {
	if i := w.advertisedListener(); i < len(w.Listeners) {
		if u, err := url.Parse(w.Listeners[i]); err == nil && u.Host != "" {
			return u.Host
		}
	}
	return w.ListenAddr()
}

// AdvertisedHostPort is the worker id shown in status: the advertised host
// and port, else those of the advertised listener (AdvertisedScheme), else
// this host's name.
func (w *WorkerConfig) AdvertisedHostPort(hostname string) string {
	return w.AdvertisedHostPortBound(hostname, nil)
}

// AdvertisedHostPortBound is AdvertisedHostPort once the REST listeners are
// bound: bound are their URLs with the ports actually bound, in the order
// of listeners (what rest.Server.Start returns), so a listener on port 0
// advertises the free port it was given rather than 0. The listener's
// configured host is kept, and rest.advertised.host.name and
// rest.advertised.port still win.
func (w *WorkerConfig) AdvertisedHostPortBound(hostname string, bound []string) string {
	host, port, _ := net.SplitHostPort(w.advertisedListenAddr())
	if i := w.advertisedListener(); i < len(bound) {
		if u, err := url.Parse(bound[i]); err == nil && u.Port() != "" {
			port = u.Port()
		}
	}
	if h := w.cfg.String(WorkerAdvertisedHost); h != "" {
		host = h
	}
	if p := w.cfg.Int(WorkerAdvertisedPort); p != 0 {
		port = strconv.Itoa(p)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = hostname
	}
	return net.JoinHostPort(host, port)
}

func withoutProviderKeys(props map[string]string) map[string]string {
	out := make(map[string]string, len(props))
	for k, v := range props {
		if k != WorkerConfigProviders && !strings.HasPrefix(k, configProvidersPrefix) {
			out[k] = v
		}
	}
	return out
}
