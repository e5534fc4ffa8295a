package schemaregistry

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/riferrei/srclient"
)

const (
	schemaA = `{"type":"record","name":"A","fields":[{"name":"x","type":"int"}]}`
	// schemaA2 is schemaA with other whitespace and key order: the same schema.
	schemaA2 = `{ "name": "A", "type": "record", "fields": [ {"type": "int", "name": "x"} ] }`
	schemaB  = `{"type":"record","name":"A","fields":[{"name":"x","type":"int"},{"name":"y","type":["null","string"],"default":null}]}`
)

func TestRegisterIsIdempotentAndIDsAreGlobal(t *testing.T) {
	s := ForTest(t)
	c := srclient.NewSchemaRegistryClient(s.URL())
	c.CachingEnabled(false)

	a, err := c.CreateSchema("t-value", schemaA, srclient.Avro)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.CreateSchema("t-value", schemaA2, srclient.Avro)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID() != a.ID() {
		t.Fatalf("re-registering the same schema gave id %d, want %d", again.ID(), a.ID())
	}
	other, err := c.CreateSchema("u-value", schemaA, srclient.Avro)
	if err != nil {
		t.Fatal(err)
	}
	if other.ID() != a.ID() {
		t.Fatalf("same schema under another subject gave id %d, want %d", other.ID(), a.ID())
	}
	b, err := c.CreateSchema("t-value", schemaB, srclient.Avro)
	if err != nil {
		t.Fatal(err)
	}
	if b.ID() == a.ID() {
		t.Fatal("a different schema got the same id")
	}

	versions, err := c.GetSchemaVersions("t-value")
	if err != nil || len(versions) != 2 || versions[0] != 1 || versions[1] != 2 {
		t.Fatalf("versions = %v, %v; want [1 2]", versions, err)
	}
	latest, err := c.GetLatestSchema("t-value")
	if err != nil || latest.ID() != b.ID() || latest.Version() != 2 || latest.Schema() != schemaB {
		t.Fatalf("latest = %+v, %v", latest, err)
	}
	v1, err := c.GetSchemaByVersion("t-value", 1)
	if err != nil || v1.ID() != a.ID() {
		t.Fatalf("version 1 = %+v, %v", v1, err)
	}
	byID, err := c.GetSchema(b.ID())
	if err != nil || byID.Schema() != schemaB {
		t.Fatalf("by id = %+v, %v", byID, err)
	}
	found, err := c.LookupSchema("t-value", schemaA2, srclient.Avro)
	if err != nil || found.ID() != a.ID() || found.Version() != 1 {
		t.Fatalf("lookup = %+v, %v", found, err)
	}
	subjects, err := c.GetSubjects()
	if err != nil || strings.Join(subjects, ",") != "t-value,u-value" {
		t.Fatalf("subjects = %v, %v", subjects, err)
	}
	pairs, err := c.GetSubjectVersionsById(a.ID())
	if err != nil || len(pairs) != 2 {
		t.Fatalf("subject versions by id = %v, %v", pairs, err)
	}
}

func TestErrorsCarryConfluentCodes(t *testing.T) {
	s := ForTest(t)
	c := srclient.NewSchemaRegistryClient(s.URL())
	if _, err := c.CreateSchema("t-value", schemaA, srclient.Avro); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		call func() error
		code int
	}{
		{"unknown id", func() error { _, err := c.GetSchema(999); return err }, 40403},
		{"unknown subject", func() error { _, err := c.GetLatestSchema("nope"); return err }, 40401},
		{"unknown version", func() error { _, err := c.GetSchemaByVersion("t-value", 7); return err }, 40402},
		{"lookup of an unregistered schema", func() error { _, err := c.LookupSchema("t-value", schemaB, srclient.Avro); return err }, 40403},
		{"invalid schema", func() error { _, err := c.CreateSchema("t-value", `{"type":"record"}`, srclient.Avro); return err }, 42201},
		{"not avro", func() error { _, err := c.CreateSchema("t-value", `{}`, srclient.Json); return err }, 42201},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var se srclient.Error
			if !errors.As(err, &se) || se.Code != tc.code {
				t.Fatalf("err = %v, want error_code %d", err, tc.code)
			}
		})
	}
}

func TestCompatibilityConfig(t *testing.T) {
	s := ForTest(t)
	c := srclient.NewSchemaRegistryClient(s.URL())
	g, err := c.GetGlobalCompatibilityLevel()
	if err != nil || *g != srclient.Backward {
		t.Fatalf("global = %v, %v", g, err)
	}
	if _, err := c.GetCompatibilityLevel("t-value", false); err == nil {
		t.Fatal("subject without its own level should be 40408 unless defaultToGlobal")
	}
	if lvl, err := c.GetCompatibilityLevel("t-value", true); err != nil || *lvl != srclient.Backward {
		t.Fatalf("defaultToGlobal = %v, %v", lvl, err)
	}
	if lvl, err := c.ChangeSubjectCompatibilityLevel("t-value", srclient.Full); err != nil || *lvl != srclient.Full {
		t.Fatalf("change = %v, %v", lvl, err)
	}
	if lvl, err := c.GetCompatibilityLevel("t-value", false); err != nil || *lvl != srclient.Full {
		t.Fatalf("subject level = %v, %v", lvl, err)
	}
	if _, err := c.ChangeSubjectCompatibilityLevel("t-value", "SIDEWAYS"); err == nil {
		t.Fatal("an unknown level was accepted")
	}
}

func TestDeletes(t *testing.T) {
	s := ForTest(t)
	c := srclient.NewSchemaRegistryClient(s.URL())
	c.CachingEnabled(false)
	a, _ := c.CreateSchema("t-value", schemaA, srclient.Avro)
	if _, err := c.CreateSchema("t-value", schemaB, srclient.Avro); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteSubjectByVersion("t-value", 2, false); err != nil {
		t.Fatal(err)
	}
	if l, err := c.GetLatestSchema("t-value"); err != nil || l.Version() != 1 {
		t.Fatalf("after deleting version 2, latest = %+v, %v", l, err)
	}
	if err := c.DeleteSubject("t-value", true); err != nil {
		t.Fatal(err)
	}
	if subs, _ := c.GetSubjects(); len(subs) != 0 {
		t.Fatalf("subjects after permanent delete = %v", subs)
	}
	// Ids stay resolvable after their subject is gone, as in the registry.
	if got, err := c.GetSchema(a.ID()); err != nil || got.Schema() != schemaA {
		t.Fatalf("schema by id after delete = %v, %v", got, err)
	}
}

func TestBasicAuth(t *testing.T) {
	s := ForTestWith(t, Options{Username: "alice", Password: "s3cret"})
	anon := srclient.NewSchemaRegistryClient(s.URL())
	_, err := anon.GetSubjects()
	var se srclient.Error
	if !errors.As(err, &se) || se.Code != 401 {
		t.Fatalf("anonymous request: %v, want 401", err)
	}
	c := srclient.NewSchemaRegistryClient(s.URL())
	c.SetCredentials("alice", "s3cret")
	if _, err := c.CreateSchema("t-value", schemaA, srclient.Avro); err != nil {
		t.Fatal(err)
	}
	wrong := srclient.NewSchemaRegistryClient(s.URL())
	wrong.SetCredentials("alice", "guess")
	if _, err := wrong.GetSubjects(); err == nil {
		t.Fatal("wrong password accepted")
	}
}

func TestPlainHTTPShapes(t *testing.T) {
	s := ForTest(t)
	body := `{"schema":` + mustJSON(schemaA) + `}`
	resp, err := http.Post(s.URL()+"/subjects/orders-value/versions", contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != `{"id":1}` {
		t.Fatalf("register: %d %s", resp.StatusCode, got)
	}
	resp, err = http.Get(s.URL() + "/schemas/ids/1")
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != contentType {
		t.Errorf("content type %q", ct)
	}
	if string(got) != `{"schema":`+mustJSON(schemaA)+`}` {
		t.Fatalf("by id: %s", got)
	}
	if s.Requests() != 2 {
		t.Fatalf("Requests() = %d, want 2", s.Requests())
	}
}

func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
