package distributed

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/sluicehq/sluice/rest"
	"github.com/sluicehq/sluice/runtime"
)

// Exactly-once source support (KIP-618), the cluster's side: the leader's
// transactional config writer, zombie fencing before a new generation of a
// connector's tasks starts, and the checks around each task's producer.

// msgFencingSuperseded is Kafka Connect's 409 when task configs change
// while a fencing runs.
const msgFencingSuperseded = "Failed to complete zombie fencing because a new set of task configs was generated"

// clusterTransactionalID is the leader's config-topic transactional.id.
func (c *Config) clusterTransactionalID() string { return "connect-cluster-" + c.GroupID }

// updateConfigWriter claims the transactional config writer when this
// worker became leader, and releases it when it stopped being one. Claiming
// fences the writer of the previous leader, so a leader that lost the
// group without knowing it cannot write any more.
func (h *Herder) updateConfigWriter(ctx context.Context, leader bool) {
	if !h.cfg.transactionalConfigWrites() {
		return
	}
	claimed := h.configs.WriterClaimed()
	switch {
	case leader && !claimed:
		cctx, cancel := context.WithTimeout(ctx, privilegedWriteTimeout)
		err := h.configs.ClaimWriter(cctx, h.cfg.clusterTransactionalID())
		cancel()
		if err != nil {
			h.log.Error("could not claim the transactional config writer; rejoining", "transactional.id", h.cfg.clusterTransactionalID(), "error", err.Error())
			h.needRejoin.Store(true)
			return
		}
		h.log.Info("claimed the transactional config writer", "transactional.id", h.cfg.clusterTransactionalID())
	case !leader && claimed:
		h.configs.ReleaseWriter()
	}
}

// fenceLock serializes fencings of one connector on the leader, so that
// the tasks of a generation asking at once cause one fencing.
func (h *Herder) fenceLock(c string) *sync.Mutex {
	h.fenceMu.Lock()
	defer h.fenceMu.Unlock()
	if h.fenceLocks == nil {
		h.fenceLocks = map[string]*sync.Mutex{}
	}
	m := h.fenceLocks[c]
	if m == nil {
		m = &sync.Mutex{}
		h.fenceLocks[c] = m
	}
	return m
}

// FenceZombies serves the internal PUT /connectors/{c}/fence on the
// leader (rest.ZombieFencer): a worker about to start tasks of a new
// generation asks for the fencing of the previous one.
func (h *Herder) FenceZombies(ctx context.Context, connector string, req rest.InternalRequest) error {
	if err := h.verifyInternal(req); err != nil {
		return err
	}
	if err := h.leaderOnly(ctx); err != nil {
		return err
	}
	return h.fenceZombies(ctx, connector)
}

// fenceZombies is the leader's fencing: every producer of the tasks that
// may have run since the last tasks-fencing- record is fenced by claiming
// its transactional id (librdkafka has no fenceProducers; InitTransactions
// bumps the id's epoch and aborts its open transaction, which is what the
// admin call does), then the record is written with the current count.
func (h *Herder) fenceZombies(ctx context.Context, c string) error {
	lock := h.fenceLock(c)
	lock.Lock()
	defer lock.Unlock()
	ctx, cancel := context.WithTimeout(ctx, privilegedWriteTimeout)
	defer cancel()
	if err := h.configs.ReadToEnd(ctx); err != nil {
		return err
	}
	snap := h.configs.Snapshot()
	if _, ok := snap.Connectors[c]; !ok {
		return notFound(c)
	}
	if !snap.PendingFencing[c] {
		return nil
	}
	gen, count := snap.TaskGeneration[c], snap.TaskCounts[c]
	prev, hadRecord := snap.FencingCounts[c]
	// Nothing can be a zombie before the first record; with one task
	// before and after, the new task's own InitTransactions fences the
	// old one, as on any takeover.
	if hadRecord && !(prev == 1 && count == 1) && prev > 0 {
		start := time.Now()
		if err := h.fenceProducers(ctx, c, prev); err != nil {
			return fmt.Errorf("zombie fencing of connector %s: %w", c, err)
		}
		h.log.Info("fenced the producers of the previous task generation", "connector", c, "tasks", prev, "took", time.Since(start).Round(time.Millisecond))
	}
	if err := h.configs.ReadToEnd(ctx); err != nil {
		return err
	}
	if now := h.configs.Snapshot(); now.TaskGeneration[c] != gen {
		return rest.Conflict(msgFencingSuperseded)
	}
	if err := h.configs.PutTaskCountRecord(ctx, c, count); err != nil {
		return err
	}
	return h.configs.ReadToEnd(ctx)
}

// fenceProducers claims transactional ids 0..n-1 of connector c at once.
func (h *Herder) fenceProducers(ctx context.Context, c string, n int) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = h.fenceProducer(ctx, runtime.TransactionalID(h.cfg.GroupID, c, i))
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// fenceProducer initializes, then drops, a transactional producer with id.
func (h *Herder) fenceProducer(ctx context.Context, id string) error {
	cm := kafka.ConfigMap{}
	for k, v := range h.clientProps {
		cm[k] = v
	}
	cm["bootstrap.servers"] = strings.Join(h.cfg.Bootstrap, ",")
	cm["client.id"] = h.cfg.clientBase() + "zombie-fencer"
	cm["transactional.id"] = id
	cm["enable.idempotence"] = true
	cm["log.connection.close"] = false
	cm["enable.metrics.push"] = false
	p, err := kafka.NewProducer(&cm)
	if err != nil {
		return fmt.Errorf("fence %s: %w", id, err)
	}
	defer p.Close()
	go func() {
		for range p.Events() {
		}
	}()
	if err := p.InitTransactions(ctx); err != nil {
		return fmt.Errorf("fence %s: %w", id, err)
	}
	return nil
}

// verifyInternal checks the session-key signature of an internal request
// under the sessioned protocol.
func (h *Herder) verifyInternal(req rest.InternalRequest) error {
	h.mu.Lock()
	sessioned := h.protocol == ProtocolSessioned
	h.mu.Unlock()
	if !sessioned {
		return nil
	}
	snap := h.configs.Snapshot()
	switch {
	case req.Signature == "" || req.Algorithm == "":
		return rest.BadRequest("Internal request missing required signature")
	case req.Algorithm != signatureAlgorithm:
		return rest.BadRequest(fmt.Sprintf("This worker does not support inter-worker signature algorithm %s; supported algorithms: [%s]", req.Algorithm, signatureAlgorithm))
	case snap.SessionKey == nil:
		return &rest.Error{Status: http.StatusServiceUnavailable, Message: "Request cannot be verified because this worker has not read the session key yet"}
	case !hmac.Equal([]byte(sign(snap.SessionKey.Key, req.Body)), []byte(req.Signature)):
		return &rest.Error{Status: http.StatusForbidden, Message: "Internal request contained invalid signature."}
	}
	return nil
}

// requestFencing has the leader fence connector c's zombies, here or over
// PUT /connectors/{c}/fence, retrying through rebalances until it is done,
// ctx ends, or the fencing is superseded by newer task configs.
func (h *Herder) requestFencing(ctx context.Context, c string) error {
	backoff := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		var err error
		if h.leaderOnly(ctx) == nil {
			err = h.fenceZombies(ctx, c)
		} else {
			h.mu.Lock()
			leaderURL := h.leaderURL
			h.mu.Unlock()
			if leaderURL == "" {
				err = errors.New("no known leader")
			} else {
				err = h.putFence(ctx, leaderURL, c)
			}
		}
		if err == nil {
			return nil
		}
		var re *rest.Error
		if errors.As(err, &re) && re.Status == http.StatusConflict && re.Message == msgFencingSuperseded {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if attempt <= 3 {
			h.log.Info("zombie fencing not done yet; retrying", "connector", c, "error", err.Error())
		} else {
			h.log.Warn("zombie fencing not done yet; retrying", "connector", c, "attempt", attempt, "error", err.Error())
		}
		if sleepCtx(ctx, backoff) != nil {
			return ctx.Err()
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

// putFence sends the internal fencing request to the leader.
func (h *Herder) putFence(ctx context.Context, leaderURL, c string) error {
	u := strings.TrimRight(leaderURL, "/") + "/connectors/" + url.PathEscape(c) + "/fence?forward=true"
	rctx, cancel := context.WithTimeout(ctx, privilegedWriteTimeout+5*time.Second)
	defer cancel()
	var body []byte
	req, err := http.NewRequestWithContext(rctx, http.MethodPut, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "kafka-connect")
	if k := h.configs.Snapshot().SessionKey; k != nil {
		req.Header.Set(rest.HeaderSignature, sign(k.Key, body))
		req.Header.Set(rest.HeaderSignatureAlgorithm, signatureAlgorithm)
	}
	resp, err := h.interWorker().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(data, &e) == nil && e.Message != "" {
		return &rest.Error{Status: resp.StatusCode, Message: e.Message}
	}
	return fmt.Errorf("leader answered %d: %s", resp.StatusCode, data)
}

// exactlyOnceTask is what startTask hands the worker for a task under
// exactly.once.source.support=enabled: the checks around its producer's
// initialization. stopped is set when the herder stops or drops this run
// of the task.
func (h *Herder) exactlyOnceTask(id rest.TaskID, connCfg, tcfg map[string]string, stopped *atomic.Bool) (runtime.ExactlyOnce, error) {
	enc, ok := h.w.OffsetStore().(runtime.OffsetRecordEncoder)
	if !ok {
		return runtime.ExactlyOnce{}, fmt.Errorf("exactly-once source support needs the offsets topic store, not %T", h.w.OffsetStore())
	}
	if t := strings.TrimSpace(connCfg[runtime.ConnOffsetsStorageTopic]); t != "" && t != enc.Topic() {
		return runtime.ExactlyOnce{}, fmt.Errorf("%s=%s: a connector-specific offsets topic is not supported by Sluice yet; remove it to use the worker's %s", runtime.ConnOffsetsStorageTopic, t, enc.Topic())
	}
	// still reports whether this run is current: assigned here, with the
	// task config it was started with.
	still := func(ctx context.Context) error {
		if stopped.Load() {
			return fmt.Errorf("task %s-%d is no longer assigned to this worker", id.Connector, id.Task)
		}
		snap := h.configs.Snapshot()
		list := snap.Tasks[id.Connector]
		if id.Task >= len(list) || !maps.Equal(list[id.Task], tcfg) {
			return fmt.Errorf("the task configs of connector %s changed since task %d was started", id.Connector, id.Task)
		}
		return nil
	}
	return runtime.ExactlyOnce{
		TransactionalID: runtime.TransactionalID(h.cfg.GroupID, id.Connector, id.Task),
		Offsets:         enc,
		PreProducer: func(ctx context.Context) error {
			if err := still(ctx); err != nil {
				return err
			}
			if !h.configs.Snapshot().PendingFencing[id.Connector] {
				return nil
			}
			return h.requestFencing(ctx, id.Connector)
		},
		PostProducer: func(ctx context.Context) error {
			rctx, cancel := context.WithTimeout(ctx, privilegedWriteTimeout)
			err := h.configs.ReadToEnd(rctx)
			cancel()
			if err != nil {
				return err
			}
			return still(ctx)
		},
	}, nil
}
