package distributed

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/rest"
	"github.com/sluicehq/sluice/runtime"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Herder is a worker's membership in a Connect cluster. It implements
// rest.Herder: reads are served from the config and status topics, config
// writes by the leader (other workers answer with a rest.ForwardError), and
// its loop goroutine joins the group, applies assignments and runs the
// connectors and tasks assigned to this worker.
type Herder struct {
	w   *runtime.Worker
	cfg *Config
	log *slog.Logger
	// url is the advertised URL other workers call this one at; it is
	// set again once the REST listeners are bound (ListenersBound).
	url atomic.Pointer[string]
	// memberOpts are the group client's options, to recreate it under a
	// new client id.
	memberOpts []kgo.Opt
	configs    *ConfigStore
	statuses   *StatusStore
	member     *groupMember
	assignor   *Assignor
	// client calls other workers (task configs, fencing); nil uses
	// internalClient.
	client *http.Client

	// Set by the loop, read by REST calls.
	mu         sync.Mutex
	leaderID   string
	leaderURL  string
	isLeader   bool
	generation int32
	memberURLs map[string]string // leader only: member id -> URL
	connOwner  map[string]string // leader only: connector -> member id
	taskOwner  map[rest.TaskID]string
	// heldTasks maps each connector some member still ran tasks of when it
	// joined the leader's latest round to one such member's URL (leader
	// only; awaitTasksStopped).
	heldTasks   map[string]string
	joinedOnce  bool
	rebalancing bool
	settled     chan struct{} // closed when the rebalance under way ends (leaderOnly)
	closed      bool

	// Owned by the loop goroutine.
	conns        map[string]*ownedConn
	tasks        map[rest.TaskID]*ownedTask
	knownConns   map[string]bool
	scheduled    time.Time
	pendingEvts  []ConfigEvent
	pendingRecfg map[string]bool

	needRejoin atomic.Bool
	stable     atomic.Bool
	// joining is set while the loop waits for JoinGroup or SyncGroup:
	// heartbeats go on then, only to learn whether the coordinator still
	// knows this member.
	joining  atomic.Bool
	evMu     sync.Mutex
	wake     chan struct{}
	requests chan func()

	cancel context.CancelFunc
	wg     sync.WaitGroup

	clusterMu sync.Mutex
	clusterID string
	// clientProps are the internal clients' security settings.
	clientProps kafka.ConfigMap
	// loggers receive cluster-scope log levels (logger-cluster- records).
	loggers *rest.Loggers
	// protocol is the subprotocol of the current generation.
	protocol string
	// taskConfigSeq numbers the task-config sets sent to the leader per
	// connector (guarded by evMu), so a newer set supersedes a retry.
	taskConfigSeq map[string]uint64
	loopCtx       context.Context

	// fenceLocks serialize the leader's zombie fencings per connector.
	fenceMu    sync.Mutex
	fenceLocks map[string]*sync.Mutex

	// writes serializes config-topic read-check-writes (writelock.go).
	writes writeLock
}

type ownedConn struct {
	inst    connect.SourceConnector
	config  map[string]string
	target  rest.TargetState
	applied bool
}

type ownedTask struct {
	handle     *runtime.TaskHandle
	config     map[string]string
	connConfig map[string]string
	paused     bool
	// failed is set when the task could not be created for config; it is
	// retried only on a restart or a config change.
	failed bool
	// stopped is set when this run of the task is stopped or dropped, for
	// the exactly-once checks running on the task's goroutine.
	stopped *atomic.Bool
}

var _ rest.Herder = (*Herder)(nil)

// NewHerder opens the config and status topics and reads them to the end.
// The worker's offset store must be the cluster's KafkaStore. Call Start to
// join the group.
func NewHerder(ctx context.Context, w *runtime.Worker, cfg *Config, log *slog.Logger) (*Herder, error) {
	if log == nil {
		log = slog.Default()
	}
	h := &Herder{
		w: w, cfg: cfg, log: log.With("logger", "sluice.distributed"),
		assignor:      &Assignor{MaxDelay: cfg.ScheduledRebalanceMaxDelay},
		conns:         map[string]*ownedConn{},
		tasks:         map[rest.TaskID]*ownedTask{},
		knownConns:    map[string]bool{},
		pendingRecfg:  map[string]bool{},
		taskConfigSeq: map[string]uint64{},
		wake:          make(chan struct{}, 1),
		requests:      make(chan func()),
		// Until its first join the worker is as good as rebalancing: a
		// request for the leader waits for that join (leaderOnly).
		rebalancing: true,
	}
	h.setURL()
	base := cfg.clientBase()
	boot := strings.Join(cfg.Bootstrap, ",")
	var err error
	if h.clientProps, err = w.Config().InternalClientConfig(); err != nil {
		return nil, err
	}
	kopts, err := kgoSecurity(h.clientProps)
	if err != nil {
		return nil, fmt.Errorf("worker config: %w", err)
	}
	h.configs, err = OpenConfigStore(ctx, ConfigStoreConfig{Bootstrap: boot, Topic: cfg.ConfigTopic, ReplicationFactor: cfg.ConfigRF,
		TopicConfigs: cfg.ConfigTopicConfigs, ClientID: base + "configs", ClientProps: h.clientProps, Logger: h.log, OnEvent: h.onConfigEvent})
	if err != nil {
		return nil, err
	}
	h.statuses, err = OpenStatusStore(ctx, StatusStoreConfig{Bootstrap: boot, Topic: cfg.StatusTopic, Partitions: cfg.StatusPartitions,
		ReplicationFactor: cfg.StatusRF, TopicConfigs: cfg.StatusTopicConfigs, ClientID: base + "statuses", ClientProps: h.clientProps, Logger: h.log})
	if err != nil {
		h.configs.Close()
		return nil, err
	}
	h.memberOpts = kopts
	h.member, err = h.newMember()
	if err != nil {
		h.statuses.Close()
		h.configs.Close()
		return nil, err
	}
	for c := range h.configs.Snapshot().Connectors {
		h.knownConns[c] = true
	}
	if cfg.Protocols[0] != ProtocolSessioned {
		// Kafka Connect warns the same way: below sessioned, any client
		// that reaches a worker's REST port can post task configs.
		h.log.Warn("internal request signing is disabled because "+PropConnectProtocol+" is not sessioned; set "+PropConnectProtocol+"=sessioned (the default) on every worker to enable it",
			PropConnectProtocol, protocolMode(cfg.Protocols[0]))
	}
	h.needRejoin.Store(true)
	return h, nil
}

// UseLoggers makes the herder apply cluster-scope log levels
// (PUT /admin/loggers/{n}?scope=cluster on any worker) to l. Call it
// before Start.
func (h *Herder) UseLoggers(l *rest.Loggers) { h.loggers = l }

// UseInterWorkerTLS makes the worker call other workers' https listeners
// trusting and presenting what cfg says (the REST server's
// listeners.https.ssl.* settings, rest.ServerConfig's Options.InterWorkerTLS),
// as it forwards requests. Call it before Start.
func (h *Herder) UseInterWorkerTLS(cfg *tls.Config) {
	if cfg != nil {
		h.client = rest.InterWorkerClient(cfg)
	}
}

// interWorker is the client for requests to other workers.
func (h *Herder) interWorker() *http.Client {
	if h.client != nil {
		return h.client
	}
	return internalClient
}

// SetClusterLoggerLevel writes a logger-cluster- record; every worker,
// this one included, applies it when it reads it.
func (h *Herder) SetClusterLoggerLevel(ctx context.Context, namespace, level string) error {
	return h.configs.PutLoggerLevel(ctx, namespace, level)
}

// URL is the REST URL this worker advertises to the group.
func (h *Herder) URL() string { return *h.url.Load() }

func (h *Herder) setURL() {
	u := h.w.Config().AdvertisedScheme() + "://" + h.w.ID() + "/"
	h.url.Store(&u)
}

// newMember is the group membership client, named connect-<worker id> as
// Kafka Connect 3.9+ names it.
func (h *Herder) newMember() (*groupMember, error) {
	return newGroupMember(h.cfg.Bootstrap, "connect-"+h.w.ID(), h.cfg.GroupID, h.cfg.SessionTimeout, h.cfg.RebalanceTimeout, h.memberOpts...)
}

// ListenersBound gives the herder the URLs the REST listeners were bound
// to (rest.Server.Start's answer). A listener on port 0 is bound to a free
// port only then, and the worker id, the URL given to the other workers
// and the group client's id must name that port, not 0: two workers both
// advertising host:0 would share a worker id and could not forward
// requests to each other. Call it before Start.
func (h *Herder) ListenersBound(urls []string) error {
	old := h.w.ID()
	if h.w.ListenersBound(urls) == old {
		return nil
	}
	h.setURL()
	m, err := h.newMember()
	if err != nil {
		return err
	}
	h.member.close()
	h.member = m
	h.log.Info("advertising the bound REST port", "worker_id", h.w.ID(), "url", h.URL())
	return nil
}

// Start joins the group and runs the assigned work until Stop.
func (h *Herder) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.loopCtx = ctx
	h.wg.Add(2)
	go func() {
		defer h.wg.Done()
		h.loop(ctx)
	}()
	go func() {
		defer h.wg.Done()
		h.heartbeats(ctx)
	}()
}

// Stop stops every connector and task of this worker, writes their
// UNASSIGNED statuses, leaves the group (so the others take over at once)
// and closes the stores.
func (h *Herder) Stop(ctx context.Context) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	h.mu.Unlock()
	if h.cancel != nil {
		h.cancel()
		h.wg.Wait()
	}
	h.stopAll()
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	h.member.leave(lctx)
	cancel()
	fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	_ = h.statuses.Flush(fctx)
	cancel()
	h.member.close()
	h.statuses.Close()
	h.configs.Close()
}

func (h *Herder) poke() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

func (h *Herder) requestRejoin() {
	h.needRejoin.Store(true)
	h.mu.Lock()
	h.setRebalancingLocked(true)
	h.mu.Unlock()
	h.poke()
}

func (h *Herder) onConfigEvent(ev ConfigEvent) {
	h.evMu.Lock()
	h.pendingEvts = append(h.pendingEvts, ev)
	h.evMu.Unlock()
	h.poke()
}

// runInLoop runs fn on the loop goroutine and waits for it.
func (h *Herder) runInLoop(ctx context.Context, fn func()) error {
	done := make(chan struct{})
	select {
	case h.requests <- func() { fn(); close(done) }:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Herder) heartbeats(ctx context.Context) {
	t := time.NewTicker(h.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !h.stable.Load() && !h.joining.Load() {
			continue
		}
		h.member.mu.Lock()
		gen := h.member.generation
		h.member.mu.Unlock()
		hctx, cancel := context.WithTimeout(ctx, h.cfg.SessionTimeout)
		err := h.member.heartbeat(hctx)
		cancel()
		if err == nil || ctx.Err() != nil {
			continue
		}
		h.member.mu.Lock()
		same := gen == h.member.generation
		h.member.mu.Unlock()
		if same && h.stable.Load() {
			if !errors.Is(err, errRejoin) {
				h.log.Warn("heartbeat failed", "error", err.Error())
			}
			h.requestRejoin()
		}
	}
}

func (h *Herder) loop(ctx context.Context) {
	for ctx.Err() == nil {
		h.dropWorkIfOutOfGroup(ctx)
		if h.needRejoin.Load() {
			if err := h.rebalance(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				h.needRejoin.Store(true)
				if errors.Is(err, errLostContact) {
					// Dropped at the top of the next round, then rejoin.
					continue
				}
				if errors.Is(err, errRejoin) {
					// Another member joined meanwhile: the ordinary path.
					h.log.Info("group rebalanced again before this round completed; rejoining")
					continue
				}
				h.log.Warn("rebalance failed; retrying", "error", err.Error())
				h.sleepWithinMembership(ctx, time.Second)
				continue
			}
		}
		h.processEvents(ctx)
		h.reconcile(ctx)
		if h.needRejoin.Load() {
			continue
		}
		var timer <-chan time.Time
		if !h.scheduled.IsZero() {
			d := time.Until(h.scheduled)
			if d < 0 {
				d = 0
			}
			timer = time.After(d)
		}
		// Wake when the coordinator may have evicted this worker, in case
		// no heartbeat confirms the membership before then.
		var contactTimer <-chan time.Time
		if h.holdsWork() {
			if dl := h.member.contactDeadline(); !dl.IsZero() {
				contactTimer = time.After(time.Until(dl) + 10*time.Millisecond)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-contactTimer:
		case <-h.wake:
		case <-timer:
			h.scheduled = time.Time{}
			h.requestRejoin()
		case fn := <-h.requests:
			fn()
		}
	}
}

// errLostContact ends a rebalance round that would have outlasted this
// worker's membership while it still ran work.
var errLostContact = errors.New("lost contact with the group coordinator")

// holdsWork reports whether this worker has any connector or task
// assigned (loop goroutine only).
func (h *Herder) holdsWork() bool { return len(h.conns)+len(h.tasks) > 0 }

// outOfGroup reports whether the group may have given this worker's work
// to others: the coordinator said it no longer knows this member, or has
// not confirmed the membership for session.timeout.ms, after which it
// evicts a member it has not heard from.
func (h *Herder) outOfGroup() (bool, string) {
	h.member.mu.Lock()
	evicted := h.member.evicted
	h.member.mu.Unlock()
	if evicted {
		return true, "the group coordinator no longer knows this worker's member id"
	}
	since, ok := h.member.sinceContact()
	if !ok {
		return true, "the group coordinator has not confirmed this worker's membership"
	}
	if since > h.cfg.SessionTimeout {
		return true, fmt.Sprintf("the group coordinator has not confirmed this worker's membership for %v, longer than %s (%v)",
			since.Round(time.Millisecond), PropSessionTimeout, h.cfg.SessionTimeout)
	}
	return false, ""
}

// dropWorkIfOutOfGroup is Kafka Connect's answer to a worker cut off from
// its group (KAFKA-9184): once the coordinator may have evicted it, the
// others may run its connectors and tasks, so it stops all of them and
// treats its assignment as empty, then rejoins and runs only what the new
// generation assigns it. Kafka Connect does this when the coordinator
// stays unreachable; here the same bound also covers a JoinGroup that
// never completes and heartbeats that go unanswered.
func (h *Herder) dropWorkIfOutOfGroup(ctx context.Context) {
	if !h.holdsWork() {
		h.member.takeEvicted()
		return
	}
	out, why := h.outOfGroup()
	if !out {
		return
	}
	h.member.takeEvicted()
	n, m := len(h.conns), len(h.tasks)
	h.log.Warn("stopping all connectors and tasks of this worker because it may no longer be a member of the group, which may have given its work to other workers; rejoining",
		"reason", why, "generation", h.currentGeneration(), "connectors", n, "tasks", m)
	// Catch up with the status topic first, so the UNASSIGNED statuses
	// written as the work stops (safe writes) skip what a newer
	// generation's owner has already claimed.
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	_ = h.statuses.ReadToEnd(rctx)
	cancel()
	h.stopAll()
	fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	if err := h.statuses.Flush(fctx); err != nil {
		h.log.Warn("could not flush statuses after stopping the work", "error", err.Error())
	}
	cancel()
	h.scheduled = time.Time{}
	h.evMu.Lock()
	h.pendingRecfg = map[string]bool{}
	h.evMu.Unlock()
	h.stable.Store(false)
	h.needRejoin.Store(true)
	h.mu.Lock()
	h.setRebalancingLocked(true)
	h.mu.Unlock()
	h.log.Info("stopped all work after losing the group; rejoining with an empty assignment", "connectors", n, "tasks", m)
}

// watchMembership derives a context for a rebalance round that ends with
// errLostContact as soon as this worker, still running work, may be out
// of the group, so a stalled JoinGroup cannot keep its work running.
func (h *Herder) watchMembership(ctx context.Context) (context.Context, func()) {
	if !h.holdsWork() {
		return ctx, func() {}
	}
	wctx, cancel := context.WithCancelCause(ctx)
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-wctx.Done():
				return
			case <-t.C:
			}
			if out, _ := h.outOfGroup(); out {
				cancel(errLostContact)
				return
			}
		}
	}()
	return wctx, func() { cancel(nil) }
}

// lostContactOr is errLostContact if watchMembership ended ctx, else err.
func lostContactOr(ctx context.Context, err error) error {
	if errors.Is(context.Cause(ctx), errLostContact) {
		return errLostContact
	}
	return err
}

// sleepWithinMembership sleeps d, or less if this worker runs work and
// the group may evict it before then, so dropWorkIfOutOfGroup runs in
// time.
func (h *Herder) sleepWithinMembership(ctx context.Context, d time.Duration) {
	if h.holdsWork() {
		if dl := h.member.contactDeadline(); !dl.IsZero() {
			d = min(d, time.Until(dl)+10*time.Millisecond)
		} else {
			d = 0
		}
	}
	if d > 0 {
		_ = sleepCtx(ctx, d)
	}
}

// allocation is what this worker runs (is assigned), for its metadata.
func (h *Herder) allocation() ([]string, []rest.TaskID) {
	return slices.Sorted(maps.Keys(h.conns)), sortedTasks(boolSet(maps.Keys(h.tasks)))
}

func boolSet[K comparable](seq func(func(K) bool)) map[K]bool {
	out := map[K]bool{}
	for k := range seq {
		out[k] = true
	}
	return out
}

// eager reports whether this worker follows the eager protocol: the
// protocol of the last generation it joined, or, before its first join,
// the one its connect.protocol prefers. Kafka Connect's WorkerCoordinator
// decides the same way, so a sessioned worker in a cluster that an eager
// worker downgraded behaves eagerly too.
func (h *Herder) eager() bool {
	h.mu.Lock()
	p := h.protocol
	h.mu.Unlock()
	if p == "" {
		p = h.cfg.Protocols[0]
	}
	return p == ProtocolDefault
}

// releaseAllForRejoin is the eager protocol's side of a rebalance: the
// leader hands every connector and task out afresh, so before joining this
// worker stops everything it runs (tasks commit their offsets as they
// stop) and flushes the UNASSIGNED statuses, so no work runs in two places
// and no status written before the rebalance lands after the new owner's
// RUNNING.
func (h *Herder) releaseAllForRejoin(ctx context.Context) {
	if len(h.conns)+len(h.tasks) == 0 {
		return
	}
	n, m := len(h.conns), len(h.tasks)
	h.stopAll()
	fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := h.statuses.Flush(fctx); err != nil {
		h.log.Warn("could not flush statuses before rejoining", "error", err.Error())
	}
	h.log.Info("stopped all connectors and tasks before rejoining (eager protocol)", "connectors", n, "tasks", m)
}

func (h *Herder) rebalance(ctx context.Context) error {
	if h.eager() {
		// Still marked stable: heartbeats go on while the work stops, so
		// a slow task cannot get this member evicted.
		h.releaseAllForRejoin(ctx)
	}
	h.stable.Store(false)
	h.mu.Lock()
	h.setRebalancingLocked(true)
	h.mu.Unlock()
	rctx, cancel := context.WithTimeout(ctx, h.cfg.RebalanceTimeout+h.cfg.SessionTimeout)
	defer cancel()
	// While this worker runs work, no step of the round may outlast its
	// membership: past it the work must stop (dropWorkIfOutOfGroup).
	rctx, stopWatch := h.watchMembership(rctx)
	defer stopWatch()
	if err := h.configs.ReadToEnd(rctx); err != nil {
		return lostContactOr(rctx, err)
	}
	h.processEvents(ctx)
	// What was read so far is in this round's snapshot: only changes read
	// from now on need another round.
	h.needRejoin.Store(false)
	snap := h.configs.Snapshot()
	conns, tasks := h.allocation()
	h.mu.Lock()
	leaderID, leaderURL := h.leaderID, h.leaderURL
	h.mu.Unlock()
	protos := joinProtocols(h.cfg.Protocols, h.URL(), snap.Offset, Assignment{Leader: leaderID, LeaderURL: leaderURL,
		ConfigOffset: snap.Offset, Connectors: conns, Tasks: tasks})
	h.joining.Store(true)
	jr, err := h.member.join(rctx, protos)
	if err != nil {
		h.joining.Store(false)
		return lostContactOr(rctx, err)
	}
	var assignments map[string][]byte
	if jr.leader {
		if assignments, err = h.leaderAssign(rctx, jr); err != nil {
			h.joining.Store(false)
			return lostContactOr(rctx, err)
		}
	}
	blob, err := h.member.sync(rctx, assignments)
	h.joining.Store(false)
	if err != nil {
		return lostContactOr(rctx, err)
	}
	// The round completed: this worker is a member of the new generation,
	// whatever a heartbeat of the old one said meanwhile.
	h.member.takeEvicted()
	a, err := DecodeAssignment(blob)
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.leaderID, h.leaderURL, h.generation, h.isLeader = a.Leader, a.LeaderURL, jr.generation, a.Leader == jr.memberID
	prevProtocol := h.protocol
	h.protocol = jr.protocol
	if !h.isLeader {
		h.memberURLs, h.connOwner, h.taskOwner, h.heldTasks = nil, nil, nil, nil
	}
	h.mu.Unlock()
	if a.Error == AssignmentConfigMismatch {
		_ = h.configs.ReadToEnd(rctx)
		h.needRejoin.Store(true)
		return nil
	}
	if h.configs.Offset() < a.ConfigOffset {
		sctx, c := context.WithTimeout(ctx, h.cfg.WorkerSyncTimeout)
		_ = h.configs.ReadToEnd(sctx)
		c()
		if h.configs.Offset() < a.ConfigOffset {
			h.unsyncBackoff(ctx, a.ConfigOffset)
			h.needRejoin.Store(true)
			return nil
		}
	}
	h.logProtocolChange(prevProtocol, jr.protocol)
	revokedConns, revokedTasks := a.RevokedConnectors, a.RevokedTasks
	// Cooperative revocations free work for a follow-up round.
	followUp := len(revokedConns)+len(revokedTasks) > 0
	if jr.protocol == ProtocolDefault {
		// An eager assignment is this member's whole share. Anything still
		// running here that is not in it was started under a cooperative
		// generation (the group switched to eager this round, so it was
		// not stopped before the join): it stops now, and the share is
		// complete without another round.
		revokedConns, revokedTasks = h.notAssigned(a.Connectors, a.Tasks)
		followUp = false
	}
	h.log.Info("joined group", "generation", jr.generation, "leader", a.Leader == jr.memberID, "protocol", jr.protocol,
		"assigned_connectors", a.Connectors, "assigned_tasks", len(a.Tasks), "revoked_connectors", revokedConns,
		"revoked_tasks", len(revokedTasks), "delay_ms", a.Delay)

	// Stop what moved away, then take on the new work (started by
	// reconcile).
	var wg sync.WaitGroup
	for _, c := range revokedConns {
		if oc, ok := h.conns[c]; ok {
			delete(h.conns, c)
			h.stopConnector(c, oc, true)
		}
	}
	for _, t := range revokedTasks {
		if ot, ok := h.tasks[t]; ok {
			delete(h.tasks, t)
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.stopTask(t, ot, true)
			}()
		}
	}
	wg.Wait()
	if len(revokedConns)+len(revokedTasks) > 0 {
		// As Kafka Connect's onRevoked does: the UNASSIGNED statuses of
		// what moved away reach the topic before the follow-up round
		// hands it to a new owner, whose RUNNING must come after them.
		fctx, fcancel := context.WithTimeout(ctx, 5*time.Second)
		if err := h.statuses.Flush(fctx); err != nil {
			h.log.Warn("could not flush statuses after revocations", "error", err.Error())
		}
		fcancel()
	}
	for _, c := range a.Connectors {
		if _, ok := h.conns[c]; !ok {
			h.conns[c] = &ownedConn{}
		}
	}
	for _, t := range a.Tasks {
		if _, ok := h.tasks[t]; !ok {
			h.tasks[t] = &ownedTask{}
		}
	}
	h.scheduled = time.Time{}
	if a.Delay > 0 {
		h.scheduled = time.Now().Add(time.Duration(a.Delay) * time.Millisecond)
	}
	if followUp {
		// The freed work is handed out in a follow-up round.
		h.needRejoin.Store(true)
	}
	h.mu.Lock()
	h.joinedOnce = true
	h.setRebalancingLocked(h.needRejoin.Load())
	leader := h.isLeader
	h.mu.Unlock()
	h.stable.Store(true)
	h.updateConfigWriter(ctx, leader)
	if leader {
		h.leaderHousekeeping(ctx)
	}
	return nil
}

// joinProtocols is the JoinGroup protocol list: one metadata blob per
// offered subprotocol, each in that subprotocol's version. Only v1+ carry
// the worker's current allocation; the v0 blob of the eager protocol is
// just its URL and config offset.
func joinProtocols(protocols []string, url string, configOffset int64, allocation Assignment) []protocolMeta {
	out := make([]protocolMeta, 0, len(protocols))
	for _, p := range protocols {
		v := ProtocolVersion(p)
		a := allocation
		a.Version = v
		out = append(out, protocolMeta{name: p, metadata: EncodeMetadata(MemberMetadata{Version: v, URL: url, ConfigOffset: configOffset, Allocation: &a})})
	}
	return out
}

// notAssigned returns what this worker runs outside a full assignment.
func (h *Herder) notAssigned(conns []string, tasks []rest.TaskID) ([]string, []rest.TaskID) {
	keepC := boolSet(slices.Values(conns))
	keepT := boolSet(slices.Values(tasks))
	var rc []string
	for _, c := range slices.Sorted(maps.Keys(h.conns)) {
		if !keepC[c] {
			rc = append(rc, c)
		}
	}
	var rt []rest.TaskID
	for _, t := range sortedTasks(boolSet(maps.Keys(h.tasks))) {
		if !keepT[t] {
			rt = append(rt, t)
		}
	}
	return rc, rt
}

// logProtocolChange tells the user when the group's protocol moved, and
// why a downgrade matters: Kafka Connect warns the same way, as a worker
// with an older connect.protocol silently turns off request signing or
// cooperative rebalancing for the whole cluster.
func (h *Herder) logProtocolChange(prev, cur string) {
	if prev == "" || prev == cur {
		return
	}
	if ProtocolVersion(cur) < ProtocolVersion(prev) {
		h.log.Warn("the cluster's rebalance protocol was downgraded, most likely by a worker that joined with an older "+PropConnectProtocol+"; set "+PropConnectProtocol+"=sessioned (the default) on every worker to restore request signing and cooperative rebalancing",
			"from", protocolMode(prev), "to", protocolMode(cur))
		return
	}
	h.log.Info("the cluster's rebalance protocol was upgraded", "from", protocolMode(prev), "to", protocolMode(cur))
}

// leaderAssign computes every member's assignment blob.
func (h *Herder) leaderAssign(ctx context.Context, jr joinResult) (map[string][]byte, error) {
	version := ProtocolVersion(jr.protocol)
	var members []MemberState
	urls := map[string]string{}
	var maxOffset int64
	for _, m := range jr.members {
		md, err := DecodeMetadata(m.metadata)
		if err != nil {
			h.log.Warn("member sent unreadable metadata; treating it as empty", "member", m.id, "error", err.Error())
		}
		urls[m.id] = md.URL
		if md.ConfigOffset > maxOffset {
			maxOffset = md.ConfigOffset
		}
		ms := MemberState{ID: m.id, URL: md.URL}
		if md.Allocation != nil {
			ms.Connectors, ms.Tasks = md.Allocation.Connectors, md.Allocation.Tasks
		}
		members = append(members, ms)
	}
	if h.configs.Offset() < maxOffset {
		_ = h.configs.ReadToEnd(ctx)
	}
	snap := h.configs.Snapshot()
	out := map[string][]byte{}
	if snap.Offset < maxOffset {
		for _, m := range members {
			out[m.ID] = EncodeAssignment(Assignment{Version: version, Error: AssignmentConfigMismatch, Leader: jr.memberID, LeaderURL: h.URL(), ConfigOffset: snap.Offset})
		}
		return out, nil
	}
	conns := slices.Sorted(maps.Keys(snap.Connectors))
	var tasks []rest.TaskID
	for _, c := range conns {
		for i := range snap.Tasks[c] {
			tasks = append(tasks, rest.TaskID{Connector: c, Task: i})
		}
	}
	var res map[string]*MemberAssignment
	if jr.protocol == ProtocolDefault {
		ids := make([]string, 0, len(members))
		for _, m := range members {
			ids = append(ids, m.ID)
		}
		// Members stopped their work before joining: what they report
		// running does not count (and v0 metadata carries none).
		for i := range members {
			members[i].Connectors, members[i].Tasks = nil, nil
		}
		res = EagerAssign(ids, conns, tasks)
	} else {
		res = h.assignor.Assign(jr.generation, members, conns, tasks)
	}
	connOwner := map[string]string{}
	taskOwner := map[rest.TaskID]string{}
	for _, m := range members {
		as := res[m.ID]
		own := boolSet(slices.Values(m.Connectors))
		for _, c := range as.RevokedConnectors {
			delete(own, c)
		}
		for _, c := range as.Connectors {
			own[c] = true
		}
		for c := range own {
			connOwner[c] = m.ID
		}
		ownT := boolSet(slices.Values(m.Tasks))
		for _, t := range as.RevokedTasks {
			delete(ownT, t)
		}
		for _, t := range as.Tasks {
			ownT[t] = true
		}
		for t := range ownT {
			taskOwner[t] = m.ID
		}
		out[m.ID] = EncodeAssignment(Assignment{Version: version, Leader: jr.memberID, LeaderURL: h.URL(), ConfigOffset: snap.Offset,
			Connectors: as.Connectors, Tasks: as.Tasks, RevokedConnectors: as.RevokedConnectors, RevokedTasks: as.RevokedTasks,
			Delay: int32(as.Delay / time.Millisecond)})
	}
	held := map[string]string{}
	for _, m := range members {
		for _, t := range m.Tasks {
			held[t.Connector] = m.URL
		}
	}
	h.mu.Lock()
	h.memberURLs, h.connOwner, h.taskOwner, h.heldTasks = urls, connOwner, taskOwner, held
	h.mu.Unlock()
	return out, nil
}

// leaderHousekeeping tombstones the statuses of connectors and tasks that
// no longer exist, and writes a session key if there is none.
func (h *Herder) leaderHousekeeping(ctx context.Context) {
	snap := h.configs.Snapshot()
	cs, ts := h.statuses.Known()
	for _, c := range cs {
		if _, ok := snap.Connectors[c]; !ok {
			h.statuses.DeleteConnector(c)
		}
	}
	for _, t := range ts {
		if t.Task >= len(snap.Tasks[t.Connector]) && !snap.Inconsistent[t.Connector] {
			h.statuses.DeleteTask(t)
		}
	}
	if snap.SessionKey == nil && slices.Contains(h.cfg.Protocols, ProtocolSessioned) {
		key := make([]byte, 32)
		if _, err := cryptoRand(key); err == nil {
			if err := h.configs.PutSessionKey(ctx, SessionKey{Key: key, Algorithm: "HmacSHA256", Created: time.Now().UnixMilli()}); err != nil {
				h.log.Warn("could not write the session key", "error", err.Error())
			}
		}
	}
}

// processEvents reacts to config-topic changes read since the last call.
func (h *Herder) processEvents(ctx context.Context) {
	h.evMu.Lock()
	evs := h.pendingEvts
	h.pendingEvts = nil
	recfg := h.pendingRecfg
	h.pendingRecfg = map[string]bool{}
	h.evMu.Unlock()
	snap := h.configs.Snapshot()
	for _, ev := range evs {
		switch ev.Kind {
		case EventConnectorConfig:
			_, exists := snap.Connectors[ev.Connector]
			if exists != h.knownConns[ev.Connector] {
				if exists {
					h.knownConns[ev.Connector] = true
				} else {
					delete(h.knownConns, ev.Connector)
					h.stopDeleted(ev.Connector)
				}
				h.requestRejoin()
			}
		case EventTaskConfigs:
			h.requestRejoin()
		case EventRestartRequest:
			h.restartLocal(ctx, ev.Connector, ev.Restart, snap)
		case EventLoggerLevel:
			if h.loggers != nil {
				if _, err := h.loggers.SetLevel(ev.Namespace, ev.Level); err != nil {
					h.log.Warn("ignoring cluster log level", "namespace", ev.Namespace, "level", ev.Level, "error", err.Error())
				}
			}
		}
	}
	for c := range recfg {
		if oc, ok := h.conns[c]; ok && oc.inst != nil {
			h.regenerateTasks(ctx, c, oc, snap)
		}
	}
}

// stopDeleted stops a deleted connector's local work at once; the next
// rebalance revokes it.
func (h *Herder) stopDeleted(c string) {
	if oc, ok := h.conns[c]; ok {
		h.stopConnector(c, oc, false)
		h.conns[c] = &ownedConn{}
	}
	var wg sync.WaitGroup
	for id, ot := range h.tasks {
		if id.Connector == c && ot.handle != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.stopTask(id, ot, false)
			}()
		}
	}
	wg.Wait()
	for id := range h.tasks {
		if id.Connector == c {
			h.tasks[id] = &ownedTask{}
		}
	}
}

func (h *Herder) currentGeneration() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return int(h.generation)
}

func (h *Herder) connStatus(c, state string, err error, safeOnly bool) {
	h.statuses.PutConnector(c, Status{State: state, Trace: traceOf(err), WorkerID: h.w.ID(), Generation: h.currentGeneration()}, safeOnly)
}

func (h *Herder) taskStatus(id rest.TaskID, state string, err error, safeOnly bool) {
	h.statuses.PutTask(id, Status{State: state, Trace: traceOf(err), WorkerID: h.w.ID(), Generation: h.currentGeneration()}, safeOnly)
}

func traceOf(err error) string {
	if err == nil {
		return ""
	}
	return runtime.Trace(err)
}

// reconcile brings the connectors and tasks assigned here to what the
// config snapshot says: started, restarted with new configs, paused,
// resumed or stopped.
func (h *Herder) reconcile(ctx context.Context) {
	snap := h.configs.Snapshot()
	for _, c := range slices.Sorted(maps.Keys(h.conns)) {
		oc := h.conns[c]
		cfg, ok := snap.Connectors[c]
		if !ok {
			if oc.inst != nil {
				h.stopConnector(c, oc, false)
			}
			continue
		}
		target := snap.Target(c)
		if oc.applied && maps.Equal(oc.config, cfg) && oc.target == target {
			continue
		}
		if oc.inst != nil {
			h.stopConnector(c, oc, false)
		}
		h.startConnector(ctx, c, oc, cfg, target, snap)
	}
	var wg sync.WaitGroup
	for _, id := range sortedTasks(boolSet(maps.Keys(h.tasks))) {
		ot := h.tasks[id]
		connCfg, ok := snap.Connectors[id.Connector]
		list := snap.Tasks[id.Connector]
		if !ok || id.Task >= len(list) || snap.Target(id.Connector) == rest.TargetStopped {
			if ot.handle != nil {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// UNASSIGNED, written after the task's final offset
					// commit, tells the leader an offsets change may go
					// ahead (awaitTasksStopped); Kafka Connect writes it
					// at every task shutdown too.
					h.stopTask(id, ot, ok)
				}()
			}
			continue
		}
		tcfg := list[id.Task]
		paused := snap.Target(id.Connector) == rest.TargetPaused
		if ot.handle != nil && (!maps.Equal(ot.config, tcfg) || !maps.Equal(ot.connConfig, connCfg)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.stopTask(id, ot, false)
			}()
			continue
		}
		if ot.handle != nil && ot.paused != paused {
			ot.handle.SetPaused(paused)
			ot.paused = paused
			if paused {
				h.taskStatus(id, runtime.StatePaused, nil, false)
			} else {
				h.taskStatus(id, runtime.StateRunning, nil, false)
			}
		}
	}
	wg.Wait()
	// Start what is assigned and not running (including tasks just
	// stopped for new configs).
	for _, id := range sortedTasks(boolSet(maps.Keys(h.tasks))) {
		ot := h.tasks[id]
		connCfg, ok := snap.Connectors[id.Connector]
		list := snap.Tasks[id.Connector]
		if ot.handle != nil || !ok || id.Task >= len(list) || snap.Target(id.Connector) == rest.TargetStopped {
			continue
		}
		if ot.failed && maps.Equal(ot.config, list[id.Task]) && maps.Equal(ot.connConfig, connCfg) {
			continue
		}
		h.startTask(id, ot, connCfg, list[id.Task], snap.Target(id.Connector) == rest.TargetPaused)
	}
}

type connectorContext struct {
	h    *Herder
	name string
}

func (c connectorContext) RequestTaskReconfiguration() {
	c.h.evMu.Lock()
	c.h.pendingRecfg[c.name] = true
	c.h.evMu.Unlock()
	c.h.poke()
}

func (c connectorContext) RaiseError(err error) {
	c.h.connStatus(c.name, runtime.StateFailed, err, true)
}

func (c connectorContext) OffsetStorageReader() connect.OffsetStorageReader {
	return offsetReader{h: c.h, connector: c.name}
}

// Logger implements connect.ContextLogger.
func (c connectorContext) Logger() *slog.Logger { return c.h.w.ConnectorLogger(c.name) }

type offsetReader struct {
	h         *Herder
	connector string
}

func (r offsetReader) Offset(ctx context.Context, partition map[string]any) (map[string]any, error) {
	return r.h.w.OffsetStore().Get(ctx, r.connector, partition)
}

func (h *Herder) startConnector(ctx context.Context, c string, oc *ownedConn, cfg map[string]string, target rest.TargetState, snap Snapshot) {
	oc.config, oc.target, oc.applied = maps.Clone(cfg), target, true
	switch target {
	case rest.TargetStopped:
		h.connStatus(c, runtime.StateStopped, nil, false)
		return
	case rest.TargetPaused:
		h.connStatus(c, runtime.StatePaused, nil, false)
		return
	}
	inst, _, err := connect.NewSourceConnector(cfg[runtime.ConnClass])
	if err != nil {
		h.connStatus(c, runtime.StateFailed, err, true)
		return
	}
	// Variables are resolved at every start, so a restart picks up a
	// rotated secret; only the raw config is ever stored.
	props, err := h.w.ResolveConfig(maps.Clone(cfg))
	if err != nil {
		h.w.ConnectorStarted(c, false)
		h.connStatus(c, runtime.StateFailed, fmt.Errorf("connector start: %w", err), true)
		return
	}
	if err := runtime.SafeCall(func() error { return inst.Start(ctx, connectorContext{h: h, name: c}, props) }); err != nil {
		h.w.ConnectorStarted(c, false)
		if ctx.Err() != nil {
			// The herder is shutting down and cancelled ctx under the
			// start: that is not the connector failing, and a FAILED
			// status would outlive this worker (the task side is
			// workerTask.failUnlessStopping).
			h.log.Info("connector start cancelled by the worker stopping; not a failure", "connector", c, "reason", err.Error())
			return
		}
		h.connStatus(c, runtime.StateFailed, fmt.Errorf("connector start: %w", err), true)
		return
	}
	h.w.ConnectorStarted(c, true)
	oc.inst = inst
	h.log.Info("started connector", "connector", c)
	h.connStatus(c, runtime.StateRunning, nil, false)
	h.regenerateTasks(ctx, c, oc, snap)
}

// regenerateTasks asks the running connector for task configs and, when
// they differ from the committed ones (or the connector config changed
// since the last commit), has the leader write them.
func (h *Herder) regenerateTasks(ctx context.Context, c string, oc *ownedConn, snap Snapshot) {
	cc, err := runtime.ParseConnectorConfig(oc.config)
	if err != nil {
		h.connStatus(c, runtime.StateFailed, err, true)
		return
	}
	var cfgs []map[string]string
	if err := runtime.SafeCall(func() (err error) { cfgs, err = oc.inst.TaskConfigs(cc.TasksMax); return }); err != nil {
		h.connStatus(c, runtime.StateFailed, fmt.Errorf("task configs: %w", err), true)
		return
	}
	if len(cfgs) > cc.TasksMax && cc.TasksMaxEnforce {
		h.stopConnector(c, oc, false)
		h.connStatus(c, runtime.StateFailed, fmt.Errorf("The connector %s has generated %d tasks, which is greater than %d, the maximum number of tasks it is configured to create. This behaviour should be considered a bug and is disallowed. If necessary, it can be permitted by reconfiguring the connector with '%s' set to false; however, this option will be removed in a future release of Kafka Connect.", c, len(cfgs), cc.TasksMax, runtime.ConnTasksMaxEnforce), true)
		return
	}
	// Stored task configs hold the connector's raw ${...} values, never
	// resolved secrets, and are compared in that form.
	cfgs = runtime.WithTaskClass(cc.Class, runtime.RawTaskConfigs(oc.config, cfgs))
	cur := snap.Tasks[c]
	changed := snap.Inconsistent[c] || len(cfgs) != len(cur) || !maps.Equal(snap.Applied[c], oc.config)
	for i := 0; !changed && i < len(cfgs); i++ {
		changed = !sameTaskConfig(cfgs[i], cur[i])
	}
	if !changed {
		return
	}
	h.mu.Lock()
	leader := h.isLeader
	h.mu.Unlock()
	h.evMu.Lock()
	h.taskConfigSeq[c]++
	seq := h.taskConfigSeq[c]
	h.evMu.Unlock()
	if leader {
		if err := h.writeTaskConfigs(ctx, c, cfgs); err != nil {
			h.log.Error("could not write task configs; retrying on the next change", "connector", c, "error", err.Error())
			return
		}
		h.log.Info("wrote task configs", "connector", c, "tasks", len(cfgs))
		return
	}
	// Only the leader writes config records: send them there, as Kafka
	// Connect's owners do, without blocking this loop.
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		h.sendTaskConfigs(h.loopCtx, c, cfgs, seq)
	}()
}

// pausedTaskConfigs generates the task configs of cfg for a paused
// connector, whose own instance does not run, from an instance started for
// the purpose and stopped again. Kafka Connect leaves a paused connector's
// task configs alone until it resumes and then runs the resumed tasks on
// the replaced configs until the new ones are written; generating them at
// the update, as Sluice's standalone mode does, means a resumed task never
// runs on a config the user replaced.
func (h *Herder) pausedTaskConfigs(ctx context.Context, c string, cfg map[string]string) ([]map[string]string, error) {
	cc, err := runtime.ParseConnectorConfig(cfg)
	if err != nil {
		return nil, err
	}
	inst, _, err := connect.NewSourceConnector(cc.Class)
	if err != nil {
		return nil, err
	}
	props, err := h.w.ResolveConfig(maps.Clone(cfg))
	if err != nil {
		return nil, fmt.Errorf("connector start: %w", err)
	}
	if err := runtime.SafeCall(func() error { return inst.Start(ctx, pausedContext{h: h, name: c}, props) }); err != nil {
		return nil, fmt.Errorf("connector start: %w", err)
	}
	defer func() {
		if err := runtime.SafeCall(inst.Stop); err != nil {
			h.log.Warn("connector stop failed", "connector", c, "error", err.Error())
		}
	}()
	var cfgs []map[string]string
	if err := runtime.SafeCall(func() (err error) { cfgs, err = inst.TaskConfigs(cc.TasksMax); return }); err != nil {
		return nil, fmt.Errorf("task configs: %w", err)
	}
	if len(cfgs) > cc.TasksMax && cc.TasksMaxEnforce {
		return nil, fmt.Errorf("the connector generated %d tasks, more than %s=%d", len(cfgs), runtime.ConnTasksMax, cc.TasksMax)
	}
	return runtime.WithTaskClass(cc.Class, runtime.RawTaskConfigs(cfg, cfgs)), nil
}

// pausedContext is the context of an instance that only generates task
// configs: it is stopped before anything could act on a reconfiguration
// request, and an error it raises fails the generation, not the connector.
type pausedContext struct {
	h    *Herder
	name string
}

func (pausedContext) RequestTaskReconfiguration() {}

func (c pausedContext) RaiseError(err error) {
	c.h.log.Warn("connector raised an error while generating the paused connector's task configs", "connector", c.name, "error", err.Error())
}

func (c pausedContext) OffsetStorageReader() connect.OffsetStorageReader {
	return offsetReader{h: c.h, connector: c.name}
}

// Logger implements connect.ContextLogger.
func (c pausedContext) Logger() *slog.Logger { return c.h.w.ConnectorLogger(c.name) }

// sameTaskConfig compares a generated task config with the stored one. A
// stored config without task.class was written before Sluice added it:
// rewriting it for that alone would restart every task of every connector
// once after an upgrade, so it is compared without the key.
func sameTaskConfig(generated, stored map[string]string) bool {
	if _, ok := stored[runtime.TaskClassConfig]; ok {
		return maps.Equal(generated, stored)
	}
	if _, ok := generated[runtime.TaskClassConfig]; !ok {
		return maps.Equal(generated, stored)
	}
	if len(generated) != len(stored)+1 {
		return false
	}
	for k, v := range stored {
		if g, ok := generated[k]; !ok || g != v {
			return false
		}
	}
	return true
}

func (h *Herder) stopConnector(c string, oc *ownedConn, unassigned bool) {
	if oc.inst != nil {
		if err := runtime.SafeCall(oc.inst.Stop); err != nil {
			h.log.Warn("connector stop failed", "connector", c, "error", err.Error())
		}
		oc.inst = nil
		h.w.ConnectorStopped(c)
	}
	oc.applied = false
	if unassigned {
		h.connStatus(c, runtime.StateUnassigned, nil, true)
	}
}

func (h *Herder) startTask(id rest.TaskID, ot *ownedTask, connCfg, tcfg map[string]string, paused bool) {
	ot.config, ot.connConfig, ot.paused, ot.failed = maps.Clone(tcfg), maps.Clone(connCfg), paused, false
	var hmu sync.Mutex
	onState := func(state string, err error) {
		hmu.Lock()
		defer hmu.Unlock()
		h.taskStatus(id, state, err, state == runtime.StateFailed)
	}
	onTopic := func(topic string) {
		h.statuses.PutTopic(id.Connector, topic, id.Task, time.Now().UnixMilli())
	}
	var handle *runtime.TaskHandle
	var err error
	if h.cfg.exactlyOnceTasks() {
		ot.stopped = &atomic.Bool{}
		var eos runtime.ExactlyOnce
		if eos, err = h.exactlyOnceTask(id, connCfg, maps.Clone(tcfg), ot.stopped); err == nil {
			handle, err = h.w.StartExactlyOnceTask(id, connCfg, maps.Clone(tcfg), paused, eos, onState, onTopic)
		}
	} else {
		handle, err = h.w.StartTask(id, connCfg, maps.Clone(tcfg), paused, onState, onTopic)
	}
	if err != nil {
		h.taskStatus(id, runtime.StateFailed, err, true)
		ot.failed = true
		return
	}
	ot.handle = handle
	h.log.Info("started task", "connector", id.Connector, "task", id.Task)
}

func (h *Herder) stopTask(id rest.TaskID, ot *ownedTask, unassigned bool) {
	if ot.stopped != nil {
		ot.stopped.Store(true)
	}
	if ot.handle != nil {
		ot.handle.Stop()
		ot.handle = nil
	}
	if unassigned {
		h.taskStatus(id, runtime.StateUnassigned, nil, true)
	}
}

func (h *Herder) stopAll() {
	var wg sync.WaitGroup
	for id, ot := range h.tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.stopTask(id, ot, true)
		}()
	}
	wg.Wait()
	for c, oc := range h.conns {
		h.stopConnector(c, oc, true)
	}
	h.tasks = map[rest.TaskID]*ownedTask{}
	h.conns = map[string]*ownedConn{}
}

// restartLocal applies a restart request to what this worker runs.
func (h *Herder) restartLocal(ctx context.Context, c string, req rest.RestartRequest, snap Snapshot) {
	if oc, ok := h.conns[c]; ok {
		st, _ := h.statuses.Connector(c)
		if !req.OnlyFailed || st.State == runtime.StateFailed {
			h.connStatus(c, runtime.StateRestarting, nil, false)
			h.stopConnector(c, oc, false)
			if cfg, ok := snap.Connectors[c]; ok {
				h.startConnector(ctx, c, oc, cfg, snap.Target(c), snap)
			}
		}
	}
	if !req.IncludeTasks {
		return
	}
	for id, ot := range h.tasks {
		if id.Connector != c {
			continue
		}
		st, _ := h.statuses.Task(id)
		if req.OnlyFailed && st.State != runtime.StateFailed {
			continue
		}
		h.taskStatus(id, runtime.StateRestarting, nil, false)
		h.stopTask(id, ot, false)
		ot.failed = false
	}
	h.reconcile(ctx)
}

// cryptoRand is crypto/rand.Read, a variable for tests.
var cryptoRand = cryptoRead

// KafkaClusterID asks the brokers once and remembers the answer.
func (h *Herder) KafkaClusterID(ctx context.Context) string {
	h.clusterMu.Lock()
	defer h.clusterMu.Unlock()
	if h.clusterID != "" {
		return h.clusterID
	}
	cm := kafka.ConfigMap{"bootstrap.servers": strings.Join(h.cfg.Bootstrap, ","), "log.connection.close": false, "enable.metrics.push": false}
	for k, v := range h.clientProps {
		cm[k] = v
	}
	a, err := kafka.NewAdminClient(&cm)
	if err != nil {
		return ""
	}
	defer a.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	id, err := a.ClusterID(ctx)
	if err != nil {
		return ""
	}
	h.clusterID = id
	return id
}

// unsyncBackoff is Kafka Connect's answer to a worker that cannot read the
// config topic up to the offset its leader assigned from within
// worker.sync.timeout.ms: it runs nothing, leaves the group so the others
// rebalance without it, and stays out for worker.unsync.backoff.ms, so a
// lagging worker does not rejoin in a tight loop. Unlike Kafka Connect it
// rejoins as soon as it has read up to that offset, instead of always
// waiting out the whole backoff.
func (h *Herder) unsyncBackoff(ctx context.Context, target int64) {
	h.log.Warn("could not read the config topic up to the leader's offset in time; leaving the group until it has",
		"config_topic", h.cfg.ConfigTopic, "read_to", h.configs.Offset(), "leader_offset", target,
		"timeout_ms", h.cfg.WorkerSyncTimeout.Milliseconds(), "max_backoff_ms", h.cfg.WorkerUnsyncBackoff.Milliseconds())
	h.releaseAllForRejoin(ctx)
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	h.member.leave(lctx)
	cancel()
	deadline := time.Now().Add(h.cfg.WorkerUnsyncBackoff)
	for ctx.Err() == nil && h.configs.Offset() < target {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		rctx, c := context.WithTimeout(ctx, min(left, h.cfg.WorkerSyncTimeout))
		if err := h.configs.ReadToEnd(rctx); err != nil && rctx.Err() == nil {
			// Not a timeout: wait before reading again.
			_ = sleepCtx(rctx, time.Second)
		}
		c()
	}
	h.log.Info("rejoining the group", "read_to", h.configs.Offset(), "leader_offset", target)
}
