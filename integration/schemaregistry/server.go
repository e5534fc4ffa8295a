package schemaregistry

import (
	"bytes"
	"context"
	"crypto/subtle"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/linkedin/goavro/v2"
)

// Options configure a Server. The zero value serves plain HTTP on a free
// loopback port without authentication.
type Options struct {
	// Addr to listen on; "" picks a free port on 127.0.0.1.
	Addr string
	// Username and Password, when both set, make every request need HTTP
	// basic auth with them (401 otherwise), as a registry behind
	// authentication.basic does.
	Username, Password string
	// TLS, when set, serves HTTPS with this configuration (it must hold a
	// certificate).
	TLS *tls.Config
}

// Server is a running in-memory Schema Registry.
type Server struct {
	opts     Options
	ln       net.Listener
	srv      *http.Server
	url      string
	done     chan struct{}
	requests atomic.Int64

	mu       sync.Mutex
	nextID   int
	idByKey  map[string]int
	schemas  map[int]*storedSchema
	subjects map[string]*subject
	global   string
}

type storedSchema struct {
	id         int
	schema     string
	schemaType string // "" for AVRO, as the registry omits it
	references []reference
}

type reference struct {
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Version int    `json:"version"`
}

type subject struct {
	versions []*version
	next     int
	deleted  bool // soft-deleted: hidden unless ?deleted=true
	compat   string
}

type version struct {
	version int
	id      int
	deleted bool
}

var levels = []string{"NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"}

// Start starts a registry with default options.
func Start() (*Server, error) { return StartWith(Options{}) }

// StartWith starts a registry with opts.
func StartWith(opts Options) (*Server, error) {
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("schema registry: listen on %s: %w", addr, err)
	}
	scheme := "http"
	if opts.TLS != nil {
		ln = tls.NewListener(ln, opts.TLS)
		scheme = "https"
	}
	s := &Server{
		opts:     opts,
		ln:       ln,
		url:      scheme + "://" + ln.Addr().String(),
		done:     make(chan struct{}),
		nextID:   1,
		idByKey:  map[string]int{},
		schemas:  map[int]*storedSchema{},
		subjects: map[string]*subject{},
		global:   "BACKWARD",
	}
	s.srv = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return s, nil
}

// URL is the base URL to put in schema.registry.url.
func (s *Server) URL() string { return s.url }

// Requests counts the HTTP requests served so far (authenticated or not),
// so tests can assert that a hot path makes no registry calls.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Close stops the server and waits for its goroutine.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	<-s.done
	return err
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /subjects/{subject}/versions", s.register)
	mux.HandleFunc("POST /subjects/{subject}", s.lookup)
	mux.HandleFunc("GET /subjects", s.listSubjects)
	mux.HandleFunc("GET /subjects/{subject}/versions", s.listVersions)
	mux.HandleFunc("GET /subjects/{subject}/versions/{version}", s.getVersion)
	mux.HandleFunc("GET /subjects/{subject}/versions/{version}/schema", s.getVersionSchema)
	mux.HandleFunc("DELETE /subjects/{subject}", s.deleteSubject)
	mux.HandleFunc("DELETE /subjects/{subject}/versions/{version}", s.deleteVersion)
	mux.HandleFunc("GET /schemas/ids/{id}", s.getByID)
	mux.HandleFunc("GET /schemas/ids/{id}/versions", s.getByIDVersions)
	mux.HandleFunc("GET /config", s.getGlobalConfig)
	mux.HandleFunc("PUT /config", s.putGlobalConfig)
	mux.HandleFunc("GET /config/{subject}", s.getSubjectConfig)
	mux.HandleFunc("PUT /config/{subject}", s.putSubjectConfig)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, 404, "HTTP 404 Not Found")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if s.opts.Username != "" && s.opts.Password != "" {
			u, p, ok := r.BasicAuth()
			if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(s.opts.Username)) != 1 ||
				subtle.ConstantTimeCompare([]byte(p), []byte(s.opts.Password)) != 1 {
				w.Header().Set("WWW-Authenticate", `Basic realm="SchemaRegistry"`)
				writeError(w, http.StatusUnauthorized, 401, "Unauthorized")
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
}

const contentType = "application/vnd.schemaregistry.v1+json"

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, 50001, err.Error())
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError answers with Confluent's error body and error codes (40401
// subject not found, 40402 version not found, 40403 schema not found, 42201
// invalid schema, 42202 invalid version, 42203 invalid compatibility level).
func writeError(w http.ResponseWriter, status, code int, msg string) {
	b, _ := json.Marshal(map[string]any{"error_code": code, "message": msg})
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

type schemaRequest struct {
	Schema     string      `json:"schema"`
	SchemaType string      `json:"schemaType"`
	References []reference `json:"references"`
}

// parseSchemaRequest reads and validates a register or lookup body; it
// returns the canonical key under which equal schemas share an id.
func parseSchemaRequest(w http.ResponseWriter, r *http.Request) (schemaRequest, string, bool) {
	var req schemaRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusUnprocessableEntity, 422, "Unrecognized field or malformed JSON: "+err.Error())
		return req, "", false
	}
	if req.SchemaType == "AVRO" {
		req.SchemaType = ""
	}
	if req.SchemaType != "" {
		writeError(w, http.StatusUnprocessableEntity, 42201, fmt.Sprintf("Invalid schema: schemaType %s is not supported by this test registry (AVRO only)", req.SchemaType))
		return req, "", false
	}
	if strings.TrimSpace(req.Schema) == "" {
		writeError(w, http.StatusUnprocessableEntity, 42201, "Invalid schema: empty schema")
		return req, "", false
	}
	if _, err := goavro.NewCodec(req.Schema); err != nil {
		writeError(w, http.StatusUnprocessableEntity, 42201, "Invalid schema "+req.Schema+": "+err.Error())
		return req, "", false
	}
	key, err := canonicalKey(req.Schema)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, 42201, "Invalid schema: "+err.Error())
		return req, "", false
	}
	refs, _ := json.Marshal(req.References)
	return req, key + "\x00" + string(refs), true
}

// canonicalKey makes schemas that differ only in whitespace or key order
// share an id, as the registry's canonical-string comparison does.
func canonicalKey(schema string) (string, error) {
	dec := json.NewDecoder(strings.NewReader(schema))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return buf.String(), nil
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("subject")
	req, key, ok := parseSchemaRequest(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, known := s.idByKey[key]
	if !known {
		id = s.nextID
		s.nextID++
		s.idByKey[key] = id
		s.schemas[id] = &storedSchema{id: id, schema: req.Schema, schemaType: req.SchemaType, references: req.References}
	}
	sub := s.subjects[name]
	if sub == nil {
		sub = &subject{next: 1}
		s.subjects[name] = sub
	}
	sub.deleted = false
	for _, v := range sub.versions {
		if v.id == id && !v.deleted {
			writeJSON(w, http.StatusOK, map[string]int{"id": id})
			return
		}
	}
	sub.versions = append(sub.versions, &version{version: sub.next, id: id})
	sub.next++
	writeJSON(w, http.StatusOK, map[string]int{"id": id})
}

func (s *Server) lookup(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("subject")
	_, key, ok := parseSchemaRequest(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.liveSubject(name, r)
	if sub == nil {
		writeError(w, http.StatusNotFound, 40401, fmt.Sprintf("Subject '%s' not found.", name))
		return
	}
	id, known := s.idByKey[key]
	if known {
		for _, v := range sub.versions {
			if v.id == id && (!v.deleted || r.URL.Query().Get("deleted") == "true") {
				writeJSON(w, http.StatusOK, s.versionBody(name, v))
				return
			}
		}
	}
	writeError(w, http.StatusNotFound, 40403, "Schema not found")
}

func (s *Server) versionBody(name string, v *version) map[string]any {
	st := s.schemas[v.id]
	body := map[string]any{"subject": name, "version": v.version, "id": v.id, "schema": st.schema}
	if st.schemaType != "" {
		body["schemaType"] = st.schemaType
	}
	if len(st.references) > 0 {
		body["references"] = st.references
	}
	return body
}

// liveSubject returns the subject unless it is missing or soft-deleted (and
// the request did not ask for deleted ones).
func (s *Server) liveSubject(name string, r *http.Request) *subject {
	sub := s.subjects[name]
	if sub == nil || (sub.deleted && r.URL.Query().Get("deleted") != "true") {
		return nil
	}
	return sub
}

func (s *Server) listSubjects(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []string{}
	for name := range s.subjects {
		if s.liveSubject(name, r) != nil {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listVersions(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("subject")
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.liveSubject(name, r)
	if sub == nil {
		writeError(w, http.StatusNotFound, 40401, fmt.Sprintf("Subject '%s' not found.", name))
		return
	}
	out := []int{}
	for _, v := range sub.versions {
		if !v.deleted || r.URL.Query().Get("deleted") == "true" {
			out = append(out, v.version)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// findVersion resolves "latest", "-1" or a positive number, writing the
// registry's error when it cannot.
func (s *Server) findVersion(w http.ResponseWriter, r *http.Request) (string, *subject, *version) {
	name := r.PathValue("subject")
	raw := r.PathValue("version")
	sub := s.liveSubject(name, r)
	if sub == nil {
		writeError(w, http.StatusNotFound, 40401, fmt.Sprintf("Subject '%s' not found.", name))
		return name, nil, nil
	}
	includeDeleted := r.URL.Query().Get("deleted") == "true"
	if raw == "latest" || raw == "-1" {
		for i := len(sub.versions) - 1; i >= 0; i-- {
			if v := sub.versions[i]; !v.deleted || includeDeleted {
				return name, sub, v
			}
		}
		writeError(w, http.StatusNotFound, 40402, "Version latest not found.")
		return name, sub, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n <= 0 {
		writeError(w, http.StatusUnprocessableEntity, 42202, fmt.Sprintf("The specified version '%s' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"", raw))
		return name, sub, nil
	}
	for _, v := range sub.versions {
		if v.version == n && (!v.deleted || includeDeleted) {
			return name, sub, v
		}
	}
	writeError(w, http.StatusNotFound, 40402, fmt.Sprintf("Version %d not found.", n))
	return name, sub, nil
}

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name, _, v := s.findVersion(w, r)
	if v != nil {
		writeJSON(w, http.StatusOK, s.versionBody(name, v))
	}
}

func (s *Server) getVersionSchema(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _, v := s.findVersion(w, r)
	if v != nil {
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write([]byte(s.schemas[v.id].schema))
	}
}

func (s *Server) deleteSubject(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("subject")
	permanent := r.URL.Query().Get("permanent") == "true"
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subjects[name]
	if sub == nil || (sub.deleted && !permanent) {
		writeError(w, http.StatusNotFound, 40401, fmt.Sprintf("Subject '%s' not found.", name))
		return
	}
	if permanent && !sub.deleted {
		writeError(w, http.StatusNotFound, 40405, fmt.Sprintf("Subject '%s' was not deleted first before being permanently deleted", name))
		return
	}
	out := []int{}
	for _, v := range sub.versions {
		out = append(out, v.version)
		v.deleted = true
	}
	if permanent {
		delete(s.subjects, name)
	} else {
		sub.deleted = true
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) deleteVersion(w http.ResponseWriter, r *http.Request) {
	permanent := r.URL.Query().Get("permanent") == "true"
	if permanent {
		q := r.URL.Query()
		q.Set("deleted", "true")
		r.URL.RawQuery = q.Encode()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, sub, v := s.findVersion(w, r)
	if v == nil {
		return
	}
	if permanent {
		if !v.deleted {
			writeError(w, http.StatusNotFound, 40407, fmt.Sprintf("Subject '%s' Version %d was not deleted first before being permanently deleted", r.PathValue("subject"), v.version))
			return
		}
		kept := sub.versions[:0]
		for _, x := range sub.versions {
			if x != v {
				kept = append(kept, x)
			}
		}
		sub.versions = kept
	} else {
		v.deleted = true
	}
	writeJSON(w, http.StatusOK, v.version)
}

func (s *Server) schemaByPath(w http.ResponseWriter, r *http.Request) *storedSchema {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err == nil {
		if st := s.schemas[id]; st != nil {
			return st
		}
	}
	writeError(w, http.StatusNotFound, 40403, "Schema "+r.PathValue("id")+" not found")
	return nil
}

func (s *Server) getByID(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.schemaByPath(w, r)
	if st == nil {
		return
	}
	body := map[string]any{"schema": st.schema}
	if st.schemaType != "" {
		body["schemaType"] = st.schemaType
	}
	if len(st.references) > 0 {
		body["references"] = st.references
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) getByIDVersions(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.schemaByPath(w, r)
	if st == nil {
		return
	}
	type pair struct {
		Subject string `json:"subject"`
		Version int    `json:"version"`
	}
	out := []pair{}
	for name, sub := range s.subjects {
		for _, v := range sub.versions {
			if v.id == st.id && !v.deleted {
				out = append(out, pair{name, v.version})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Subject != out[j].Subject {
			return out[i].Subject < out[j].Subject
		}
		return out[i].Version < out[j].Version
	})
	writeJSON(w, http.StatusOK, out)
}

func readLevel(w http.ResponseWriter, r *http.Request) (string, bool) {
	var req struct {
		Compatibility string `json:"compatibility"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusUnprocessableEntity, 422, "malformed JSON: "+err.Error())
		return "", false
	}
	lvl := strings.ToUpper(strings.TrimSpace(req.Compatibility))
	for _, l := range levels {
		if l == lvl {
			return lvl, true
		}
	}
	writeError(w, http.StatusUnprocessableEntity, 42203, "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive")
	return "", false
}

func (s *Server) getGlobalConfig(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"compatibilityLevel": s.global})
}

func (s *Server) putGlobalConfig(w http.ResponseWriter, r *http.Request) {
	lvl, ok := readLevel(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	s.global = lvl
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"compatibility": lvl})
}

func (s *Server) getSubjectConfig(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("subject")
	s.mu.Lock()
	defer s.mu.Unlock()
	if sub := s.subjects[name]; sub != nil && sub.compat != "" {
		writeJSON(w, http.StatusOK, map[string]string{"compatibilityLevel": sub.compat})
		return
	}
	if r.URL.Query().Get("defaultToGlobal") == "true" {
		writeJSON(w, http.StatusOK, map[string]string{"compatibilityLevel": s.global})
		return
	}
	writeError(w, http.StatusNotFound, 40408, fmt.Sprintf("Subject '%s' does not have subject-level compatibility configured", name))
}

func (s *Server) putSubjectConfig(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("subject")
	lvl, ok := readLevel(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	sub := s.subjects[name]
	if sub == nil {
		// The registry accepts a config for a subject before its first schema.
		sub = &subject{next: 1, deleted: true}
		s.subjects[name] = sub
	}
	sub.compat = lvl
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"compatibility": lvl})
}
