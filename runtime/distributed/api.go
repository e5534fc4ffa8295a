package distributed

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/offsets"
	"github.com/sluicehq/sluice/rest"
	"github.com/sluicehq/sluice/runtime"
)

const msgStaleConfig = "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)"

func notFound(name string) error { return rest.NotFound(fmt.Sprintf("Connector %s not found", name)) }

// WorkerID is this worker's advertised host:port.
func (h *Herder) WorkerID() string { return h.w.ID() }

// rebalanceWait is how long a request that needs the leader waits for a
// rebalance under way to end before it is answered 409.
const rebalanceWait = 15 * time.Second

// leaderOnly returns nil on the leader outside a rebalance, else the error
// that forwards the request to the leader or answers 409. Kafka Connect
// answers 409 at once during a rebalance, so scripts that create
// connectors back to back must retry; here the request waits for the
// rebalance (the one its predecessor started, typically, or the worker's
// first join) to end, up to rebalanceWait or ctx, and is then judged as it
// would have been.
func (h *Herder) leaderOnly(ctx context.Context) error {
	var timeout <-chan time.Time
	for {
		h.mu.Lock()
		switch {
		case !h.joinedOnce && !h.rebalancing:
			h.mu.Unlock()
			return rest.NotLeader("")
		case !h.joinedOnce:
			// The worker's first join is under way: a script that starts a
			// worker and creates its connectors right away waits for it as
			// for any rebalance.
		case !h.isLeader:
			url := h.leaderURL
			h.mu.Unlock()
			return rest.NotLeader(url)
		case !h.rebalancing:
			h.mu.Unlock()
			return nil
		}
		if h.settled == nil {
			h.settled = make(chan struct{})
		}
		settled := h.settled
		h.mu.Unlock()
		if timeout == nil {
			t := time.NewTimer(rebalanceWait)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-settled:
		case <-timeout:
			return rest.Conflict(msgStaleConfig)
		case <-ctx.Done():
			return rest.Conflict(msgStaleConfig)
		}
	}
}

// setRebalancingLocked records whether a rebalance is under way (h.mu
// held) and wakes the requests leaderOnly holds when it ends.
func (h *Herder) setRebalancingLocked(v bool) {
	if !v && h.rebalancing && h.settled != nil {
		close(h.settled)
		h.settled = nil
	}
	h.rebalancing = v
}

// readFresh catches up with the config topic so a write is judged against
// the latest state.
func (h *Herder) readFresh(ctx context.Context) (Snapshot, error) {
	if err := h.configs.ReadToEnd(ctx); err != nil {
		return Snapshot{}, err
	}
	return h.configs.Snapshot(), nil
}

func (h *Herder) Connectors(ctx context.Context) ([]string, error) {
	return slices.Sorted(maps.Keys(h.configs.Snapshot().Connectors)), nil
}

func infoOf(name string, snap *Snapshot) rest.ConnectorInfo {
	tasks := make([]rest.TaskID, len(snap.Tasks[name]))
	for i := range tasks {
		tasks[i] = rest.TaskID{Connector: name, Task: i}
	}
	return rest.ConnectorInfo{Name: name, Config: maps.Clone(snap.Connectors[name]), Tasks: tasks, Type: "source"}
}

func (h *Herder) ConnectorInfo(ctx context.Context, name string) (rest.ConnectorInfo, error) {
	snap := h.configs.Snapshot()
	if _, ok := snap.Connectors[name]; !ok {
		return rest.ConnectorInfo{}, notFound(name)
	}
	return infoOf(name, &snap), nil
}

func (h *Herder) ConnectorConfig(ctx context.Context, name string) (map[string]string, error) {
	snap := h.configs.Snapshot()
	c, ok := snap.Connectors[name]
	if !ok {
		return nil, notFound(name)
	}
	return c, nil
}

func (h *Herder) PutConnectorConfig(ctx context.Context, name string, config map[string]string, allowReplace bool, initial rest.TargetState) (rest.ConnectorInfo, bool, error) {
	if err := h.leaderOnly(ctx); err != nil {
		return rest.ConnectorInfo{}, false, err
	}
	config = maps.Clone(config)
	if _, ok := config[runtime.ConnName]; !ok {
		config[runtime.ConnName] = name
	}
	return h.writeConnectorConfig(ctx, name, allowReplace, initial, func(map[string]string, bool) (map[string]string, error) {
		return config, nil
	})
}

// PatchConnectorConfig merges the patch into the stored config and writes
// the result, as one read-modify-write on the leader: the merge is redone
// whenever another write changed the config in between, so every patch
// that was answered 200 is kept.
func (h *Herder) PatchConnectorConfig(ctx context.Context, name string, patch map[string]*string) (rest.ConnectorInfo, error) {
	if err := h.leaderOnly(ctx); err != nil {
		return rest.ConnectorInfo{}, err
	}
	info, _, err := h.writeConnectorConfig(ctx, name, true, "", func(stored map[string]string, exists bool) (map[string]string, error) {
		if !exists {
			return nil, notFound(name)
		}
		cfg := maps.Clone(stored)
		for k, v := range patch {
			if v == nil {
				delete(cfg, k)
			} else {
				cfg[k] = *v
			}
		}
		return cfg, nil
	})
	return info, err
}

// maxConfigWriteAttempts bounds how often a write is rebuilt because
// another one changed the connector's config while it was validated; each
// round lets at least one competing write through, so only a storm of
// writes to one connector gets this far.
const maxConfigWriteAttempts = 20

// writeConnectorConfig writes the config build makes from the stored one
// (nil and false when the connector does not exist). Validation may take
// seconds (the MySQL connector connects to its database), so it runs
// outside the write lock, against a fresh read; under the lock the config
// topic is read again and, if the connector's config changed meanwhile,
// the config is built and validated again. The existence check and the
// write happen under the lock, so of concurrent creates of one name
// exactly one wins and the others get 409, as on Kafka Connect's leader.
func (h *Herder) writeConnectorConfig(ctx context.Context, name string, allowReplace bool, initial rest.TargetState,
	build func(stored map[string]string, exists bool) (map[string]string, error)) (rest.ConnectorInfo, bool, error) {
	for attempt := 1; ; attempt++ {
		base, err := h.readFresh(ctx)
		if err != nil {
			return rest.ConnectorInfo{}, false, err
		}
		stored, exists := base.Connectors[name]
		if exists && !allowReplace {
			return rest.ConnectorInfo{}, false, rest.Conflict(fmt.Sprintf("Connector %s already exists", name))
		}
		config, err := build(stored, exists)
		if err != nil {
			return rest.ConnectorInfo{}, false, err
		}
		vctx := ctx
		if exists {
			// Validated as the connector's reconfiguration
			// (connect.WithStoredConfig).
			vctx = connect.WithStoredConfig(ctx, stored)
		}
		if err := h.checkConfig(vctx, config); err != nil {
			return rest.ConnectorInfo{}, false, err
		}
		// A paused connector's task configs come from the new config now,
		// outside the write lock as they may take a connection to the
		// source, so its tasks never resume on the config being replaced.
		var pausedTasks []map[string]string
		pausedTasksOK := false
		if exists && base.Target(name) == rest.TargetPaused {
			if pausedTasks, err = h.pausedTaskConfigs(ctx, name, config); err != nil {
				h.log.Warn("could not generate the paused connector's task configs from its new config; they are generated when it resumes",
					"connector", name, "error", err.Error())
			} else {
				pausedTasksOK = true
			}
		}
		snap, unlock, err := h.lockConfig(ctx, true)
		if err != nil {
			return rest.ConnectorInfo{}, false, err
		}
		now, existsNow := snap.Connectors[name]
		if existsNow && !allowReplace {
			unlock()
			return rest.ConnectorInfo{}, false, rest.Conflict(fmt.Sprintf("Connector %s already exists", name))
		}
		if existsNow != exists || !maps.Equal(now, stored) {
			unlock()
			if attempt == maxConfigWriteAttempts {
				return rest.ConnectorInfo{}, false, rest.Conflict(msgStaleConfig)
			}
			continue
		}
		target := initial
		if exists {
			target = ""
		}
		err = h.configs.PutConnectorConfig(ctx, name, config, target)
		if err == nil && pausedTasksOK && snap.Target(name) == rest.TargetPaused {
			// After the connector config, so the commit records it as
			// the config these tasks were generated from (Applied), and
			// the resumed connector finds nothing to regenerate.
			if err := h.configs.PutTaskConfigs(ctx, name, pausedTasks); err != nil {
				h.log.Warn("could not write the paused connector's task configs; they are generated when it resumes",
					"connector", name, "error", err.Error())
			} else {
				h.log.Info("wrote task configs of the paused connector", "connector", name, "tasks", len(pausedTasks))
			}
		}
		snap = h.configs.Snapshot()
		unlock()
		if err != nil {
			return rest.ConnectorInfo{}, false, err
		}
		h.log.Info("wrote connector config", "connector", name, "created", !exists)
		return infoOf(name, &snap), !exists, nil
	}
}

func (h *Herder) DeleteConnector(ctx context.Context, name string) error {
	if err := h.leaderOnly(ctx); err != nil {
		return err
	}
	snap, unlock, err := h.lockConfig(ctx, true)
	if err != nil {
		return err
	}
	defer unlock()
	if _, ok := snap.Connectors[name]; !ok {
		return notFound(name)
	}
	if err := h.configs.RemoveConnector(ctx, name); err != nil {
		return err
	}
	h.log.Info("deleted connector", "connector", name)
	return nil
}

func (h *Herder) ConnectorStatus(ctx context.Context, name string) (rest.ConnectorStateInfo, error) {
	snap := h.configs.Snapshot()
	st, ok := h.statuses.Connector(name)
	if _, exists := snap.Connectors[name]; !exists || !ok {
		return rest.ConnectorStateInfo{}, rest.NotFound(fmt.Sprintf("No status found for connector %s", name))
	}
	out := rest.ConnectorStateInfo{Name: name, Type: "source", Tasks: []rest.TaskState{},
		Connector: rest.State{State: st.State, WorkerID: st.WorkerID, Trace: st.Trace, Version: st.Version}}
	n := len(snap.Tasks[name])
	ts := h.statuses.Tasks(name)
	for _, i := range slices.Sorted(maps.Keys(ts)) {
		if i >= n {
			continue
		}
		t := ts[i]
		out.Tasks = append(out.Tasks, rest.TaskState{ID: i, State: t.State, WorkerID: t.WorkerID, Trace: t.Trace, Version: t.Version})
	}
	return out, nil
}

func (h *Herder) TaskStatus(ctx context.Context, id rest.TaskID) (rest.TaskState, error) {
	st, ok := h.statuses.Task(id)
	if !ok {
		return rest.TaskState{}, rest.NotFound(fmt.Sprintf("No status found for task %s-%d", id.Connector, id.Task))
	}
	return rest.TaskState{ID: id.Task, State: st.State, WorkerID: st.WorkerID, Trace: st.Trace, Version: st.Version}, nil
}

func (h *Herder) TaskConfigs(ctx context.Context, name string) ([]rest.TaskInfo, error) {
	snap := h.configs.Snapshot()
	if _, ok := snap.Connectors[name]; !ok {
		return nil, notFound(name)
	}
	out := make([]rest.TaskInfo, len(snap.Tasks[name]))
	for i, c := range snap.Tasks[name] {
		out[i] = rest.TaskInfo{ID: rest.TaskID{Connector: name, Task: i}, Config: c}
	}
	return out, nil
}

// ownerURL routes a request for work that runs elsewhere: followers send it
// to the leader, the leader to the owner.
func (h *Herder) ownerURL(connector string, task *rest.TaskID) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.isLeader {
		return rest.NotLeader(h.leaderURL)
	}
	var owner string
	if task != nil {
		owner = h.taskOwner[*task]
	} else {
		owner = h.connOwner[connector]
	}
	if u := h.memberURLs[owner]; owner != "" && u != "" && u != h.URL() {
		return &rest.ForwardError{URL: u, Reason: "the work runs on another worker"}
	}
	return rest.Conflict("Cannot complete request because of a conflicting operation (e.g. worker rebalance)")
}

func (h *Herder) RestartConnector(ctx context.Context, name string, req rest.RestartRequest) (*rest.ConnectorStateInfo, error) {
	snap := h.configs.Snapshot()
	if _, ok := snap.Connectors[name]; !ok {
		return nil, notFound(name)
	}
	if !req.IncludeTasks && !req.OnlyFailed {
		// Only the Connector instance, on its owner, synchronously.
		var owned bool
		err := h.runInLoop(ctx, func() {
			if _, owned = h.conns[name]; owned {
				h.restartLocal(ctx, name, req, h.configs.Snapshot())
			}
		})
		if err != nil {
			return nil, err
		}
		if owned {
			return nil, nil
		}
		return nil, h.ownerURL(name, nil)
	}
	if err := h.leaderOnly(ctx); err != nil {
		return nil, err
	}
	plan, err := h.ConnectorStatus(ctx, name)
	if err != nil {
		return nil, err
	}
	if !req.OnlyFailed || plan.Connector.State == runtime.StateFailed {
		plan.Connector.State, plan.Connector.Trace = runtime.StateRestarting, ""
	}
	for i, t := range plan.Tasks {
		if req.IncludeTasks && (!req.OnlyFailed || t.State == runtime.StateFailed) {
			plan.Tasks[i].State, plan.Tasks[i].Trace = runtime.StateRestarting, ""
		}
	}
	if err := h.configs.PutRestartRequest(ctx, name, req); err != nil {
		return nil, err
	}
	return &plan, nil
}

func (h *Herder) RestartTask(ctx context.Context, id rest.TaskID) error {
	snap := h.configs.Snapshot()
	// Kafka Connect's distributed herder words these two 404s so.
	if _, ok := snap.Connectors[id.Connector]; !ok {
		return rest.NotFound("Unknown connector: " + id.Connector)
	}
	if id.Task < 0 || id.Task >= len(snap.Tasks[id.Connector]) {
		return rest.NotFound(fmt.Sprintf("Unknown task: %s-%d", id.Connector, id.Task))
	}
	var owned bool
	err := h.runInLoop(ctx, func() {
		ot, ok := h.tasks[id]
		if !ok {
			return
		}
		owned = true
		h.taskStatus(id, runtime.StateRestarting, nil, false)
		h.stopTask(id, ot, false)
		ot.failed = false
		h.reconcile(ctx)
	})
	if err != nil || owned {
		return err
	}
	return h.ownerURL(id.Connector, &id)
}

// PauseConnector and ResumeConnector may be written by any worker, as in
// Kafka Connect.
func (h *Herder) PauseConnector(ctx context.Context, name string) error {
	return h.setTarget(ctx, name, rest.TargetPaused)
}

func (h *Herder) ResumeConnector(ctx context.Context, name string) error {
	return h.setTarget(ctx, name, rest.TargetStarted)
}

func (h *Herder) setTarget(ctx context.Context, name string, t rest.TargetState) error {
	// Any worker writes target states, so the lock orders only this
	// worker's writes; on the leader it keeps a pause from landing between
	// a delete's check and its tombstones.
	snap, unlock, err := h.lockConfig(ctx, false)
	if err != nil {
		return err
	}
	defer unlock()
	if _, ok := snap.Connectors[name]; !ok {
		return notFound(name)
	}
	if snap.Target(name) == t {
		return nil
	}
	return h.configs.PutTargetState(ctx, name, t)
}

// StopConnector commits an empty task set first, so no task of a STOPPED
// connector is ever left configured, then writes the STOPPED state.
func (h *Herder) StopConnector(ctx context.Context, name string) error {
	if err := h.leaderOnly(ctx); err != nil {
		return err
	}
	snap, unlock, err := h.lockConfig(ctx, true)
	if err != nil {
		return err
	}
	defer unlock()
	if _, ok := snap.Connectors[name]; !ok {
		return notFound(name)
	}
	if err := h.configs.PutTaskConfigs(ctx, name, nil); err != nil {
		return err
	}
	return h.configs.PutTargetState(ctx, name, rest.TargetStopped)
}

func (h *Herder) ConnectorTopics(ctx context.Context, name string) ([]string, error) {
	t := h.statuses.Topics(name)
	slices.Sort(t)
	return t, nil
}

func (h *Herder) ResetConnectorTopics(ctx context.Context, name string) error {
	h.statuses.ResetTopics(name)
	return nil
}

func (h *Herder) ConnectorOffsets(ctx context.Context, name string) ([]rest.ConnectorOffset, error) {
	if _, ok := h.configs.Snapshot().Connectors[name]; !ok {
		return nil, notFound(name)
	}
	entries, err := h.w.OffsetStore().List(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("read offsets of connector %s: %w", name, err)
	}
	out := make([]rest.ConnectorOffset, len(entries))
	for i, e := range entries {
		out[i] = rest.ConnectorOffset{Partition: e.Partition, Offset: e.Offset}
	}
	return out, nil
}

// stoppedConfig checks the connector exists and is STOPPED with no tasks.
func (h *Herder) stoppedConfig(ctx context.Context, name string) (map[string]string, error) {
	if err := h.leaderOnly(ctx); err != nil {
		return nil, err
	}
	snap, err := h.readFresh(ctx)
	if err != nil {
		return nil, err
	}
	cfg, ok := snap.Connectors[name]
	if !ok {
		return nil, notFound(name)
	}
	if snap.Target(name) != rest.TargetStopped || len(snap.Tasks[name]) > 0 {
		return nil, runtime.StoppedRequired(name)
	}
	if err := h.awaitTasksStopped(ctx, name); err != nil {
		return nil, err
	}
	return cfg, nil
}

// stoppedTaskWait bounds how long an offsets change waits for the tasks of
// a just-stopped connector to confirm they have stopped: long enough for a
// dead worker to be evicted and its statuses cleaned up after the rebalance.
func (h *Herder) stoppedTaskWait() time.Duration {
	return h.cfg.SessionTimeout + rebalanceWait
}

// awaitTasksStopped waits until no task of connector name may still commit
// offsets. PUT /stop only writes the STOPPED state; each owner stops its
// tasks when it reads it or when the next rebalance revokes them, and a
// task's last act is committing the offsets of what it sent. Altering or
// resetting offsets before that commit lands would be silently undone by
// it: a reset connector would resume where it was instead of taking a new
// snapshot, an altered one skip what it was told to read again. Kafka
// Connect does not wait (only its exactly-once fencing guards this).
func (h *Herder) awaitTasksStopped(ctx context.Context, name string) error {
	deadline := time.Now().Add(h.stoppedTaskWait())
	for {
		if err := h.statuses.ReadToEnd(ctx); err != nil {
			return fmt.Errorf("read the status topic: %w", err)
		}
		why, busy := h.tasksMayRun(name)
		if !busy {
			return nil
		}
		if time.Now().After(deadline) {
			return rest.Conflict(fmt.Sprintf("Cannot modify the offsets of connector %s yet: %s, and could still commit offsets that would overwrite the change; retry in a few seconds", name, why))
		}
		select {
		case <-ctx.Done():
			return rest.Conflict(fmt.Sprintf("Cannot modify the offsets of connector %s yet: %s; retry in a few seconds", name, why))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// tasksMayRun reports whether a task of connector name may still be
// running somewhere, and why. A worker reports the tasks it holds when it
// joins a rebalance, after stopping (and committing) those revoked the
// round before; so once the latest round the leader assigned had no
// member holding one, every live worker has stopped them. The statuses
// add what a worker says itself: a task that stopped wrote UNASSIGNED
// after its final commit (or FAILED), and the leader tombstones those of
// removed tasks. Under the eager protocol, which reports no holdings,
// members stop everything before they join, so the tombstones after the
// round are proof enough.
func (h *Herder) tasksMayRun(name string) (string, bool) {
	h.mu.Lock()
	holder, held := h.heldTasks[name]
	h.mu.Unlock()
	if held {
		return "worker " + holder + " still held one of its tasks at the last rebalance", true
	}
	tasks := h.statuses.Tasks(name)
	for _, id := range slices.Sorted(maps.Keys(tasks)) {
		switch st := tasks[id]; st.State {
		case runtime.StateUnassigned, runtime.StateFailed:
		default:
			return fmt.Sprintf("its task %d has not reported that it stopped (status %s on worker %s)", id, st.State, st.WorkerID), true
		}
	}
	return "", false
}

func (h *Herder) AlterConnectorOffsets(ctx context.Context, name string, offs []rest.ConnectorOffset) (string, error) {
	cfg, err := h.stoppedConfig(ctx, name)
	if err != nil {
		return "", err
	}
	entries, err := runtime.AlterOffsetEntries(offs)
	if err != nil {
		return "", err
	}
	managed, err := callAlterer(name, cfg, entries)
	if err != nil {
		return "", err
	}
	if err := h.w.OffsetStore().Set(ctx, name, entries); err != nil {
		return "", fmt.Errorf("write offsets of connector %s: %w", name, err)
	}
	if managed {
		return runtime.MsgAlteredByConnector, nil
	}
	return runtime.MsgAlteredFramework, nil
}

func (h *Herder) ResetConnectorOffsets(ctx context.Context, name string) (string, error) {
	cfg, err := h.stoppedConfig(ctx, name)
	if err != nil {
		return "", err
	}
	current, err := h.w.OffsetStore().List(ctx, name)
	if err != nil {
		return "", fmt.Errorf("read offsets of connector %s: %w", name, err)
	}
	tomb := make([]offsets.Entry, len(current))
	for i, c := range current {
		tomb[i] = offsets.Entry{Partition: c.Partition}
	}
	managed, err := callAlterer(name, cfg, tomb)
	if err != nil {
		return "", err
	}
	if err := h.w.OffsetStore().Delete(ctx, name); err != nil {
		return "", fmt.Errorf("reset offsets of connector %s: %w", name, err)
	}
	if managed {
		return runtime.MsgResetByConnector, nil
	}
	return runtime.MsgResetFramework, nil
}

// callAlterer lets a connector implementing connect.OffsetAlterer check or
// apply an offsets change; partitions are keyed by their JSON.
func callAlterer(name string, cfg map[string]string, entries []offsets.Entry) (bool, error) {
	conn, _, err := connect.NewSourceConnector(cfg[runtime.ConnClass])
	if err != nil {
		return false, err
	}
	alt, ok := conn.(connect.OffsetAlterer)
	if !ok {
		return false, nil
	}
	m := make(map[string]map[string]any, len(entries))
	for _, en := range entries {
		k, err := offsets.EncodeValue(en.Partition)
		if err != nil {
			return false, rest.BadRequest(err.Error())
		}
		m[string(k)] = en.Offset
	}
	var managed bool
	err = runtime.SafeCall(func() (err error) { managed, err = alt.AlterOffsets(maps.Clone(cfg), m); return })
	if err != nil {
		return false, rest.BadRequest(fmt.Sprintf("Failed to alter offsets for connector %s: %v", name, err))
	}
	return managed, nil
}

func (h *Herder) PluginConfig(ctx context.Context, plugin, version string) ([]rest.ConfigKeyInfo, error) {
	return runtime.PluginConfig(plugin, version)
}

// withStored marks a validation of connector name's config as its
// reconfiguration when the connector exists (connect.WithStoredConfig).
func (h *Herder) withStored(ctx context.Context, name string) context.Context {
	if c, ok := h.configs.Snapshot().Connectors[name]; ok {
		return connect.WithStoredConfig(ctx, c)
	}
	return ctx
}

func (h *Herder) ValidateConfig(ctx context.Context, config map[string]string) (rest.ConfigInfos, error) {
	// A config named after an existing connector is validated as its
	// reconfiguration (what PUT …/config would check).
	ctx = h.withStored(ctx, config[runtime.ConnName])
	if h.cfg.exactlyOnceTasks() {
		return h.w.ValidateExactlyOnceResolved(ctx, config)
	}
	return h.w.ValidateResolved(ctx, config)
}

// checkConfig validates a config about to be written, with the
// exactly-once preflight checks when tasks run transactionally.
func (h *Herder) checkConfig(ctx context.Context, config map[string]string) error {
	if h.cfg.exactlyOnceTasks() {
		return h.w.CheckExactlyOnceResolved(ctx, config)
	}
	return h.w.CheckResolved(ctx, config)
}

// Health answers GET /health: starting until the first assignment.
func (h *Herder) Health(ctx context.Context) rest.WorkerHealth {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closed:
		return rest.WorkerHealth{Status: rest.HealthUnhealthy, Message: "Worker is shutting down."}
	case !h.joinedOnce:
		return rest.WorkerHealth{Status: rest.HealthStarting, Message: "Worker is still starting up."}
	}
	return rest.WorkerHealth{Status: rest.HealthHealthy, Message: "Worker has completed startup and is ready to handle requests."}
}

// Leader reports whether this worker leads the group, and the leader's URL.
func (h *Herder) Leader() (bool, string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.isLeader, h.leaderURL
}
