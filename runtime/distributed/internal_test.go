package distributed

import (
	"context"
	"testing"

	"github.com/sluicehq/sluice/rest"
)

func TestInternalTaskConfigSignature(t *testing.T) {
	s, _ := newTestConfigStore()
	h := &Herder{configs: s, protocol: ProtocolSessioned}
	body := []byte(`[{"a":"b"}]`)
	check := func(name string, req rest.InternalRequest, want int) {
		t.Helper()
		err := h.PutTaskConfigs(context.Background(), "c", []map[string]string{{"a": "b"}}, req)
		if got := rest.StatusOf(err); got != want {
			t.Errorf("%s: status %d (%v), want %d", name, got, err, want)
		}
	}
	check("unsigned", rest.InternalRequest{Body: body}, 400)
	check("unknown algorithm", rest.InternalRequest{Body: body, Signature: "x", Algorithm: "HmacMD5"}, 400)
	check("no session key read yet", rest.InternalRequest{Body: body, Signature: "x", Algorithm: signatureAlgorithm}, 503)
	feed(s, rec{"session-key", `{"key":"c2VjcmV0LWtleQ==","algorithm":"HmacSHA256","creation-timestamp":1}`})
	check("bad signature", rest.InternalRequest{Body: body, Signature: sign([]byte("other"), body), Algorithm: signatureAlgorithm}, 403)
	check("signature of other bytes", rest.InternalRequest{Body: body, Signature: sign([]byte("secret-key"), []byte(`[]`)), Algorithm: signatureAlgorithm}, 403)
	// A valid signature passes; this worker has not joined, so the write
	// itself is refused with Kafka Connect's no-leader 409.
	check("valid signature", rest.InternalRequest{Body: body, Signature: sign([]byte("secret-key"), body), Algorithm: signatureAlgorithm}, 409)
	h.protocol = ProtocolCompatible
	check("compatible protocol needs no signature", rest.InternalRequest{Body: body}, 409)
}

func TestSignMatchesJavaHmacSHA256(t *testing.T) {
	// base64(HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog")),
	// the RFC 4231-style test vector every HMAC implementation agrees on.
	if got := sign([]byte("key"), []byte("The quick brown fox jumps over the lazy dog")); got != "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg=" {
		t.Errorf("sign = %s", got)
	}
}
