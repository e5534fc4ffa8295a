package mysql

import (
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"unicode/utf16"

	"github.com/sluicehq/sluice/connect"
)

// JavaStringHashCode is Java's String.hashCode: h = 31*h + c over the
// string's UTF-16 code units, wrapping in int32. DTS and Canal hash with it
// to pick partitions, so the same row lands in the same partition here.
func JavaStringHashCode(s string) int32 {
	var h int32
	for _, r := range s {
		if r < 0x10000 {
			h = 31*h + int32(r)
			continue
		}
		hi, lo := utf16.EncodeRune(r)
		h = 31*h + int32(hi)
		h = 31*h + int32(lo)
	}
	return h
}

// HashPartition maps a hash to one of n partitions as Canal does:
// abs(abs(h) % n). Java's Math.abs(Integer.MIN_VALUE) is still negative,
// hence the second abs; Go's int32 negation and % wrap the same way.
func HashPartition(h int32, n int) int32 {
	if n <= 0 {
		return 0
	}
	a := h
	if a < 0 {
		a = -a
	}
	p := a % int32(n)
	if p < 0 {
		p = -p
	}
	return p
}

// tableRoute is where a table version's records go and what they are
// checked against: built once per table schema version.
type tableRoute struct {
	topic      string
	partitions int
	ops        opSet
	filter     *boundFilter
	// hashCols are the table column indexes hashed by the primary-key
	// policy; nil when the table has no key (partition 0).
	hashCols []int
	// canal is the table's canal.mq.partitionHash rule (nil: partition
	// canal.mq.partition without rules, 0 with rules none matched).
	canal *canalHashRule
	// maxwellCols are the producer_partition_columns' indexes (-1: the
	// table has no such column).
	maxwellCols []int
	// maxwellRows are the Maxwell filter rules deciding the table's rows;
	// nil when its table rules decided alone.
	maxwellRows []maxwellRowRule
	// maxwellPart is the partition of every row when it depends on the
	// table alone (producer_partition_by database or table); -1 otherwise.
	maxwellPart int32
	tableHash   int32  // hash of "<db>.<table>"; of the table name alone under a Canal rule
	tableKey    string // "<db>.<table>"
	// oversize bookkeeping: skipped records are logged once per table.
	skipLogged bool
	// ctr caches the metrics counters of each operation (opIndex).
	ctr [5]*opCounters
}

// router applies the topic, partition and key options to records.
type router struct {
	opts   *Options
	d      *DTSOptions
	routes map[*tableSchema]*tableRoute
	// skipped counts records dropped by oversize.record.handling=skip.
	skipped atomic.Int64
	// log receives the warning about a renamed topic (nil: none);
	// renames, shared by the task's routers, says whether it was given.
	log     *slog.Logger
	renames *topicRenames
}

func newRouter(o *Options, log *slog.Logger) *router {
	d := o.dts()
	return &router{opts: o, d: d, routes: map[*tableSchema]*tableRoute{}, log: log, renames: d.topicRenames()}
}

// caseName applies topic.case to a database or table name.
func (r *router) caseName(s string) string {
	switch r.d.TopicCase {
	case "lower":
		return strings.ToLower(s)
	case "upper":
		return strings.ToUpper(s)
	}
	return s
}

// TopicFor is the data topic of a table. Names built from database and
// table names are made valid Kafka names (validTopic); topic.mapping and
// topic.default were checked as the config was read.
func (r *router) TopicFor(id TableID) string {
	if r.d.Canal != nil {
		return r.validTopic(r.d.Canal.topic(id.DB, id.Table))
	}
	if r.d.Maxwell != nil {
		return r.validTopic(r.d.Maxwell.topic(r.d.Maxwell.Topic, id.DB, id.Table))
	}
	if t, ok := r.d.TopicMapping[id]; ok {
		return t
	}
	if r.d.TopicMode == TopicModeSingle {
		return r.d.TopicDefault
	}
	d := r.d.Delimiter
	if d == "" {
		d = "."
	}
	name := r.opts.TopicPrefix + d + r.caseName(id.DB) + d + r.caseName(id.Table)
	if r.d.UnicodeTopics {
		return r.renamed(name, sanitizeTopicNameUnicode)
	}
	return r.validTopic(name)
}

func (r *router) partitionsOf(topic string) int {
	if r.d.Canal != nil {
		return r.d.Canal.partitions(topic)
	}
	if n, ok := r.d.PartitionsByTopic[topic]; ok {
		return n
	}
	return r.d.TopicPartitions
}

// imageColumns are the indexes of the columns a table version's routing
// reads from a row image: the partition hash columns and the Maxwell row
// filters' columns. The snapshot selects them even when the column filters
// keep them out of the records, so that a snapshot row is routed by the
// same values as the stream routes the row's later changes.
func (r *router) imageColumns(ts *tableSchema) ([]int, error) {
	rt, err := r.route(ts)
	if err != nil {
		return nil, err
	}
	var cols []int
	cols = append(cols, rt.hashCols...)
	cols = append(cols, rt.maxwellCols...)
	for _, mr := range rt.maxwellRows {
		cols = append(cols, mr.col)
	}
	return slices.DeleteFunc(cols, func(i int) bool { return i < 0 || i >= len(ts.table.Columns) }), nil
}

// route returns the routing of a table version, building it on first use.
func (r *router) route(ts *tableSchema) (*tableRoute, error) {
	if rt, ok := r.routes[ts]; ok {
		return rt, nil
	}
	id := ts.table.ID
	if err := r.d.checkTable(ts.table, r.opts.Filters); err != nil {
		return nil, err
	}
	rt := &tableRoute{topic: r.TopicFor(id), ops: r.d.ops(id), tableKey: id.DB + "." + id.Table}
	rt.partitions = r.partitionsOf(rt.topic)
	rt.tableHash = JavaStringHashCode(rt.tableKey)
	if f := r.d.RowFilter(id); f != nil {
		b, err := f.Bind(ts.table)
		if err != nil {
			return nil, &connect.ConfigError{Name: KeyTableFilterConditions, Value: f.SQL, Message: err.Error()}
		}
		rt.filter = b.inZone(r.d.serverZone)
	}
	if f := r.opts.Filters; f != nil && f.maxwell != nil {
		rt.maxwellRows = bindMaxwellRows(f.maxwell, ts.table)
	}
	if r.d.Maxwell != nil {
		r.maxwellRoute(ts, rt)
	} else if r.d.Canal != nil {
		r.canalRoute(ts, rt)
	} else if r.d.PartitionPolicy == PolicyPrimaryKey || r.d.KeyMode == KeyModeHashInput {
		cols := r.d.PartitionKeyColumns[id]
		if len(cols) == 0 {
			cols = ts.table.PrimaryKey
		}
		if len(cols) == 0 && len(ts.table.UniqueKeys) > 0 {
			cols = ts.table.UniqueKeys[0].Columns
		}
		for _, c := range cols {
			rt.hashCols = append(rt.hashCols, ts.table.columnIndex(c))
		}
	}
	// A new version of the table replaces the old one's route.
	for old := range r.routes {
		if old.table.ID == id {
			delete(r.routes, old)
		}
	}
	r.routes[ts] = rt
	return rt, nil
}

// hashInput returns the string the policy hashes for a row, and its hash.
func (r *router) hashInput(ts *tableSchema, rt *tableRoute, img []any) (string, int32, bool) {
	switch r.d.PartitionPolicy {
	case PolicyTable:
		return rt.tableKey, rt.tableHash, true
	case policyCanal:
		return r.canalHashInput(ts, rt, img)
	case PolicyPrimaryKey, PolicyPartition0, PolicyNone:
		if len(rt.hashCols) == 0 || img == nil {
			return "", 0, false
		}
		var sb strings.Builder
		var x int32
		if r.d.HashXOR {
			x = JavaStringHashCode(ts.table.ID.DB)
		}
		for i, ci := range rt.hashCols {
			var v string
			if ci < len(img) {
				v = TextValue(&ts.table.Columns[ci], img[ci])
			}
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(v)
			if r.d.HashXOR {
				x ^= JavaStringHashCode(v)
			}
		}
		s := sb.String()
		if !r.d.HashXOR {
			x = JavaStringHashCode(s)
		}
		return s, x, true
	}
	return "", 0, false
}

// apply sets a row record's topic, partition and key. img is the row image
// the key comes from: the before image of a delete, the after image
// otherwise.
func (r *router) apply(rec *connect.SourceRecord, ts *tableSchema, rt *tableRoute, img []any) {
	rec.Topic = rt.topic
	input, h, ok := r.hashInput(ts, rt, img)
	switch r.d.PartitionPolicy {
	case PolicyPartition0:
		rec.Partition = connect.PartitionPtr(0)
	case PolicyTable:
		rec.Partition = connect.PartitionPtr(HashPartition(h, rt.partitions))
	case PolicyPrimaryKey:
		if ok {
			rec.Partition = connect.PartitionPtr(HashPartition(h, rt.partitions))
		} else {
			rec.Partition = connect.PartitionPtr(0)
		}
	case policyMaxwell:
		rec.Partition = connect.PartitionPtr(r.maxwellPartition(ts, rt, img, rec))
	case policyCanal:
		switch {
		case len(r.d.Canal.Hash) == 0:
			rec.Partition = connect.PartitionPtr(int32(r.d.Canal.Partition))
		case ok:
			rec.Partition = connect.PartitionPtr(HashPartition(h, rt.partitions))
		default:
			rec.Partition = connect.PartitionPtr(0)
		}
	}
	switch r.d.KeyMode {
	case KeyModeNone:
		rec.KeySchema, rec.Key = nil, nil
	case KeyModeHashInput:
		if ok {
			rec.KeySchema, rec.Key = connect.OptionalStringSchema, input
		} else {
			rec.KeySchema, rec.Key = nil, nil
		}
	}
}

// applyDDL routes a DDL record: to ddl.topic when set; in single mode to
// the table's data topic (topic.default for DDL about no table); in
// per-table mode to the schema change topic it already has. Partition 0,
// or the table's partition under the table policy.
func (r *router) applyDDL(rec *connect.SourceRecord, d DDL) {
	var table *TableID
	if len(d.Tables) > 0 {
		// A rename's first new name, which the formats name
		// (changeevent.Event.NamedTable); else the first table.
		t := d.Tables[0]
		if d.Kind == DDLRenameTable && len(d.Tables) > 1 {
			t = d.Tables[1]
		}
		table = &t
	}
	switch {
	case r.d.Maxwell != nil:
		var name string
		if table != nil {
			name = table.Table
		}
		rec.Topic = r.validTopic(r.d.Maxwell.topic(r.d.Maxwell.DDLTopic, d.Database, name))
	case r.d.DDLTopic != "":
		rec.Topic = r.d.DDLTopic
	case r.d.Canal != nil:
		// Canal sends DDL where its table's rows go (the database's or
		// the default topic for DDL about no table).
		rec.Topic = r.validTopic(r.d.Canal.topic(d.Database, ""))
		if table != nil {
			rec.Topic = r.validTopic(r.d.Canal.topic(table.DB, table.Table))
		}
	case r.d.TopicMode == TopicModeSingle:
		rec.Topic = r.d.TopicDefault
		if table != nil {
			rec.Topic = r.TopicFor(*table)
		}
	}
	var input string
	var h int32
	if table != nil {
		input = table.DB + "." + table.Table
		h = JavaStringHashCode(input)
	} else {
		input = d.Database
	}
	switch r.d.PartitionPolicy {
	case policyMaxwell:
		// Maxwell partitions DDL by its database.
		rec.Partition = connect.PartitionPtr(r.d.Maxwell.partition(d.Database, r.partitionsOf(rec.Topic)))
	case policyCanal:
		p := 0 // Canal's partitionHash sends DDL to partition 0
		if len(r.d.Canal.Hash) == 0 {
			p = r.d.Canal.Partition
		}
		rec.Partition = connect.PartitionPtr(int32(p))
	case PolicyPartition0, PolicyPrimaryKey:
		rec.Partition = connect.PartitionPtr(0)
	case PolicyTable:
		if table != nil {
			rec.Partition = connect.PartitionPtr(HashPartition(h, r.partitionsOf(rec.Topic)))
		} else {
			rec.Partition = connect.PartitionPtr(0)
		}
	}
	switch r.d.KeyMode {
	case KeyModeNone:
		rec.KeySchema, rec.Key = nil, nil
	case KeyModeHashInput:
		rec.KeySchema, rec.Key = connect.OptionalStringSchema, input
	}
}

func opIndex(op string) int {
	switch op {
	case "c":
		return 0
	case "u":
		return 1
	case "d":
		return 2
	case "t":
		return 3
	}
	return 4
}

// canalRoute fills in a table's canal.mq.partitionHash rule.
func (r *router) canalRoute(ts *tableSchema, rt *tableRoute) {
	rule := r.d.Canal.hashRule(ts.table.ID)
	if rule == nil {
		return
	}
	rt.canal = rule
	switch {
	case rule.tableHash:
		rt.tableHash = JavaStringHashCode(ts.table.ID.Table)
	case rule.autoPK:
		for _, c := range ts.table.PrimaryKey {
			rt.hashCols = append(rt.hashCols, ts.table.columnIndex(c))
		}
	default:
		// Canal hashes a column the row lacks as "": -1 here.
		for _, c := range rule.columns {
			rt.hashCols = append(rt.hashCols, ts.table.columnIndex(c))
		}
	}
}

// canalHashInput is Canal's partition hash of a row: the table name's
// hash, or the XOR of the database name's hash (canal.mq.databaseHash)
// and each hashed column's text value's hash. The input string is the
// table name or the values joined with ',', for message.key.mode=hash-input.
func (r *router) canalHashInput(ts *tableSchema, rt *tableRoute, img []any) (string, int32, bool) {
	rule := rt.canal
	if rule == nil {
		return "", 0, false
	}
	if rule.tableHash {
		return ts.table.ID.Table, rt.tableHash, true
	}
	var x int32
	if r.d.Canal.DatabaseHash {
		x = JavaStringHashCode(ts.table.ID.DB)
	}
	// The joined values are only the record key of hash-input; the
	// partition needs their hashes alone.
	joined := r.d.KeyMode == KeyModeHashInput
	var sb strings.Builder
	for i, ci := range rt.hashCols {
		var v string
		if ci >= 0 && ci < len(img) && img[ci] != nil {
			v = TextValue(&ts.table.Columns[ci], img[ci])
		}
		if joined {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(v)
		}
		x ^= JavaStringHashCode(v)
	}
	return sb.String(), x, true
}
