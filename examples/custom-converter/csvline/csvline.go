// Package csvline is an example of a custom converter: it renders a change
// event as one CSV line, "op,col1,col2,…", from the after image (the before
// image for deletes). It registers itself on import, so a binary that
// imports it (see ../main.go) accepts
//
//	"value.converter": "com.example.CsvLineConverter"
//
// or the alias "csv-line" in any connector config.
package csvline

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"strconv"

	"github.com/sluicehq/sluice/connect"
)

// Class is the name configs use.
const Class = "com.example.CsvLineConverter"

func init() {
	connect.Register(connect.Plugin{
		Class:   Class,
		Type:    connect.PluginConverter,
		Version: "1.0.0",
		Aliases: []string{"csv-line"},
		New:     func() any { return &Converter{} },
	})
}

// Converter writes change events as CSV lines. It cannot read them back.
type Converter struct {
	header bool
}

var configDef = connect.NewConfigDef().Define(connect.ConfigKey{
	Name: "with.columns", Type: connect.ConfigBoolean, Default: "false", Importance: connect.Low,
	Doc: "Prefix each value with its column name (col=value) instead of writing bare values.",
})

// Config declares the converter's settings, for validation and docs.
func (c *Converter) Config() *connect.ConfigDef { return configDef }

// Configure reads the converter's settings.
func (c *Converter) Configure(props map[string]string, isKey bool) error {
	cfg, err := configDef.Parse(props)
	if err != nil {
		return err
	}
	c.header = cfg.Bool("with.columns")
	return nil
}

// FromConnectData renders one record.
func (c *Converter) FromConnectData(topic string, _ connect.Headers, schema *connect.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	ev, ok := value.(*connect.Struct)
	if !ok || !connect.IsEnvelope(schema) {
		return nil, fmt.Errorf("csv-line: topic %s: only change events can be written as CSV (got %T); use it on a CDC connector's value", topic, value)
	}
	op := ev.GetString(connect.FieldOp)
	row := ev.GetStruct(connect.FieldAfter)
	if op == connect.OpDelete {
		row = ev.GetStruct(connect.FieldBefore)
	}
	fields := []string{op}
	if row != nil {
		for i, f := range row.Schema().Fields() {
			v := render(row.At(i))
			if c.header {
				v = f.Name + "=" + v
			}
			fields = append(fields, v)
		}
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.Write(fields); err != nil {
		return nil, err
	}
	w.Flush()
	return bytes.TrimRight(b.Bytes(), "\n"), w.Error()
}

// ToConnectData is not supported: CSV lines carry no schema.
func (c *Converter) ToConnectData(topic string, _ connect.Headers, _ []byte) (connect.SchemaAndValue, error) {
	return connect.SchemaAndValue{}, fmt.Errorf("csv-line: topic %s: reading CSV lines back is not supported", topic)
}

func render(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case connect.Decimal:
		return x.String()
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	}
	return fmt.Sprint(v)
}
