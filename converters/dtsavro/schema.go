package dtsavro

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// recordAvsc is shared/spec/dts-record.avsc verbatim: the JSON array of the
// 14 named types DTS publishes, Record last.
//
//go:embed dts-record.avsc
var recordAvsc []byte

// RecordSchema is the self-contained schema of
// com.alibaba.dts.formats.avro.Record: the other named types are defined
// inline at their first use, which is what a Schema Registry needs (one
// schema per subject) and what avsc's Type.schema() produces.
var RecordSchema = mustSelfContained(recordAvsc)

// RecordFullName is the full name of the record every message holds.
const RecordFullName = "com.alibaba.dts.formats.avro.Record"

func mustSelfContained(avsc []byte) string {
	s, err := selfContained(avsc)
	if err != nil {
		panic("dtsavro: embedded dts-record.avsc: " + err.Error())
	}
	return s
}

func selfContained(avsc []byte) (string, error) {
	var types []map[string]any
	if err := json.Unmarshal(avsc, &types); err != nil {
		return "", err
	}
	named := map[string]map[string]any{}
	var record map[string]any
	for _, t := range types {
		name, _ := t["name"].(string)
		ns, _ := t["namespace"].(string)
		full := ns + "." + name
		named[full] = t
		named[name] = t
		if full == RecordFullName {
			record = t
		}
	}
	if record == nil {
		return "", fmt.Errorf("no %s in the schema array", RecordFullName)
	}
	defined := map[string]bool{}
	var inline func(v any) any
	inline = func(v any) any {
		switch x := v.(type) {
		case string:
			if t, ok := named[x]; ok && !defined[fullName(t)] {
				defined[fullName(t)] = true
				return inline(t)
			}
			return x
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = inline(e)
			}
			return out
		case map[string]any:
			if x["type"] == "record" || x["type"] == "enum" {
				defined[fullName(x)] = true
			}
			out := make(map[string]any, len(x))
			for k, e := range x {
				if k == "type" || k == "fields" || k == "items" || k == "values" {
					out[k] = inline(e)
				} else {
					out[k] = e
				}
			}
			return out
		}
		return v
	}
	// Record's own fields are walked in order, so "first use" is the
	// position a reader meets first.
	b, err := json.Marshal(inline(record))
	return string(b), err
}

func fullName(t map[string]any) string {
	name, _ := t["name"].(string)
	ns, _ := t["namespace"].(string)
	if ns == "" {
		ns = "com.alibaba.dts.formats.avro"
	}
	return ns + "." + name
}
