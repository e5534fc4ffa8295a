package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// requestTimeout is above the worker's own 90 s herder timeout, so a slow
// operation ends with the server's "Request timed out" message rather than
// ours.
const requestTimeout = 100 * time.Second

// client speaks the Kafka Connect REST API to one cluster.
type client struct {
	t    *target
	http *http.Client
}

func newClient(t *target) (*client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = http.ProxyFromEnvironment
	if strings.HasPrefix(t.ctx.Cluster, "https://") || t.ctx.CAFile != "" || t.ctx.CertFile != "" || t.ctx.Insecure {
		tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.ctx.Insecure} //nolint:gosec // only when the user asked for it
		if t.ctx.CAFile != "" {
			pem, err := os.ReadFile(t.ctx.CAFile)
			if err != nil {
				return nil, fmt.Errorf("context %q: ca-file: %w", t.name, err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("context %q: ca-file %s holds no PEM certificate", t.name, t.ctx.CAFile)
			}
			tc.RootCAs = pool
		}
		if (t.ctx.CertFile == "") != (t.ctx.KeyFile == "") {
			return nil, fmt.Errorf("context %q: cert-file and key-file go together; set both or neither", t.name)
		}
		if t.ctx.CertFile != "" {
			pair, err := tls.LoadX509KeyPair(t.ctx.CertFile, t.ctx.KeyFile)
			if err != nil {
				return nil, fmt.Errorf("context %q: client certificate: %w", t.name, err)
			}
			tc.Certificates = []tls.Certificate{pair}
		}
		tr.TLSClientConfig = tc
	}
	return &client{t: t, http: &http.Client{
		Transport: tr,
		Timeout:   requestTimeout,
		// The Connect API never redirects; following one with a PUT body
		// would silently drop it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}, nil
}

// apiError is an error answer of the server, shown as it said it.
type apiError struct {
	Status  int
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%s (%d)", e.Message, e.Status) }

func isStatus(err error, status int) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Status == status
}

// connError is a request that never got an HTTP answer. context is empty
// when --cluster gave the URL.
type connError struct {
	url, context string
	err          error
}

func (e *connError) Error() string {
	if e.context == "" {
		return fmt.Sprintf("cannot reach %s: %s", e.url, e.err)
	}
	return fmt.Sprintf("cannot reach %s (context %q): %s", e.url, e.context, e.err)
}

func (e *connError) Unwrap() error { return e.err }

// rootCause strips url.Error and net.OpError wrappers down to what the
// user can act on ("connection refused", "no such host", a TLS error).
func rootCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		err = oe.Err
	}
	var se *os.SyscallError
	if errors.As(err, &se) {
		err = se.Err
	}
	return err
}

// path joins escaped path segments: connector names may contain '/' or
// spaces.
func path(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// response is a successful answer.
type response struct {
	status int
	body   []byte
}

// do sends one request; body, if not nil, is sent as JSON. Any status >= 400
// becomes an *apiError.
func (c *client) do(ctx context.Context, method, p string, query url.Values, body any) (*response, error) {
	u := c.t.ctx.Cluster + p
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(body); err != nil {
			return nil, err
		}
		rd = &buf
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c.identify(req)
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &connError{url: c.t.ctx.Cluster, context: c.t.urlContext(), err: rootCause(err)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, &connError{url: c.t.ctx.Cluster, context: c.t.urlContext(), err: fmt.Errorf("reading the answer to %s %s: %w", method, p, rootCause(err))}
	}
	if resp.StatusCode >= 400 {
		return nil, errorFromBody(resp.StatusCode, b)
	}
	return &response{status: resp.StatusCode, body: b}, nil
}

// errorFromBody reads Kafka Connect's {"error_code","message"}; anything else
// (a proxy's HTML page) is summarised.
func errorFromBody(status int, b []byte) error {
	var eb struct {
		ErrorCode int     `json:"error_code"`
		Message   *string `json:"message"`
	}
	if json.Unmarshal(b, &eb) == nil && eb.Message != nil {
		return &apiError{Status: status, Message: *eb.Message}
	}
	msg := strings.TrimSpace(string(b))
	if len(msg) > 200 || msg == "" || strings.HasPrefix(msg, "<") {
		msg = http.StatusText(status)
	}
	return &apiError{Status: status, Message: msg}
}

// getJSON decodes a GET answer into out and returns the raw body for -o json.
func (c *client) getJSON(ctx context.Context, p string, query url.Values, out any) ([]byte, error) {
	r, err := c.do(ctx, http.MethodGet, p, query, nil)
	if err != nil {
		return nil, err
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			return nil, fmt.Errorf("unexpected answer to GET %s: %v", p, err)
		}
	}
	return r.body, nil
}

// identify names sluicectl and the context's credentials on a request.
func (c *client) identify(req *http.Request) {
	req.Header.Set("User-Agent", "sluicectl/"+Version)
	if c.t.ctx.Username != "" || c.t.ctx.Password != "" {
		req.SetBasicAuth(c.t.ctx.Username, c.t.ctx.Password)
	}
}
