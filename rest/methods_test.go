package rest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHeadAndOptions(t *testing.T) {
	_, h := fixture(t)
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"HEAD", "/", 200, ""},
		{"HEAD", "/connectors", 200, ""},
		{"HEAD", "/connectors/c1/status", 200, ""},
		{"HEAD", "/connectors/nope", 404, ""},
		{"HEAD", "/connectors/c1/pause", 405, ""},
		{"OPTIONS", "/", 200, "GET,HEAD,OPTIONS"},
		{"OPTIONS", "/connectors", 200, "GET,HEAD,POST,OPTIONS"},
		{"OPTIONS", "/connectors/c1", 200, "GET,HEAD,DELETE,OPTIONS"},
		{"OPTIONS", "/connectors/c1/config/", 200, "GET,HEAD,PUT,PATCH,OPTIONS"},
		{"OPTIONS", "/connectors/c1/pause", 200, "PUT,OPTIONS"},
		{"OPTIONS", "/connector-plugins/x/config/validate", 200, "PUT,OPTIONS"},
		{"OPTIONS", "/admin/loggers/root", 200, "GET,HEAD,PUT,OPTIONS"},
		{"OPTIONS", "/no/such/path", 404, ""},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		// HEAD never has a body; an OPTIONS error keeps its JSON one.
		wantEmpty := tc.method == "HEAD" || tc.status == 200
		if res.StatusCode != tc.status || res.Header.Get("Allow") != tc.allow || wantEmpty != (len(body) == 0) {
			t.Errorf("%s %s: %d Allow %q body %q, want %d %q", tc.method, tc.path, res.StatusCode, res.Header.Get("Allow"), body, tc.status, tc.allow)
		}
		if tc.method == "HEAD" && tc.status == 200 {
			// The headers a GET would have, Content-Length included.
			get, err := srv.Client().Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			gb, _ := io.ReadAll(get.Body)
			get.Body.Close()
			if res.Header.Get("Content-Type") != "application/json" || res.ContentLength != int64(len(gb)) {
				t.Errorf("HEAD %s: Content-Type %q length %d, GET sent %d bytes", tc.path, res.Header.Get("Content-Type"), res.ContentLength, len(gb))
			}
		}
	}
}
