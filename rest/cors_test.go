package rest

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func corsFixture(t *testing.T, origins, methods, headers string, auth *BasicAuth) http.Handler {
	t.Helper()
	f, _ := fixture(t)
	rules, err := ParseResponseHeaders(headers)
	if err != nil {
		t.Fatal(err)
	}
	return NewHandler(f, Options{Logger: quietLog, AdminEnabled: true, BasicAuth: auth,
		CORS: NewCORS(origins, methods), ResponseHeaders: rules})
}

func send(h http.Handler, method, path string, hdr map[string]string) resp {
	req := httptest.NewRequest(method, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return resp{rec.Code, rec.Header(), rec.Body.Bytes()}
}

func TestCORSSimpleRequests(t *testing.T) {
	for _, tc := range []struct {
		name, origins, origin string
		allowed, vary         bool
	}{
		{"any origin", "*", "http://ui.example", true, false},
		{"listed origin", "http://a.example, http://ui.example", "http://ui.example", true, true},
		{"unlisted origin", "http://a.example", "http://ui.example", false, false},
		{"wildcard subdomain", "https://*.example.com", "https://ui.dev.example.com", true, true},
		{"wildcard does not match another domain", "https://*.example.com", "https://example.org", false, false},
		{"dot is literal", "http://a.example", "http://aXexample", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := corsFixture(t, tc.origins, "", "", nil)
			r := send(h, "GET", "/connectors", map[string]string{"Origin": tc.origin})
			if r.status != 200 {
				t.Fatalf("status %d", r.status)
			}
			got := r.header.Get("Access-Control-Allow-Origin")
			if tc.allowed != (got == tc.origin) || !tc.allowed && got != "" {
				t.Fatalf("Access-Control-Allow-Origin %q for %q with allowed %q", got, tc.origin, tc.origins)
			}
			if tc.allowed && r.header.Get("Access-Control-Allow-Credentials") != "true" {
				t.Errorf("credentials not allowed: %v", r.header)
			}
			if (r.header.Get("Vary") == "Origin") != tc.vary {
				t.Errorf("Vary %q", r.header.Get("Vary"))
			}
			if r.header.Get("Access-Control-Allow-Methods") != "" {
				t.Errorf("a simple request got preflight headers: %v", r.header)
			}
		})
	}
	// Errors carry the header too, as must a request without Origin not.
	h := corsFixture(t, "*", "", "", nil)
	if r := send(h, "GET", "/connectors/nope", map[string]string{"Origin": "http://ui"}); r.status != 404 || r.header.Get("Access-Control-Allow-Origin") != "http://ui" {
		t.Errorf("404: %d %v", r.status, r.header)
	}
	if r := send(h, "GET", "/connectors", nil); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("same-origin request got CORS headers: %v", r.header)
	}
}

func TestCORSPreflight(t *testing.T) {
	pre := func(origin, method, headers string) map[string]string {
		m := map[string]string{"Origin": origin, "Access-Control-Request-Method": method}
		if headers != "" {
			m["Access-Control-Request-Headers"] = headers
		}
		return m
	}
	for _, tc := range []struct {
		name, methods string
		hdr           map[string]string
		granted       bool
		wantMethods   string
	}{
		{"default methods grant POST", "", pre("http://ui", "POST", "content-type"), true, "GET,POST,HEAD"},
		{"default methods refuse DELETE", "", pre("http://ui", "DELETE", ""), false, ""},
		{"configured methods grant DELETE", "GET, POST,PUT,DELETE", pre("http://ui", "DELETE", ""), true, "GET,POST,PUT,DELETE"},
		{"method match is case-sensitive", "GET,PUT", pre("http://ui", "put", ""), false, ""},
		{"unlisted request header refused", "", pre("http://ui", "POST", "Content-Type, X-Custom"), false, ""},
		{"default request headers granted", "", pre("http://ui", "GET", "X-Requested-With,Accept,Origin,Content-Type"), true, "GET,POST,HEAD"},
		{"refused origin", "", pre("http://evil", "GET", ""), false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := corsFixture(t, "http://ui", tc.methods, "", nil)
			r := send(h, "OPTIONS", "/connectors", tc.hdr)
			// The preflight goes on to the resource, which answers OPTIONS
			// whether or not CORS granted anything.
			if r.status != 200 || r.header.Get("Allow") != "GET,HEAD,POST,OPTIONS" || len(r.body) != 0 {
				t.Fatalf("status %d Allow %q body %q", r.status, r.header.Get("Allow"), r.body)
			}
			if !tc.granted {
				for k := range r.header {
					if strings.HasPrefix(k, "Access-Control-") {
						t.Fatalf("refused preflight got %s: %v", k, r.header)
					}
				}
				return
			}
			want := map[string]string{
				"Access-Control-Allow-Origin":      "http://ui",
				"Access-Control-Allow-Credentials": "true",
				"Access-Control-Max-Age":           "1800",
				"Access-Control-Allow-Methods":     tc.wantMethods,
				"Access-Control-Allow-Headers":     "X-Requested-With,Content-Type,Accept,Origin",
				"Vary":                             "Origin",
			}
			for k, v := range want {
				if got := r.header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestCORSOffWhenOriginBlank(t *testing.T) {
	if NewCORS("  ", "GET,PUT") != nil {
		t.Fatal("blank access.control.allow.origin must disable CORS")
	}
	h := corsFixture(t, "", "GET,PUT", "", nil)
	r := send(h, "OPTIONS", "/connectors", map[string]string{"Origin": "http://ui", "Access-Control-Request-Method": "GET"})
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("%d %v", r.status, r.header)
	}
}

func TestResponseHeaderRules(t *testing.T) {
	h := corsFixture(t, "*", "",
		`set X-Frame-Options: DENY, add X-Multi: one, add X-Multi: two, "add Cache-Control: no-cache, no-store", setDate Expires: 3600000, addDate X-When: 0, set Content-Type: text/plain`, nil)
	before := time.Now().Add(-time.Second)
	for _, tc := range []struct{ method, path string }{{"GET", "/connectors"}, {"GET", "/connectors/nope"}, {"DELETE", "/connectors/c1/status"}, {"OPTIONS", "/"}} {
		r := send(h, tc.method, tc.path, map[string]string{"Origin": "http://ui"})
		if r.header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s %s: X-Frame-Options %q", tc.method, tc.path, r.header.Get("X-Frame-Options"))
		}
		if got := r.header.Values("X-Multi"); len(got) != 2 || got[0] != "one" || got[1] != "two" {
			t.Errorf("%s %s: X-Multi %q", tc.method, tc.path, got)
		}
		if got := r.header.Get("Cache-Control"); got != "no-cache, no-store" {
			t.Errorf("Cache-Control %q", got)
		}
		exp, err := http.ParseTime(r.header.Get("Expires"))
		if err != nil || exp.Before(before.Add(time.Hour)) || exp.After(time.Now().Add(time.Hour+time.Second)) {
			t.Errorf("Expires %q (%v)", r.header.Get("Expires"), err)
		}
		if _, err := http.ParseTime(r.header.Get("X-When")); err != nil {
			t.Errorf("X-When %q: %v", r.header.Get("X-When"), err)
		}
		if r.header.Get("Access-Control-Allow-Origin") != "http://ui" {
			t.Errorf("CORS header lost: %v", r.header)
		}
	}
	// A header the API sets itself wins over a "set" rule, as in Kafka where
	// the filter runs before the resource.
	if r := send(h, "GET", "/connectors", nil); r.header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
	}
	// Authentication failures carry the headers too.
	ba, _ := NewBasicAuth(map[string]string{"u": "p"})
	h = corsFixture(t, "*", "", "set X-Frame-Options: DENY", ba)
	if r := send(h, "GET", "/connectors", map[string]string{"Origin": "http://ui"}); r.status != 401 || r.header.Get("X-Frame-Options") != "DENY" || r.header.Get("Access-Control-Allow-Origin") != "http://ui" {
		t.Errorf("401: %d %v", r.status, r.header)
	}
}

func TestParseResponseHeaders(t *testing.T) {
	good := map[string]int{
		"":                                   0,
		"set X-A: 1":                         1,
		"SET X-A:1, ADDDATE Date: 0,":        2,
		"add\tX-A: a b c":                    1,
		`"add Cache-Control: a, b", set X:y`: 2,
		"set X-A: http://x":                  1, // Kafka refuses a ':' in the value; we split at the first
	}
	for in, n := range good {
		rules, err := ParseResponseHeaders(in)
		if err != nil || len(rules) != n {
			t.Errorf("%q: %d rules, %v", in, len(rules), err)
		}
	}
	for _, in := range []string{
		"X-A: 1",
		"put X-A: 1",
		"set X-A",
		"set X-A:",
		"set : 1",
		"set X A: 1",
		"setDate Expires: soon",
		`"set X-A: 1`,
	} {
		_, err := ParseResponseHeaders(in)
		if err == nil || !strings.Contains(err.Error(), PropResponseHTTPHeaders) {
			t.Errorf("%q: %v, want an error naming %s", in, err, PropResponseHTTPHeaders)
		}
	}
	_, err := ServerConfigFromProperties(map[string]string{PropResponseHTTPHeaders: "bogus X: 1"}, Options{})
	if err == nil || !strings.Contains(err.Error(), PropResponseHTTPHeaders) {
		t.Fatalf("ServerConfigFromProperties: %v", err)
	}
}

// Kafka applies the CORS and header filters to the main listeners' context
// only: a separate admin listener answers without them.
func TestCORSAndHeadersOnListeners(t *testing.T) {
	cert, key, _ := writeCert(t)
	addrs := []string(nil)
	cfg, err := ServerConfigFromProperties(map[string]string{
		"listeners": "http://127.0.0.1:0,https://127.0.0.1:0", "admin.listeners": "http://127.0.0.1:0",
		PropTLSCertificate: cert, PropTLSKey: key,
		PropAccessControlAllowOrigin: "http://ui", PropResponseHTTPHeaders: "set X-Test: yes",
	}, Options{Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(newFakeHerder(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if addrs, err = srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	preflight := func(url string) *http.Response {
		req, _ := http.NewRequest("OPTIONS", url, nil)
		req.Header.Set("Origin", "http://ui")
		req.Header.Set("Access-Control-Request-Method", "POST")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	for _, a := range addrs {
		res := preflight(a + "/connectors")
		if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "http://ui" || res.Header.Get("X-Test") != "yes" {
			t.Errorf("%s: %d %v", a, res.StatusCode, res.Header)
		}
	}
	admin := srv.AdminAddrs()
	if len(admin) != 1 {
		t.Fatalf("admin listeners %v", admin)
	}
	res := preflight(admin[0] + "/admin/loggers")
	if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "" || res.Header.Get("X-Test") != "" {
		t.Errorf("admin listener: %d %v", res.StatusCode, res.Header)
	}
}
