package rest

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Kafka Connect's worker keys for cross-origin access and extra response
// headers (RestServerConfig). All three default to "", which turns the
// feature off.
const (
	PropAccessControlAllowOrigin  = "access.control.allow.origin"
	PropAccessControlAllowMethods = "access.control.allow.methods"
	PropResponseHTTPHeaders       = "response.http.headers.config"
)

// Kafka Connect configures Jetty's cross-origin filter with nothing but the
// origins and, when set, the methods; everything else is the filter's
// default, and UIs written against Kafka Connect rely on those values.
const (
	defaultCORSMethods = "GET,POST,HEAD"
	corsAllowedHeaders = "X-Requested-With,Content-Type,Accept,Origin"
	corsMaxAgeSeconds  = "1800"
)

// CORS answers cross-origin requests the way a Kafka Connect worker with
// access.control.allow.origin set does.
type CORS struct {
	anyOrigin bool
	origins   []string         // exact origins
	patterns  []*regexp.Regexp // origins written with '*'
	methods   []string
	headers   []string
}

// NewCORS reads the values of access.control.allow.origin and
// access.control.allow.methods. A blank origin list means no CORS handling at
// all (nil), as in Kafka: a browser then refuses cross-origin answers.
func NewCORS(allowOrigin, allowMethods string) *CORS {
	if strings.TrimSpace(allowOrigin) == "" {
		return nil
	}
	c := &CORS{}
	for _, o := range strings.Split(allowOrigin, ",") {
		switch o = strings.TrimSpace(o); {
		case o == "":
		case o == "*":
			c.anyOrigin = true
		case strings.Contains(o, "*"):
			// A '*' inside an origin (https://*.example.com) stands for any
			// text, subdomains of subdomains included.
			re := "^" + strings.ReplaceAll(regexp.QuoteMeta(o), `\*`, ".*") + "$"
			c.patterns = append(c.patterns, regexp.MustCompile(re))
		default:
			c.origins = append(c.origins, o)
		}
	}
	if strings.TrimSpace(allowMethods) == "" {
		allowMethods = defaultCORSMethods
	}
	c.methods = splitTrim(allowMethods)
	c.headers = splitTrim(corsAllowedHeaders)
	return c
}

func splitTrim(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// originAllowed checks an Origin header, which may list several
// space-separated origins (a redirected request); one match is enough.
func (c *CORS) originAllowed(header string) bool {
	if c.anyOrigin {
		return true
	}
	for _, o := range strings.Fields(header) {
		for _, a := range c.origins {
			if a == o {
				return true
			}
		}
		for _, p := range c.patterns {
			if p.MatchString(o) {
				return true
			}
		}
	}
	return false
}

// wrap sets the CORS response headers and always passes the request on: a
// refused origin just gets no CORS headers (the browser then blocks the
// answer), and a preflight goes on to the router, which answers OPTIONS with
// 200 and Allow, as Jetty's filter chains preflights to Jersey.
func (c *CORS) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origins, hasOrigin := r.Header["Origin"]
		if hasOrigin && !isWebSocketUpgrade(r) && c.originAllowed(strings.Join(origins, " ")) {
			origin := origins[0]
			_, hasRequestMethod := r.Header["Access-Control-Request-Method"]
			if r.Method == http.MethodOptions && hasRequestMethod {
				c.preflight(w, r, origin)
			} else {
				c.allowOrigin(w.Header(), origin)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// isWebSocketUpgrade: CORS headers are left off WebSocket handshakes, as
// Jetty's filter does. Sluice serves none, but the rule costs nothing.
func isWebSocketUpgrade(r *http.Request) bool {
	for _, c := range r.Header.Values("Connection") {
		for _, tok := range strings.Split(c, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
				for _, u := range r.Header.Values("Upgrade") {
					if strings.EqualFold(strings.TrimSpace(u), "websocket") {
						return true
					}
				}
			}
		}
	}
	return false
}

// allowOrigin echoes the origin (never "*": credentials are allowed, and
// browsers refuse "*" with credentials).
func (c *CORS) allowOrigin(h http.Header, origin string) {
	h.Set("Access-Control-Allow-Origin", origin)
	if !c.anyOrigin {
		// The answer depends on Origin, so caches must key on it.
		h.Add("Vary", "Origin")
	}
	h.Set("Access-Control-Allow-Credentials", "true")
}

// preflight grants a preflight only when the requested method is allowed
// (exact, case-sensitive match) and every requested header is
// (case-insensitive); otherwise it adds nothing and the browser gives up.
func (c *CORS) preflight(w http.ResponseWriter, r *http.Request, origin string) {
	method := r.Header.Get("Access-Control-Request-Method")
	if !contains(c.methods, method, false) {
		return
	}
	for _, v := range r.Header.Values("Access-Control-Request-Headers") {
		for _, hdr := range splitTrim(v) {
			if !contains(c.headers, hdr, true) {
				return
			}
		}
	}
	h := w.Header()
	c.allowOrigin(h, origin)
	h.Set("Access-Control-Max-Age", corsMaxAgeSeconds)
	h.Set("Access-Control-Allow-Methods", strings.Join(c.methods, ","))
	h.Set("Access-Control-Allow-Headers", strings.Join(c.headers, ","))
}

func contains(list []string, s string, fold bool) bool {
	for _, x := range list {
		if x == s || fold && strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// HeaderRule is one rule of response.http.headers.config.
type HeaderRule struct {
	// Add appends a value; otherwise the header is replaced.
	Add bool
	// Date rules send the current time plus Offset as an HTTP date.
	Date   bool
	Offset time.Duration
	Name   string
	Value  string
}

// ParseResponseHeaders reads response.http.headers.config: comma-separated
// rules "[action] [header name]:[header value]", where the action is set,
// add, setDate or addDate (any case) and a date rule's value is an offset in
// milliseconds from the time of the response. A rule that contains a comma
// is written in double quotes ("add Cache-Control: no-cache, no-store"). Any
// error names the key, so a bad worker file stops the worker at startup.
func ParseResponseHeaders(s string) ([]HeaderRule, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	items, err := splitCSV(s)
	if err != nil {
		return nil, fmt.Errorf("invalid value %q for configuration %s: %v", s, PropResponseHTTPHeaders, err)
	}
	var rules []HeaderRule
	for _, item := range items {
		rule, err := parseHeaderRule(item)
		if err != nil {
			return nil, fmt.Errorf("invalid value %q for configuration %s: %v; each rule is '[action] [header name]:[header value]' with action set, add, setDate or addDate, rules separated by commas and quoted if they contain one", s, PropResponseHTTPHeaders, err)
		}
		rules = append(rules, rule)
	}
	return rules, nil
}

func parseHeaderRule(item string) (HeaderRule, error) {
	var rule HeaderRule
	t := strings.TrimSpace(item)
	i := strings.IndexAny(t, " \t")
	if i < 0 {
		return rule, fmt.Errorf("rule %q has no header after the action", item)
	}
	action, rest := t[:i], t[i+1:]
	switch strings.ToLower(action) {
	case "set":
	case "add":
		rule.Add = true
	case "setdate":
		rule.Date = true
	case "adddate":
		rule.Add, rule.Date = true, true
	default:
		return rule, fmt.Errorf("rule %q: unknown action %q, expected one of [set, add, setDate, addDate]", item, action)
	}
	name, value, ok := strings.Cut(strings.TrimSpace(rest), ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	switch {
	case !ok || value == "":
		return rule, fmt.Errorf("rule %q: expected '[header name]:[header value]'", item)
	case name == "" || strings.ContainsAny(name, " \t"):
		return rule, fmt.Errorf("rule %q: invalid header name %q (it cannot be empty or contain whitespace)", item, name)
	}
	if rule.Date {
		ms, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return rule, fmt.Errorf("rule %q: a date rule's value is an offset in milliseconds, not %q", item, value)
		}
		rule.Offset = time.Duration(ms) * time.Millisecond
	}
	rule.Name, rule.Value = name, value
	return rule, nil
}

// splitCSV splits on commas outside double quotes, trims each item and drops
// empty ones; inside quotes a backslash escapes the next character.
func splitCSV(s string) ([]string, error) {
	var items []string
	var cur strings.Builder
	quoted, escaped, wasQuoted := false, false, false
	flush := func() {
		if v := strings.TrimSpace(cur.String()); v != "" || wasQuoted {
			items = append(items, v)
		}
		cur.Reset()
		wasQuoted = false
	}
	for _, ch := range s {
		switch {
		case escaped:
			cur.WriteRune(ch)
			escaped = false
		case quoted && ch == '\\':
			escaped = true
		case ch == '"':
			quoted = !quoted
			wasQuoted = true
		case !quoted && ch == ',':
			flush()
		default:
			cur.WriteRune(ch)
		}
	}
	if quoted {
		return nil, fmt.Errorf("unterminated double quote")
	}
	flush()
	return items, nil
}

// wrapResponseHeaders applies the rules before the request is served, as
// Kafka's header filter does, so a header the API itself sets (Content-Type,
// Location) still wins over a "set" rule for the same name.
func wrapResponseHeaders(rules []HeaderRule, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for _, rule := range rules {
			v := rule.Value
			if rule.Date {
				v = time.Now().Add(rule.Offset).UTC().Format(http.TimeFormat)
			}
			if rule.Add {
				h.Add(rule.Name, v)
			} else {
				h.Set(rule.Name, v)
			}
		}
		next.ServeHTTP(w, r)
	})
}
