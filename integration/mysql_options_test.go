package integration

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/connectors/mysql"
	"github.com/sluicehq/sluice/integration/harness"
)

// The DTS options of the MySQL connector, against a real MariaDB, through
// the task the runtime runs (records are checked as the runtime would hand
// them to the converters and the producer: topic, partition, key, value).

func optRowID(t *testing.T, r *connect.SourceRecord) int64 {
	t.Helper()
	_, before, after := myEnvelope(t, r)
	row := after
	if row == nil {
		row = before
	}
	switch v := row.Get("id").(type) {
	case int32:
		return int64(v)
	case int64:
		return v
	}
	t.Fatalf("id of %v", row)
	return 0
}

func optOps(t *testing.T, recs []*connect.SourceRecord) string {
	t.Helper()
	var parts []string
	for _, r := range recs {
		if r.Value == nil {
			parts = append(parts, "tomb")
			continue
		}
		op, _, _ := myEnvelope(t, r)
		parts = append(parts, fmt.Sprintf("%s%d", op, optRowID(t, r)))
	}
	return strings.Join(parts, " ")
}

func TestMySQLOptions(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE shop", "CREATE DATABASE other",
		"CREATE TABLE shop.orders (id INT PRIMARY KEY, status VARCHAR(10), amount DECIMAL(10,2), note TEXT)",
		"CREATE TABLE shop.audit (id INT PRIMARY KEY, what VARCHAR(20))",
		"CREATE TABLE other.noise (id INT PRIMARY KEY AUTO_INCREMENT, v INT)")

	t.Run("precheck names the key to fix", func(t *testing.T) {
		props := myStreamProps(m,
			"table.filter.conditions", `{"shop.orders": "nosuch = 1"}`,
			"topic.mapping", "shop.missing:x",
			"column.exclude.list", `shop\.audit\.id`)
		errs := map[string]string{}
		for _, cv := range mysql.NewConnector().Validate(context.Background(), props) {
			errs[cv.Name] = strings.Join(cv.Errors, "; ")
		}
		for key, want := range map[string]string{
			"table.filter.conditions": `no column "nosuch"`,
			"topic.mapping":           "shop.missing does not exist",
			"column.exclude.list":     "primary-key column id of shop.audit",
		} {
			if !strings.Contains(errs[key], want) {
				t.Errorf("%s: errors %q, want %q", key, errs[key], want)
			}
		}
	})

	t.Run("filter conditions and operations", func(t *testing.T) {
		props := myStreamProps(m,
			"table.include.list", `shop\..*`,
			"table.filter.conditions", `{"shop.orders": "status IN ('paid','shipped') AND amount >= 10"}`,
			"table.operations", `{"shop.audit": "insert"}`,
			"tombstones.on.delete", "false")
		offsets := &myOffsets{}
		task := myStartTask(t, props, offsets)
		myExec(t, m,
			"INSERT INTO shop.orders VALUES (1,'paid',20,NULL),(2,'new',50,NULL),(3,'paid',5,NULL),(4,'shipped',NULL,NULL)",
			"UPDATE shop.orders SET status='shipped' WHERE id=1", // stays in: update
			"UPDATE shop.orders SET status='new' WHERE id=1",     // leaves: delete
			"UPDATE shop.orders SET status='paid' WHERE id=2",    // enters: insert
			"UPDATE shop.orders SET amount=6 WHERE id=3",         // never in: dropped
			"DELETE FROM shop.orders WHERE id IN (2,3)",          // 2 was in, 3 was not
			"INSERT INTO shop.audit VALUES (1,'a')", "UPDATE shop.audit SET what='b'", "DELETE FROM shop.audit",
			"INSERT INTO shop.audit VALUES (2,'c')")
		recs := myPollN(t, task, offsets, 7)
		want := "c1 u1 d1 c2 d2 c1 c2"
		if got := optOps(t, recs); got != want {
			t.Fatalf("records %s, want %s%s", got, want, myDescribe(recs))
		}
		for i, topic := range []string{"srv.shop.orders", "srv.shop.orders", "srv.shop.orders", "srv.shop.orders", "srv.shop.orders", "srv.shop.audit", "srv.shop.audit"} {
			if recs[i].Topic != topic {
				t.Errorf("record %d on %s, want %s", i, recs[i].Topic, topic)
			}
		}
		myPollQuiet(t, task)
		var filtered float64
		for _, mt := range task.Metrics() {
			if mt.Name == "filtered_rows_total" {
				filtered = mt.Value
			}
		}
		if filtered < 5 {
			t.Errorf("filtered_rows_total = %v, want at least 5", filtered)
		}
	})

	t.Run("single topic, table hash, hash-input key, DDL in the data topic", func(t *testing.T) {
		props := myStreamProps(m,
			"table.include.list", `shop\.orders`,
			"topic.mode", "single", "topic.default", "dts_all",
			"partition.policy", "table", "topic.partitions", "8", "message.key.mode", "hash-input")
		offsets := &myOffsets{}
		task := myStartTask(t, props, offsets)
		myExec(t, m, "INSERT INTO shop.orders VALUES (10,'new',1,NULL)", "ALTER TABLE shop.orders ADD COLUMN extra INT",
			"INSERT INTO shop.orders VALUES (11,'new',1,NULL,7)")
		recs := myPollN(t, task, offsets, 3)
		wantPart := mysql.HashPartition(mysql.JavaStringHashCode("shop.orders"), 8)
		for i, r := range recs {
			if r.Topic != "dts_all" || r.Partition == nil || *r.Partition != wantPart || r.Key != "shop.orders" {
				t.Errorf("record %d: topic %s partition %v key %v, want dts_all %d shop.orders", i, r.Topic, r.Partition, r.Key, wantPart)
			}
		}
		if v, _ := recs[1].Value.(*connect.Struct); v == nil || v.Schema().Name != connect.SchemaChangeValueName || !strings.Contains(v.GetString("ddl"), "ADD COLUMN") {
			t.Errorf("record 1 is not the DDL: %v", recs[1].Value)
		}
		myExec(t, m, "ALTER TABLE shop.orders DROP COLUMN extra")
		myPollN(t, task, offsets, 1)
	})

	t.Run("primary-key hash, Canal xor, null key, case and mapping, ddl.topic", func(t *testing.T) {
		props := myStreamProps(m,
			"table.include.list", `shop\..*`,
			"topic.mapping", "shop.audit:audit_log", "topic.case", "upper",
			"partition.policy", "primary-key", "topic.partitions", "5", "partition.hash.mode", "xor",
			"message.key.mode", "none", "ddl.topic", "ddl_events", "tombstones.on.delete", "true")
		offsets := &myOffsets{}
		task := myStartTask(t, props, offsets)
		myExec(t, m, "INSERT INTO shop.orders VALUES (20,'new',1,NULL),(21,'new',1,NULL)", "INSERT INTO shop.audit VALUES (22,'x')",
			"DELETE FROM shop.orders WHERE id=20", "CREATE TABLE shop.t2 (id INT PRIMARY KEY)")
		recs := myPollN(t, task, offsets, 5) // no tombstone: records have no key
		wants := []struct {
			topic string
			id    string
		}{{"srv.SHOP.ORDERS", "20"}, {"srv.SHOP.ORDERS", "21"}, {"audit_log", "22"}, {"srv.SHOP.ORDERS", "20"}, {"ddl_events", ""}}
		for i, w := range wants {
			r := recs[i]
			part := int32(0)
			if w.id != "" {
				part = mysql.HashPartition(mysql.JavaStringHashCode("shop")^mysql.JavaStringHashCode(w.id), 5)
			}
			if r.Topic != w.topic || r.Key != nil || r.Partition == nil || *r.Partition != part {
				t.Errorf("record %d: topic %s key %v partition %v, want %s nil %d", i, r.Topic, r.Key, r.Partition, w.topic, part)
			}
		}
		myPollQuiet(t, task)
	})

	t.Run("oversize record fails naming table, key and columns", func(t *testing.T) {
		props := myStreamProps(m, "table.include.list", `shop\.orders`, "max.record.bytes", "4096")
		task := myStartTask(t, props, &myOffsets{})
		myExec(t, m, "INSERT INTO shop.orders VALUES (30,'new',1,REPEAT('x', 8000))")
		err := optPollUntilError(t, task, 20*time.Second)
		for _, want := range []string{"shop.orders", "30", "note (8000 bytes)", "column.exclude.list"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %q", err, want)
			}
		}
	})

	t.Run("oversize drop-columns", func(t *testing.T) {
		props := myStreamProps(m, "table.include.list", `shop\.orders`, "max.record.bytes", "4096", "oversize.record.handling", "drop-columns")
		offsets := &myOffsets{}
		task := myStartTask(t, props, offsets)
		myExec(t, m, "INSERT INTO shop.orders VALUES (31,'new',1,REPEAT('x', 8000))")
		recs := myPollN(t, task, offsets, 1)
		_, _, after := myEnvelope(t, recs[0])
		h, ok := recs[0].Headers.Last(mysql.HeaderDroppedColumns)
		if after.Get("note") != nil || after.Get("status") != "new" || !ok || h.Value != "note" {
			t.Errorf("after %v headers %v", after, recs[0].Headers)
		}
	})

	t.Run("transaction metadata", func(t *testing.T) {
		props := myStreamProps(m, "table.include.list", `shop\..*`, "provide.transaction.metadata", "true", "tombstones.on.delete", "false")
		offsets := &myOffsets{}
		task := myStartTask(t, props, offsets)
		ctx := context.Background()
		db := m.DB()
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"INSERT INTO shop.orders VALUES (40,'new',1,NULL)", "INSERT INTO shop.audit VALUES (41,'x')", "INSERT INTO shop.orders VALUES (42,'new',1,NULL)"} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		recs := myPollN(t, task, offsets, 5)
		if recs[0].Topic != "srv.transaction" || recs[4].Topic != "srv.transaction" {
			t.Fatalf("topics %s ... %s%s", recs[0].Topic, recs[4].Topic, myDescribe(recs))
		}
		// Position and server version beside Debezium's values, for the
		// DTS formats' BEGIN and COMMIT records.
		for _, r := range []*connect.SourceRecord{recs[0], recs[4]} {
			if h, ok := r.Headers.Last(connect.HeaderSourcePosition); !ok || !strings.Contains(h.Value.(string), ":") || r.ValueSchema.Param(connect.ParamServerVersion) == "" {
				t.Errorf("transaction record headers %v, schema parameters %v", r.Headers, r.ValueSchema.Parameters)
			}
		}
		begin, end := recs[0].Value.(*connect.Struct), recs[4].Value.(*connect.Struct)
		if begin.GetString("status") != "BEGIN" || end.GetString("status") != "END" || end.Get("event_count") != int64(3) || begin.GetString("id") != end.GetString("id") {
			t.Errorf("BEGIN %v END %v", begin, end)
		}
		colls := end.Get("data_collections").([]any)
		if len(colls) != 2 || colls[0].(*connect.Struct).Get("event_count") != int64(2) || colls[0].(*connect.Struct).GetString("data_collection") != "shop.orders" {
			t.Errorf("data_collections %v", colls)
		}
		// Every row names the transaction's start beside its own event's
		// position: the offset's position, where a restart reads the
		// transaction again (DTS Avro's safeSourcePosition).
		for i, r := range recs[1:4] {
			pos, _ := mysql.ParsePosition(r.Offset())
			want := fmt.Sprintf("%s:%d", pos.File, pos.Pos)
			src := r.Value.(*connect.Struct).GetStruct("source")
			h, ok := r.Headers.Last(connect.HeaderTxPosition)
			if !ok || h.Value != want || src.Get("pos") == int64(pos.Pos) {
				t.Errorf("row %d: transaction position header %v, want %s (the offset), source.pos %v", i+1, h.Value, want, src.Get("pos"))
			}
		}
		for i, wantOrder := range [][2]int64{{1, 1}, {2, 1}, {3, 2}} {
			v := recs[i+1].Value.(*connect.Struct)
			blk := v.GetStruct("transaction")
			if blk == nil || blk.Get("total_order") != wantOrder[0] || blk.Get("data_collection_order") != wantOrder[1] || blk.GetString("id") != begin.GetString("id") {
				t.Errorf("record %d transaction block %v, want %v", i+1, blk, wantOrder)
			}
		}
	})

	t.Run("heartbeats advance an idle offset", func(t *testing.T) {
		host, err := m.QueryValue(context.Background(), "SELECT host FROM mysql.user WHERE user = ? LIMIT 1", m.User())
		if err != nil {
			t.Fatal(err)
		}
		myExec(t, m, fmt.Sprintf("GRANT INSERT ON other.* TO '%s'@'%s'", m.User(), host))
		props := myStreamProps(m, "table.include.list", `shop\.orders`, "heartbeat.interval.ms", "300",
			"heartbeat.action.query", "INSERT INTO other.noise (v) VALUES (1)")
		offsets := &myOffsets{}
		task := myStartTask(t, props, offsets)
		var first, last map[string]any
		deadline := time.Now().Add(20 * time.Second)
		beats := 0
		advanced := func() bool {
			return first != nil && last != nil && (fmt.Sprint(first[mysql.OffsetPos]) != fmt.Sprint(last[mysql.OffsetPos]) ||
				fmt.Sprint(first[mysql.OffsetGTIDs]) != fmt.Sprint(last[mysql.OffsetGTIDs]))
		}
		for time.Now().Before(deadline) && (beats < 3 || !advanced()) {
			for _, r := range myPollN(t, task, offsets, 1) {
				if r.Topic != "__debezium-heartbeat.srv" {
					t.Fatalf("unexpected record on %s", r.Topic)
				}
				if k := r.Key.(*connect.Struct); k.GetString("serverName") != "srv" {
					t.Errorf("heartbeat key %v", k)
				}
				beats++
				if first == nil {
					first = r.Offset()
				}
				last = r.Offset()
				// The DTS formats write the heartbeat's position and the
				// server version from beside Debezium's {ts_ms} value.
				pos, _ := mysql.ParsePosition(last)
				if h, _ := r.Headers.Last(connect.HeaderSourcePosition); h.Value != fmt.Sprintf("%s:%d", pos.File, pos.Pos) {
					t.Errorf("heartbeat position header %v, offset %v", h.Value, last)
				}
				if r.ValueSchema.Param(connect.ParamServerVersion) == "" {
					t.Errorf("heartbeat schema has no server version")
				}
			}
		}
		p1, err1 := mysql.ParsePosition(first)
		p2, err2 := mysql.ParsePosition(last)
		if err1 != nil || err2 != nil || beats < 3 {
			t.Fatalf("beats %d, offsets %v %v", beats, first, last)
		}
		if p2.File == p1.File && p2.Pos <= p1.Pos && p2.GTIDs == p1.GTIDs {
			t.Errorf("offset did not advance: %v → %v", first, last)
		}
		if n, _ := m.QueryValue(context.Background(), "SELECT COUNT(*) FROM other.noise"); n == "0" {
			t.Errorf("heartbeat.action.query never ran")
		}
	})

	t.Run("throttle rate within 10% and restart at the position", func(t *testing.T) {
		myExec(t, m, "CREATE TABLE shop.bulk (id INT PRIMARY KEY, v VARCHAR(20))")
		props := myStreamProps(m, "table.include.list", `shop\.bulk`, "max.records.per.second", "300")
		offsets := &myOffsets{}
		task := myStartTask(t, props, offsets)
		var vals []string
		for i := 1; i <= 2400; i++ {
			vals = append(vals, fmt.Sprintf("(%d,'v')", i))
		}
		myExec(t, m, "INSERT INTO shop.bulk VALUES "+strings.Join(vals, ","))
		myPollN(t, task, offsets, 30) // past the initial burst
		start := time.Now()
		got := myPollN(t, task, offsets, 1800)
		rate := float64(len(got)) / time.Since(start).Seconds()
		if rate < 270 || rate > 330 {
			t.Errorf("throttled rate %.0f records/s over %s, want 300 ± 10%%", rate, time.Since(start).Round(time.Millisecond))
		}
		// A config change restarts the task: it resumes at the committed
		// position with the new limit, repeating and losing nothing.
		_ = task.Stop()
		lastID := optRowID(t, got[len(got)-1])
		props["max.records.per.second"] = "0"
		task2 := myStartTask(t, props, offsets)
		rest := myPollN(t, task2, offsets, int(2400-lastID))
		if optRowID(t, rest[0]) != lastID+1 || optRowID(t, rest[len(rest)-1]) != 2400 {
			t.Errorf("after restart rows %d..%d, want %d..2400", optRowID(t, rest[0]), optRowID(t, rest[len(rest)-1]), lastID+1)
		}
		myPollQuiet(t, task2)
	})
}

// optPollUntilError polls until the task fails and returns the error.
func optPollUntilError(t *testing.T, task *mysql.Task, within time.Duration) error {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		recs, err := task.Poll(context.Background())
		if err != nil {
			return err
		}
		recs = slices.DeleteFunc(recs, mySchemaSnapshot)
		if len(recs) > 0 {
			t.Fatalf("unexpected records: %s", myDescribe(recs))
		}
	}
	t.Fatalf("the task did not fail within %s", within)
	return nil
}

func TestMySQLRetryWindow(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE r", "CREATE TABLE r.t (id INT PRIMARY KEY)")
	ctx := context.Background()
	// serverDown stops the server until the subtest ends.
	serverDown := func(t *testing.T) {
		if err := m.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := m.Restart(ctx); err != nil {
				t.Error(err)
			}
		})
	}

	t.Run("resumes by itself after the server comes back", func(t *testing.T) {
		props := myStreamProps(m, "table.include.list", `r\.t`, "connection.retry.ms", "60000")
		offsets := &myOffsets{}
		task := myStartTask(t, props, offsets)
		myExec(t, m, "INSERT INTO r.t VALUES (1)")
		myPollN(t, task, offsets, 1)
		if err := m.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 10; i++ { // about 5 s with the server down; the task keeps running
			if recs, err := task.Poll(ctx); err != nil || len(recs) > 0 {
				t.Fatalf("while the server is down: %v %v", recs, err)
			}
		}
		if err := m.Restart(ctx); err != nil {
			t.Fatal(err)
		}
		myExec(t, m, "INSERT INTO r.t VALUES (2),(3)")
		recs := myPollN(t, task, offsets, 2)
		if optRowID(t, recs[0]) != 2 || optRowID(t, recs[1]) != 3 {
			t.Errorf("after the restart: %s", myDescribe(recs))
		}
		myPollQuiet(t, task)
	})

	t.Run("fails once the window is spent", func(t *testing.T) {
		props := myStreamProps(m, "table.include.list", `r\.t`, "connection.retry.ms", "2500")
		task := myStartTask(t, props, &myOffsets{})
		serverDown(t)
		start := time.Now()
		err := optPollUntilError(t, task, 30*time.Second)
		if !strings.Contains(err.Error(), "gave up after retrying") || connect.IsRetriable(err) || strings.Contains(err.Error(), m.Password()) {
			t.Errorf("error %v (retriable %v)", err, connect.IsRetriable(err))
		}
		if d := time.Since(start); d < 2*time.Second {
			t.Errorf("failed after %s, before the window", d)
		}
	})

	t.Run("errors.max.retries ends the retries before the window", func(t *testing.T) {
		props := myStreamProps(m, "table.include.list", `r\.t`, "connection.retry.ms", "600000", "errors.max.retries", "1")
		task := myStartTask(t, props, &myOffsets{})
		serverDown(t)
		err := optPollUntilError(t, task, 30*time.Second)
		if !strings.Contains(err.Error(), "gave up after 1 retries (errors.max.retries=1") || connect.IsRetriable(err) || strings.Contains(err.Error(), m.Password()) {
			t.Errorf("error %v (retriable %v)", err, connect.IsRetriable(err))
		}
	})

	// Two retries 3 s apart take about 6 s from the failure (which may
	// come while the server is still stopping); the default backoff (1 s,
	// then 2 s) gives up after about 3.
	t.Run("retriable.restart.connector.wait.ms spaces the retries", func(t *testing.T) {
		props := myStreamProps(m, "table.include.list", `r\.t`, "connection.retry.ms", "600000", "errors.max.retries", "2",
			"retriable.restart.connector.wait.ms", "3000")
		task := myStartTask(t, props, &myOffsets{})
		serverDown(t)
		start := time.Now()
		err := optPollUntilError(t, task, 60*time.Second)
		if !strings.Contains(err.Error(), "gave up after 2 retries") {
			t.Fatalf("error %v", err)
		}
		if d := time.Since(start); d < 5*time.Second {
			t.Errorf("gave up after %s: the retries were not 3 s apart", d)
		}
	})
}
