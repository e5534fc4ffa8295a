package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/twmb/franz-go/pkg/kgo"
)

// latencyResult is one steady-state run.
type latencyResult struct {
	target   int     // rows/s asked for
	achieved float64 // rows/s the writer managed
	p50      float64 // ms
	p99      float64
	p999     float64
	max      float64
	samples  int
	appendTS bool // end time is the broker's LogAppendTime, not consumer receipt
}

// arrival is one consumed record: its row id and when it reached Kafka.
type arrival struct {
	id int64
	at time.Time
}

// steadyState writes rows at a fixed rate into bench.steady while the
// pipeline streams them, and measures each row's latency from the moment
// its INSERT's commit returned to the client to the moment the record was in
// Kafka (the broker's LogAppendTime when the topic has it, else when a
// consumer fetching with a 10 ms max wait received it, an upper bound).
func (e *env) steadyState(ctx context.Context, rate int, dur time.Duration, v converterVariant, run int) (latencyResult, error) {
	res := latencyResult{target: rate}
	prefix := fmt.Sprintf("steady%d_%d", rate, run)
	p := &pipelineRun{name: prefix, prefix: prefix, table: "steady", variant: v, snapMode: "never", bootstrap: e.bootstrap, db: e.dbAddr()}
	topic := p.topic()
	if err := e.kafka.CreateTopic(ctx, topic, 1, map[string]string{"message.timestamp.type": "LogAppendTime"}); err != nil {
		return res, err
	}
	defer e.kafka.DeleteTopics(context.Background(), topic)

	conn, err := client.ConnectWithContext(ctx, e.db.Addr(), "root", e.db.RootPassword(), benchDB, 30*time.Second)
	if err != nil {
		return res, err
	}
	defer conn.Quit()
	t := narrowTable("steady", 50)
	rng := rand.New(rand.NewPCG(uint64(rate), uint64(run)))
	base := e.nextSteadyID
	var sql []byte
	insert := func(first, n int64) error {
		sql = append(sql[:0], "INSERT INTO steady VALUES "...)
		for i := range n {
			if i > 0 {
				sql = append(sql, ',')
			}
			sql = t.row(sql, rng, first+i)
		}
		_, err := conn.Execute(string(sql))
		return err
	}

	r, err := p.startPipeline(ctx)
	if err != nil {
		return res, err
	}
	defer r.stop()
	// A row delivered proves the stream is live before the clock starts.
	// The task finds its start position asynchronously, so rows written
	// before that are not streamed: write one every 200 ms until one is.
	warm := time.Now()
	for {
		if err := insert(base, 1); err != nil {
			return res, err
		}
		base++
		if _, _, err := r.waitAcked(ctx, 1, 200*time.Millisecond); err == nil {
			break
		} else if !errors.Is(err, errTimeout) || time.Since(warm) > time.Minute {
			return res, fmt.Errorf("steady state warm-up: %w", err)
		}
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(e.bootstrap), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(10*time.Millisecond))
	if err != nil {
		return res, err
	}
	defer cl.Close()
	total := int64(float64(rate) * dur.Seconds())
	var (
		mu       sync.Mutex
		arrivals = make([]arrival, 0, total)
		appendTS bool
	)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	consumed := make(chan struct{})
	go func() {
		defer close(consumed)
		for cctx.Err() == nil {
			fs := cl.PollFetches(cctx)
			now := time.Now()
			mu.Lock()
			fs.EachRecord(func(rec *kgo.Record) {
				id, ok := keyID(rec.Key)
				if !ok || id < base {
					return
				}
				at := now
				if rec.Attrs.TimestampType() == 1 {
					at, appendTS = rec.Timestamp, true
				}
				arrivals = append(arrivals, arrival{id, at})
			})
			n := len(arrivals)
			mu.Unlock()
			if int64(n) >= total {
				return
			}
		}
	}()

	commits := make([]time.Time, total)
	const tick = 10 * time.Millisecond
	began := time.Now()
	var written int64
	for written < total {
		due := min(total, int64(time.Since(began).Seconds()*float64(rate))+1)
		if n := due - written; n > 0 {
			if err := insert(base+written, n); err != nil {
				return res, fmt.Errorf("steady writer: %w", err)
			}
			done := time.Now()
			for i := written; i < written+n; i++ {
				commits[i] = done
			}
			written += n
		}
		if sleep := time.Until(began.Add(time.Duration(float64(written) / float64(rate) * float64(time.Second)))); sleep > 0 {
			time.Sleep(min(sleep, tick))
		}
	}
	res.achieved = float64(total) / time.Since(began).Seconds()
	e.nextSteadyID = base + total

	select {
	case <-consumed:
	case <-time.After(60 * time.Second):
		cancel()
		<-consumed
		mu.Lock()
		n := len(arrivals)
		mu.Unlock()
		return res, fmt.Errorf("steady state at %d rows/s: only %d of %d rows reached Kafka within 60 s of the last commit", rate, n, total)
	}
	lat := make([]float64, 0, len(arrivals))
	for _, a := range arrivals {
		i := a.id - base
		if i < 0 || i >= total {
			continue
		}
		lat = append(lat, float64(a.at.Sub(commits[i]).Microseconds())/1000)
	}
	if *latTimeline {
		// Stalls show as runs of high maxima; their spacing tells their
		// cause (a flush interval, a doubling buffer, a GC).
		buckets := map[int64]float64{}
		for _, a := range arrivals {
			i := a.id - base
			if i < 0 || i >= total {
				continue
			}
			b := commits[i].Sub(began).Milliseconds() / 100
			buckets[b] = max(buckets[b], float64(a.at.Sub(commits[i]).Microseconds())/1000)
		}
		for b := int64(0); b < int64(dur/(100*time.Millisecond))+2; b++ {
			logf("steady %d rows/s run %d: rows committed at %5d ms: max latency %.1f ms", rate, run+1, b*100, buckets[b])
		}
	}
	slices.Sort(lat)
	res.samples = len(lat)
	res.p50, res.p99, res.p999 = quantile(lat, 0.5), quantile(lat, 0.99), quantile(lat, 0.999)
	if len(lat) > 0 {
		res.max = lat[len(lat)-1]
	}
	res.appendTS = appendTS
	return res, nil
}

// keyID reads the id out of a JsonConverter key without schemas, {"id":N}.
func keyID(k []byte) (int64, bool) {
	i := bytes.IndexByte(k, ':')
	j := bytes.IndexByte(k, '}')
	if i < 0 || j < i {
		return 0, false
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(k[i+1:j])), 10, 64)
	return n, err == nil
}

// quantile of sorted values (nearest rank).
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
