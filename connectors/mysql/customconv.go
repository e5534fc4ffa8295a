package mysql

import (
	"fmt"
	"regexp"
	"strings"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicehq/sluice/connect"
)

// KeyConverters is Debezium's custom converters key: the names of the
// converters, each with its class in <name>.type and its settings under
// <name>.*. The classes are Java; Sluice applies the ones Debezium ships
// that configs use (TinyIntOneToBooleanConverter) natively and names the
// others at task start.
const KeyConverters = "converters"

// tinyIntBoolClasses are the names Debezium's TINYINT(1) → BOOLEAN
// converter has had: its MySQL package, and the binlog package it moved
// to in Debezium 3.
var tinyIntBoolClasses = map[string]bool{
	"io.debezium.connector.mysql.converters.TinyIntOneToBooleanConverter":  true,
	"io.debezium.connector.binlog.converters.TinyIntOneToBooleanConverter": true,
}

// tinyIntBoolRule is one configured TinyIntOneToBooleanConverter: TINYINT
// columns it selects become BOOLEAN fields, 0 false and any other value
// true (MySQL's truth; what Debezium's current converter gives).
type tinyIntBoolRule struct {
	name string
	// selector matches db.table.column, whole and case-insensitively, as
	// Debezium's <name>.selector does; nil selects every column.
	selector []*regexp.Regexp
	// lengthCheck (<name>.length.checker, default true) takes only columns
	// declared with display width 1: TINYINT(1), which BOOLEAN is.
	lengthCheck bool
}

// parseCustomConverters reads converters and the keys of each converter
// it names: the rules of the converters Sluice applies, and name=class
// of those it cannot.
func parseCustomConverters(props map[string]string) (rules []tinyIntBoolRule, unapplied []string, err error) {
	named, err := namedClasses(props, KeyConverters, "converter", "io.debezium.connector.mysql.converters.TinyIntOneToBooleanConverter")
	if err != nil {
		return nil, nil, err
	}
	for _, nc := range named {
		name, class := nc[0], nc[1]
		if !tinyIntBoolClasses[class] {
			unapplied = append(unapplied, name+"="+class)
			continue
		}
		r := tinyIntBoolRule{name: name, lengthCheck: true}
		if v, ok := props[name+".length.checker"]; ok {
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "true":
			case "false":
				r.lengthCheck = false
			default:
				return nil, nil, &connect.ConfigError{Name: name + ".length.checker", Value: v, Message: "must be true or false"}
			}
		}
		if r.selector, err = caseInsensitiveNames(name+".selector", props[name+".selector"]); err != nil {
			return nil, nil, err
		}
		rules = append(rules, r)
	}
	return rules, unapplied, nil
}

// namedClasses reads a Debezium list of named plugins (converters,
// post.processors): each name with the class in <name>.type, in order. A
// name without a class is a config error naming the key to set.
func namedClasses(props map[string]string, listKey, what, example string) ([][2]string, error) {
	var out [][2]string
	for _, name := range strings.Split(props[listKey], ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		typeKey := name + ".type"
		class := strings.TrimSpace(props[typeKey])
		if class == "" {
			return nil, &connect.ConfigError{Name: typeKey, Value: "",
				Message: fmt.Sprintf("%s %q is named in %s but has no class; set %s (e.g. %s) or remove %q from %s", what, name, listKey, typeKey, example, name, listKey)}
		}
		out = append(out, [2]string{name, class})
	}
	return out, nil
}

// caseInsensitiveNames compiles a comma-separated list of regular
// expressions matched whole and ignoring case (wholeNames), as Debezium's
// selectors are; nil for an empty list.
func caseInsensitiveNames(key, list string) ([]*regexp.Regexp, error) {
	var exprs []string
	for _, e := range strings.Split(list, ",") {
		if e = strings.TrimSpace(e); e != "" {
			exprs = append(exprs, e)
		}
	}
	if len(exprs) == 0 {
		return nil, nil
	}
	return wholeNames(key, exprs)
}

// tinyIntBool reports whether a configured TinyIntOneToBooleanConverter
// turns column c of table id into a BOOLEAN field.
func (f *Filters) tinyIntBool(id TableID, c *Column) bool {
	if f == nil || len(f.boolCols) == 0 || c.BinlogType != gomysql.MYSQL_TYPE_TINY {
		return false
	}
	name := id.DB + "." + id.Table + "." + c.Name
	for _, r := range f.boolCols {
		if r.lengthCheck && !strings.HasPrefix(strings.ToLower(c.FullType), "tinyint(1)") {
			// The display width is in the declared type alone:
			// information_schema's length of a TINYINT is its precision, 3.
			continue
		}
		if r.selector == nil {
			return true
		}
		for _, re := range r.selector {
			if re.MatchString(name) {
				return true
			}
		}
	}
	return false
}

// toBoolean makes cc a BOOLEAN field of column c, keeping its schema
// parameters (the column's declared type travels with them).
func (cc *columnConverter) toBoolean(c *Column) error {
	b := connect.NewSchemaBuilder(connect.TypeBoolean).Params(cc.schema.Parameters)
	if c.Nullable {
		b.Optional()
	}
	s, err := b.Build()
	if err != nil {
		return fmt.Errorf("column %s: %w", c.Name, err)
	}
	cc.schema, cc.boxed = s, nil
	cc.convert = func(v any) (any, error) {
		if b, ok := v.(bool); ok {
			return b, nil
		}
		n, err := rawInt(v)
		if err != nil {
			return nil, err
		}
		return n != 0, nil
	}
	return nil
}
