package all

import (
	"testing"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/converters/canaljson"
	"github.com/sluicehq/sluice/converters/dtsavro"
	"github.com/sluicehq/sluice/converters/maxwelljson"
	"github.com/sluicehq/sluice/converters/shareplexjson"
)

type configurableConverter interface {
	connect.Configurable
	Configure(props map[string]string, isKey bool) error
}

// A value the DTS-format converters refuse at Configure is reported by
// their ConfigDef too, on its key, so PUT …/config/validate shows it before
// a task fails on it.
func TestConverterValuesRefusedByValidate(t *testing.T) {
	cases := []struct {
		name string
		new  func() configurableConverter
		bad  map[string]string
	}{
		{"canal-json", func() configurableConverter { return canaljson.New() }, map[string]string{
			canaljson.KeySnapshotType: "LOAD", canaljson.KeyMySQLTypeFormat: "FULL", canaljson.KeyEnumSetFormat: "name",
			canaljson.KeyTimestampTimezone: "Mars/Base", canaljson.KeyBinaryFormat: "octal", canaljson.KeyDDLType: "sql",
			canaljson.KeyBinaryHandlingMode: "octal"}},
		{"shareplex-json", func() configurableConverter { return shareplexjson.New() }, map[string]string{
			shareplexjson.KeyTimestampTimezone: "+25:00", shareplexjson.KeyBinaryFormat: "octal", shareplexjson.KeyBinaryHandlingMode: "HEX"}},
		{"maxwell-json", func() configurableConverter { return maxwelljson.New() }, map[string]string{
			maxwelljson.KeyKafkaKeyFormat: "xml", maxwelljson.KeySnapshotType: "load", maxwelljson.KeyTimestampTimezone: "Mars/Base",
			maxwelljson.KeyBinaryHandlingMode: "octal", maxwelljson.KeyRowQueryMaxLength: "-1", maxwelljson.KeyEncrypt: "rot13",
			maxwelljson.KeySecretKey: "0123456789", maxwelljson.KeyExcludeColumns: "/(/", maxwelljson.KeyNamingStrategy: "kebab"}},
		{"dts-avro", func() configurableConverter { return dtsavro.New() }, map[string]string{
			dtsavro.KeySnapshotOperation: "LOAD", dtsavro.KeyTextFormat: "Character", dtsavro.KeyBinaryHandlingMode: "octal"}},
	}
	for _, tc := range cases {
		for key, val := range tc.bad {
			props := map[string]string{key: val}
			if err := tc.new().Configure(props, false); err == nil {
				t.Errorf("%s: Configure takes %s=%s", tc.name, key, val)
			}
			reported := false
			for _, cv := range tc.new().Config().Validate(props) {
				if cv.Name == key && len(cv.Errors) > 0 {
					reported = true
				}
			}
			if !reported {
				t.Errorf("%s: Validate reports nothing on %s=%s", tc.name, key, val)
			}
		}
	}
}
