package mysql

import (
	"testing"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/converters/simpleheader"
)

// A key change's delete carries the new key, its tombstone the same, and
// its create the old key, each with the key schema (Debezium's
// emitUpdateAsPrimaryKeyChangeRecord); SimpleHeaderConverter writes the
// struct as Kafka's Values.convertToString does.
func TestKeyChangeHeaders(t *testing.T) {
	r := routerFor(t)
	ts := routeTestSchema(t, r)
	before, after := []any{int32(1), "eu", "zoe"}, []any{int32(2), "eu", "zoe"}
	oldKey, _ := ts.key(before)
	newKey, _ := ts.key(after)
	del := &connect.SourceRecord{Topic: ts.topic, KeySchema: ts.keySchema, Key: oldKey, ValueSchema: ts.envelope,
		Value: connect.NewStructs(ts.envelope, []any{nil, nil, nil, nil, "d", nil, nil, nil})}
	cr := &connect.SourceRecord{Topic: ts.topic, KeySchema: ts.keySchema, Key: newKey, ValueSchema: ts.envelope,
		Value: connect.NewStructs(ts.envelope, []any{nil, nil, nil, nil, "c", nil, nil, nil})}
	linkKeyChange(del, cr)
	tomb := tombstone(del, connect.LazyOffset{})

	hc := simpleheader.NewConverter()
	check := func(what string, rec *connect.SourceRecord, name, absent string, key *connect.Struct, text string) {
		t.Helper()
		if len(rec.Headers) != 1 {
			t.Fatalf("%s: headers %v", what, rec.Headers)
		}
		h, ok := rec.Headers.Last(name)
		if !ok || h.Value != key || h.Schema != ts.keySchema {
			t.Fatalf("%s: %s = %+v, want the key %v with the key schema", what, name, h, key)
		}
		if _, ok := rec.Headers.Last(absent); ok {
			t.Errorf("%s has %s", what, absent)
		}
		b, err := hc.FromConnectHeader(rec.Topic, h.Key, h.Schema, h.Value)
		if err != nil || string(b) != text {
			t.Errorf("%s: header text %q (%v), want %q", what, b, err, text)
		}
	}
	check("delete", del, HeaderPKNewKey, HeaderPKOldKey, newKey, `{"id":2,"region":"eu"}`)
	check("tombstone", tomb, HeaderPKNewKey, HeaderPKOldKey, newKey, `{"id":2,"region":"eu"}`)
	check("create", cr, HeaderPKOldKey, HeaderPKNewKey, oldKey, `{"id":1,"region":"eu"}`)

	// Headers added to the delete later (the commit marker) stay off its
	// tombstone, and the reverse.
	del.Headers.AddString(CommitHeader, "true")
	tomb.Headers.AddString("x", "y")
	if len(tomb.Headers) != 2 || tomb.Headers[1].Key != "x" || len(del.Headers) != 2 || del.Headers[1].Key != CommitHeader {
		t.Errorf("delete %v and tombstone %v share headers", del.Headers, tomb.Headers)
	}

	// key.mode=none: no keys, no headers.
	d2, c2 := &connect.SourceRecord{}, &connect.SourceRecord{}
	linkKeyChange(d2, c2)
	if d2.Headers != nil || c2.Headers != nil {
		t.Errorf("keyless records got headers %v %v", d2.Headers, c2.Headers)
	}
	// A plain delete's tombstone stays without headers.
	if tb := tombstone(&connect.SourceRecord{Key: oldKey}, connect.LazyOffset{}); tb.Headers != nil {
		t.Errorf("plain tombstone headers %v", tb.Headers)
	}
}
