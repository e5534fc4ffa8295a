package runtime

import "testing"

// The URL a worker gives other workers follows Kafka Connect's
// RestServer.advertisedUrl: rest.advertised.listener picks the listener (http
// or https); unset, an http listener wins over an https one whatever their
// order; rest.advertised.host.name / .port override its host and port.
func TestAdvertisedListener(t *testing.T) {
	for _, tc := range []struct {
		props      map[string]string
		scheme, id string
	}{
		{map[string]string{"listeners": "http://127.0.0.1:8083"}, "http", "127.0.0.1:8083"},
		{map[string]string{"listeners": "https://127.0.0.1:8443"}, "https", "127.0.0.1:8443"},
		{map[string]string{"listeners": "http://127.0.0.1:8083,https://10.0.0.5:8443", "rest.advertised.listener": "https"}, "https", "10.0.0.5:8443"},
		{map[string]string{"listeners": "http://127.0.0.1:8083,https://10.0.0.5:8443", "rest.advertised.listener": "HTTPS", "rest.advertised.host.name": "w1.example"}, "https", "w1.example:8443"},
		{map[string]string{"listeners": "https://10.0.0.5:8443,http://127.0.0.1:8083"}, "http", "127.0.0.1:8083"},
		{map[string]string{"listeners": "https://10.0.0.5:8443,http://127.0.0.1:8083", "rest.advertised.listener": "https", "rest.advertised.port": "9443"}, "https", "10.0.0.5:9443"},
	} {
		props := map[string]string{"bootstrap.servers": "b:9092", "key.converter": "k", "value.converter": "v"}
		for k, v := range tc.props {
			props[k] = v
		}
		w, err := ParseWorkerConfig(props)
		if err != nil {
			t.Fatal(err)
		}
		if s, id := w.AdvertisedScheme(), w.AdvertisedHostPort("thishost"); s != tc.scheme || id != tc.id {
			t.Errorf("%v: advertised %s://%s, want %s://%s", tc.props, s, id, tc.scheme, tc.id)
		}
	}
}

// A listener on port 0 is bound to a free port only when the REST server
// starts: the worker then advertises that port, keeping the listener's
// host; rest.advertised.* still win.
func TestAdvertisedBoundPort(t *testing.T) {
	for _, tc := range []struct {
		props map[string]string
		bound []string
		id    string
	}{
		{map[string]string{"listeners": "http://127.0.0.1:0"}, []string{"http://127.0.0.1:40123"}, "127.0.0.1:40123"},
		{map[string]string{"listeners": "http://localhost:0"}, []string{"http://127.0.0.1:40123"}, "localhost:40123"},
		{map[string]string{"listeners": "http://:0"}, []string{"http://[::]:40123"}, "thishost:40123"},
		{map[string]string{"listeners": "http://127.0.0.1:8083"}, []string{"http://127.0.0.1:8083"}, "127.0.0.1:8083"},
		{map[string]string{"listeners": "http://127.0.0.1:0"}, nil, "127.0.0.1:0"},
		{map[string]string{"listeners": "http://127.0.0.1:0", "rest.advertised.port": "9000"}, []string{"http://127.0.0.1:40123"}, "127.0.0.1:9000"},
		{map[string]string{"listeners": "http://127.0.0.1:0", "rest.advertised.host.name": "w1.example"}, []string{"http://127.0.0.1:40123"}, "w1.example:40123"},
		{map[string]string{"listeners": "https://10.0.0.5:0,http://127.0.0.1:0"}, []string{"https://10.0.0.5:1111", "http://127.0.0.1:2222"}, "127.0.0.1:2222"},
		{map[string]string{"listeners": "https://10.0.0.5:0,http://127.0.0.1:0", "rest.advertised.listener": "https"}, []string{"https://10.0.0.5:1111", "http://127.0.0.1:2222"}, "10.0.0.5:1111"},
	} {
		props := map[string]string{"bootstrap.servers": "b:9092", "key.converter": "k", "value.converter": "v"}
		for k, v := range tc.props {
			props[k] = v
		}
		w, err := ParseWorkerConfig(props)
		if err != nil {
			t.Fatal(err)
		}
		if id := w.AdvertisedHostPortBound("thishost", tc.bound); id != tc.id {
			t.Errorf("%v bound at %v: advertised %s, want %s", tc.props, tc.bound, id, tc.id)
		}
	}
}

func TestWorkerListenersBound(t *testing.T) {
	props := map[string]string{"bootstrap.servers": "b:9092", "key.converter": "k", "value.converter": "v", "listeners": "http://127.0.0.1:0"}
	wc, err := ParseWorkerConfig(props)
	if err != nil {
		t.Fatal(err)
	}
	w := NewWorker(wc, nil, WorkerOptions{})
	if id := w.ListenersBound([]string{"http://127.0.0.1:40123"}); id != "127.0.0.1:40123" || w.ID() != id {
		t.Errorf("worker id after binding = %s (ID %s), want 127.0.0.1:40123", id, w.ID())
	}
	// An id the caller chose is kept.
	fixed := NewWorker(wc, nil, WorkerOptions{WorkerID: "test:8083"})
	if id := fixed.ListenersBound([]string{"http://127.0.0.1:40123"}); id != "test:8083" {
		t.Errorf("fixed worker id became %s", id)
	}
}
