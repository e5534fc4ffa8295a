package runtime

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/sluicehq/sluice/connect"
)

// Connector config keys common to every source connector (spec §5).
const (
	ConnName                     = "name"
	ConnClass                    = "connector.class"
	ConnTasksMax                 = "tasks.max"
	ConnTasksMaxEnforce          = "tasks.max.enforce"
	ConnKeyConverter             = "key.converter"
	ConnValueConverter           = "value.converter"
	ConnHeaderConverter          = "header.converter"
	ConnConfigActionReload       = "config.action.reload"
	ConnTransforms               = "transforms"
	ConnPredicates               = "predicates"
	ConnErrorsRetryTimeout       = "errors.retry.timeout"
	ConnErrorsRetryDelayMax      = "errors.retry.delay.max.ms"
	ConnErrorsTolerance          = "errors.tolerance"
	ConnErrorsLogEnable          = "errors.log.enable"
	ConnErrorsLogIncludeMsgs     = "errors.log.include.messages"
	ConnTopicCreationGroups      = "topic.creation.groups"
	ConnExactlyOnceSupport       = "exactly.once.support"
	ConnTransactionBoundary      = "transaction.boundary"
	ConnTransactionBoundaryIvl   = "transaction.boundary.interval.ms"
	ConnOffsetsStorageTopic      = "offsets.storage.topic"
	ProducerOverridePrefix       = "producer.override."
	AdminOverridePrefix          = "admin.override."
	topicCreationPrefix          = "topic.creation."
	groupCommon                  = "Common"
	groupTransforms              = "Transforms"
	groupPredicates              = "Predicates"
	groupErrors                  = "Error Handling"
	groupTopicCreation           = "Topic Creation"
	groupExactlyOnce             = "Exactly Once Support"
	groupOffsetsTopic            = "offsets.topic"
	toleranceNone                = "none"
	toleranceAll                 = "all"
	defaultErrorsRetryDelayMaxMs = "60000"
)

// baseConnectorDef declares the common keys once; validation, /config
// listings and parsing all use it.
var baseConnectorDef = func() *connect.ConfigDef {
	d := connect.NewConfigDef()
	orders := map[string]int{}
	def := func(k connect.ConfigKey) {
		orders[k.Group]++
		k.OrderInGroup = orders[k.Group]
		d.Define(k)
	}
	def(connect.ConfigKey{Name: ConnName, Type: connect.ConfigString, Required: true, Importance: connect.High, Group: groupCommon, Width: connect.WidthMedium,
		DisplayName: "Connector name", Validator: connectorNameValidator{},
		Doc: "Globally unique name to use for this connector."})
	def(connect.ConfigKey{Name: ConnClass, Type: connect.ConfigString, Required: true, Importance: connect.High, Group: groupCommon, Width: connect.WidthLong,
		DisplayName: "Connector class",
		Doc:         "Name or alias of the class for this connector. Must be a subclass of org.apache.kafka.connect.connector.Connector. If the connector is org.apache.kafka.connect.file.FileStreamSinkConnector, you can either specify this full name, or use \"FileStreamSink\" or \"FileStreamSinkConnector\" to make the configuration a bit shorter"})
	// Each plugin key is followed by its KIP-891 version key, in Kafka
	// 4.1's order; "" (or "latest") means the installed version.
	def(connect.ConfigKey{Name: ConnPluginVersion, Type: connect.ConfigString, Default: "", Validator: versionSpec{}, Importance: connect.Medium, Group: groupCommon, Width: connect.WidthMedium,
		DisplayName: "Connector version", Doc: "Version of the connector."})
	def(connect.ConfigKey{Name: ConnTasksMax, Type: connect.ConfigInt, Default: "1", Validator: connect.AtLeast(1), Importance: connect.High, Group: groupCommon, Width: connect.WidthShort,
		DisplayName: "Tasks max", Doc: "Maximum number of tasks to use for this connector."})
	def(connect.ConfigKey{Name: ConnTasksMaxEnforce, Type: connect.ConfigBoolean, Default: "true", Importance: connect.Low, Group: groupCommon, Width: connect.WidthShort,
		DisplayName: "Enforce tasks max", Doc: "(Deprecated) Whether to enforce that the tasks.max property is respected by the connector."})
	def(connect.ConfigKey{Name: ConnKeyConverter, Type: connect.ConfigClass, Default: "", Importance: connect.Low, Group: groupCommon, Width: connect.WidthShort,
		DisplayName: "Key converter class", Doc: "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. Defaults to the worker's key.converter."})
	def(connect.ConfigKey{Name: ConnKeyConverterVersion, Type: connect.ConfigString, Default: "", Validator: versionSpec{}, Importance: connect.Low, Group: groupCommon, Width: connect.WidthShort,
		DisplayName: "Key converter version", Doc: "Version of the key converter."})
	def(connect.ConfigKey{Name: ConnValueConverter, Type: connect.ConfigClass, Default: "", Importance: connect.Low, Group: groupCommon, Width: connect.WidthShort,
		DisplayName: "Value converter class", Doc: "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. Defaults to the worker's value.converter."})
	def(connect.ConfigKey{Name: ConnValueConverterVersion, Type: connect.ConfigString, Default: "", Validator: versionSpec{}, Importance: connect.Low, Group: groupCommon, Width: connect.WidthShort,
		DisplayName: "Value converter version", Doc: "Version of the value converter."})
	def(connect.ConfigKey{Name: ConnHeaderConverter, Type: connect.ConfigClass, Default: "", Importance: connect.Low, Group: groupCommon, Width: connect.WidthShort,
		DisplayName: "Header converter class", Doc: "HeaderConverter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. Defaults to the worker's header.converter."})
	def(connect.ConfigKey{Name: ConnHeaderConverterVersion, Type: connect.ConfigString, Default: "", Validator: versionSpec{}, Importance: connect.Low, Group: groupCommon, Width: connect.WidthShort,
		DisplayName: "Header converter version", Doc: "Version of the header converter."})
	def(connect.ConfigKey{Name: ConnConfigActionReload, Type: connect.ConfigString, Default: "restart", Validator: connect.OneOfIgnoreCase("none", "restart"), Importance: connect.Low, Group: groupCommon, Width: connect.WidthMedium,
		DisplayName: "Reload Action", Doc: "The action that Connect should take on the connector when changes in external configuration providers result in a change in the connector's configuration properties."})
	def(connect.ConfigKey{Name: ConnTransforms, Type: connect.ConfigList, Default: "", Validator: uniqueAliases{}, Importance: connect.Low, Group: groupTransforms, Width: connect.WidthLong,
		DisplayName: "Transforms", Doc: "Aliases for the transformations to be applied to records."})
	def(connect.ConfigKey{Name: ConnPredicates, Type: connect.ConfigList, Default: "", Validator: uniqueAliases{}, Importance: connect.Low, Group: groupPredicates, Width: connect.WidthLong,
		DisplayName: "Predicates", Doc: "Aliases for the predicates used by transformations."})
	def(connect.ConfigKey{Name: ConnErrorsRetryTimeout, Type: connect.ConfigLong, Default: "0", Importance: connect.Medium, Group: groupErrors, Width: connect.WidthMedium,
		DisplayName: "Retry Timeout for Errors", Doc: "The maximum duration in milliseconds that a failed operation will be reattempted. The default is 0, which means no retries will be attempted. Use -1 for infinite retries."})
	def(connect.ConfigKey{Name: ConnErrorsRetryDelayMax, Type: connect.ConfigLong, Default: defaultErrorsRetryDelayMaxMs, Importance: connect.Medium, Group: groupErrors, Width: connect.WidthMedium,
		DisplayName: "Maximum Delay Between Retries for Errors", Doc: "The maximum duration in milliseconds between consecutive retry attempts. Jitter will be added to the delay once this limit is reached to prevent thundering herd issues."})
	def(connect.ConfigKey{Name: ConnErrorsTolerance, Type: connect.ConfigString, Default: toleranceNone, Validator: connect.OneOfIgnoreCase(toleranceNone, toleranceAll), Importance: connect.Medium, Group: groupErrors, Width: connect.WidthShort,
		DisplayName: "Error Tolerance", Doc: "Behavior for tolerating errors during connector operation. 'none' is the default value and signals that any error will result in an immediate connector task failure; 'all' changes the behavior to skip over problematic records."})
	def(connect.ConfigKey{Name: ConnErrorsLogEnable, Type: connect.ConfigBoolean, Default: "false", Importance: connect.Medium, Group: groupErrors, Width: connect.WidthShort,
		DisplayName: "Log Errors", Doc: "If true, write each error and the details of the failed operation and problematic record to the Connect application log. This is 'false' by default, so that only errors that are not tolerated are reported."})
	def(connect.ConfigKey{Name: ConnErrorsLogIncludeMsgs, Type: connect.ConfigBoolean, Default: "false", Importance: connect.Medium, Group: groupErrors, Width: connect.WidthShort,
		DisplayName: "Log Error Details", Doc: "Whether to include in the log the Connect record that resulted in a failure. For sink records, the topic, partition, offset, and timestamp will be logged. For source records, the key and value (and their schemas), all headers, and the timestamp, Kafka topic, Kafka partition, source partition, and source offset will be logged. This is 'false' by default, which will prevent record keys, values, and headers from being written to log files."})
	def(connect.ConfigKey{Name: ConnTopicCreationGroups, Type: connect.ConfigList, Default: "", Validator: uniqueAliases{}, Importance: connect.Low, Group: groupTopicCreation, Width: connect.WidthLong,
		DisplayName: "Topic Creation Groups", Doc: "Groups of configurations for topics created by source connectors"})
	def(connect.ConfigKey{Name: ConnExactlyOnceSupport, Type: connect.ConfigString, Default: "requested", Validator: connect.OneOfIgnoreCase("requested", "required"), Importance: connect.Medium, Group: groupExactlyOnce, Width: connect.WidthShort,
		DisplayName: "Exactly once support", Doc: "Permitted values are requested, required. If set to \"required\", forces a preflight check for the connector to ensure that it can provide exactly-once semantics with the given configuration."})
	def(connect.ConfigKey{Name: ConnTransactionBoundary, Type: connect.ConfigString, Default: "poll", Validator: connect.OneOfIgnoreCase("poll", "interval", "connector"), Importance: connect.Medium, Group: groupExactlyOnce, Width: connect.WidthShort,
		DisplayName: "Transaction Boundary", Doc: "Permitted values are: poll, interval, connector. If set to 'poll', a new producer transaction will be started and committed for every batch of records that each task from this connector provides to Connect."})
	def(connect.ConfigKey{Name: ConnTransactionBoundaryIvl, Type: connect.ConfigLong, Default: "", Validator: connect.AtLeast(0), Importance: connect.Low, Group: groupExactlyOnce, Width: connect.WidthShort,
		DisplayName: "Transaction boundary interval", Doc: "If 'transaction.boundary' is set to 'interval', determines the interval for producer transaction commits by connector tasks. If unset, defaults to the value of the worker-level 'offset.flush.interval.ms' property."})
	def(connect.ConfigKey{Name: ConnOffsetsStorageTopic, Type: connect.ConfigString, Default: "", Importance: connect.Low, Group: groupOffsetsTopic, Width: connect.WidthLong,
		DisplayName: "Offsets topic", Doc: "The name of a separate offsets topic to use for this connector. If empty or not specified, the worker's global offsets topic name will be used."})
	return d
}()

// BaseConnectorConfigDef is the declaration of the keys every source
// connector accepts.
func BaseConnectorConfigDef() *connect.ConfigDef { return baseConnectorDef }

type connectorNameValidator struct{}

func (connectorNameValidator) Validate(_ string, v any) error {
	s, _ := v.(string)
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("String must be non-empty")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("String may not contain control sequences but had the following ASCII chars: %d", r)
		}
	}
	return nil
}
func (connectorNameValidator) String() string {
	return "non-empty string without ISO control characters"
}

type uniqueAliases struct{}

func (uniqueAliases) Validate(_ string, v any) error {
	items, _ := v.([]string)
	seen := map[string]bool{}
	for _, it := range items {
		if seen[it] {
			return fmt.Errorf("Duplicate alias provided.")
		}
		seen[it] = true
	}
	return nil
}
func (uniqueAliases) String() string { return "unique transformation aliases" }

// ConnectorConfig is a connector config parsed against the base keys.
type ConnectorConfig struct {
	Name            string
	Class           string
	TasksMax        int
	TasksMaxEnforce bool
	KeyConverter    string
	ValueConverter  string
	HeaderConverter string
	Transforms      []string
	Predicates      []string

	ErrorsTolerateAll  bool
	RetryTimeout       time.Duration // < 0: retry forever
	RetryDelayMax      time.Duration
	ErrorsLog          bool
	ErrorsLogIncludeMs bool

	// Originals is the config as submitted.
	Originals map[string]string
}

// ParseConnectorConfig parses the common keys of a connector config.
func ParseConnectorConfig(props map[string]string) (*ConnectorConfig, error) {
	c, err := baseConnectorDef.Parse(props)
	if err != nil {
		return nil, err
	}
	if err := checkPluginVersions(props); err != nil {
		return nil, err
	}
	cc := &ConnectorConfig{
		Name:               c.String(ConnName),
		Class:              c.String(ConnClass),
		TasksMax:           c.Int(ConnTasksMax),
		TasksMaxEnforce:    c.Bool(ConnTasksMaxEnforce),
		KeyConverter:       c.String(ConnKeyConverter),
		ValueConverter:     c.String(ConnValueConverter),
		HeaderConverter:    c.String(ConnHeaderConverter),
		Transforms:         c.List(ConnTransforms),
		Predicates:         c.List(ConnPredicates),
		ErrorsTolerateAll:  strings.EqualFold(c.String(ConnErrorsTolerance), toleranceAll),
		RetryTimeout:       time.Duration(c.Long(ConnErrorsRetryTimeout)) * time.Millisecond,
		RetryDelayMax:      time.Duration(c.Long(ConnErrorsRetryDelayMax)) * time.Millisecond,
		ErrorsLog:          c.Bool(ConnErrorsLogEnable),
		ErrorsLogIncludeMs: c.Bool(ConnErrorsLogIncludeMsgs),
		Originals:          props,
	}
	return cc, nil
}
