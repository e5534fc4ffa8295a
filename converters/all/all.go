// Package all registers every converter built into Sluice; cmd/ imports it
// for its side effects.
package all

import (
	_ "github.com/sluicehq/sluice/converters/avro"
	_ "github.com/sluicehq/sluice/converters/bytearray"
	_ "github.com/sluicehq/sluice/converters/canaljson"
	_ "github.com/sluicehq/sluice/converters/dtsavro"
	_ "github.com/sluicehq/sluice/converters/json"
	_ "github.com/sluicehq/sluice/converters/maxwelljson"
	_ "github.com/sluicehq/sluice/converters/number"
	_ "github.com/sluicehq/sluice/converters/shareplexjson"
	_ "github.com/sluicehq/sluice/converters/simpleheader"
	_ "github.com/sluicehq/sluice/converters/stringconv"
)
