package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLMariaDBInetTypes: MariaDB's UUID, INET6 and INET4 columns,
// which the binlog carries as bytes, come out as the text MariaDB itself
// prints for them, from the stream and from the snapshot alike (IPv4-mapped
// and -compatible addresses, the zero address, a UUID key the snapshot
// pages through in chunks), and a row filter compares them as that text.
func TestMySQLMariaDBInetTypes(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE s",
		"CREATE TABLE s.t (id INT PRIMARY KEY, u UUID, i6 INET6, i4 INET4)",
		"CREATE TABLE s.k (u UUID PRIMARY KEY, n INT)")
	props := []string{"table.include.list", `s\.(t|k)`, "table.filter.conditions", `{"s.k": "u <> '00000000-0000-0000-0000-000000000003'"}`}
	offsets := &myOffsets{}
	stream := myStartTask(t, myStreamProps(m, props...), offsets)
	rows := []string{
		"(1, '123e4567-e89b-12d3-a456-426655440000', '2001:db8::ff00:42:8329', '192.168.0.1')",
		"(2, '550e8400-e29b-41d4-a716-446655440000', '::ffff:192.168.0.1', '0.0.0.0')",
		"(3, '00000000-0000-0000-0000-000000000000', '::', '255.255.255.255')",
		"(4, 'ffffffff-ffff-1fff-bfff-ffffffffff00', '::1.2.3.4', '10.0.0.1')",
		"(5, '6ccd780c-baba-1026-9564-5b8c656024db', '1::', NULL)",
		"(6, NULL, 'fe80::1:0:0:0', '1.2.3.4')",
		"(7, NULL, '::1', NULL)", "(8, NULL, '::2', NULL)", "(9, NULL, '::1:0:0', NULL)",
		"(10, NULL, '0:0:0:0:0:0:1:0', NULL)", "(11, NULL, '::0.1.2.3', NULL)",
	}
	for _, r := range rows {
		myExec(t, m, "INSERT INTO s.t VALUES "+r)
	}
	for i := 1; i <= 7; i++ {
		myExec(t, m, fmt.Sprintf("INSERT INTO s.k VALUES ('00000000-0000-0000-0000-%012d', %d)", i, i))
	}
	streamed := myPollN(t, stream, offsets, len(rows)+6) // s.k's row 3 is filtered out
	_ = stream.Stop()

	snap := myStartTask(t, myStreamProps(m, append(props, "snapshot.mode", "initial_only", "snapshot.chunk.size", "2")...), &myOffsets{})
	var snapped []*connect.SourceRecord
	pollUntil(t, snap, nil, func(r *connect.SourceRecord) { snapped = append(snapped, r) }, func() bool { return snapshotDone(snap) }, 300*time.Millisecond, 30*time.Second)

	server := map[string]map[string]string{}
	for _, q := range []string{"SELECT * FROM s.t", "SELECT * FROM s.k WHERE u <> '00000000-0000-0000-0000-000000000003'"} {
		got, err := m.QueryMaps(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range got {
			key := r["id"]
			if key == "" {
				key = r["u"]
			}
			server[key] = r
		}
	}
	for _, phase := range []struct {
		name string
		recs []*connect.SourceRecord
	}{{"stream", streamed}, {"snapshot", snapped}} {
		if len(phase.recs) != len(server) {
			t.Fatalf("%s: %d records, the server has %d rows", phase.name, len(phase.recs), len(server))
		}
		for _, r := range phase.recs {
			_, _, a := myEnvelope(t, r)
			key := fmt.Sprint(a.Get(a.Schema().Fields()[0].Name))
			want := server[key]
			if want == nil {
				t.Fatalf("%s: record %v has no row on the server", phase.name, a.Values())
			}
			for _, f := range a.Schema().Fields() {
				got, w := "<null>", "<null>"
				if v := a.Get(f.Name); v != nil {
					got = fmt.Sprint(v)
				}
				if s, ok := want[f.Name]; ok {
					w = s
				}
				if got != w {
					t.Errorf("%s: row %s column %s: %s, MariaDB prints %s", phase.name, key, f.Name, got, w)
				}
			}
		}
	}
}
