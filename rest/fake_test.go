package rest

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/connect/pluginversion"
)

// fakeHerder is an in-memory stand-in for the runtime with Kafka Connect's
// observable rules (409 on duplicate create, offsets only when STOPPED, the
// restart plan), so the handler can be tested on its own.
type fakeHerder struct {
	mu    sync.Mutex
	conns map[string]*fakeConn
	// fail, when set, is returned by every herder call.
	fail error
	// block makes every call wait for its context to end.
	block bool
	// panicOn makes the named call panic.
	panicOn string
	// restarts records what RestartConnector and RestartTask restarted.
	restarts []string
}

type fakeConn struct {
	config       map[string]string
	target       TargetState
	connFailed   bool
	failedTasks  map[int]bool
	offsets      []ConnectorOffset
	topics       []string
	nTasksActive int
}

func newFakeHerder() *fakeHerder { return &fakeHerder{conns: map[string]*fakeConn{}} }

func (f *fakeHerder) enter(ctx context.Context, call string) error {
	if f.panicOn == call {
		panic("fake herder panics in " + call)
	}
	if f.block {
		<-ctx.Done()
		return fmt.Errorf("waiting for the herder in %s: %w", call, ctx.Err())
	}
	return f.fail
}

func notFound(name string) error { return NotFound("Connector " + name + " not found") }

func (f *fakeHerder) get(name string) (*fakeConn, error) {
	c, ok := f.conns[name]
	if !ok {
		return nil, notFound(name)
	}
	return c, nil
}

func (f *fakeHerder) WorkerID() string                          { return "127.0.0.1:8083" }
func (f *fakeHerder) KafkaClusterID(ctx context.Context) string { return "fake-cluster-id" }

func (f *fakeHerder) Connectors(ctx context.Context) ([]string, error) {
	if err := f.enter(ctx, "Connectors"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []string{}
	for n := range f.conns {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

func (c *fakeConn) tasks() int {
	if c.target == TargetStopped {
		return 0
	}
	n, err := strconv.Atoi(c.config["tasks.max"])
	if err != nil || n < 1 {
		n = 1
	}
	return n
}

func (f *fakeHerder) info(name string, c *fakeConn) ConnectorInfo {
	info := ConnectorInfo{Name: name, Config: c.config, Type: "source"}
	for i := 0; i < c.tasks(); i++ {
		info.Tasks = append(info.Tasks, TaskID{Connector: name, Task: i})
	}
	return info
}

func (f *fakeHerder) ConnectorInfo(ctx context.Context, name string) (ConnectorInfo, error) {
	if err := f.enter(ctx, "ConnectorInfo"); err != nil {
		return ConnectorInfo{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(name)
	if err != nil {
		return ConnectorInfo{}, err
	}
	return f.info(name, c), nil
}

func (f *fakeHerder) ConnectorConfig(ctx context.Context, name string) (map[string]string, error) {
	if err := f.enter(ctx, "ConnectorConfig"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(name)
	if err != nil {
		return nil, err
	}
	return c.config, nil
}

func (f *fakeHerder) PutConnectorConfig(ctx context.Context, name string, config map[string]string, allowReplace bool, initial TargetState) (ConnectorInfo, bool, error) {
	if err := f.enter(ctx, "PutConnectorConfig"); err != nil {
		return ConnectorInfo{}, false, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if name == "" {
		return ConnectorInfo{}, false, BadRequest("Connector configuration is invalid and contains the following 1 error(s):\nInvalid value  for configuration name: String must be non-empty")
	}
	if config["connector.class"] == "" {
		return ConnectorInfo{}, false, BadRequest("Connector config contains no connector type")
	}
	c, exists := f.conns[name]
	if exists && !allowReplace {
		return ConnectorInfo{}, false, Conflict("Connector " + name + " already exists")
	}
	if !exists {
		c = &fakeConn{target: TargetStarted, failedTasks: map[int]bool{}}
		if initial != "" {
			c.target = initial
		}
		f.conns[name] = c
	}
	c.config = config
	return f.info(name, c), !exists, nil
}

func (f *fakeHerder) PatchConnectorConfig(ctx context.Context, name string, patch map[string]*string) (ConnectorInfo, error) {
	if err := f.enter(ctx, "PatchConnectorConfig"); err != nil {
		return ConnectorInfo{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(name)
	if err != nil {
		return ConnectorInfo{}, err
	}
	merged := map[string]string{}
	for k, v := range c.config {
		merged[k] = v
	}
	for k, v := range patch {
		if v == nil {
			delete(merged, k)
		} else {
			merged[k] = *v
		}
	}
	c.config = merged
	return f.info(name, c), nil
}

func (f *fakeHerder) DeleteConnector(ctx context.Context, name string) error {
	if err := f.enter(ctx, "DeleteConnector"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.get(name); err != nil {
		return err
	}
	delete(f.conns, name)
	return nil
}

func (c *fakeConn) connState() string {
	switch {
	case c.connFailed:
		return "FAILED"
	case c.target == TargetPaused:
		return "PAUSED"
	case c.target == TargetStopped:
		return "STOPPED"
	}
	return "RUNNING"
}

func (c *fakeConn) taskState(i int) string {
	switch {
	case c.failedTasks[i]:
		return "FAILED"
	case c.target == TargetPaused:
		return "PAUSED"
	}
	return "RUNNING"
}

func (f *fakeHerder) status(name string, c *fakeConn) ConnectorStateInfo {
	st := ConnectorStateInfo{Name: name, Type: "source", Connector: State{State: c.connState(), WorkerID: f.WorkerID()}}
	for i := 0; i < c.tasks(); i++ {
		ts := TaskState{ID: i, State: c.taskState(i), WorkerID: f.WorkerID()}
		if ts.State == "FAILED" {
			ts.Trace = "java.lang.RuntimeException: boom"
		}
		st.Tasks = append(st.Tasks, ts)
	}
	if c.connFailed {
		st.Connector.Trace = "connector failed"
	}
	return st
}

func (f *fakeHerder) ConnectorStatus(ctx context.Context, name string) (ConnectorStateInfo, error) {
	if err := f.enter(ctx, "ConnectorStatus"); err != nil {
		return ConnectorStateInfo{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.conns[name]
	if !ok {
		return ConnectorStateInfo{}, NotFound("No status found for connector " + name)
	}
	return f.status(name, c), nil
}

func (f *fakeHerder) TaskStatus(ctx context.Context, id TaskID) (TaskState, error) {
	if err := f.enter(ctx, "TaskStatus"); err != nil {
		return TaskState{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.conns[id.Connector]
	if !ok || id.Task < 0 || id.Task >= c.tasks() {
		return TaskState{}, NotFound(fmt.Sprintf("No status found for task %s-%d", id.Connector, id.Task))
	}
	return f.status(id.Connector, c).Tasks[id.Task], nil
}

func (f *fakeHerder) TaskConfigs(ctx context.Context, name string) ([]TaskInfo, error) {
	if err := f.enter(ctx, "TaskConfigs"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(name)
	if err != nil {
		return nil, err
	}
	var out []TaskInfo
	for i := 0; i < c.tasks(); i++ {
		cfg := map[string]string{"task.class": "FakeTask"}
		for k, v := range c.config {
			cfg[k] = v
		}
		out = append(out, TaskInfo{ID: TaskID{Connector: name, Task: i}, Config: cfg})
	}
	return out, nil
}

// RestartConnector follows Kafka Connect's plan rules (KIP-745).
func (f *fakeHerder) RestartConnector(ctx context.Context, name string, req RestartRequest) (*ConnectorStateInfo, error) {
	if err := f.enter(ctx, "RestartConnector"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(name)
	if err != nil {
		return nil, err
	}
	if !req.IncludeTasks && !req.OnlyFailed {
		f.restarts = append(f.restarts, name)
		c.connFailed = false
		return nil, nil
	}
	plan := f.status(name, c)
	if !req.OnlyFailed || c.connFailed {
		plan.Connector.State = "RESTARTING"
		f.restarts = append(f.restarts, name)
		c.connFailed = false
	}
	for i := range plan.Tasks {
		if req.IncludeTasks && (!req.OnlyFailed || plan.Tasks[i].State == "FAILED") {
			plan.Tasks[i].State = "RESTARTING"
			plan.Tasks[i].Trace = ""
			f.restarts = append(f.restarts, fmt.Sprintf("%s-%d", name, i))
			delete(c.failedTasks, i)
		}
	}
	return &plan, nil
}

func (f *fakeHerder) RestartTask(ctx context.Context, id TaskID) error {
	if err := f.enter(ctx, "RestartTask"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(id.Connector)
	if err != nil {
		return err
	}
	if id.Task < 0 || id.Task >= c.tasks() {
		return NotFound(fmt.Sprintf("Unknown task %s-%d", id.Connector, id.Task))
	}
	f.restarts = append(f.restarts, fmt.Sprintf("%s-%d", id.Connector, id.Task))
	delete(c.failedTasks, id.Task)
	return nil
}

func (f *fakeHerder) setTarget(ctx context.Context, call, name string, ts TargetState) error {
	if err := f.enter(ctx, call); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(name)
	if err != nil {
		return err
	}
	c.target = ts
	if ts == TargetStopped {
		c.connFailed = false
		c.failedTasks = map[int]bool{}
	}
	return nil
}

func (f *fakeHerder) PauseConnector(ctx context.Context, name string) error {
	return f.setTarget(ctx, "PauseConnector", name, TargetPaused)
}
func (f *fakeHerder) ResumeConnector(ctx context.Context, name string) error {
	return f.setTarget(ctx, "ResumeConnector", name, TargetStarted)
}
func (f *fakeHerder) StopConnector(ctx context.Context, name string) error {
	return f.setTarget(ctx, "StopConnector", name, TargetStopped)
}

func (f *fakeHerder) ConnectorTopics(ctx context.Context, name string) ([]string, error) {
	if err := f.enter(ctx, "ConnectorTopics"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.conns[name]; ok {
		return c.topics, nil
	}
	return nil, nil
}

func (f *fakeHerder) ResetConnectorTopics(ctx context.Context, name string) error {
	if err := f.enter(ctx, "ResetConnectorTopics"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(name)
	if err != nil {
		return err
	}
	c.topics = nil
	return nil
}

func (f *fakeHerder) ConnectorOffsets(ctx context.Context, name string) ([]ConnectorOffset, error) {
	if err := f.enter(ctx, "ConnectorOffsets"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(name)
	if err != nil {
		return nil, err
	}
	return c.offsets, nil
}

func stoppedOnly(name string) error {
	return BadRequest("Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/" + name + "/stop' endpoint")
}

const alteredMsg = "The Connect framework-managed offsets for this connector have been altered successfully. However, if this connector manages offsets externally, they will need to be manually altered in the system that the connector uses."
const resetMsg = "The Connect framework-managed offsets for this connector have been reset successfully. However, if this connector manages offsets externally, they will need to be manually reset in the system that the connector uses."

func (f *fakeHerder) AlterConnectorOffsets(ctx context.Context, name string, offsets []ConnectorOffset) (string, error) {
	if err := f.enter(ctx, "AlterConnectorOffsets"); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(name)
	if err != nil {
		return "", err
	}
	if c.target != TargetStopped {
		return "", stoppedOnly(name)
	}
	for _, o := range offsets {
		replaced := false
		for i := range c.offsets {
			if fmt.Sprint(c.offsets[i].Partition) == fmt.Sprint(o.Partition) {
				c.offsets[i].Offset, replaced = o.Offset, true
			}
		}
		if !replaced {
			c.offsets = append(c.offsets, o)
		}
	}
	kept := c.offsets[:0]
	for _, o := range c.offsets {
		if o.Offset != nil {
			kept = append(kept, o)
		}
	}
	c.offsets = kept
	return alteredMsg, nil
}

func (f *fakeHerder) ResetConnectorOffsets(ctx context.Context, name string) (string, error) {
	if err := f.enter(ctx, "ResetConnectorOffsets"); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(name)
	if err != nil {
		return "", err
	}
	if c.target != TargetStopped {
		return "", stoppedOnly(name)
	}
	c.offsets = nil
	return resetMsg, nil
}

var fakeDef = connect.NewConfigDef().
	Define(connect.ConfigKey{Name: "topic", Type: connect.ConfigString, Required: true, Importance: connect.High, Doc: "Topic", Group: "Fake", OrderInGroup: 1}).
	Define(connect.ConfigKey{Name: "batch.size", Type: connect.ConfigInt, Default: "2000", Doc: "Batch", Validator: connect.AtLeast(1)}).
	Define(connect.ConfigKey{Name: "secret", Type: connect.ConfigPassword, Default: "", Doc: "A password"})

func (f *fakeHerder) PluginConfig(ctx context.Context, plugin, version string) ([]ConfigKeyInfo, error) {
	if err := f.enter(ctx, "PluginConfig"); err != nil {
		return nil, err
	}
	p, err := connect.Lookup(plugin, "")
	if err != nil {
		return nil, NotFound("Unknown plugin " + plugin + ".")
	}
	req, err := pluginversion.Parse(version)
	if err != nil {
		return nil, InvalidVersionSpec(version, err)
	}
	if !req.Allows(pluginversion.Of(p.Version)) {
		return nil, BadRequest("no installed version of " + p.Class + " satisfies " + req.String())
	}
	var out []ConfigKeyInfo
	for _, k := range fakeDef.Keys() {
		out = append(out, KeyInfo(k))
	}
	return out, nil
}

func (f *fakeHerder) ValidateConfig(ctx context.Context, config map[string]string) (ConfigInfos, error) {
	if err := f.enter(ctx, "ValidateConfig"); err != nil {
		return ConfigInfos{}, err
	}
	infos := ConfigInfos{Name: config["connector.class"], Groups: fakeDef.Groups()}
	for _, v := range fakeDef.Validate(config) {
		k, _ := fakeDef.Key(v.Name)
		ki := KeyInfo(k)
		val := v.Value
		infos.Configs = append(infos.Configs, ConfigInfo{Definition: &ki, Value: ConfigValueInfo{Name: v.Name, Value: &val, RecommendedValues: v.RecommendedValues, Errors: v.Errors, Visible: v.Visible}})
		infos.ErrorCount += len(v.Errors)
	}
	// A value only the connector's own validation knows (no definition).
	infos.Configs = append(infos.Configs, ConfigInfo{Value: ConfigValueInfo{Name: "precheck", Errors: []string{}, Visible: true}})
	return infos, nil
}

// fakePlugin registers plugins the handler lists; registered once per test binary.
var registerFakePlugins = sync.OnceFunc(func() {
	connect.Register(connect.Plugin{Class: "com.example.FakeSourceConnector", Type: connect.PluginSource, Version: "1.2.3", New: func() any { return nil }})
	connect.Register(connect.Plugin{Class: "com.example.FakeConverter", Type: connect.PluginConverter, New: func() any { return nil }})
	connect.Register(connect.Plugin{Class: "com.example.FakeTransform", Type: connect.PluginTransformation, Version: "1.0", New: func() any { return nil }})
	connect.Register(connect.Plugin{Class: "com.example.FakePredicate", Type: connect.PluginPredicate, New: func() any { return nil }})
})
