package main

// The plugins compiled into this binary register themselves on import, as
// database/sql drivers do. A custom build adds its own imports next to these.
import (
	_ "github.com/sluicehq/sluice/connectors/filestream"
	_ "github.com/sluicehq/sluice/connectors/mysql"
	_ "github.com/sluicehq/sluice/converters/all"
	_ "github.com/sluicehq/sluice/runtime/transforms"
)
