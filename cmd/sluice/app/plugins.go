package app

// The built-in plugins register themselves on import, as database/sql drivers
// do, so every binary that calls Main has them; a custom build blank-imports
// its own plugins next to this package (examples/custom-converter).
import (
	_ "github.com/sluicehq/sluice/connectors/filestream"
	_ "github.com/sluicehq/sluice/connectors/mysql"
	_ "github.com/sluicehq/sluice/converters/all"
	_ "github.com/sluicehq/sluice/runtime/transforms"
)
