package rest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/connect/pluginversion"
)

// DefaultRequestTimeout bounds every herder call, as Kafka Connect's
// DEFAULT_REST_REQUEST_TIMEOUT_MS does.
const DefaultRequestTimeout = 90 * time.Second

// healthCheckTimeout is Kafka Connect's health-check budget.
const healthCheckTimeout = 10 * time.Second

// Options configures the REST handler.
type Options struct {
	// Version and Commit are reported by GET /.
	Version, Commit string
	// Logger receives request failures; nil uses slog.Default().
	Logger *slog.Logger
	// Loggers backs /admin/loggers. nil gives the API a private set of levels
	// that affects no slog output.
	Loggers *Loggers
	// AdminEnabled serves /admin/loggers on this handler (admin.listeners
	// unset). When false those paths answer 404, as on a Kafka worker whose
	// admin endpoints are moved or disabled.
	AdminEnabled bool
	// BasicAuth, when set, requires HTTP basic credentials on every request.
	BasicAuth *BasicAuth
	// RequestTimeout bounds herder calls; 0 means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// TopicTrackingDisabled and TopicTrackingResetDisabled mirror the worker
	// settings topic.tracking.enable=false and topic.tracking.allow.reset=false.
	TopicTrackingDisabled      bool
	TopicTrackingResetDisabled bool
	// Extra serves more GET routes on the main listeners, by exact path
	// (e.g. "/metrics"), behind the same authentication.
	Extra map[string]http.Handler
	// CORS, when set, answers cross-origin requests
	// (access.control.allow.origin / access.control.allow.methods).
	CORS *CORS
	// ResponseHeaders are added to every response
	// (response.http.headers.config), errors included.
	ResponseHeaders []HeaderRule
	// InterWorkerTLS configures the client that forwards requests to other
	// workers' https listeners (Kafka Connect's RestClient reads the
	// listeners.https.ssl.* settings); nil uses the system's roots.
	InterWorkerTLS *tls.Config
}

// WorkerHealth is the body of GET /health.
type WorkerHealth struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// Worker health states and the HTTP status each answers with.
const (
	HealthHealthy   = "healthy"
	HealthStarting  = "starting"
	HealthUnhealthy = "unhealthy"
)

// HealthChecker is an optional Herder extension for GET /health. A herder
// that does not implement it is judged by whether it can list its connectors
// within the health-check timeout.
type HealthChecker interface {
	Health(ctx context.Context) WorkerHealth
}

// ClusterLoggerSetter is an optional Herder extension for PUT
// /admin/loggers/{n}?scope=cluster: a distributed herder writes the
// logger-cluster-<namespace> config record and every worker applies it. A
// herder without it (standalone) gets the level applied to this worker only,
// which is what a one-worker cluster means.
type ClusterLoggerSetter interface {
	SetClusterLoggerLevel(ctx context.Context, namespace, level string) error
}

// PluginInfo is one entry of GET /connector-plugins.
type PluginInfo struct {
	Class   string `json:"class"`
	Type    string `json:"type"`
	Version string `json:"version,omitempty"`
}

// ServerInfo is the body of GET /.
type ServerInfo struct {
	Version        string `json:"version"`
	Commit         string `json:"commit"`
	KafkaClusterID string `json:"kafka_cluster_id"`
}

type api struct {
	h       Herder
	opts    Options
	log     *slog.Logger
	loggers *Loggers
	timeout time.Duration
}

// NewHandler returns the Kafka Connect REST API for h.
func NewHandler(h Herder, opts Options) http.Handler {
	return newHandler(h, opts, false)
}

// newHandler builds the router; adminOnly serves nothing but /admin (a
// separate admin.listeners listener).
func newHandler(h Herder, opts Options, adminOnly bool) http.Handler {
	a := &api{h: h, opts: opts, log: opts.Logger, loggers: opts.Loggers, timeout: opts.RequestTimeout}
	if a.log == nil {
		a.log = slog.Default()
	}
	a.log = a.log.With("logger", "sluice.rest")
	if a.loggers == nil {
		a.loggers = NewLoggers(slog.LevelInfo)
	}
	if a.timeout <= 0 {
		a.timeout = DefaultRequestTimeout
	}

	r := mux.NewRouter()
	// Connector names may contain an encoded '/', so match on the escaped
	// path and unescape the variables ourselves.
	r.UseEncodedPath()
	// No 301 to a cleaned path: clients do not re-send a PUT or POST after a
	// redirect, so an unclean path is simply an unknown route.
	r.SkipClean(true)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, msgNotFound)
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, msgMethodNotAllowed)
	})

	if !adminOnly {
		r.HandleFunc("/", a.serverInfo).Methods(http.MethodGet)
		r.HandleFunc("/health", a.health).Methods(http.MethodGet)

		r.HandleFunc("/connectors", a.listConnectors).Methods(http.MethodGet)
		r.HandleFunc("/connectors", a.createConnector).Methods(http.MethodPost)
		r.HandleFunc("/connectors/{c}", a.getConnector).Methods(http.MethodGet)
		r.HandleFunc("/connectors/{c}", a.deleteConnector).Methods(http.MethodDelete)
		r.HandleFunc("/connectors/{c}/config", a.getConfig).Methods(http.MethodGet)
		r.HandleFunc("/connectors/{c}/config", a.putConfig).Methods(http.MethodPut)
		r.HandleFunc("/connectors/{c}/config", a.patchConfig).Methods(http.MethodPatch)
		r.HandleFunc("/connectors/{c}/status", a.status).Methods(http.MethodGet)
		r.HandleFunc("/connectors/{c}/restart", a.restart).Methods(http.MethodPost)
		r.HandleFunc("/connectors/{c}/pause", a.pause).Methods(http.MethodPut)
		r.HandleFunc("/connectors/{c}/resume", a.resume).Methods(http.MethodPut)
		r.HandleFunc("/connectors/{c}/stop", a.stop).Methods(http.MethodPut)
		r.HandleFunc("/connectors/{c}/tasks", a.tasks).Methods(http.MethodGet)
		r.HandleFunc("/connectors/{c}/tasks", a.putTaskConfigs).Methods(http.MethodPost) // internal.go
		r.HandleFunc("/connectors/{c}/fence", a.fenceZombies).Methods(http.MethodPut)    // internal.go
		r.HandleFunc("/connectors/{c}/tasks/{t}/status", a.taskStatus).Methods(http.MethodGet)
		r.HandleFunc("/connectors/{c}/tasks/{t}/restart", a.restartTask).Methods(http.MethodPost)
		r.HandleFunc("/connectors/{c}/topics", a.topics).Methods(http.MethodGet)
		r.HandleFunc("/connectors/{c}/topics/reset", a.resetTopics).Methods(http.MethodPut)
		r.HandleFunc("/connectors/{c}/offsets", a.getOffsets).Methods(http.MethodGet)
		r.HandleFunc("/connectors/{c}/offsets", a.alterOffsets).Methods(http.MethodPatch)
		r.HandleFunc("/connectors/{c}/offsets", a.resetOffsets).Methods(http.MethodDelete)
		// GET /connectors/{c}/tasks-config was removed in Kafka 4.0; like a
		// 4.x worker we answer it with the plain 404 of an unknown route.

		r.HandleFunc("/connector-plugins", a.listPlugins).Methods(http.MethodGet)
		r.HandleFunc("/connector-plugins/{p}/config", a.pluginConfig).Methods(http.MethodGet)
		r.HandleFunc("/connector-plugins/{p}/config/validate", a.validate).Methods(http.MethodPut)
		for path, h := range opts.Extra {
			r.Handle(path, h).Methods(http.MethodGet, http.MethodHead)
		}
	}
	if adminOnly || opts.AdminEnabled {
		r.HandleFunc("/admin/loggers", a.listLoggers).Methods(http.MethodGet)
		r.HandleFunc("/admin/loggers/{n}", a.getLogger).Methods(http.MethodGet)
		r.HandleFunc("/admin/loggers/{n}", a.setLogger).Methods(http.MethodPut)
	}

	var out http.Handler = autoHeadOptions(r)
	out = keepBody(out, InterWorkerClient(opts.InterWorkerTLS)) // for ForwardError (forward.go)
	out = trimTrailingSlash(out)
	if opts.BasicAuth != nil {
		out = opts.BasicAuth.wrap(out)
	}
	// Kafka installs both as servlet filters in front of Jersey, and only on
	// the main listeners' context: they run before authentication (so a 401
	// carries them) and a separate admin listener gets neither.
	if !adminOnly {
		if len(opts.ResponseHeaders) > 0 {
			out = wrapResponseHeaders(opts.ResponseHeaders, out)
		}
		if opts.CORS != nil {
			out = opts.CORS.wrap(out)
		}
	}
	return recoverPanics(a.log, out)
}

// autoHeadOptions gives every resource the two methods JAX-RS (Jersey)
// provides on its own: HEAD on a GET resource is that GET without its body
// (net/http drops the body of a HEAD answer and keeps its headers), and
// OPTIONS answers 200 with an Allow header listing the resource's methods.
// Unknown paths still answer 404, and other methods 405.
func autoHeadOptions(r *mux.Router) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch req.Method {
		case http.MethodHead:
			if !routeMatches(r, req, http.MethodHead) && routeMatches(r, req, http.MethodGet) {
				get := req.WithContext(req.Context())
				get.Method = http.MethodGet
				r.ServeHTTP(w, get)
				return
			}
		case http.MethodOptions:
			if allow := allowedMethods(r, req); len(allow) > 0 {
				w.Header().Set("Allow", strings.Join(allow, ","))
				w.Header().Set("Content-Length", "0")
				w.WriteHeader(http.StatusOK)
				return
			}
		}
		r.ServeHTTP(w, req)
	})
}

func routeMatches(r *mux.Router, req *http.Request, method string) bool {
	probe := req.WithContext(req.Context()) // a shallow copy: Match only reads it
	probe.Method = method
	var m mux.RouteMatch
	return r.Match(probe, &m) && m.MatchErr == nil
}

// allowedMethods lists the methods served at req's path, none if the path
// is unknown.
func allowedMethods(r *mux.Router, req *http.Request) []string {
	var allow []string
	hasGet := false
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		switch {
		case routeMatches(r, req, m):
			allow = append(allow, m)
			hasGet = hasGet || m == http.MethodGet
		case m == http.MethodHead && hasGet:
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		return nil
	}
	return append(allow, http.MethodOptions)
}

// trimTrailingSlash makes /connectors/ and /connectors the same resource, as
// they are in Jersey, without the redirect that mux.StrictSlash would send
// (clients do not re-POST after a 301).
func trimTrailingSlash(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
			r2 := r.Clone(r.Context())
			r2.URL.Path = strings.TrimRight(p, "/")
			if r2.URL.Path == "" {
				r2.URL.Path = "/"
			}
			if r2.URL.RawPath != "" {
				r2.URL.RawPath = strings.TrimRight(r2.URL.RawPath, "/")
			}
			r = r2
		}
		next.ServeHTTP(w, r)
	})
}

// pathVar returns an unescaped route variable. A malformed escape cannot name
// anything that exists, so it is a 404 like any unknown route.
func pathVar(r *http.Request, name string) (string, bool) {
	v, err := url.PathUnescape(mux.Vars(r)[name])
	return v, err == nil
}

func (a *api) herderCtx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), a.timeout)
}

// call runs fn with a herder context and writes its error, reporting whether
// fn succeeded.
func (a *api) call(w http.ResponseWriter, r *http.Request, fn func(ctx context.Context) error) bool {
	ctx, cancel := a.herderCtx(r)
	defer cancel()
	if err := fn(ctx); err != nil {
		a.writeHerderError(w, r, ctx, err)
		return false
	}
	return true
}

// connector reads {c} and writes a 404 if it cannot be unescaped.
func connectorVar(w http.ResponseWriter, r *http.Request) (string, bool) {
	c, ok := pathVar(r, "c")
	if !ok {
		writeError(w, http.StatusNotFound, msgNotFound)
	}
	return c, ok
}

// queryBool parses a boolean query parameter the way JAX-RS does for a
// Boolean: "true" in any case is true, anything else false.
func queryBool(r *http.Request, name string, def bool) bool {
	vals, ok := r.URL.Query()[name]
	if !ok || len(vals) == 0 {
		return def
	}
	return strings.EqualFold(vals[0], "true")
}

// --- root ---

func (a *api) serverInfo(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := a.herderCtx(r)
	defer cancel()
	writeJSON(w, http.StatusOK, ServerInfo{Version: a.opts.Version, Commit: a.opts.Commit, KafkaClusterID: a.h.KafkaClusterID(ctx)})
}

func (a *api) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthCheckTimeout)
	defer cancel()
	var hs WorkerHealth
	if hc, ok := a.h.(HealthChecker); ok {
		hs = hc.Health(ctx)
	} else if _, err := a.h.Connectors(ctx); err != nil {
		hs = WorkerHealth{Status: HealthUnhealthy, Message: "Worker was unable to handle this request and may be unable to handle other requests. " + err.Error()}
	} else {
		hs = WorkerHealth{Status: HealthHealthy, Message: "Worker has completed startup and is ready to handle requests."}
	}
	status := http.StatusOK
	switch hs.Status {
	case HealthHealthy:
	case HealthStarting:
		status = http.StatusServiceUnavailable
	default:
		status = http.StatusInternalServerError
	}
	writeJSON(w, status, hs)
}

// --- connectors ---

func (a *api) listConnectors(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := a.herderCtx(r)
	defer cancel()
	names, err := a.h.Connectors(ctx)
	if err != nil {
		a.writeHerderError(w, r, ctx, err)
		return
	}
	if names == nil {
		names = []string{}
	}
	expand, ok := r.URL.Query()["expand"]
	if !ok {
		sort.Strings(names)
		writeJSON(w, http.StatusOK, names)
		return
	}
	out := make(map[string]map[string]any, len(names))
	for _, name := range names {
		entry := map[string]any{}
		gone := false
		for _, e := range expand {
			var v any
			var err error
			switch e {
			case "status":
				v, err = a.status0(ctx, name)
			case "info":
				v, err = a.info0(ctx, name)
			default:
				continue // Kafka ignores unknown expansions.
			}
			if StatusOf(err) == http.StatusNotFound {
				// Deleted while we were listing: leave it out, as Kafka does.
				gone = true
				break
			}
			if err != nil {
				a.writeHerderError(w, r, ctx, err)
				return
			}
			entry[e] = v
		}
		if !gone {
			out[name] = entry
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// createRequest fields, decoded by hand so that each wrong type names its field.
func parseCreateRequest(v any) (name string, config map[string]string, initial TargetState, err error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return "", nil, "", BadRequest(fmt.Sprintf("The request body must be a JSON object with 'name' and 'config', got %s", jsonTypeName(v)))
	}
	switch n := obj["name"].(type) {
	case nil:
	case string:
		name = strings.TrimSpace(n)
	default:
		return "", nil, "", BadRequest(fmt.Sprintf("Field 'name' must be a string, got %s", jsonTypeName(n)))
	}
	cv, present := obj["config"]
	if !present || cv == nil {
		return "", nil, "", BadRequest("Field 'config' is required: a JSON object with the connector's configuration")
	}
	if config, err = stringMap(cv, "field 'config'"); err != nil {
		return "", nil, "", err
	}
	switch s := obj["initial_state"].(type) {
	case nil:
	case string:
		switch strings.ToUpper(strings.TrimSpace(s)) {
		case "RUNNING":
			initial = TargetStarted
		case "PAUSED":
			initial = TargetPaused
		case "STOPPED":
			initial = TargetStopped
		default:
			return "", nil, "", BadRequest(fmt.Sprintf("Field 'initial_state' must be one of RUNNING, PAUSED or STOPPED, got '%s'", s))
		}
	default:
		return "", nil, "", BadRequest(fmt.Sprintf("Field 'initial_state' must be a string (RUNNING, PAUSED or STOPPED), got %s", jsonTypeName(s)))
	}
	return name, config, initial, nil
}

// checkName applies Kafka's rule: config.name, if given, must equal the
// connector's name; otherwise it is filled in.
func checkName(name string, config map[string]string) error {
	if inc, ok := config["name"]; ok {
		if inc != name {
			return BadRequest(fmt.Sprintf("Connector name configuration (%s) doesn't match connector name in the URL (%s)", inc, name))
		}
		return nil
	}
	config["name"] = name
	return nil
}

func (a *api) location(r *http.Request, name string) string {
	return requestURL(r, "/connectors/"+name, "")
}

// requestURL is path on this worker as the client addressed it.
func requestURL(r *http.Request, path, rawPath string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return (&url.URL{Scheme: scheme, Host: r.Host, Path: path, RawPath: rawPath}).String()
}

func (a *api) createConnector(w http.ResponseWriter, r *http.Request) {
	v, err := readJSON(w, r)
	if err != nil {
		a.writeHerderError(w, r, nil, err)
		return
	}
	name, config, initial, err := parseCreateRequest(v)
	if err == nil {
		err = checkName(name, config)
	}
	if err != nil {
		a.writeHerderError(w, r, nil, err)
		return
	}
	var info ConnectorInfo
	if !a.call(w, r, func(ctx context.Context) (err error) {
		info, _, err = a.h.PutConnectorConfig(ctx, name, config, false, initial)
		return err
	}) {
		return
	}
	w.Header().Set("Location", a.location(r, name))
	writeJSON(w, http.StatusCreated, normInfo(info))
}

func normInfo(info ConnectorInfo) ConnectorInfo {
	if info.Tasks == nil {
		info.Tasks = []TaskID{}
	}
	if info.Config == nil {
		info.Config = map[string]string{}
	}
	if info.Type == "" {
		info.Type = "unknown"
	}
	return info
}

func normStatus(st ConnectorStateInfo) ConnectorStateInfo {
	if st.Tasks == nil {
		st.Tasks = []TaskState{}
	}
	sort.Slice(st.Tasks, func(i, j int) bool { return st.Tasks[i].ID < st.Tasks[j].ID })
	if st.Type == "" {
		st.Type = "unknown"
	}
	return st
}

func (a *api) info0(ctx context.Context, name string) (ConnectorInfo, error) {
	info, err := a.h.ConnectorInfo(ctx, name)
	return normInfo(info), err
}

func (a *api) status0(ctx context.Context, name string) (ConnectorStateInfo, error) {
	st, err := a.h.ConnectorStatus(ctx, name)
	return normStatus(st), err
}

func (a *api) getConnector(w http.ResponseWriter, r *http.Request) {
	c, ok := connectorVar(w, r)
	if !ok {
		return
	}
	var info ConnectorInfo
	if a.call(w, r, func(ctx context.Context) (err error) { info, err = a.info0(ctx, c); return }) {
		writeJSON(w, http.StatusOK, info)
	}
}

func (a *api) deleteConnector(w http.ResponseWriter, r *http.Request) {
	c, ok := connectorVar(w, r)
	if ok && a.call(w, r, func(ctx context.Context) error { return a.h.DeleteConnector(ctx, c) }) {
		writeNoContent(w, http.StatusNoContent)
	}
}

func (a *api) getConfig(w http.ResponseWriter, r *http.Request) {
	c, ok := connectorVar(w, r)
	if !ok {
		return
	}
	var cfg map[string]string
	if a.call(w, r, func(ctx context.Context) (err error) { cfg, err = a.h.ConnectorConfig(ctx, c); return }) {
		if cfg == nil {
			cfg = map[string]string{}
		}
		writeJSON(w, http.StatusOK, cfg)
	}
}

func (a *api) putConfig(w http.ResponseWriter, r *http.Request) {
	c, ok := connectorVar(w, r)
	if !ok {
		return
	}
	v, err := readJSON(w, r)
	var config map[string]string
	if err == nil {
		config, err = stringMap(v, "the request body")
		err = withPostBodyHint(v, err, "PUT /connectors/{name}/config")
	}
	if err == nil {
		err = checkName(c, config)
	}
	if err != nil {
		a.writeHerderError(w, r, nil, err)
		return
	}
	var info ConnectorInfo
	var created bool
	if !a.call(w, r, func(ctx context.Context) (err error) {
		info, created, err = a.h.PutConnectorConfig(ctx, c, config, true, "")
		return err
	}) {
		return
	}
	if created {
		w.Header().Set("Location", a.location(r, c))
		writeJSON(w, http.StatusCreated, normInfo(info))
		return
	}
	writeJSON(w, http.StatusOK, normInfo(info))
}

// withPostBodyHint adds a hint to err when the body of endpoint (a PUT of a
// flat config map) looks like a POST /connectors body ({"name": …,
// "config": {…}}): sending that shape is the most common mistake with these
// endpoints, and the bare "Config key 'config' … got an object" does not say
// what to send instead.
func withPostBodyHint(v any, err error, endpoint string) error {
	var e *Error
	obj, isObj := v.(map[string]any)
	if err == nil || !isObj || !errors.As(err, &e) {
		return err
	}
	if _, nested := obj["config"].(map[string]any); !nested {
		return err
	}
	return BadRequest(e.Message + ". " + endpoint + ` takes the flat config map (the contents of the "config" object), not the {"name": ..., "config": {...}} body that POST /connectors takes`)
}

func (a *api) patchConfig(w http.ResponseWriter, r *http.Request) {
	c, ok := connectorVar(w, r)
	if !ok {
		return
	}
	v, err := readJSON(w, r)
	var patch map[string]*string
	if err == nil {
		patch, err = patchMap(v)
	}
	if err == nil {
		// Renaming through a patch would orphan the connector's records.
		if n, ok := patch["name"]; ok && (n == nil || *n != c) {
			shown := "null"
			if n != nil {
				shown = *n
			}
			err = BadRequest(fmt.Sprintf("Connector name configuration (%s) doesn't match connector name in the URL (%s)", shown, c))
		}
	}
	if err != nil {
		a.writeHerderError(w, r, nil, err)
		return
	}
	var info ConnectorInfo
	if a.call(w, r, func(ctx context.Context) (err error) { info, err = a.h.PatchConnectorConfig(ctx, c, patch); return }) {
		writeJSON(w, http.StatusOK, normInfo(info))
	}
}

func (a *api) status(w http.ResponseWriter, r *http.Request) {
	c, ok := connectorVar(w, r)
	if !ok {
		return
	}
	var st ConnectorStateInfo
	if a.call(w, r, func(ctx context.Context) (err error) { st, err = a.status0(ctx, c); return }) {
		writeJSON(w, http.StatusOK, st)
	}
}

func (a *api) restart(w http.ResponseWriter, r *http.Request) {
	c, ok := connectorVar(w, r)
	if !ok {
		return
	}
	req := RestartRequest{IncludeTasks: queryBool(r, "includeTasks", false), OnlyFailed: queryBool(r, "onlyFailed", false)}
	var plan *ConnectorStateInfo
	if !a.call(w, r, func(ctx context.Context) (err error) { plan, err = a.h.RestartConnector(ctx, c, req); return }) {
		return
	}
	if (!req.IncludeTasks && !req.OnlyFailed) || plan == nil {
		writeNoContent(w, http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusAccepted, normStatus(*plan))
}

func (a *api) pause(w http.ResponseWriter, r *http.Request) {
	c, ok := connectorVar(w, r)
	if ok && a.call(w, r, func(ctx context.Context) error { return a.h.PauseConnector(ctx, c) }) {
		writeNoContent(w, http.StatusAccepted)
	}
}

func (a *api) resume(w http.ResponseWriter, r *http.Request) {
	c, ok := connectorVar(w, r)
	if ok && a.call(w, r, func(ctx context.Context) error { return a.h.ResumeConnector(ctx, c) }) {
		writeNoContent(w, http.StatusAccepted)
	}
}

func (a *api) stop(w http.ResponseWriter, r *http.Request) {
	c, ok := connectorVar(w, r)
	if ok && a.call(w, r, func(ctx context.Context) error { return a.h.StopConnector(ctx, c) }) {
		writeNoContent(w, http.StatusNoContent)
	}
}

func (a *api) tasks(w http.ResponseWriter, r *http.Request) {
	c, ok := connectorVar(w, r)
	if !ok {
		return
	}
	var tasks []TaskInfo
	if !a.call(w, r, func(ctx context.Context) (err error) { tasks, err = a.h.TaskConfigs(ctx, c); return }) {
		return
	}
	if tasks == nil {
		tasks = []TaskInfo{}
	}
	for i := range tasks {
		if tasks[i].Config == nil {
			tasks[i].Config = map[string]string{}
		}
	}
	writeJSON(w, http.StatusOK, tasks)
}

// taskVar parses {t}. JAX-RS answers a task id that is not an int with 404.
func taskVar(w http.ResponseWriter, r *http.Request) (TaskID, bool) {
	c, ok1 := pathVar(r, "c")
	t, ok2 := pathVar(r, "t")
	n, err := strconv.ParseInt(t, 10, 32)
	if !ok1 || !ok2 || err != nil {
		writeError(w, http.StatusNotFound, msgNotFound)
		return TaskID{}, false
	}
	return TaskID{Connector: c, Task: int(n)}, true
}

func (a *api) taskStatus(w http.ResponseWriter, r *http.Request) {
	id, ok := taskVar(w, r)
	if !ok {
		return
	}
	var st TaskState
	if a.call(w, r, func(ctx context.Context) (err error) { st, err = a.h.TaskStatus(ctx, id); return }) {
		writeJSON(w, http.StatusOK, st)
	}
}

func (a *api) restartTask(w http.ResponseWriter, r *http.Request) {
	id, ok := taskVar(w, r)
	if ok && a.call(w, r, func(ctx context.Context) error { return a.h.RestartTask(ctx, id) }) {
		writeNoContent(w, http.StatusNoContent)
	}
}

// activeTopics is the ActiveTopicsInfo entity.
type activeTopics struct {
	Topics []string `json:"topics"`
}

func (a *api) topics(w http.ResponseWriter, r *http.Request) {
	if a.opts.TopicTrackingDisabled {
		writeError(w, http.StatusForbidden, "Topic tracking is disabled.")
		return
	}
	c, ok := connectorVar(w, r)
	if !ok {
		return
	}
	var topics []string
	if !a.call(w, r, func(ctx context.Context) (err error) { topics, err = a.h.ConnectorTopics(ctx, c); return }) {
		return
	}
	if topics == nil {
		topics = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]activeTopics{c: {Topics: topics}})
}

func (a *api) resetTopics(w http.ResponseWriter, r *http.Request) {
	if a.opts.TopicTrackingDisabled {
		writeError(w, http.StatusForbidden, "Topic tracking is disabled.")
		return
	}
	if a.opts.TopicTrackingResetDisabled {
		writeError(w, http.StatusForbidden, "Topic tracking reset is disabled.")
		return
	}
	c, ok := connectorVar(w, r)
	if ok && a.call(w, r, func(ctx context.Context) error { return a.h.ResetConnectorTopics(ctx, c) }) {
		writeNoContent(w, http.StatusAccepted)
	}
}

// connectorOffsets is the ConnectorOffsets entity.
type connectorOffsets struct {
	Offsets []ConnectorOffset `json:"offsets"`
}

// message is the Message entity.
type message struct {
	Message string `json:"message"`
}

func (a *api) getOffsets(w http.ResponseWriter, r *http.Request) {
	c, ok := connectorVar(w, r)
	if !ok {
		return
	}
	var offs []ConnectorOffset
	if !a.call(w, r, func(ctx context.Context) (err error) { offs, err = a.h.ConnectorOffsets(ctx, c); return }) {
		return
	}
	if offs == nil {
		offs = []ConnectorOffset{}
	}
	writeJSON(w, http.StatusOK, connectorOffsets{Offsets: offs})
}

const msgNoOffsets = "Partitions / offsets need to be provided for an alter offsets request"

func parseOffsets(v any) ([]ConnectorOffset, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, BadRequest(fmt.Sprintf("The request body must be a JSON object with an 'offsets' array, got %s", jsonTypeName(v)))
	}
	raw, present := obj["offsets"]
	if !present || raw == nil {
		return nil, BadRequest(msgNoOffsets)
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, BadRequest(fmt.Sprintf("Field 'offsets' must be an array of {\"partition\": {...}, \"offset\": {...}} objects, got %s", jsonTypeName(raw)))
	}
	if len(list) == 0 {
		return nil, BadRequest(msgNoOffsets)
	}
	out := make([]ConnectorOffset, 0, len(list))
	for i, e := range list {
		eo, ok := e.(map[string]any)
		if !ok {
			return nil, BadRequest(fmt.Sprintf("offsets[%d] must be an object with 'partition' and 'offset', got %s", i, jsonTypeName(e)))
		}
		p, present := eo["partition"]
		if !present || p == nil {
			return nil, BadRequest(fmt.Sprintf("The partition for a connector offset cannot be null or missing (offsets[%d].partition)", i))
		}
		part, err := offsetMap(p, fmt.Sprintf("offsets[%d].partition", i))
		if err != nil {
			return nil, err
		}
		var off map[string]any
		if o := eo["offset"]; o != nil {
			if off, err = offsetMap(o, fmt.Sprintf("offsets[%d].offset", i)); err != nil {
				return nil, err
			}
		}
		out = append(out, ConnectorOffset{Partition: part, Offset: off})
	}
	return out, nil
}

func (a *api) alterOffsets(w http.ResponseWriter, r *http.Request) {
	c, ok := connectorVar(w, r)
	if !ok {
		return
	}
	v, err := readJSON(w, r)
	var offs []ConnectorOffset
	if err == nil {
		offs, err = parseOffsets(v)
	}
	if err != nil {
		a.writeHerderError(w, r, nil, err)
		return
	}
	var msg string
	if a.call(w, r, func(ctx context.Context) (err error) { msg, err = a.h.AlterConnectorOffsets(ctx, c, offs); return }) {
		writeJSON(w, http.StatusOK, message{Message: msg})
	}
}

func (a *api) resetOffsets(w http.ResponseWriter, r *http.Request) {
	c, ok := connectorVar(w, r)
	if !ok {
		return
	}
	var msg string
	if a.call(w, r, func(ctx context.Context) (err error) { msg, err = a.h.ResetConnectorOffsets(ctx, c); return }) {
		writeJSON(w, http.StatusOK, message{Message: msg})
	}
}

// --- plugins ---

func (a *api) listPlugins(w http.ResponseWriter, r *http.Request) {
	connectorsOnly := queryBool(r, "connectorsOnly", true)
	out := []PluginInfo{}
	for _, p := range connect.Plugins() {
		if connectorsOnly && p.Type != connect.PluginSource && p.Type != connect.PluginSink {
			continue
		}
		out = append(out, PluginInfo{Class: p.Class, Type: strings.ToLower(string(p.Type)), Version: p.Version})
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *api) pluginConfig(w http.ResponseWriter, r *http.Request) {
	p, ok := pathVar(r, "p")
	if !ok {
		writeError(w, http.StatusNotFound, msgNotFound)
		return
	}
	// Malformed specs are answered here, as Kafka's resource does; whether
	// the installed plugin satisfies the spec is the herder's to say.
	version := r.URL.Query().Get("version")
	if _, err := pluginversion.Parse(version); err != nil {
		a.writeHerderError(w, r, nil, InvalidVersionSpec(version, err))
		return
	}
	var keys []ConfigKeyInfo
	if !a.call(w, r, func(ctx context.Context) (err error) { keys, err = a.h.PluginConfig(ctx, p, version); return }) {
		return
	}
	if keys == nil {
		keys = []ConfigKeyInfo{}
	}
	for i := range keys {
		if keys[i].Dependents == nil {
			keys[i].Dependents = []string{}
		}
	}
	writeJSON(w, http.StatusOK, keys)
}

// normalizedPluginName drops a trailing "Connector", so that
// FileStreamSource, FileStreamSourceConnector and the full class name all
// match each other as Kafka's check does.
func normalizedPluginName(s string) string {
	return strings.TrimSuffix(strings.TrimSpace(s), "Connector")
}

func (a *api) validate(w http.ResponseWriter, r *http.Request) {
	p, ok := pathVar(r, "p")
	if !ok {
		writeError(w, http.StatusNotFound, msgNotFound)
		return
	}
	v, err := readJSON(w, r)
	var config map[string]string
	if err == nil {
		config, err = stringMap(v, "the request body")
		err = withPostBodyHint(v, err, "PUT /connector-plugins/{plugin}/config/validate")
	}
	if err == nil {
		cls, has := config["connector.class"]
		switch {
		case !has || strings.TrimSpace(cls) == "":
			// Kafka's message embeds the whole config; ours leaves it out
			// because it may hold passwords.
			err = BadRequest("Connector config contains no connector type: set 'connector.class' to the connector's class name or alias")
		case !strings.HasSuffix(normalizedPluginName(cls), normalizedPluginName(p)):
			err = BadRequest(fmt.Sprintf("Included connector type %s does not match request type %s", cls, p))
		}
	}
	if err != nil {
		a.writeHerderError(w, r, nil, err)
		return
	}
	var infos ConfigInfos
	if !a.call(w, r, func(ctx context.Context) (err error) { infos, err = a.h.ValidateConfig(ctx, config); return }) {
		return
	}
	if infos.Groups == nil {
		infos.Groups = []string{}
	}
	if infos.Configs == nil {
		infos.Configs = []ConfigInfo{}
	}
	for i := range infos.Configs {
		ci := &infos.Configs[i]
		if ci.Definition != nil && ci.Definition.Dependents == nil {
			ci.Definition.Dependents = []string{}
		}
		if ci.Value.Errors == nil {
			ci.Value.Errors = []string{}
		}
		if ci.Value.RecommendedValues == nil {
			ci.Value.RecommendedValues = []string{}
		}
	}
	writeJSON(w, http.StatusOK, infos)
}

// --- loggers ---

func (a *api) listLoggers(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, a.loggers.All())
}

func (a *api) getLogger(w http.ResponseWriter, r *http.Request) {
	n, ok := pathVar(r, "n")
	if !ok {
		writeError(w, http.StatusNotFound, msgNotFound)
		return
	}
	lvl, found := a.loggers.Level(n)
	if !found {
		writeError(w, http.StatusNotFound, "Logger "+n+" not found.")
		return
	}
	writeJSON(w, http.StatusOK, lvl)
}

func (a *api) setLogger(w http.ResponseWriter, r *http.Request) {
	n, ok := pathVar(r, "n")
	if !ok {
		writeError(w, http.StatusNotFound, msgNotFound)
		return
	}
	v, err := readJSON(w, r)
	if err != nil {
		a.writeHerderError(w, r, nil, err)
		return
	}
	obj, isObj := v.(map[string]any)
	if !isObj {
		writeError(w, http.StatusBadRequest, "The request body must be a JSON object such as {\"level\": \"DEBUG\"}, got "+jsonTypeName(v))
		return
	}
	raw, present := obj["level"]
	if !present || raw == nil {
		writeError(w, http.StatusBadRequest, "Desired 'level' parameter was not specified in request.")
		return
	}
	level, isStr := raw.(string)
	if !isStr {
		writeError(w, http.StatusBadRequest, "Field 'level' must be a string such as \"DEBUG\", got "+jsonTypeName(raw))
		return
	}
	if _, valid := ParseLevel(level); !valid {
		writeError(w, http.StatusNotFound, "invalid log level '"+level+"'.")
		return
	}
	scope := "worker"
	if s := r.URL.Query().Get("scope"); s != "" {
		scope = strings.ToLower(s)
	}
	if scope == "cluster" {
		if cs, ok := a.h.(ClusterLoggerSetter); ok {
			if !a.call(w, r, func(ctx context.Context) error { return cs.SetClusterLoggerLevel(ctx, n, level) }) {
				return
			}
		} else if _, err := a.loggers.SetLevel(n, level); err != nil {
			a.writeHerderError(w, r, nil, BadRequest(err.Error()))
			return
		}
		writeNoContent(w, http.StatusNoContent)
		return
	}
	// Unknown scopes fall back to worker scope, as in Kafka.
	affected, err := a.loggers.SetLevel(n, level)
	if err != nil {
		a.writeHerderError(w, r, nil, BadRequest(err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, affected)
}
