package transforms

import (
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/connect"
)

const (
	fieldSyntaxVersionKey = "field.syntax.version"
	fieldSyntaxV1         = "V1"
	fieldSyntaxV2         = "V2"
)

func fieldSyntaxKey() connect.ConfigKey {
	return connect.ConfigKey{
		Name: fieldSyntaxVersionKey, Type: connect.ConfigString, Default: fieldSyntaxV1,
		Validator: connect.OneOfIgnoreCase(fieldSyntaxV1, fieldSyntaxV2), Importance: connect.High,
		Doc: "Defines the version of the syntax to access fields. If set to `V1`, then the field paths are limited to access the elements at the root level of the struct or map. If set to `V2`, the syntax will support accessing nested elements. To access nested elements, dotted notation is used. If dots are already included in the field name, then backtick pairs can be used to wrap field names containing dots. E.g. to access the subfield `baz` from a field named \"foo.bar\" in a struct/map the following format can be used to access its elements: \"`foo.bar`.baz\".",
	}
}

// fieldPath is Kafka's SingleFieldPath (KIP-821): under V1 a single field
// name; under V2 dot-separated steps, where a step wrapped in backticks may
// contain dots and a backslash escapes a backtick that would close it.
type fieldPath struct {
	text  string
	steps []string
}

func parseFieldPath(text, version string) (fieldPath, error) {
	if !strings.EqualFold(version, fieldSyntaxV2) {
		return fieldPath{text: text, steps: []string{text}}, nil
	}
	steps, err := splitPathV2(text)
	if err != nil {
		return fieldPath{}, err
	}
	return fieldPath{text: text, steps: steps}, nil
}

func splitPathV2(path string) ([]string, error) {
	var steps []string
	incomplete := func(at int) error {
		return fmt.Errorf("incomplete backtick pair in path: [%s], consider adding a backslash before backtick at position %d to escape it", path, at)
	}
	i := 0
	for i < len(path) {
		if path[i] != '`' {
			start := i
			dot := strings.IndexByte(path[i:], '.')
			if dot < 0 {
				steps = append(steps, path[start:])
				i = len(path)
				break
			}
			steps = append(steps, path[start:start+dot])
			i = start + dot + 1
			continue
		}
		open := i
		i++
		start := i
		var field strings.Builder
		for {
			rel := strings.IndexByte(path[i:], '`')
			if rel < 0 {
				return nil, incomplete(open)
			}
			i += rel
			escaped := path[i-1] == '\\'
			if i >= len(path)-1 { // closing backtick at the end of the path
				if escaped {
					return nil, incomplete(open)
				}
				field.WriteString(path[start:i])
				steps = append(steps, field.String())
				i++
				break
			}
			if path[i+1] != '.' { // a backtick inside the name
				i++
				continue
			}
			if escaped {
				field.WriteString(path[start : i-1])
				field.WriteByte('`')
				i++
				start = i
				continue
			}
			field.WriteString(path[start:i])
			steps = append(steps, field.String())
			i += 2
			break
		}
	}
	if path != "" && path[len(path)-1] == '.' {
		steps = append(steps, "")
	}
	if len(steps) == 0 {
		steps = []string{""}
	}
	return steps, nil
}

func (p fieldPath) String() string { return p.text }

// fieldFrom resolves the path in a struct schema; ok is false if any step is
// missing or a parent is not a struct.
func (p fieldPath) fieldFrom(s *connect.Schema) (connect.Field, bool) {
	cur := s
	for i, step := range p.steps {
		if cur == nil || cur.Type != connect.TypeStruct {
			return connect.Field{}, false
		}
		f, ok := cur.Field(step)
		if !ok {
			return connect.Field{}, false
		}
		if i == len(p.steps)-1 {
			return f, true
		}
		cur = f.Schema
	}
	return connect.Field{}, false
}

// valueFromStruct reads the path from a struct; a missing or null parent
// yields nil.
func (p fieldPath) valueFromStruct(s *connect.Struct, replaceNull bool) any {
	cur := s
	for i, step := range p.steps {
		if cur == nil {
			return nil
		}
		f, ok := cur.Schema().Field(step)
		if !ok {
			return nil
		}
		v := fieldValue(cur, f, replaceNull)
		if i == len(p.steps)-1 {
			return v
		}
		cur, _ = v.(*connect.Struct)
	}
	return nil
}

// valueFromMap reads the path from a schemaless map.
func (p fieldPath) valueFromMap(m map[string]any) any {
	cur := m
	for i, step := range p.steps {
		if cur == nil {
			return nil
		}
		v := cur[step]
		if i == len(p.steps)-1 {
			return v
		}
		cur, _ = v.(map[string]any)
	}
	return nil
}
