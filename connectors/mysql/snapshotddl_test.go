package mysql

import (
	"testing"

	"github.com/sluicehq/sluice/connect"
)

// A schema snapshot record's source sits at another field than a row's:
// marking it last (a snapshot without rows) must change its source.
func TestSetSnapshotMarkerSchemaChange(t *testing.T) {
	source := SourceSchema("10.11.0-MariaDB")
	ddlSchema := schemaChangeValueSchema(source)
	src := (&sourceInfo{prefix: "srv", snapshot: "true", db: "shop"}).build(source)
	val := connect.NewStructs(ddlSchema, []any{src, int64(1), "shop", nil, "USE `shop`", []any{}})
	r := &connect.SourceRecord{ValueSchema: ddlSchema, Value: val}
	setSnapshotMarker(r, "last")
	got := r.Value.(*connect.Struct).Get("source").(*connect.Struct).GetString("snapshot")
	if got != "last" {
		t.Fatalf("source.snapshot %q, want last", got)
	}
	if err := r.Value.(*connect.Struct).Validate(); err != nil {
		t.Fatal(err)
	}
}

// The schema snapshot's flag survives the offset: a resumed snapshot
// does not write it again.
func TestSnapshotStateDDLFlag(t *testing.T) {
	st, ok := parseSnapshotState(map[string]any{OffsetSnapshotState: `{"v":1,"ddl":true}`})
	if !ok || !st.DDL {
		t.Fatalf("state %+v ok %v", st, ok)
	}
	sn := newSnapshotter(&Options{IncludeSchemaChanges: true}, nil, &Server{}, nil, st)
	if sn.schemaSnapshotWanted() || !sn.state.DDL {
		t.Fatalf("a resumed snapshot whose offset notes the schema snapshot writes it again (state %+v)", sn.state)
	}
	if sn := newSnapshotter(&Options{IncludeSchemaChanges: true}, nil, &Server{}, nil, nil); !sn.schemaSnapshotWanted() {
		t.Fatal("a fresh snapshot writes no schema snapshot")
	}
	if sn := newSnapshotter(&Options{IncludeSchemaChanges: true, SkipSnapshotSchemaChanges: true}, nil, &Server{}, nil, nil); sn.schemaSnapshotWanted() {
		t.Fatal("a snapshot writes a schema snapshot its converter declines")
	}
}
