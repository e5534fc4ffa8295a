package rest

import (
	"testing"

	"github.com/sluicehq/sluice/rest/resttest"
)

// TestOpenAPIConformance walks every endpoint of the handler (over the
// in-memory herder) and validates each typed answer against Kafka's
// published OpenAPI spec. integration/rest_conformance_test.go does the same
// against a running worker.
func TestOpenAPIConformance(t *testing.T) {
	doc := resttest.LoadSpec(t)
	registerFakePlugins()
	h := NewHandler(newFakeHerder(), Options{Version: "4.3.0", Commit: "abc", Logger: quietLog, AdminEnabled: true})
	c := resttest.New(t, doc, "http://worker", resttest.HandlerDo(h))
	resttest.Walk(t, c, resttest.WalkConfig{
		Connector: "walk me",
		Config:    map[string]string{"connector.class": "FakeSource", "topic": "t", "tasks.max": "2"},
		Plugin:    "FakeSource",
		Offsets:   []map[string]any{{"partition": map[string]any{"filename": "/a"}, "offset": map[string]any{"position": 5}}},
		Logger:    "sluice.runtime",
	})
	// The validate answer with null definitions, null defaults and a
	// password, which the walk's valid config does not produce.
	c.Expect(200, "PUT", "/connector-plugins/FakeSource/config/validate", map[string]string{"connector.class": "FakeSource", "batch.size": "0", "secret": "x"})
}
