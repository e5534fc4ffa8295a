package schemaregistry

import "testing"

// ForTest starts a registry for t and closes it when t ends.
func ForTest(t testing.TB) *Server {
	t.Helper()
	return ForTestWith(t, Options{})
}

// ForTestWith is ForTest with options.
func ForTestWith(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := StartWith(opts)
	if err != nil {
		t.Fatalf("start schema registry: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close schema registry: %v", err)
		}
	})
	return s
}
