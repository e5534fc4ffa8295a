package mysql

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicehq/sluice/connect"
)

// KeyPostProcessors is Debezium's post.processors: names, each with its
// class in <name>.type and its settings under <name>.*. Debezium's one
// post processor, ReselectColumnsPostProcessor, is applied natively:
// columns a change event carries as NULL are read again from the table by
// the row's key. On MySQL and MariaDB that is what a binlog_row_image of
// MINIMAL or NOBLOB needs: the after image of an update then lacks the
// columns the statement did not change.
const KeyPostProcessors = "post.processors"

const reselectClass = "io.debezium.processors.reselect.ReselectColumnsPostProcessor"

// reselectRule is one configured ReselectColumnsPostProcessor.
type reselectRule struct {
	name string
	// include / exclude match db.table:column whole, ignoring case
	// (Debezium's reselect.columns.include.list / exclude.list); with
	// neither, every column qualifies.
	include, exclude []*regexp.Regexp
	nulls            bool // reselect.null.values (default true)
	// useEventKey (reselect.use.event.key) finds the row by the record
	// key's columns (message.key.columns) instead of the primary key, for
	// tables without one.
	useEventKey bool
}

// parsePostProcessors reads post.processors and the keys of each post
// processor it names: the reselect rules, and name=class of those Sluice
// has no counterpart of.
func parsePostProcessors(props map[string]string) (rules []reselectRule, unapplied []string, err error) {
	named, err := namedClasses(props, KeyPostProcessors, "post processor", reselectClass)
	if err != nil {
		return nil, nil, err
	}
	for _, nc := range named {
		name, class := nc[0], nc[1]
		if class != reselectClass {
			unapplied = append(unapplied, name+"="+class)
			continue
		}
		r := reselectRule{name: name, nulls: true}
		for key, dst := range map[string]*bool{".reselect.null.values": &r.nulls, ".reselect.use.event.key": &r.useEventKey, ".reselect.unavailable.values": nil} {
			v, ok := props[name+key]
			if !ok {
				continue
			}
			b, perr := strconv.ParseBool(strings.TrimSpace(v))
			if perr != nil {
				return nil, nil, &connect.ConfigError{Name: name + key, Value: v, Message: "must be true or false"}
			}
			if dst != nil {
				*dst = b
			}
		}
		incKey, excKey := name+".reselect.columns.include.list", name+".reselect.columns.exclude.list"
		inc, exc := strings.TrimSpace(props[incKey]), strings.TrimSpace(props[excKey])
		if inc != "" && exc != "" {
			return nil, nil, &connect.ConfigError{Name: excKey, Value: exc,
				Message: fmt.Sprintf("set either %s or %s, not both", incKey, excKey)}
		}
		if r.include, err = caseInsensitiveNames(incKey, inc); err != nil {
			return nil, nil, err
		}
		if r.exclude, err = caseInsensitiveNames(excKey, exc); err != nil {
			return nil, nil, err
		}
		rules = append(rules, r)
	}
	return rules, unapplied, nil
}

// selects reports whether the rule reads column col of table id again
// when its value is NULL.
func (r *reselectRule) selects(id TableID, col string) bool {
	if !r.nulls {
		return false
	}
	name := id.DB + "." + id.Table + ":" + col
	match := func(res []*regexp.Regexp) bool {
		for _, re := range res {
			if re.MatchString(name) {
				return true
			}
		}
		return false
	}
	switch {
	case r.include != nil:
		return match(r.include)
	case r.exclude != nil:
		return !match(r.exclude)
	}
	return true
}

// reselector reads columns of streamed rows again. It runs on the stream's
// goroutine, on a connection of its own set up as a snapshot reader's
// (UTC, values in the column's character set), so that what it reads has
// the form the binlog decoder gives and goes through the same converters.
type reselector struct {
	rules []reselectRule
	dial  *dialer
	log   *slog.Logger
	conn  *client.Conn
	// stmts are prepared statements by query text, closed with conn.
	stmts map[string]*client.Stmt
	// collations of the key columns, by table, for keyParamExpr; read
	// again when the table's definition changed (a new tableSchema).
	collations map[TableID]tableCollations
}

type tableCollations struct {
	of     *tableSchema
	byName map[string]string
}

const maxReselectStmts = 256

func newReselector(rules []reselectRule, d *dialer, log *slog.Logger) *reselector {
	if len(rules) == 0 {
		return nil
	}
	return &reselector{rules: rules, dial: d, log: log, stmts: map[string]*client.Stmt{}, collations: map[TableID]tableCollations{}}
}

func (r *reselector) close() {
	if r == nil || r.conn == nil {
		return
	}
	for _, st := range r.stmts {
		_ = st.Close()
	}
	_ = r.conn.Close()
	r.conn, r.stmts = nil, map[string]*client.Stmt{}
}

// apply returns the after image of a created or updated row with the NULL
// columns the rules select read from the table as it is now (Debezium's
// behaviour: the current value, which may be newer than the event). The
// image is copied, never changed in place. Any failure to read leaves the
// image as it was and is logged, as Debezium does.
func (r *reselector) apply(ctx context.Context, ts *tableSchema, after []any) []any {
	if r == nil || after == nil {
		return after
	}
	id := ts.table.ID
	var cols []int // row image positions to read again
	useKey := false
	for _, cc := range ts.convs {
		if cc.index >= len(after) || after[cc.index] != nil {
			continue
		}
		name := ts.table.Columns[cc.index].Name
		for i := range r.rules {
			if r.rules[i].selects(id, name) {
				cols = append(cols, cc.index)
				useKey = useKey || r.rules[i].useEventKey
				break
			}
		}
	}
	if len(cols) == 0 {
		return after
	}
	var keys []int
	if useKey || len(ts.table.PrimaryKey) == 0 {
		if useKey {
			for _, kc := range ts.keyConvs {
				keys = append(keys, kc.index)
			}
		}
	} else {
		for _, k := range ts.table.PrimaryKey {
			if i := ts.table.columnIndex(k); i >= 0 {
				keys = append(keys, i)
			}
		}
	}
	if len(keys) == 0 {
		r.log.Debug("no key to read the row again by; set reselect.use.event.key=true with message.key.columns for tables without a primary key", "table", id.String(), "key", KeyPostProcessors)
		return after
	}
	vals, found, err := r.read(ctx, ts, cols, keys, after)
	if err != nil {
		r.close()
		r.log.Warn("could not read columns of a changed row again; the record keeps them NULL", "table", id.String(), "error", err, "key", KeyPostProcessors)
		return after
	}
	if !found {
		r.log.Warn("the changed row is no longer in the table; the record keeps its NULL columns", "table", id.String(), "key", KeyPostProcessors)
		return after
	}
	out := append([]any(nil), after...)
	for i, c := range cols {
		out[c] = vals[i]
	}
	return out
}

// read selects columns cols of the row whose key columns hold the values
// of after, decoded as the snapshot decodes them.
func (r *reselector) read(ctx context.Context, ts *tableSchema, cols, keys []int, after []any) ([]any, bool, error) {
	t := ts.table
	if r.conn == nil {
		c, err := snapshotSession(ctx, r.dial)
		if err != nil {
			return nil, false, err
		}
		r.conn = c
	}
	tc, ok := r.collations[t.ID]
	if !ok || tc.of != ts {
		byName, err := columnCollations(r.conn, t.ID)
		if err != nil {
			return nil, false, err
		}
		tc = tableCollations{of: ts, byName: byName}
		r.collations[t.ID] = tc
	}
	colls := tc.byName
	scs := make([]snapColumn, len(cols))
	exprs := make([]string, len(cols))
	for i, ci := range cols {
		sc, err := newSnapColumn(&t.Columns[ci])
		if err != nil {
			return nil, false, err
		}
		scs[i], exprs[i] = sc, sc.expr
	}
	conds := make([]string, len(keys))
	var args []any
	for i, ki := range keys {
		col := &t.Columns[ki]
		if after[ki] == nil {
			conds[i] = quoteIdent(col.Name) + " IS NULL"
			continue
		}
		expr := keyParamExpr(col, colls[strings.ToLower(col.Name)])
		if kind, _ := col.kind(); kind == kindBit {
			expr = "?" // the binlog gives BIT as its integer
		}
		arg, err := reselectArg(col, after[ki])
		if err != nil {
			return nil, false, fmt.Errorf("key column %s: %w", col.Name, err)
		}
		if expr != "?" {
			text, ok := arg.(string)
			if !ok {
				text = fmt.Sprint(arg)
			}
			arg = hex.EncodeToString([]byte(text))
		}
		conds[i], args = quoteIdent(col.Name)+" = "+expr, append(args, arg)
	}
	q := "SELECT " + strings.Join(exprs, ", ") + " FROM " + quoteIdent(t.ID.DB) + "." + quoteIdent(t.ID.Table) +
		" WHERE " + strings.Join(conds, " AND ") + " LIMIT 1"
	st, ok := r.stmts[q]
	if !ok {
		if len(r.stmts) >= maxReselectStmts {
			for k, old := range r.stmts {
				_ = old.Close()
				delete(r.stmts, k)
			}
		}
		var err error
		if st, err = r.conn.Prepare(q); err != nil {
			return nil, false, err
		}
		r.stmts[q] = st
	}
	res, err := st.Execute(args...)
	if err != nil {
		return nil, false, err
	}
	defer res.Close()
	if len(res.Values) == 0 {
		return nil, false, nil
	}
	row := res.Values[0]
	out := make([]any, len(cols))
	for i := range scs {
		fv := &row[i]
		if fv.Type == gomysql.FieldValueTypeNull {
			continue
		}
		v, err := scs[i].decode(fv)
		if err != nil {
			return nil, false, fmt.Errorf("column %s: %w", t.Columns[cols[i]].Name, err)
		}
		if b, ok := v.([]byte); ok {
			v = append([]byte(nil), b...) // decode may hand over the protocol buffer
		}
		out[i] = v
	}
	return out, true, nil
}

// reselectArg turns a key value of a binlog row image into a statement
// parameter: integers and floats as themselves (unsigned ones, which the
// binlog gives as signed integers of the column's width, as uint64),
// anything else as its text, bound through keyParamExpr's UNHEX.
func reselectArg(col *Column, v any) (any, error) {
	switch x := v.(type) {
	case float32:
		return float64(x), nil
	case float64, string:
		return x, nil
	case []byte:
		return string(x), nil
	case time.Time:
		return x.Format("2006-01-02 15:04:05.999999"), nil
	}
	n, err := rawInt(v)
	if err != nil {
		return nil, err
	}
	if kind, width := col.kind(); col.Unsigned && kind == kindInt {
		if width < 8 {
			return uint64(n) & (1<<(8*width) - 1), nil
		}
		return uint64(n), nil
	}
	return n, nil
}
