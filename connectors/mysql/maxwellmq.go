package mysql

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"

	"github.com/spaolacci/murmur3"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/internal/jsonfmt"
)

// Maxwell's routing keys (its config.properties), so that a Maxwell
// deployment's topics and partitions carry over by pasting them into the
// connector config; with value.converter=maxwell-json (and key.converter
// maxwell-json) the messages are Maxwell's too. The rules are Maxwell's
// (MaxwellKafkaProducer and its partitioners, zendesk/maxwell):
//
//   - kafka_topic: the topic of every row, "maxwell" by default; %{database}
//     and %{table} are replaced by the row's, whitespace is removed, and
//     characters a Kafka topic cannot hold become '_'.
//   - ddl_kafka_topic: the topic of DDL records (default kafka_topic, with
//     %{table} empty for DDL about no table).
//   - producer_partition_by: what a row's partition hashes: database (the
//     default), table, primary_key (the key's values joined, "None" when all
//     are null, database+table for a table without one), transaction_id (the
//     transaction's GTID sequence number, as maxwell-json's xid), column
//     (producer_partition_columns' values joined; without any, the
//     producer_partition_by_fallback's string) or random. Values are
//     joined as Java prints them (Double.toString, BigDecimal.toString,
//     a SET as [a, b], binary as base64).
//   - kafka_partition_hash: default (Java's String.hashCode) or murmur3
//     (32-bit, seed 25342, over the UTF-8 bytes); the partition is
//     abs(hash % partitions), partitions being topic.partitions (and
//     topic.partitions.mapping), which must match the topics'.
//
// DDL records are partitioned by their database, as Maxwell's.
const (
	KeyMaxwellTopic             = "kafka_topic"
	KeyMaxwellDDLTopic          = "ddl_kafka_topic"
	KeyMaxwellPartitionBy       = "producer_partition_by"
	KeyMaxwellPartitionColumns  = "producer_partition_columns"
	KeyMaxwellPartitionFallback = "producer_partition_by_fallback"
	KeyMaxwellPartitionHash     = "kafka_partition_hash"
)

const groupMaxwell = "Maxwell compatibility"

// maxwellMurmurSeed is the seed Maxwell's murmur3 partitioner hashes with.
const maxwellMurmurSeed = 25342

var maxwellPartitionBys = []string{"database", "table", "primary_key", "transaction_id", "thread_id", "column", "random"}

func defineMaxwellKeys(def func(connect.ConfigKey)) {
	defineMaxwellBootstrapKeys(def)
	def(connect.ConfigKey{Name: KeyCommitHeader, Type: connect.ConfigString, Default: "auto", Group: groupMaxwell,
		Validator: connect.OneOfIgnoreCase("auto", "true", "false"), Recommended: []string{"auto", "true", "false"},
		Doc: "Mark the last row record of each binlog transaction with the header " + CommitHeader + "=true, which maxwell-json writes as Maxwell's \"commit\":true. auto: when this connector's value.converter is the Maxwell converter. The record is held until the next binlog event says whether the transaction ends with it."})
	def(connect.ConfigKey{Name: KeyMaxwellFilter, Type: connect.ConfigString, Default: "", Group: groupMaxwell,
		Validator: connect.ValidatorFunc{Fn: func(_ string, v any) error {
			if _, err := parseMaxwellFilter(v.(string)); err != nil {
				return errors.New(maxwellFilterError(v.(string), err).Message)
			}
			return nil
		}, Desc: "Maxwell's filter rules"},
		Doc: "Maxwell's filter: rules in order, the last that applies decides — \"exclude: *.*, include: shop.orders, include: shop./^audit_/, blacklist: secrets.*, exclude: shop.orders.status=draft\". Patterns are * , names matched whole (case-sensitive) or /regex/; a db.table.column=value rule decides per row. Applies together with table.include.list and the other filters."})
	def(connect.ConfigKey{Name: KeyMaxwellTopic, Type: connect.ConfigString, Default: "", Group: groupMaxwell,
		Validator: connect.ValidatorFunc{Fn: func(_ string, v any) error { return checkMaxwellTemplate(v.(string)) }, Desc: "a topic name, %{database} and %{table} allowed"},
		Doc:       "Maxwell's topic: every row's topic, with %{database} and %{table} replaced (\"maxwell\" when another Maxwell routing key is set without it). Setting any Maxwell routing key routes topics and partitions as Maxwell does, in place of topic.mode / partition.policy."})
	def(connect.ConfigKey{Name: KeyMaxwellDDLTopic, Type: connect.ConfigString, Default: "", Group: groupMaxwell,
		Validator: connect.ValidatorFunc{Fn: func(_ string, v any) error { return checkMaxwellTemplate(v.(string)) }, Desc: "a topic name, %{database} and %{table} allowed"},
		Doc:       "Maxwell's topic of DDL records; kafka_topic when empty."})
	def(connect.ConfigKey{Name: KeyMaxwellPartitionBy, Type: connect.ConfigString, Default: "database", Group: groupMaxwell,
		Validator: connect.OneOfIgnoreCase(maxwellPartitionBys...), Recommended: maxwellPartitionBys,
		Doc: "What a row's partition hashes, as Maxwell: database, table, primary_key, transaction_id, thread_id (the writing session's id; null for snapshot rows), column (producer_partition_columns) or random."})
	def(connect.ConfigKey{Name: KeyMaxwellPartitionColumns, Type: connect.ConfigList, Default: "", Group: groupMaxwell,
		Doc: "Columns whose values producer_partition_by=column joins and hashes (\"user_id,created_at\")."})
	def(connect.ConfigKey{Name: KeyMaxwellPartitionFallback, Type: connect.ConfigString, Default: "database", Group: groupMaxwell,
		Validator: connect.OneOfIgnoreCase("database", "table", "primary_key", "transaction_id"), Recommended: []string{"database", "table", "primary_key", "transaction_id"},
		Doc: "What producer_partition_by=column hashes for a row none of whose producer_partition_columns has a value."})
	def(connect.ConfigKey{Name: KeyMaxwellPartitionHash, Type: connect.ConfigString, Default: "default", Group: groupMaxwell,
		Validator: connect.OneOfIgnoreCase("default", "murmur3"), Recommended: []string{"default", "murmur3"},
		Doc: "Maxwell's hash function: default (Java's String.hashCode) or murmur3 (seed 25342)."})
}

// maxwellRoutingKeys are the keys whose presence turns Maxwell routing on.
var maxwellRoutingKeys = []string{KeyMaxwellTopic, KeyMaxwellDDLTopic, KeyMaxwellPartitionBy, KeyMaxwellPartitionColumns, KeyMaxwellPartitionFallback, KeyMaxwellPartitionHash}

var maxwellPlaceholder = regexp.MustCompile(`%\{[^}]*\}`)

func checkMaxwellTemplate(s string) error {
	for _, p := range maxwellPlaceholder.FindAllString(s, -1) {
		switch p {
		case "%{database}", "%{table}":
		case "%{type}":
			return fmt.Errorf("%%{type} is not supported: Sluice sends a table's inserts, updates and deletes to one topic, in order; use %%{database} and %%{table}")
		default:
			return fmt.Errorf("%s is not a Maxwell placeholder (%%{database}, %%{table})", p)
		}
	}
	return nil
}

// MaxwellRouting is Maxwell's topic and partition routing.
type MaxwellRouting struct {
	Topic, DDLTopic string
	By, Fallback    string
	Columns         []string
	Murmur3         bool
}

// parseMaxwellRouting returns Maxwell routing when one of its keys is set,
// nil otherwise; the DTS and Canal routing keys beside it are refused.
func parseMaxwellRouting(c *connect.Config, props map[string]string) (*MaxwellRouting, error) {
	var set string
	for _, k := range maxwellRoutingKeys {
		if _, ok := props[k]; ok {
			set = k
			break
		}
	}
	if set == "" {
		return nil, nil
	}
	for _, k := range append([]string{KeyTopicMode, KeyTopicDefault, KeyTopicMapping, KeyPartitionPolicy, KeyPartitionKeyColumns, KeyPartitionHashMode, KeyDDLTopic}, canalRoutingKeys...) {
		if _, ok := props[k]; ok {
			return nil, &connect.ConfigError{Name: k, Value: props[k],
				Message: fmt.Sprintf("routes topics or partitions, and so does %s (Maxwell's routing): keep the Maxwell keys (with topic.partitions for the partition count) or the others, not both", set)}
		}
	}
	r := &MaxwellRouting{
		Topic:    c.String(KeyMaxwellTopic),
		DDLTopic: c.String(KeyMaxwellDDLTopic),
		By:       strings.ToLower(c.String(KeyMaxwellPartitionBy)),
		Fallback: strings.ToLower(c.String(KeyMaxwellPartitionFallback)),
		Columns:  c.List(KeyMaxwellPartitionColumns),
		Murmur3:  strings.EqualFold(c.String(KeyMaxwellPartitionHash), "murmur3"),
	}
	if r.Topic == "" {
		r.Topic = "maxwell"
	}
	if r.DDLTopic == "" {
		r.DDLTopic = r.Topic
	}
	if r.By == "column" && len(r.Columns) == 0 {
		return nil, &connect.ConfigError{Name: KeyMaxwellPartitionColumns, Value: props[KeyMaxwellPartitionColumns],
			Message: "is required with producer_partition_by=column: name the columns whose values choose the partition"}
	}
	return r, nil
}

var maxwellIllegalTopicChars = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// topic fills a template with a database and table.
func (r *MaxwellRouting) topic(template, db, table string) string {
	if !strings.Contains(template, "%{") {
		return template
	}
	s := strings.ReplaceAll(strings.ReplaceAll(template, "%{database}", db), "%{table}", table)
	s = strings.Join(strings.Fields(s), "")
	return maxwellIllegalTopicChars.ReplaceAllString(s, "_")
}

func (r *MaxwellRouting) hash(s string) int32 {
	if r.Murmur3 {
		return int32(murmur3.Sum32WithSeed([]byte(s), maxwellMurmurSeed))
	}
	return JavaStringHashCode(s)
}

// partition is Maxwell's abs(hash % n).
func (r *MaxwellRouting) partition(s string, n int) int32 {
	if n <= 0 {
		return 0
	}
	p := r.hash(s) % int32(n)
	if p < 0 {
		p = -p
	}
	return p
}

// maxwellRoute fills in the columns a table's partition string joins, or
// its rows' one partition when that depends on the table alone.
func (r *router) maxwellRoute(ts *tableSchema, rt *tableRoute) {
	switch r.d.Maxwell.By {
	case "database":
		rt.maxwellPart = r.d.Maxwell.partition(ts.table.ID.DB, rt.partitions)
		return
	case "table":
		rt.maxwellPart = r.d.Maxwell.partition(ts.table.ID.Table, rt.partitions)
		return
	}
	rt.maxwellPart = -1
	if m := r.d.Maxwell; m.By == "primary_key" || (m.By == "column" && m.Fallback == "primary_key") {
		for _, c := range ts.table.PrimaryKey {
			rt.hashCols = append(rt.hashCols, ts.table.columnIndex(c))
		}
	}
	if r.d.Maxwell.By == "column" {
		for _, c := range r.d.Maxwell.Columns {
			rt.maxwellCols = append(rt.maxwellCols, ts.table.columnIndex(c))
		}
	}
}

// maxwellPartition is a row's partition under Maxwell's rules; rec's
// source block gives the transaction and thread ids.
func (r *router) maxwellPartition(ts *tableSchema, rt *tableRoute, img []any, rec *connect.SourceRecord) int32 {
	if rt.maxwellPart >= 0 {
		return rt.maxwellPart
	}
	m := r.d.Maxwell
	by := m.By
	var s string
	if by == "column" {
		s = joinMaxwellText(ts, rt.maxwellCols, img)
		if s == "" {
			by = m.Fallback
		}
	}
	switch by {
	case "random":
		return int32(rand.IntN(max(rt.partitions, 1)))
	case "database":
		s = ts.table.ID.DB
	case "table":
		s = ts.table.ID.Table
	case "primary_key":
		switch {
		case len(ts.table.PrimaryKey) == 0:
			s = ts.table.ID.DB + ts.table.ID.Table
		default:
			if s = joinMaxwellText(ts, rt.hashCols, img); s == "" {
				s = "None"
			}
		}
	case "transaction_id":
		// Maxwell hashes String.valueOf(xid): maxwell-json's xid, or null.
		s = "null"
		if src := recordSource(rec); src != nil {
			if n, ok := connect.GTIDSequence(src.GetString(connect.SourceGTID)); ok {
				s = strconv.FormatUint(n, 10)
			}
		}
	case "thread_id":
		// String.valueOf(thread_id): the writing session's id, or null
		// (snapshot rows, a binlog without it).
		s = "null"
		if src := recordSource(rec); src != nil {
			if th, ok := src.Get(connect.SourceThread).(int64); ok {
				s = strconv.FormatInt(th, 10)
			}
		}
	}
	return m.partition(s, rt.partitions)
}

// joinMaxwellText joins the non-null values of columns cols of a row as
// Java prints Maxwell's values.
func joinMaxwellText(ts *tableSchema, cols []int, img []any) string {
	var sb strings.Builder
	for _, ci := range cols {
		if ci < 0 || ci >= len(img) || img[ci] == nil {
			continue
		}
		sb.WriteString(maxwellText(&ts.table.Columns[ci], img[ci]))
	}
	return sb.String()
}

// maxwellText is a value as Java's toString prints the object Maxwell
// makes of it.
func maxwellText(c *Column, raw any) string {
	k, _ := c.kind()
	switch k {
	case kindFloat, kindDouble:
		switch f := raw.(type) {
		case float32:
			return string(jsonfmt.AppendFloat(nil, f))
		case float64:
			if k == kindFloat {
				return string(jsonfmt.AppendFloat(nil, float32(f)))
			}
			return string(jsonfmt.AppendDouble(nil, f))
		}
	case kindDecimal:
		return string(jsonfmt.AppendBigDecimalText(nil, []byte(TextValue(c, raw))))
	case kindSet:
		t := TextValue(c, raw)
		if t == "" {
			return "[]"
		}
		return "[" + strings.ReplaceAll(t, ",", ", ") + "]"
	case kindBinary:
		switch b := raw.(type) {
		case []byte:
			return base64.StdEncoding.EncodeToString(b)
		case string:
			return base64.StdEncoding.EncodeToString([]byte(b))
		}
	}
	return TextValue(c, raw)
}

// recordSource is a change event's source block, nil if it has none.
func recordSource(rec *connect.SourceRecord) *connect.Struct {
	if v, _ := rec.Value.(*connect.Struct); v != nil {
		return v.GetStruct(connect.FieldSource)
	}
	return nil
}

// KeyCommitHeader turns the transaction commit header on.
const KeyCommitHeader = "transaction.commit.header"

// CommitHeader is the header on the last row record of a transaction,
// the one maxwell-json reads.
const CommitHeader = connect.HeaderTxCommit

// commitHeaderOn resolves transaction.commit.header: auto is on when the
// connector's own value.converter reads the header (connect.TxCommitReader,
// as maxwell-json); a worker-level one is not in the connector's config:
// set true there.
func commitHeaderOn(v string, props map[string]string) bool {
	switch strings.ToLower(v) {
	case "true":
		return true
	case "false":
		return false
	}
	p, err := connect.Lookup(strings.TrimSpace(props["value.converter"]), connect.PluginConverter)
	if err != nil || p.New == nil {
		return false
	}
	r, ok := p.New().(connect.TxCommitReader)
	return ok && r.ReadsTxCommit()
}

// converterWritesTombstones asks the connector's own value.converter
// whether its format has tombstones (connect.TombstoneWriter); one that
// does not say, or a worker-level converter, is taken to have them.
func converterWritesTombstones(props map[string]string) bool {
	p, err := connect.Lookup(strings.TrimSpace(props["value.converter"]), connect.PluginConverter)
	if err != nil || p.New == nil {
		return true
	}
	w, ok := p.New().(connect.TombstoneWriter)
	return !ok || w.WritesTombstones()
}

// converterWritesSchemaChanges asks the connector's own value.converter,
// configured with its value.converter.* settings, whether its format has a
// message for schema-change records (connect.SchemaChangeWriter); a
// converter that does not say, or cannot be configured here, is taken to
// write them.
func converterWritesSchemaChanges(props map[string]string) bool {
	p, err := connect.Lookup(strings.TrimSpace(props["value.converter"]), connect.PluginConverter)
	if err != nil || p.New == nil {
		return true
	}
	conv := p.New()
	w, ok := conv.(connect.SchemaChangeWriter)
	if !ok {
		return true
	}
	cfg, ok := conv.(interface {
		Configure(props map[string]string, isKey bool) error
	})
	if !ok {
		return true
	}
	sub := map[string]string{}
	for k, v := range props {
		if rest, ok := strings.CutPrefix(k, "value.converter."); ok {
			sub[rest] = v
		}
	}
	if err := cfg.Configure(sub, false); err != nil {
		return true
	}
	return w.WritesSchemaChanges()
}

// hasKey reports whether the config sets key at all.
func hasKey(props map[string]string, key string) bool {
	_, ok := props[key]
	return ok
}
