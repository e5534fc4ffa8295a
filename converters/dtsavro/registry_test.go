package dtsavro

import (
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/linkedin/goavro/v2"

	"github.com/sluicehq/sluice/converters/dtsavro/dtstest"
)

// fakeRegistry serves the Schema Registry endpoints srclient uses to
// register a schema and fetch it by id.
type fakeRegistry struct {
	mu       sync.Mutex
	schemas  []string
	subjects map[string]int
	posts    int
	auth     string
}

func (r *fakeRegistry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if u, p, ok := req.BasicAuth(); ok {
		r.auth = u + ":" + p
	}
	w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	switch {
	case req.Method == http.MethodPost && strings.HasPrefix(req.URL.Path, "/subjects/") && strings.HasSuffix(req.URL.Path, "/versions"):
		var body struct{ Schema string }
		if err := json.NewDecoder(req.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		r.posts++
		subject := strings.TrimSuffix(strings.TrimPrefix(req.URL.Path, "/subjects/"), "/versions")
		r.schemas = append(r.schemas, body.Schema)
		id := len(r.schemas) + 100
		r.subjects[subject] = id
		json.NewEncoder(w).Encode(map[string]int{"id": id})
	case req.Method == http.MethodGet && strings.HasPrefix(req.URL.Path, "/schemas/ids/"):
		id, _ := strconv.Atoi(strings.TrimPrefix(req.URL.Path, "/schemas/ids/"))
		if id-101 < 0 || id-101 >= len(r.schemas) {
			w.WriteHeader(404)
			json.NewEncoder(w).Encode(map[string]any{"error_code": 40403, "message": "Schema not found"})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"schema": r.schemas[id-101]})
	default:
		w.WriteHeader(404)
	}
}

func TestSchemaRegistry(t *testing.T) {
	reg := &fakeRegistry{subjects: map[string]int{}}
	srv := httptest.NewServer(reg)
	defer srv.Close()
	c := newConv(t, map[string]string{KeySchemaRegistryURL: srv.URL, KeyBasicAuthSource: "USER_INFO", KeyBasicAuthUserInfo: "dts:s3cret"})
	o := dtstest.NewOrders(6)
	codec := oracle(t)
	for i := 0; i < 3; i++ {
		b, err := c.FromConnectData("orders", nil, o.Envelope, o.Insert("", 1))
		if err != nil {
			t.Fatal(err)
		}
		if b[0] != 0 || binary.BigEndian.Uint32(b[1:5]) != 101 {
			t.Fatalf("framing % x", b[:5])
		}
		decodeNative(t, codec, b[5:])
		sv, err := c.ToConnectData("orders", nil, b)
		if err != nil || sv.Value == nil {
			t.Fatalf("read back: %v", err)
		}
	}
	if reg.posts != 1 || reg.subjects["orders-value"] != 101 {
		t.Errorf("registered %d times, subjects %v; want once under orders-value", reg.posts, reg.subjects)
	}
	if reg.auth != "dts:s3cret" {
		t.Errorf("basic auth %q", reg.auth)
	}
	// The registered schema is the self-contained Record, usable on its own.
	if _, err := goavro.NewCodec(reg.schemas[0]); err != nil {
		t.Errorf("registered schema does not compile: %v", err)
	}
	// An id the registry does not know is an error, not a panic.
	bad := []byte{0, 0, 0, 0, 9, 0}
	if _, err := c.ToConnectData("orders", nil, bad); err == nil {
		t.Error("unknown schema id accepted")
	}
	if _, err := c.ToConnectData("orders", nil, []byte{1, 2}); err == nil {
		t.Error("unframed message accepted with a registry configured")
	}
}

func TestRegistryUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	c := newConv(t, map[string]string{KeySchemaRegistryURL: "http://u:topsecret@" + strings.TrimPrefix(srv.URL, "http://")})
	o := dtstest.NewOrders(6)
	_, err := c.FromConnectData("orders", nil, o.Envelope, o.Insert("", 1))
	if err == nil {
		t.Fatal("no error from an unreachable registry")
	}
	if strings.Contains(err.Error(), "topsecret") {
		t.Errorf("error shows the password: %v", err)
	}
	if !strings.Contains(err.Error(), "orders-value") {
		t.Errorf("error does not name the subject: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, props := range []map[string]string{
		{KeySnapshotOperation: "LOAD"},
		{KeyTextFormat: "blob"},
		{KeyBinaryHandlingMode: "octal"},
		{KeySchemaRegistryURL: "localhost:8081"},
		{KeySchemaRegistryURL: "http://r", KeyBasicAuthSource: "USER_INFO", KeyBasicAuthUserInfo: "nocolon"},
		{KeySchemaRegistryURL: "http://r", KeyBasicAuthSource: "SASL_INHERIT"},
	} {
		if err := New().Configure(props, false); err == nil {
			t.Errorf("%v accepted", props)
		} else if strings.Contains(err.Error(), "nocolon") {
			t.Errorf("error shows the secret: %v", err)
		}
	}
}
