// Package filestream is Kafka's FileStreamSource example connector: it tails a
// text file (or stdin) and emits each line as a string record, so the runtime
// and the REST API can be tried without a database. Configs written for
// Kafka's org.apache.kafka.connect.file.FileStreamSourceConnector work
// unchanged, and its offsets ({"filename": f} → {"position": n}) have the
// same shape, so a connector moved from Kafka Connect resumes where it was.
package filestream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/connect"
)

// Class is the Java class name configs use; FileStreamSource and
// FileStreamSourceConnector are derived aliases.
const Class = "org.apache.kafka.connect.file.FileStreamSourceConnector"

// Config keys, as in Kafka.
const (
	FileConfig      = "file"
	TopicConfig     = "topic"
	BatchSizeConfig = "batch.size"

	DefaultBatchSize = 2000

	// Source partition and offset field names, as Kafka writes them.
	FilenameField = "filename"
	PositionField = "position"
)

func init() {
	connect.Register(connect.Plugin{
		Class: Class,
		Type:  connect.PluginSource,
		New:   func() any { return &Connector{} },
	})
}

var singleTopic = connect.ValidatorFunc{
	Desc: "a single, non-empty topic name",
	Fn: func(_ string, v any) error {
		s, _ := v.(string)
		if strings.TrimSpace(s) == "" {
			return errors.New("String must be non-empty")
		}
		if strings.Contains(s, ",") {
			return errors.New("FileStreamSourceConnector should only have a single topic when used as a source.")
		}
		return nil
	},
}

// ConfigDef declares the connector's keys.
func ConfigDef() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: FileConfig, Type: connect.ConfigString, Importance: connect.High,
			Doc: "Source filename. If not specified, the standard input will be used"}).
		Define(connect.ConfigKey{Name: TopicConfig, Type: connect.ConfigString, Required: true, Importance: connect.High,
			Validator: singleTopic, Doc: "The topic to publish data to"}).
		Define(connect.ConfigKey{Name: BatchSizeConfig, Type: connect.ConfigInt, Default: fmt.Sprint(DefaultBatchSize),
			Importance: connect.Low, Validator: connect.AtLeast(1),
			Doc: "The maximum number of records the source task can read from the file each time it is polled"})
}

// Connector is the FileStreamSource connector: one task per file.
type Connector struct {
	props map[string]string
}

var (
	_ connect.SourceConnector = (*Connector)(nil)
	_ connect.OffsetAlterer   = (*Connector)(nil)
)

// Version is "" (undefined): the connector has no release line of its own.
func (c *Connector) Version() string { return "" }

// Config returns the connector's ConfigDef.
func (c *Connector) Config() *connect.ConfigDef { return ConfigDef() }

// Start checks the config and keeps it for the task.
func (c *Connector) Start(_ context.Context, _ connect.ConnectorContext, props map[string]string) error {
	if _, err := ConfigDef().Parse(props); err != nil {
		return fmt.Errorf("FileStreamSource: %w", err)
	}
	c.props = props
	return nil
}

// TaskConfigs returns one task config: only one reader per file makes sense.
func (c *Connector) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	if c.props == nil {
		return nil, errors.New("FileStreamSource: TaskConfigs called before Start")
	}
	cp := make(map[string]string, len(c.props))
	for k, v := range c.props {
		cp[k] = v
	}
	return []map[string]string{cp}, nil
}

// NewTask returns an unstarted task.
func (c *Connector) NewTask() connect.SourceTask { return &Task{} }

// Stop has nothing to release: the connector does no monitoring.
func (c *Connector) Stop() error { return nil }

// AlterOffsets checks offsets sent to PATCH /connectors/{c}/offsets before the
// runtime writes them, so a bad one is refused instead of failing the task
// later. The checks and their first sentences are those of Kafka's
// FileStreamSourceConnector.alterOffsets; the partition and value are added
// so that a request with many partitions says which one is wrong. It reports
// true: the framework-managed offsets are all there is.
func (c *Connector) AlterOffsets(props map[string]string, offsets map[string]map[string]any) (bool, error) {
	if props[FileConfig] == "" {
		return false, fmt.Errorf("Offsets cannot be modified if the '%s' configuration is unspecified. This is because stdin is used for input and offsets are not tracked.", FileConfig)
	}
	for part, off := range offsets {
		// A null offset is allowed for any partition, so that garbage left
		// in the connector's offsets can be cleaned up through the API.
		if off == nil {
			continue
		}
		pos, ok := off[PositionField]
		if !ok {
			return false, fmt.Errorf("Offset objects should either be null or contain the key '%s' (partition %s)", PositionField, part)
		}
		n, ok := asInt64(pos)
		if !ok {
			return false, fmt.Errorf("The value for the '%s' key in the offset is expected to be a Long value (partition %s, got %s)", PositionField, part, describe(pos))
		}
		if n < 0 {
			return false, fmt.Errorf("The value for the '%s' key in the offset should be a non-negative value (partition %s, got %d)", PositionField, part, n)
		}
		// The runtime passes each partition as its JSON text.
		var partition map[string]any
		if err := json.Unmarshal([]byte(part), &partition); err != nil || partition == nil {
			return false, fmt.Errorf("Partition objects cannot be null")
		}
		if _, ok := partition[FilenameField]; !ok {
			return false, fmt.Errorf("Partition objects should contain the key '%s' (partition %s)", FilenameField, part)
		}
	}
	return true, nil
}

// describe shows an offset value with its JSON type, so that "10" (a
// string) is not mistaken for the number 10.
func describe(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("the string %q", s)
	}
	return fmt.Sprint(v)
}

// asInt64 accepts the integer forms an offset can take after a JSON round
// trip through the offset store.
func asInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case float64:
		if n == float64(int64(n)) {
			return int64(n), true
		}
	case interface{ Int64() (int64, error) }: // json.Number
		if i, err := n.Int64(); err == nil {
			return i, true
		}
	}
	return 0, false
}
