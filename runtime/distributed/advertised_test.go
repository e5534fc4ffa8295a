package distributed

import (
	"log/slog"
	"testing"

	"github.com/sluicehq/sluice/runtime"
	"github.com/twmb/franz-go/pkg/kgo"
)

// A worker on listeners=http://127.0.0.1:0 gets its port when the REST
// server binds: the herder must then advertise that port (URL in the group
// metadata, worker id, group client id), or two such workers would share
// the id 127.0.0.1:0 and could not forward requests to each other.
func TestHerderAdvertisesBoundPort(t *testing.T) {
	props := map[string]string{"bootstrap.servers": "127.0.0.1:1", "group.id": "g", "key.converter": "k", "value.converter": "v",
		"config.storage.topic": "c", "offset.storage.topic": "o", "status.storage.topic": "s", "listeners": "http://127.0.0.1:0"}
	wc, err := runtime.ParseWorkerConfig(props)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := ParseConfig(props)
	if err != nil {
		t.Fatal(err)
	}
	h := &Herder{w: runtime.NewWorker(wc, nil, runtime.WorkerOptions{}), cfg: dc, log: slog.Default()}
	h.setURL()
	if h.member, err = h.newMember(); err != nil {
		t.Fatal(err)
	}
	defer func() { h.member.close() }()
	if err := h.ListenersBound([]string{"http://127.0.0.1:40123"}); err != nil {
		t.Fatal(err)
	}
	if h.URL() != "http://127.0.0.1:40123/" || h.WorkerID() != "127.0.0.1:40123" {
		t.Errorf("advertised %s as %s, want http://127.0.0.1:40123/ as 127.0.0.1:40123", h.URL(), h.WorkerID())
	}
	if id := h.member.cl.OptValue(kgo.ClientID); id != "connect-127.0.0.1:40123" {
		t.Errorf("group client id = %v, want connect-127.0.0.1:40123", id)
	}
}
