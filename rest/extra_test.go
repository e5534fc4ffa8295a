package rest

import (
	"net/http"
	"testing"
)

func TestExtraRoutesServeAndKeepAuth(t *testing.T) {
	registerFakePlugins()
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("m 1\n")) })
	ba, err := NewBasicAuth(map[string]string{"u": "p"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		auth   *BasicAuth
		method string
		want   int
	}{
		{"get", nil, http.MethodGet, 200},
		{"post is not allowed", nil, http.MethodPost, 405},
		{"auth still required", ba, http.MethodGet, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHandler(newFakeHerder(), Options{Logger: quietLog, BasicAuth: tc.auth, Extra: map[string]http.Handler{"/metrics": metrics}})
			r := do(h, tc.method, "/metrics", "")
			if r.status != tc.want {
				t.Fatalf("status %d, want %d (%s)", r.status, tc.want, r.body)
			}
			if tc.want == 200 && string(r.body) != "m 1\n" {
				t.Fatalf("body %q", r.body)
			}
		})
	}
}
