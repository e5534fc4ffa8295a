package rest

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// The worker-to-worker requests pass basic auth without credentials, as in
// Kafka Connect's JaasBasicAuthFilter; nothing else does.
func TestBasicAuthLetsInternalRequestsThrough(t *testing.T) {
	ba, err := NewBasicAuth(map[string]string{"u": "p"})
	if err != nil {
		t.Fatal(err)
	}
	h := ba.wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{http.MethodPost, "/connectors/c/tasks", 204},
		{http.MethodPost, "/connectors/c/tasks/", 204},
		{http.MethodPost, "/connectors/c/tasks?forward=true", 204},
		{http.MethodPost, "/connectors/a%2Fb%20c/tasks", 204},
		{http.MethodPut, "/connectors/c/fence", 204},
		{http.MethodGet, "/connectors/c/tasks", 401},
		{http.MethodPut, "/connectors/c/tasks", 401},
		{http.MethodPost, "/connectors/c/fence", 401},
		{http.MethodPost, "/connectors/c/tasks/0/restart", 401},
		{http.MethodPost, "/connectors//tasks", 401},
		{http.MethodPost, "/connectors", 401},
		{http.MethodPut, "/connectors/c/config", 401},
		{http.MethodGet, "/connectors/c/status", 401},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != tc.want {
			t.Errorf("%s %s without credentials: %d, want %d", tc.method, tc.path, rec.Code, tc.want)
		}
	}
}
