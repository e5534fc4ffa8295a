// Package rest serves the Kafka Connect REST API on gorilla/mux. It knows the
// runtime only through the Herder interface below, so standalone and
// distributed herders (and test fakes) plug in alike.
package rest

import (
	"context"
	"errors"
	"fmt"

	"github.com/sluicehq/sluice/connect"
)

// TargetState is a connector's desired state as stored in the config topic.
type TargetState string

const (
	TargetStarted TargetState = "STARTED"
	TargetPaused  TargetState = "PAUSED"
	TargetStopped TargetState = "STOPPED"
)

// ConnectorInfo is GET /connectors/{c}.
type ConnectorInfo struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config"`
	Tasks  []TaskID          `json:"tasks"`
	Type   string            `json:"type"`
}

// TaskID names one task.
type TaskID struct {
	Connector string `json:"connector"`
	Task      int    `json:"task"`
}

// TaskInfo is one entry of GET /connectors/{c}/tasks.
type TaskInfo struct {
	ID     TaskID            `json:"id"`
	Config map[string]string `json:"config"`
}

// State is the runtime status of a connector or task.
type State struct {
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"`
	Version  string `json:"version,omitempty"`
}

// TaskState is a task's entry in ConnectorStateInfo.
type TaskState struct {
	ID       int    `json:"id"`
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"`
	Version  string `json:"version,omitempty"`
}

// ConnectorStateInfo is GET /connectors/{c}/status.
type ConnectorStateInfo struct {
	Name      string      `json:"name"`
	Connector State       `json:"connector"`
	Tasks     []TaskState `json:"tasks"`
	Type      string      `json:"type"`
}

// ConnectorOffset is one partition/offset pair of GET /connectors/{c}/offsets.
type ConnectorOffset struct {
	Partition map[string]any `json:"partition"`
	Offset    map[string]any `json:"offset"`
}

// RestartRequest is POST /connectors/{c}/restart's parameters.
type RestartRequest struct {
	IncludeTasks bool
	OnlyFailed   bool
}

// LoggerLevel is one entry of GET /admin/loggers.
type LoggerLevel struct {
	Level        string `json:"level"`
	LastModified *int64 `json:"last_modified"`
}

// Herder is what the REST layer needs from a worker (standalone or a member
// of a distributed cluster). Every method is safe for concurrent use and
// honours ctx. Errors are mapped to HTTP statuses with errors.As on *Error;
// any other error is a 500.
type Herder interface {
	// WorkerID is this worker's advertised host:port.
	WorkerID() string
	KafkaClusterID(ctx context.Context) string

	Connectors(ctx context.Context) ([]string, error)
	ConnectorInfo(ctx context.Context, name string) (ConnectorInfo, error)
	ConnectorConfig(ctx context.Context, name string) (map[string]string, error)
	// PutConnectorConfig creates or replaces a connector. allowReplace=false
	// makes an existing name a 409 (POST). initial is "" unless given by POST.
	// created reports whether the connector is new.
	PutConnectorConfig(ctx context.Context, name string, config map[string]string, allowReplace bool, initial TargetState) (info ConnectorInfo, created bool, err error)
	// PatchConnectorConfig merges patch into the config; a nil value removes a key.
	PatchConnectorConfig(ctx context.Context, name string, patch map[string]*string) (ConnectorInfo, error)
	DeleteConnector(ctx context.Context, name string) error
	ConnectorStatus(ctx context.Context, name string) (ConnectorStateInfo, error)
	TaskStatus(ctx context.Context, id TaskID) (TaskState, error)
	TaskConfigs(ctx context.Context, name string) ([]TaskInfo, error)
	// RestartConnector restarts per Kafka Connect's rules: with both flags
	// false, the connector alone, synchronously (plan nil → 204); otherwise it
	// returns the plan (202).
	RestartConnector(ctx context.Context, name string, req RestartRequest) (*ConnectorStateInfo, error)
	RestartTask(ctx context.Context, id TaskID) error
	PauseConnector(ctx context.Context, name string) error
	ResumeConnector(ctx context.Context, name string) error
	StopConnector(ctx context.Context, name string) error
	ConnectorTopics(ctx context.Context, name string) ([]string, error)
	ResetConnectorTopics(ctx context.Context, name string) error
	ConnectorOffsets(ctx context.Context, name string) ([]ConnectorOffset, error)
	// AlterConnectorOffsets applies offsets (a nil Offset deletes a partition)
	// and returns the message Kafka Connect answers with.
	AlterConnectorOffsets(ctx context.Context, name string, offsets []ConnectorOffset) (string, error)
	ResetConnectorOffsets(ctx context.Context, name string) (string, error)

	// PluginConfig lists a plugin's config keys for GET
	// /connector-plugins/{p}/config: for connectors their own keys first, then
	// the common connector keys they do not declare themselves. version is
	// the ?version= spec (KIP-891), "" for none; a spec the installed plugin
	// does not satisfy is a 400, as in Kafka 4.1.
	PluginConfig(ctx context.Context, plugin, version string) ([]ConfigKeyInfo, error)

	// ValidateConfig runs a connector's full validation (ConfigDef,
	// converters, transforms, predicates and the connector's own precheck).
	ValidateConfig(ctx context.Context, config map[string]string) (ConfigInfos, error)
}

// ConfigInfos is the answer of PUT /connector-plugins/{p}/config/validate.
type ConfigInfos struct {
	Name       string       `json:"name"`
	ErrorCount int          `json:"error_count"`
	Groups     []string     `json:"groups"`
	Configs    []ConfigInfo `json:"configs"`
}

// ConfigInfo is one key's definition and validated value.
type ConfigInfo struct {
	Definition *ConfigKeyInfo  `json:"definition"`
	Value      ConfigValueInfo `json:"value"`
}

// ConfigKeyInfo describes a key (also the entries of GET /connector-plugins/{p}/config).
type ConfigKeyInfo struct {
	Name          string   `json:"name"`
	Type          string   `json:"type"`
	Required      bool     `json:"required"`
	DefaultValue  *string  `json:"default_value"`
	Importance    string   `json:"importance"`
	Documentation string   `json:"documentation"`
	Group         *string  `json:"group"`
	Width         string   `json:"width"`
	DisplayName   string   `json:"display_name"`
	Dependents    []string `json:"dependents"`
	Order         int      `json:"order"`
}

// ConfigValueInfo is a key's validated value.
type ConfigValueInfo struct {
	Name              string   `json:"name"`
	Value             *string  `json:"value"`
	RecommendedValues []string `json:"recommended_values"`
	Errors            []string `json:"errors"`
	Visible           bool     `json:"visible"`
}

// KeyInfo converts a ConfigDef key to its REST form.
func KeyInfo(k connect.ConfigKey) ConfigKeyInfo {
	ki := ConfigKeyInfo{
		Name: k.Name, Type: string(k.Type), Required: k.Required, Importance: string(k.Importance),
		Documentation: k.Doc, Width: string(k.Width), DisplayName: k.DisplayName,
		Dependents: k.Dependents, Order: k.OrderInGroup,
	}
	if ki.Dependents == nil {
		ki.Dependents = []string{}
	}
	if !k.Required {
		d := k.Default
		if k.Type == connect.ConfigPassword && d != "" {
			d = "[hidden]"
		}
		ki.DefaultValue = &d
	}
	if k.Group != "" {
		g := k.Group
		ki.Group = &g
	}
	return ki
}

// Error is an error with an HTTP status, rendered as Kafka Connect's
// {"error_code":…, "message":…}.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf-style constructors for the statuses the herder uses.
func NotFound(msg string) error   { return &Error{Status: 404, Message: msg} }
func Conflict(msg string) error   { return &Error{Status: 409, Message: msg} }
func BadRequest(msg string) error { return &Error{Status: 400, Message: msg} }

// InvalidVersionSpec is Kafka 4.1's 400 for a malformed ?version= spec,
// with what is wrong with it.
func InvalidVersionSpec(spec string, err error) error {
	return BadRequest(fmt.Sprintf("Invalid version specification: %s (%v; use an exact version such as 1.2.3 or a Maven version range such as [1.0,2.0))", spec, err))
}

// StatusOf returns the HTTP status for err (500 when it carries none).
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 500
}
