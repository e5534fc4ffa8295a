package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/converters/canaljson"
	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLTimeAdjuster: with enable.time.adjuster=true a DATE or DATETIME
// year below 100 is read as MySQL reads a two-digit year (0–69 → 2000s,
// 70–99 → 1900s), in the snapshot and the stream alike and so in every
// converter's output (Canal JSON here); without it the stored year stays.
func TestMySQLTimeAdjuster(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE shop",
		`CREATE TABLE shop.years (id INT PRIMARY KEY, d DATE NULL, dt DATETIME(3) NULL)`)
	rows := []struct {
		id              int
		d, dt           string // as inserted
		wantD, wantDT   time.Time
		storedD, stored time.Time
	}{
		{1, "0000-01-01", "0000-01-01 00:00:00.000", day(2000, 1, 1), at(2000, 1, 1, 0), day(0, 1, 1), at(0, 1, 1, 0)},
		{2, "0069-03-01", "0069-12-31 23:59:59.250", day(2069, 3, 1), at(2069, 12, 31, 86399250), day(69, 3, 1), at(69, 12, 31, 86399250)},
		{3, "0070-01-01", "0070-01-01 00:00:01.500", day(1970, 1, 1), at(1970, 1, 1, 1500), day(70, 1, 1), at(70, 1, 1, 1500)},
		{4, "0099-12-31", "0099-06-15 12:00:00.000", day(1999, 12, 31), at(1999, 6, 15, 43200000), day(99, 12, 31), at(99, 6, 15, 43200000)},
		{5, "0100-01-01", "0100-01-01 00:00:00.000", day(100, 1, 1), at(100, 1, 1, 0), day(100, 1, 1), at(100, 1, 1, 0)},
		{6, "2024-02-29", "2024-02-29 10:11:12.131", day(2024, 2, 29), at(2024, 2, 29, 36672131), day(2024, 2, 29), at(2024, 2, 29, 36672131)},
	}
	insert := func(from, to int) {
		for _, r := range rows[from:to] {
			myExec(t, m, fmt.Sprintf("INSERT INTO shop.years VALUES (%d, '%s', '%s')", r.id, r.d, r.dt))
		}
	}
	insert(0, 3) // read by the snapshot
	canal := canaljson.New()
	if err := canal.Configure(map[string]string{}, false); err != nil {
		t.Fatal(err)
	}
	for _, adjust := range []bool{true, false} {
		props := []string{"table.include.list", `shop\.years`, "snapshot.mode", "initial"}
		if adjust {
			props = append(props, "enable.time.adjuster", "true")
		}
		offsets := &myOffsets{}
		task := myStartTask(t, myStreamProps(m, props...), offsets)
		recs := myPollN(t, task, offsets, 3)
		if adjust {
			insert(3, len(rows)) // read from the binlog
			recs = append(recs, myPollN(t, task, offsets, len(rows)-3)...)
		}
		_ = task.Stop()
		for i, rec := range recs {
			r := rows[i]
			_, _, after := myEnvelope(t, rec)
			wantD, wantDT := r.storedD, r.stored
			if adjust {
				wantD, wantDT = r.wantD, r.wantDT
			}
			if got, want := after.Get("d"), int32(wantD.Unix()/86400); got != want {
				t.Errorf("adjust=%v row %d d=%s: got day %v, want %v (%s)", adjust, r.id, r.d, got, want, wantD.Format("2006-01-02"))
			}
			if got, want := after.Get("dt"), wantDT.UnixMilli(); got != want {
				t.Errorf("adjust=%v row %d dt=%s: got %v, want %v (%s)", adjust, r.id, r.dt, got, want, wantDT.Format("2006-01-02 15:04:05.000"))
			}
			out, err := canal.FromConnectData(rec.Topic, nil, rec.ValueSchema, rec.Value)
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf(`"d":"%04d%s"`, wantD.Year(), wantD.Format("-01-02")); !strings.Contains(string(out), want) {
				t.Errorf("adjust=%v row %d: Canal JSON %s lacks %s", adjust, r.id, out, want)
			}
		}
		myExec(t, m, "DELETE FROM shop.years WHERE id > 3")
	}
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func at(y int, m time.Month, d int, ms int64) time.Time {
	return day(y, m, d).Add(time.Duration(ms) * time.Millisecond)
}
