package transforms

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/connect"
)

// maskField is Kafka's MaskField$Key / MaskField$Value: it replaces the
// listed fields with the type's empty value (0, false, "", the epoch, an
// empty list or map) or, when `replacement` is set, with that string parsed
// as the field's type.
type maskField struct {
	side        side
	fields      map[string]bool
	fieldList   []string
	replacement *string
	replaceNull bool
}

var maskFieldDef = connect.NewConfigDef().
	Define(connect.ConfigKey{Name: "fields", Type: connect.ConfigList, Required: true, Validator: nonEmptyList{}, Importance: connect.High,
		Doc: "Names of fields to mask."}).
	Define(connect.ConfigKey{Name: "replacement", Type: connect.ConfigString, Validator: connect.NonEmptyString(), Importance: connect.Low,
		Doc: "Custom value replacement, that will be applied to all 'fields' values (numeric or non-empty string values only)."}).
	Define(replaceNullKey())

func (t *maskField) name() string               { return "MaskField" + t.side.suffix() }
func (t *maskField) Config() *connect.ConfigDef { return maskFieldDef }
func (t *maskField) Version() string            { return "" }
func (t *maskField) Close() error               { return nil }

func (t *maskField) Configure(props map[string]string) error {
	cfg, err := parseConfig(t.name(), maskFieldDef, props)
	if err != nil {
		return err
	}
	t.fieldList = cfg.List("fields")
	t.fields = setOf(t.fieldList)
	t.replacement = nil
	if _, set := props["replacement"]; set {
		r := cfg.String("replacement")
		t.replacement = &r
	}
	t.replaceNull = cfg.Bool(replaceNullWithDefaultKey)
	return nil
}

const maskPurpose = "mask fields"

func (t *maskField) Apply(rec *connect.SourceRecord) (*connect.SourceRecord, error) {
	schema, value := operating(rec, t.side)
	if value == nil {
		return rec, nil
	}
	if schema == nil {
		m, err := requireMap(value, maskPurpose)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.name(), err)
		}
		out := make(map[string]any, len(m)+len(t.fieldList))
		for k, v := range m {
			out[k] = v
		}
		// Kafka puts every listed field, so an absent one comes out as null.
		for _, f := range t.fieldList {
			mv, err := t.masked(m[f])
			if err != nil {
				return nil, fmt.Errorf("%s: field %q: %w", t.name(), f, err)
			}
			out[f] = mv
		}
		return withOperating(rec, t.side, nil, out), nil
	}
	s, err := requireStruct(value, maskPurpose)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.name(), err)
	}
	fields := s.Schema().Fields()
	vals := make([]any, len(fields))
	for i, f := range fields {
		v := fieldValue(s, f, t.replaceNull)
		if t.fields[f.Name] {
			if v, err = t.masked(v); err != nil {
				return nil, fmt.Errorf("%s: field %q: %w", t.name(), f.Name, err)
			}
		}
		vals[i] = v
	}
	return withOperating(rec, t.side, s.Schema(), connect.NewStructs(s.Schema(), vals)), nil
}

func (t *maskField) masked(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if t.replacement == nil {
		return maskWithEmpty(v)
	}
	return maskWithReplacement(v, *t.replacement)
}

func maskWithEmpty(v any) (any, error) {
	switch x := v.(type) {
	case bool:
		return false, nil
	case int8:
		return int8(0), nil
	case int16:
		return int16(0), nil
	case int32:
		return int32(0), nil
	case int64:
		return int64(0), nil
	case float32:
		return float32(0), nil
	case float64:
		return float64(0), nil
	case string:
		return "", nil
	case connect.Decimal:
		// Zero at the value's own scale, so it still fits its Decimal schema.
		return connect.Decimal{Unscaled: new(big.Int), Scale: x.Scale}, nil
	case *big.Int:
		return new(big.Int), nil
	case time.Time:
		return time.UnixMilli(0).UTC(), nil
	case []any:
		return []any{}, nil
	case map[string]any:
		return map[string]any{}, nil
	case map[any]any:
		return map[any]any{}, nil
	case []connect.MapEntry:
		return []connect.MapEntry{}, nil
	}
	return nil, fmt.Errorf("cannot mask value of type: %T", v)
}

func maskWithReplacement(v any, r string) (any, error) {
	bad := func(err error) (any, error) {
		return nil, fmt.Errorf("unable to convert %s (string) to number: %v", r, err)
	}
	s := strings.TrimSpace(r)
	switch x := v.(type) {
	case int8, int16, int32, int64:
		n, err := strconv.ParseInt(s, 10, intBits(x))
		if err != nil {
			return bad(err)
		}
		switch x.(type) {
		case int8:
			return int8(n), nil
		case int16:
			return int16(n), nil
		case int32:
			return int32(n), nil
		}
		return n, nil
	case float32:
		f, err := strconv.ParseFloat(s, 32)
		if err != nil {
			return bad(err)
		}
		return float32(f), nil
	case float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return bad(err)
		}
		return f, nil
	case string:
		return r, nil
	case connect.Decimal:
		d, err := connect.ParseDecimal(s)
		if err != nil {
			return bad(err)
		}
		d2, err := d.Rescale(x.Scale)
		if err != nil {
			return nil, fmt.Errorf("replacement %s does not fit the field's decimal scale %d: %v", r, x.Scale, err)
		}
		return d2, nil
	case *big.Int:
		n, ok := new(big.Int).SetString(s, 10)
		if !ok {
			return bad(fmt.Errorf("not an integer"))
		}
		return n, nil
	}
	return nil, fmt.Errorf("cannot mask value of type %T with custom replacement", v)
}

func intBits(v any) int {
	switch v.(type) {
	case int8:
		return 8
	case int16:
		return 16
	case int32:
		return 32
	}
	return 64
}
