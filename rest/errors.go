package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
)

// errorBody is Kafka Connect's ErrorMessage entity.
type errorBody struct {
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
}

// Jersey's own messages for unmatched routes and methods, which Kafka Connect
// renders through its exception mapper; clients that match on them keep working.
const (
	msgNotFound         = "HTTP 404 Not Found"
	msgMethodNotAllowed = "HTTP 405 Method Not Allowed"
)

// writeJSON renders v with HTML escaping off: Jackson does not escape <, >
// and &, and configs (regexes, JDBC URLs) are full of them.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only a value the herder built can get here (e.g. a NaN in an
		// offset); report it in the error shape instead of half a body.
		status = http.StatusInternalServerError
		buf.Reset()
		_ = json.NewEncoder(&buf).Encode(errorBody{ErrorCode: status, Message: "Failed to serialize the response: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeNoContent answers a status that has no body. Such responses carry no
// JSON content type, as Kafka Connect's do.
func writeNoContent(w http.ResponseWriter, status int) {
	w.Header().Del("Content-Type")
	w.WriteHeader(status)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{ErrorCode: status, Message: msg})
}

// writeHerderError maps an error from the herder (or from request parsing) to
// Kafka Connect's error shape. ctx is the request's herder context, so that an
// expired deadline reads as Kafka's "Request timed out" whatever error the
// herder wrapped it in.
func (a *api) writeHerderError(w http.ResponseWriter, r *http.Request, ctx context.Context, err error) {
	if forwardIfAsked(w, r, err) {
		return
	}
	var e *Error
	switch {
	case errors.As(err, &e):
		status := e.Status
		if status < 400 || status > 599 {
			status = http.StatusInternalServerError
		}
		writeError(w, status, e.Message)
	case errors.Is(err, context.DeadlineExceeded) || (ctx != nil && errors.Is(ctx.Err(), context.DeadlineExceeded)):
		a.log.Warn("REST request timed out", "method", r.Method, "path", r.URL.Path, "err", err)
		msg := "Request timed out"
		if err != context.DeadlineExceeded {
			// The herder's wrapping says which stage was stuck.
			msg += ". " + err.Error()
		}
		writeError(w, http.StatusInternalServerError, msg)
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads this, but keep the shape.
		writeError(w, http.StatusInternalServerError, "Request interrupted")
	default:
		a.log.Error("REST request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}

// recoverPanics turns a panic anywhere below into a 500 in the error shape, so
// no request can take the worker down.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.Error("panic while serving REST request", "method", r.Method, "path", r.URL.Path, "panic", p)
				writeError(w, http.StatusInternalServerError, "Internal error while handling the request; see the worker log")
			}
		}()
		next.ServeHTTP(w, r)
	})
}
