package rest

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ForwardError is returned by a distributed herder when another worker must
// serve the request: the leader for config writes (Kafka Connect's
// NotLeaderException) or the owner of a connector or task for restarts
// (NotAssignedException). The REST layer sends the request there and relays
// the answer, at most two hops (follower → leader → owner).
type ForwardError struct {
	// URL is the target worker's advertised REST URL, e.g. http://h:8083/.
	URL string
	// Reason is for logs: why this worker cannot serve the request.
	Reason string
}

func (e *ForwardError) Error() string {
	return fmt.Sprintf("%s; the request must be served by %s", e.Reason, e.URL)
}

// NotLeader is the error for a leader-only request on a follower; with no
// known leader it is Kafka Connect's 409.
func NotLeader(leaderURL string) error {
	if leaderURL == "" {
		return Conflict("Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.")
	}
	return &ForwardError{URL: leaderURL, Reason: "this worker is not the leader"}
}

type bodyKey struct{}

type clientKey struct{}

// keepBody reads the request body into memory so that it can be sent again
// if the herder answers with a ForwardError, and hands the request the
// client to forward it with. A body over maxBodyBytes is answered 413 here,
// before any handler sees a truncated copy.
func keepBody(next http.Handler, client *http.Client) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(context.WithValue(r.Context(), clientKey{}, client))
		if r.Body != nil && r.Body != http.NoBody && (r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch) {
			b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
			r.Body.Close()
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeError(w, errBodyTooLarge.Status, errBodyTooLarge.Message)
				return
			}
			if err != nil {
				writeError(w, http.StatusBadRequest, "Could not read the request body: "+err.Error())
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), bodyKey{}, b))
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		next.ServeHTTP(w, r)
	})
}

var forwardClient = &http.Client{
	Timeout: DefaultRequestTimeout + 5*time.Second,
	// Kafka Connect's forwarder does not follow redirects.
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// InterWorkerClient is the client a worker calls other workers' REST
// listeners with, trusting and presenting what cfg says (nil: the system's
// roots, no client certificate). It does not follow redirects.
func InterWorkerClient(cfg *tls.Config) *http.Client {
	if cfg == nil {
		return forwardClient
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	return &http.Client{Timeout: forwardClient.Timeout, CheckRedirect: forwardClient.CheckRedirect, Transport: tr}
}

// forwardIfAsked serves err when it is a ForwardError and reports whether it
// did.
func forwardIfAsked(w http.ResponseWriter, r *http.Request, err error) bool {
	var fe *ForwardError
	if !errors.As(err, &fe) {
		return false
	}
	forward(w, r, fe.URL)
	return true
}

// forward applies Kafka Connect's hop rule: a user request goes on with
// forward=true, a forwarded one with forward=false, and one that already
// made both hops is a 409.
func forward(w http.ResponseWriter, r *http.Request, target string) {
	q := r.URL.Query()
	next := "true"
	switch strings.ToLower(q.Get("forward")) {
	case "true":
		next = "false"
	case "false":
		writeError(w, http.StatusConflict, "Cannot complete request because of a conflicting operation (e.g. worker rebalance)")
		return
	}
	q.Set("forward", next)
	path := r.URL.EscapedPath()
	u := strings.TrimRight(target, "/") + path + "?" + q.Encode()
	if _, err := url.Parse(u); err != nil {
		writeError(w, http.StatusInternalServerError, "IO Error trying to forward REST request: "+err.Error())
		return
	}
	var body io.Reader
	b, _ := r.Context().Value(bodyKey{}).([]byte)
	if b != nil {
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u, body)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "IO Error trying to forward REST request: "+err.Error())
		return
	}
	if a := r.Header.Get("Authorization"); a != "" {
		req.Header.Set("Authorization", a)
	}
	req.Header.Set("User-Agent", "kafka-connect")
	req.Header.Set("Accept", "application/json")
	if b != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client, _ := r.Context().Value(clientKey{}).(*http.Client)
	if client == nil {
		client = forwardClient
	}
	resp, err := client.Do(req)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "IO Error trying to forward REST request: "+err.Error())
		return
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "IO Error trying to forward REST request: "+err.Error())
		return
	}
	switch {
	case resp.StatusCode == http.StatusNoContent:
		w.WriteHeader(http.StatusNoContent)
	case resp.StatusCode >= 200 && resp.StatusCode < 300, resp.StatusCode >= 400 && resp.StatusCode < 600:
		if len(data) > 0 {
			ct := resp.Header.Get("Content-Type")
			if ct == "" {
				ct = "application/json"
			}
			w.Header().Set("Content-Type", ct)
		}
		if loc := relayedLocation(r, resp.Header.Get("Location")); loc != "" {
			w.Header().Set("Location", loc)
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(data)
	default:
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("Unexpected status code when handling forwarded request: %d", resp.StatusCode))
	}
}

// relayedLocation is the Location of a forwarded create as the receiving
// worker answers it. Kafka Connect builds the 201's Location on the worker
// the client called, from the relative /connectors/{name} (the forwarded
// call only returns the entity), so the leader's path is kept and its
// scheme and host are replaced by those the client used.
func relayedLocation(r *http.Request, leaderLoc string) string {
	if leaderLoc == "" {
		return ""
	}
	u, err := url.Parse(leaderLoc)
	if err != nil {
		return ""
	}
	return requestURL(r, u.Path, u.RawPath)
}
