package mysql

import (
	"log/slog"

	"github.com/sluicehq/sluice/connect"
)

// KeyName is the connector's name, which Kafka Connect puts in every
// connector config.
const KeyName = "name"

// loggerFor is the logger of the connector whose config is props: the
// runtime's when its context offers one (it carries connector=<name> and
// the task id), else the default logger with connector=<name>. Lines used
// to say connector=mysql, which names the class and tells apart nothing
// when a worker runs several MySQL connectors.
func loggerFor(rt any, props map[string]string) *slog.Logger {
	if cl, ok := rt.(connect.ContextLogger); ok {
		if l := cl.Logger(); l != nil {
			return l
		}
	}
	return namedLogger(props[KeyName])
}

// namedLogger is the default logger with the connector's name, as the
// runtime's lines carry it; without a name (a config validated on its
// own) there is nothing true to add.
func namedLogger(name string) *slog.Logger {
	if name == "" {
		return slog.Default()
	}
	return slog.Default().With("connector", name)
}
