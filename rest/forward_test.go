package rest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestForwardHopsAndRelay(t *testing.T) {
	var gotQuery, gotBody, gotAuth, gotUA string
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotQuery = r.URL.RawQuery
		b, _ := io.ReadAll(r.Body)
		gotBody, gotAuth, gotUA = string(b), r.Header.Get("Authorization"), r.Header.Get("User-Agent")
		switch r.URL.Path {
		case "/connectors":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"name":"c"}`)
		case "/connectors/c":
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error_code":404,"message":"nope"}`)
		}
	}))
	defer target.Close()
	h := keepBody(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // the handler consumed it before the herder answered
		if !forwardIfAsked(w, r, NotLeader(target.URL+"/")) {
			t.Fatal("ForwardError not handled")
		}
	}), nil)
	tests := []struct {
		method, path, body string
		wantStatus         int
		wantQuery          string
		wantBody           string
	}{
		{"POST", "/connectors", `{"name":"c","config":{}}`, 201, "forward=true", `{"name":"c"}`},
		{"DELETE", "/connectors/c?forward=true", "", 204, "forward=false", ""},
		{"POST", "/connectors/x/restart?includeTasks=true", "", 404, "forward=true&includeTasks=true", `{"error_code":404,"message":"nope"}`},
		{"PUT", "/connectors/c/stop?forward=false", "", 409, "", ""},
	}
	for _, tc := range tests {
		gotQuery, gotBody = "", ""
		req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Basic eDp5")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.wantStatus {
			t.Errorf("%s %s: status %d, want %d (%s)", tc.method, tc.path, rec.Code, tc.wantStatus, rec.Body)
			continue
		}
		if tc.wantStatus == 409 {
			if gotQuery != "" || !strings.Contains(rec.Body.String(), "conflicting operation") {
				t.Errorf("third hop was sent or has the wrong message: %s", rec.Body)
			}
			continue
		}
		if gotQuery != tc.wantQuery || gotBody != tc.body || gotAuth != "Basic eDp5" || gotUA != "kafka-connect" {
			t.Errorf("%s %s: forwarded query %q body %q auth %q ua %q", tc.method, tc.path, gotQuery, gotBody, gotAuth, gotUA)
		}
		if rec.Body.String() != tc.wantBody {
			t.Errorf("%s %s: relayed body %q, want %q", tc.method, tc.path, rec.Body, tc.wantBody)
		}
		if tc.wantStatus == 204 && rec.Header().Get("Content-Type") != "" {
			t.Errorf("204 relayed with a content type")
		}
	}
	if err := NotLeader(""); StatusOf(err) != 409 {
		t.Errorf("NotLeader with no URL = %v, want a 409", err)
	}
}

// A create forwarded to the leader answers 201 with a Location, as Kafka
// Connect's receiving worker builds it: the leader's path on the address
// the client called (finding 5).
func TestForwardRelaysLocation(t *testing.T) {
	leader := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "http://"+r.Host+"/connectors/a%2Fb%20c")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"name":"a/b c"}`)
	}))
	defer leader.Close()
	h := keepBody(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		forwardIfAsked(w, r, NotLeader(leader.URL+"/"))
	}), nil)
	req := httptest.NewRequest("POST", "http://follower:8083/connectors", strings.NewReader(`{"name":"a/b c","config":{}}`))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 201 {
		t.Fatalf("status %d %s", rec.Code, rec.Body)
	}
	if got, want := rec.Header().Get("Location"), "http://follower:8083/connectors/a%2Fb%20c"; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
}

// A body over the limit is answered 413 naming the limit, not reported as
// malformed JSON cut at the limit (finding 8); a body at the limit is read
// whole.
func TestBodyOverTheLimit(t *testing.T) {
	_, h := fixture(t)
	big := `{"name":"huge","config":{"connector.class":"FakeSource","big":"` + strings.Repeat("x", maxBodyBytes) + `"}}`
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/connectors", big},
		{"PUT", "/connectors/huge/config", `{"big":"` + strings.Repeat("x", maxBodyBytes) + `"}`},
		{"PATCH", "/connectors/c1/config", `{"big":"` + strings.Repeat("x", maxBodyBytes) + `"}`},
	} {
		r := do(h, tc.method, tc.path, tc.body)
		if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(string(r.body), "exceeds the limit of 16777216 bytes") {
			t.Errorf("%s %s: %d %.200s, want 413 naming the limit", tc.method, tc.path, r.status, r.body)
		}
	}
	fits := `{"big":"` + strings.Repeat("x", maxBodyBytes-len(`{"big":""}`)) + `"}`
	if r := do(h, "PATCH", "/connectors/c1/config", fits); r.status == http.StatusRequestEntityTooLarge || strings.Contains(string(r.body), "Malformed") {
		t.Errorf("a body of exactly the limit: %d %.200s", r.status, r.body)
	}
}
