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
