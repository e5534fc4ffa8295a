package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/sluicehq/sluice/integration/harness"
)

// benchDB is the database every benchmark table lives in.
const benchDB = "bench"

// table is one benchmark table: its DDL and how to render a row's values
// as a SQL tuple.
type table struct {
	name string
	ddl  string
	// row appends "(v1,v2,...)" for id.
	row func(b []byte, rng *rand.Rand, id int64) []byte
}

const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func appendWord(b []byte, rng *rand.Rand, n int) []byte {
	b = append(b, '\'')
	for range n {
		b = append(b, letters[rng.IntN(len(letters))])
	}
	return append(b, '\'')
}

func appendDecimal(b []byte, rng *rand.Rand) []byte {
	// DECIMAL(12,2): up to ten integer digits and two decimals, from cents.
	cents := rng.Int64N(2_000_000_000_000) - 1_000_000_000_000
	if cents < 0 {
		b = append(b, '-')
		cents = -cents
	}
	b = strconv.AppendInt(b, cents/100, 10)
	return append(b, '.', byte('0'+cents%100/10), byte('0'+cents%10))
}

// datetimeBase is the first DATETIME(3) value; rows spread over a year.
var datetimeBase = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func appendDatetime(b []byte, rng *rand.Rand) []byte {
	t := datetimeBase.Add(time.Duration(rng.Int64N(365*24*3600*1000)) * time.Millisecond)
	b = append(b, '\'')
	b = t.AppendFormat(b, "2006-01-02 15:04:05.000")
	return append(b, '\'')
}

func appendDouble(b []byte, rng *rand.Rand) []byte {
	return strconv.AppendFloat(b, rng.NormFloat64()*1e6, 'g', -1, 64)
}

// narrowTable is the 7-column table. txtLen is the TEXT column's
// length (50 in the issue; the 200 MB transaction uses longer texts).
func narrowTable(name string, txtLen int) table {
	return table{
		name: name,
		ddl: "CREATE TABLE " + benchDB + "." + name + ` (
  id BIGINT NOT NULL PRIMARY KEY,
  c_int INT NOT NULL,
  c_str VARCHAR(64) NOT NULL,
  c_dec DECIMAL(12,2) NOT NULL,
  c_dt DATETIME(3) NOT NULL,
  c_dbl DOUBLE NOT NULL,
  c_txt TEXT NOT NULL
) ENGINE=InnoDB`,
		row: func(b []byte, rng *rand.Rand, id int64) []byte {
			b = append(b, '(')
			b = strconv.AppendInt(b, id, 10)
			b = append(b, ',')
			b = strconv.AppendInt(b, int64(rng.Int32()), 10)
			b = append(b, ',')
			b = appendWord(b, rng, 16+rng.IntN(33))
			b = append(b, ',')
			b = appendDecimal(b, rng)
			b = append(b, ',')
			b = appendDatetime(b, rng)
			b = append(b, ',')
			b = appendDouble(b, rng)
			b = append(b, ',')
			b = appendWord(b, rng, txtLen)
			return append(b, ')')
		},
	}
}

// wideColumnTypes are the 39 non-key columns of the wide table: six rounds
// of the narrow table's types plus BIGINT, then three more kinds.
var wideColumnTypes = func() []string {
	var out []string
	for range 6 {
		out = append(out, "INT", "VARCHAR(32)", "DECIMAL(12,2)", "DATETIME(3)", "DOUBLE", "BIGINT")
	}
	return append(out, "TINYINT", "DATE", "TEXT")
}()

// wideTable is the 40-column table.
func wideTable(name string) table {
	var ddl strings.Builder
	ddl.WriteString("CREATE TABLE " + benchDB + "." + name + " (\n  id BIGINT NOT NULL PRIMARY KEY")
	for i, t := range wideColumnTypes {
		fmt.Fprintf(&ddl, ",\n  c%02d %s NOT NULL", i+1, t)
	}
	ddl.WriteString("\n) ENGINE=InnoDB")
	return table{
		name: name,
		ddl:  ddl.String(),
		row: func(b []byte, rng *rand.Rand, id int64) []byte {
			b = append(b, '(')
			b = strconv.AppendInt(b, id, 10)
			for _, t := range wideColumnTypes {
				b = append(b, ',')
				switch t {
				case "INT":
					b = strconv.AppendInt(b, int64(rng.Int32()), 10)
				case "BIGINT":
					b = strconv.AppendInt(b, rng.Int64(), 10)
				case "TINYINT":
					b = strconv.AppendInt(b, int64(rng.IntN(256)-128), 10)
				case "VARCHAR(32)":
					b = appendWord(b, rng, 8+rng.IntN(17))
				case "DECIMAL(12,2)":
					b = appendDecimal(b, rng)
				case "DATETIME(3)":
					b = appendDatetime(b, rng)
				case "DATE":
					b = append(b, '\'')
					b = datetimeBase.AddDate(0, 0, rng.IntN(3650)).AppendFormat(b, "2006-01-02")
					b = append(b, '\'')
				case "DOUBLE":
					b = appendDouble(b, rng)
				case "TEXT":
					b = appendWord(b, rng, 50)
				}
			}
			return append(b, ')')
		},
	}
}

// binlogRange is where a load's row events sit in the binlog: from Start
// (an event boundary right after FLUSH BINARY LOGS) to End.
type binlogRange struct {
	Start, End harness.BinlogPosition
	Rows       int64
	Bytes      int64 // binlog bytes of the range (same file only)
}

// loadOptions shape a load.
type loadOptions struct {
	rows       int64
	firstID    int64
	stmtRows   int   // rows per INSERT statement
	txRows     int64 // rows per transaction; 0 = the whole load in one transaction
	loaders    int   // concurrent connections
	seed       uint64
	rotateLogs bool // FLUSH BINARY LOGS first, so the range starts a file
}

// load inserts rows into t with multi-row INSERTs in big transactions and
// returns the binlog range they occupy.
func load(ctx context.Context, db *harness.MariaDB, t table, o loadOptions) (binlogRange, error) {
	var r binlogRange
	if o.rotateLogs {
		if err := db.Exec(ctx, "FLUSH BINARY LOGS"); err != nil {
			return r, err
		}
	}
	start, err := db.BinlogPosition(ctx)
	if err != nil {
		return r, err
	}
	r.Start = start
	if o.stmtRows <= 0 {
		o.stmtRows = 1000
	}
	if o.txRows <= 0 {
		o.txRows = o.rows
		o.loaders = 1
	}
	if o.loaders <= 0 {
		o.loaders = 1
	}
	type chunk struct{ first, n int64 }
	chunks := make(chan chunk)
	errs := make(chan error, o.loaders)
	var wg sync.WaitGroup
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for w := range o.loaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := client.ConnectWithContext(lctx, db.Addr(), "root", db.RootPassword(), benchDB, 30*time.Second)
			if err != nil {
				errs <- fmt.Errorf("loader connect: %w", err)
				cancel()
				return
			}
			defer conn.Quit()
			rng := rand.New(rand.NewPCG(o.seed, uint64(w)))
			var sql []byte
			for c := range chunks {
				if err := loadChunk(conn, t, rng, &sql, c.first, c.n, o.stmtRows); err != nil {
					errs <- err
					cancel()
					return
				}
			}
		}()
	}
	go func() {
		defer close(chunks)
		for first := o.firstID; first < o.firstID+o.rows; first += o.txRows {
			n := min(o.txRows, o.firstID+o.rows-first)
			select {
			case chunks <- chunk{first, n}:
			case <-lctx.Done():
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return r, fmt.Errorf("load %s.%s: %w", benchDB, t.name, err)
	}
	if err := ctx.Err(); err != nil {
		return r, err
	}
	end, err := db.BinlogPosition(ctx)
	if err != nil {
		return r, err
	}
	r.End, r.Rows = end, o.rows
	if end.File == start.File {
		r.Bytes = int64(end.Pos) - int64(start.Pos)
	}
	return r, nil
}

// loadChunk inserts ids [first, first+n) in one transaction.
func loadChunk(conn *client.Conn, t table, rng *rand.Rand, sql *[]byte, first, n int64, stmtRows int) error {
	if _, err := conn.Execute("BEGIN"); err != nil {
		return err
	}
	prefix := "INSERT INTO " + t.name + " VALUES "
	for id := first; id < first+n; {
		b := append((*sql)[:0], prefix...)
		for i := 0; i < stmtRows && id < first+n; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = t.row(b, rng, id)
			id++
		}
		*sql = b
		if _, err := conn.Execute(string(b)); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
	}
	_, err := conn.Execute("COMMIT")
	return err
}
