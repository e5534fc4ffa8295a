package rest

import (
	"context"
	"encoding/json"
	"net/http"
)

// Kafka Connect's internal-request signature headers (KIP-507).
const (
	HeaderSignature          = "X-Connect-Authorization"
	HeaderSignatureAlgorithm = "X-Connect-Request-Signature-Algorithm"
)

// InternalRequest carries what a herder needs to verify a signed
// worker-to-worker request: the exact body bytes and the signature headers.
type InternalRequest struct {
	Body      []byte
	Signature string
	Algorithm string
}

// TaskConfigWriter is an optional Herder extension for Kafka Connect's
// internal POST /connectors/{c}/tasks: the owner of a connector that is not
// the leader sends the task configs it generated, and the leader writes
// them. With a herder without it (standalone) the route stays unserved:
// 405, as before the route existed.
type TaskConfigWriter interface {
	PutTaskConfigs(ctx context.Context, connector string, configs []map[string]string, req InternalRequest) error
}

func (a *api) putTaskConfigs(w http.ResponseWriter, r *http.Request) {
	tw, ok := a.h.(TaskConfigWriter)
	if !ok {
		writeError(w, http.StatusMethodNotAllowed, msgMethodNotAllowed)
		return
	}
	c, ok := connectorVar(w, r)
	if !ok {
		return
	}
	body, _ := r.Context().Value(bodyKey{}).([]byte)
	var configs []map[string]string
	if err := json.Unmarshal(body, &configs); err != nil {
		writeError(w, http.StatusBadRequest, "The body must be a JSON array of task configs (objects of strings): "+err.Error())
		return
	}
	req := InternalRequest{Body: body, Signature: r.Header.Get(HeaderSignature), Algorithm: r.Header.Get(HeaderSignatureAlgorithm)}
	if !a.call(w, r, func(ctx context.Context) error { return tw.PutTaskConfigs(ctx, c, configs, req) }) {
		return
	}
	writeNoContent(w, http.StatusNoContent)
}

// ZombieFencer is an optional Herder extension for Kafka Connect's
// internal PUT /connectors/{c}/fence (KIP-618): a worker about to start an
// exactly-once connector's tasks of a new generation asks the leader to
// fence the producers of the previous one. Without it the route answers
// 405.
type ZombieFencer interface {
	FenceZombies(ctx context.Context, connector string, req InternalRequest) error
}

func (a *api) fenceZombies(w http.ResponseWriter, r *http.Request) {
	zf, ok := a.h.(ZombieFencer)
	if !ok {
		writeError(w, http.StatusMethodNotAllowed, msgMethodNotAllowed)
		return
	}
	c, ok := connectorVar(w, r)
	if !ok {
		return
	}
	body, _ := r.Context().Value(bodyKey{}).([]byte)
	req := InternalRequest{Body: body, Signature: r.Header.Get(HeaderSignature), Algorithm: r.Header.Get(HeaderSignatureAlgorithm)}
	if !a.call(w, r, func(ctx context.Context) error { return zf.FenceZombies(ctx, c, req) }) {
		return
	}
	writeNoContent(w, http.StatusNoContent)
}
