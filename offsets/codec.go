package offsets

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
)

// EncodeKey returns the offsets-topic key for a connector's source
// partition: ["<connector>",{partition}], partition keys sorted.
func EncodeKey(connector string, partition map[string]any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('[')
	writeString(&b, connector)
	b.WriteByte(',')
	if partition == nil {
		b.WriteString("null")
	} else if err := writeMap(&b, partition); err != nil {
		return nil, fmt.Errorf("source partition of connector %q: %w", connector, err)
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

// EncodeValue returns the offsets-topic value for an offset map; a nil map
// is a tombstone and encodes to nil.
func EncodeValue(offset map[string]any) ([]byte, error) {
	if offset == nil {
		return nil, nil
	}
	var b bytes.Buffer
	if err := writeMap(&b, offset); err != nil {
		return nil, fmt.Errorf("source offset: %w", err)
	}
	return b.Bytes(), nil
}

// DecodeKey parses an offsets-topic key. Keys of another shape (Kafka
// Connect ignores them too) return an error.
func DecodeKey(b []byte) (connector string, partition map[string]any, err error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return "", nil, fmt.Errorf("offset key %q is not a JSON array: %w", b, err)
	}
	if len(raw) != 2 {
		return "", nil, fmt.Errorf("offset key %q must have 2 elements, has %d", b, len(raw))
	}
	if err := json.Unmarshal(raw[0], &connector); err != nil {
		return "", nil, fmt.Errorf("offset key %q: connector name is not a string", b)
	}
	partition, err = decodeMap(raw[1])
	if err != nil {
		return "", nil, fmt.Errorf("offset key %q: partition: %w", b, err)
	}
	if partition == nil {
		return "", nil, fmt.Errorf("offset key %q has a null partition", b)
	}
	return connector, partition, nil
}

// DecodeValue parses an offsets-topic value; nil or empty bytes (a
// tombstone) give a nil map.
func DecodeValue(b []byte) (map[string]any, error) {
	if len(b) == 0 {
		return nil, nil
	}
	m, err := decodeMap(b)
	if err != nil {
		return nil, fmt.Errorf("offset value %q: %w", b, err)
	}
	return m, nil
}

// Normalize round-trips a partition or offset map through the wire format,
// as Kafka Connect does for offsets given through the REST API: integers
// become int64, other numbers float64, and anything but string keys with
// primitive values is rejected.
func Normalize(m map[string]any) (map[string]any, error) {
	if m == nil {
		return nil, nil
	}
	var b bytes.Buffer
	if err := writeMap(&b, m); err != nil {
		return nil, err
	}
	return decodeMap(b.Bytes())
}

// canonical is the index form of a key: the sorted encoding of what it
// decodes to.
func canonical(connector string, partition map[string]any) (string, error) {
	k, err := EncodeKey(connector, partition)
	return string(k), err
}

func decodeMap(b []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("expected a JSON object, got %T", v)
	}
	for k, x := range obj {
		switch t := x.(type) {
		case json.Number:
			if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
				obj[k] = i
			} else if f, err := strconv.ParseFloat(string(t), 64); err == nil {
				obj[k] = f
			} else {
				return nil, fmt.Errorf("field %q: number %s out of range", k, t)
			}
		case string, bool, nil:
		default:
			return nil, fmt.Errorf("field %q: only primitive values are allowed, got %T", k, x)
		}
	}
	return obj, nil
}

func writeMap(b *bytes.Buffer, m map[string]any) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, k)
		b.WriteByte(':')
		if err := writeValue(b, m[k]); err != nil {
			return fmt.Errorf("field %q: %w", k, err)
		}
	}
	b.WriteByte('}')
	return nil
}

func writeValue(b *bytes.Buffer, v any) error {
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		writeString(b, t)
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case int:
		b.WriteString(strconv.FormatInt(int64(t), 10))
	case int8:
		b.WriteString(strconv.FormatInt(int64(t), 10))
	case int16:
		b.WriteString(strconv.FormatInt(int64(t), 10))
	case int32:
		b.WriteString(strconv.FormatInt(int64(t), 10))
	case int64:
		b.WriteString(strconv.FormatInt(t, 10))
	case uint:
		b.WriteString(strconv.FormatUint(uint64(t), 10))
	case uint8:
		b.WriteString(strconv.FormatUint(uint64(t), 10))
	case uint16:
		b.WriteString(strconv.FormatUint(uint64(t), 10))
	case uint32:
		b.WriteString(strconv.FormatUint(uint64(t), 10))
	case uint64:
		b.WriteString(strconv.FormatUint(t, 10))
	case float32:
		return writeFloat(b, float64(t), 32)
	case float64:
		return writeFloat(b, t, 64)
	case json.Number:
		b.WriteString(string(t))
	case []byte:
		// JsonConverter writes BYTES as base64 text.
		writeString(b, base64.StdEncoding.EncodeToString(t))
	default:
		return fmt.Errorf("only primitive values are allowed, got %T", v)
	}
	return nil
}

// writeFloat keeps a decimal point on integral values, as Java's
// Double.toString does, so the value reads back as a float.
func writeFloat(b *bytes.Buffer, f float64, bits int) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("%v cannot be written as JSON", f)
	}
	s := strconv.FormatFloat(f, 'g', -1, bits)
	if !bytes.ContainsAny([]byte(s), ".eE") {
		s += ".0"
	}
	b.WriteString(s)
	return nil
}

func writeString(b *bytes.Buffer, s string) {
	// encoding/json escapes <, > and & by default; Jackson does not.
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	b.Truncate(b.Len() - 1)
}
