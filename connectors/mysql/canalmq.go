package mysql

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/connect"
)

// Canal's own routing keys (its instance.properties), so that a Canal
// deployment's topic and partition layout carries over by pasting them
// into the connector config. The rules are Canal's (MQMessageUtils and
// CanalKafkaProducer of alibaba/canal), applied per row:
//
//   - canal.mq.dynamicTopic: rules separated by ',' or ';', the first that
//     matches wins. A rule is an expression, or topic:expression. An
//     expression without regular-expression characters is a name compared
//     ignoring case; one with them is a regular expression matched whole,
//     ignoring case. An expression with an escaped dot (\.) matches
//     "<db>.<table>", one without it the database name. The rules are
//     tried on "<db>.<table>" first, then on "<db>". A rule without a topic
//     sends to the matched name in lower case. Unmatched tables go to
//     canal.mq.topic. Every topic name has its dots replaced by '_', and
//     the router (validTopic) any other character a broker refuses.
//   - canal.mq.partitionHash: rules expression[:columns], first match on
//     "<db>.<table>" wins. With columns (a^b^c) a row's partition hashes
//     those columns' text values (a missing one as ""), XORed with the
//     database name's hash when canal.mq.databaseHash is true (Canal's
//     default); with $pk$ the primary key's columns; without columns the
//     table name alone, so a table stays in one partition. Hashes are
//     Java's String.hashCode, the partition abs(abs(h) % canal.mq.partitionsNum).
//     Unmatched tables and DDL go to partition 0; without partitionHash
//     every record goes to canal.mq.partition (0).
//   - canal.mq.dynamicTopicPartitionNum: topic:count rules (names or
//     regular expressions on the topic name) for topics whose partition
//     count differs from canal.mq.partitionsNum.
//
// Records get a null key, as Canal writes them, unless message.key.mode
// says otherwise.
const (
	KeyCanalTopic                    = "canal.mq.topic"
	KeyCanalDynamicTopic             = "canal.mq.dynamicTopic"
	KeyCanalPartition                = "canal.mq.partition"
	KeyCanalPartitionsNum            = "canal.mq.partitionsNum"
	KeyCanalPartitionHash            = "canal.mq.partitionHash"
	KeyCanalDatabaseHash             = "canal.mq.databaseHash"
	KeyCanalDynamicTopicPartitionNum = "canal.mq.dynamicTopicPartitionNum"
	KeyCanalFlatMessage              = "canal.mq.flatMessage"
	KeyCanalFilterRegex              = "canal.instance.filter.regex"
	KeyCanalFilterBlackRegex         = "canal.instance.filter.black.regex"
	KeyCanalFilterField              = "canal.instance.filter.field"
	KeyCanalFilterBlackField         = "canal.instance.filter.black.field"
)

const groupCanal = "Canal compatibility"

func defineCanalKeys(def func(connect.ConfigKey)) {
	def(connect.ConfigKey{Name: KeyCanalTopic, Type: connect.ConfigString, Default: "", Group: groupCanal,
		Doc: "Canal's default topic: every table's changes go to it, unless canal.mq.dynamicTopic routes them elsewhere. Setting any canal.mq routing key routes topics and partitions as Canal does, in place of topic.mode / partition.policy."})
	def(connect.ConfigKey{Name: KeyCanalDynamicTopic, Type: connect.ConfigString, Default: "", Group: groupCanal,
		Validator: connect.ValidatorFunc{Fn: func(_ string, v any) error { _, err := parseCanalTopicRules(v.(string)); return err }, Desc: "Canal's dynamicTopic rules"},
		Doc: `Canal's per-table topics: rules separated by ',' or ';', first match wins: "shop" (the database's tables to topic shop), "shop\\.orders" or "shop\\..*" (each table to topic <db>_<table>), "orders:shop\\.order_.*" (to topic orders). ` +
			`A rule with regular-expression characters is matched whole ignoring case, against <db>.<table> when it has an escaped dot, else against the database name; other rules are names compared ignoring case. Unmatched tables go to canal.mq.topic; dots in topic names become '_', and so, with a warning, does any other character a Kafka topic name cannot hold, which a broker would refuse.`})
	def(connect.ConfigKey{Name: KeyCanalPartition, Type: connect.ConfigInt, Default: "0", Group: groupCanal, Validator: connect.AtLeast(0),
		Doc: "Canal's fixed partition: every record's partition when canal.mq.partitionHash is not set."})
	def(connect.ConfigKey{Name: KeyCanalPartitionsNum, Type: connect.ConfigInt, Default: "1", Group: groupCanal, Validator: connect.Between(1, 100000),
		Doc: "Canal's partition count, which canal.mq.partitionHash hashes into: the topics' real partition count."})
	def(connect.ConfigKey{Name: KeyCanalPartitionHash, Type: connect.ConfigString, Default: "", Group: groupCanal,
		Validator: connect.ValidatorFunc{Fn: func(_ string, v any) error { _, err := parseCanalHashRules(v.(string)); return err }, Desc: "Canal's partitionHash rules"},
		Doc: `Canal's partition rules, first match on <db>.<table> wins: "shop\\.orders:customer_id" or "shop\\..*:id^region" hash those columns' values, ".*\\..*:$pk$" the primary key, ".*\\..*" the table name (a table in one partition). ` +
			`Java's String.hashCode, XORed over the values and the database name (canal.mq.databaseHash); partition abs(abs(h) % canal.mq.partitionsNum). Unmatched tables and DDL go to partition 0.`})
	def(connect.ConfigKey{Name: KeyCanalDatabaseHash, Type: connect.ConfigBoolean, Default: "true", Group: groupCanal,
		Doc: "Whether canal.mq.partitionHash column hashes start from the database name's hash, as Canal's default does."})
	def(connect.ConfigKey{Name: KeyCanalDynamicTopicPartitionNum, Type: connect.ConfigString, Default: "", Group: groupCanal,
		Validator: connect.ValidatorFunc{Fn: func(_ string, v any) error { _, err := parseCanalTopicPartitions(v.(string)); return err }, Desc: "topic:count,..."},
		Doc:       `Partition counts of topics that differ from canal.mq.partitionsNum: "orders:6,shop_.*:4" (topic names, or regular expressions matched whole ignoring case).`})
	def(connect.ConfigKey{Name: KeyCanalFlatMessage, Type: connect.ConfigBoolean, Default: "true", Group: groupCanal,
		Doc: "Canal's JSON (flat) messages: true is what Sluice writes with value.converter=io.sluice.converters.CanalJsonConverter; false (Canal's protobuf Message) is refused."})
	def(connect.ConfigKey{Name: KeyCanalFilterRegex, Type: connect.ConfigString, Default: "", Group: groupCanal,
		Doc: "Canal's table filter: regular expressions for <db>.<table>, comma-separated, matched whole ignoring case; the same as " + KeyTableInclude + " (set one of them)."})
	def(connect.ConfigKey{Name: KeyCanalFilterField, Type: connect.ConfigString, Default: "", Group: groupCanal,
		Validator: connect.ValidatorFunc{Fn: func(_ string, v any) error { _, err := parseCanalFields(KeyCanalFilterField, v.(string)); return err }, Desc: "<db>.<table>:col/col,..."},
		Doc:       "Canal's column filter: \"shop.orders:id/status,shop.users:id/name\" keeps only the named columns of the tables named (names ignoring case); other tables keep every column. Key columns must stay."})
	def(connect.ConfigKey{Name: KeyCanalFilterBlackField, Type: connect.ConfigString, Default: "", Group: groupCanal,
		Validator: connect.ValidatorFunc{Fn: func(_ string, v any) error {
			_, err := parseCanalFields(KeyCanalFilterBlackField, v.(string))
			return err
		}, Desc: "<db>.<table>:col/col,..."},
		Doc: "Canal's column black list: \"shop.users:password/token\" drops the named columns of the tables named."})
	def(connect.ConfigKey{Name: KeyCanalFilterBlackRegex, Type: connect.ConfigString, Default: "", Group: groupCanal,
		Doc: "Canal's table black list: regular expressions for <db>.<table>; the same as " + KeyTableExclude + " (set one of them)."})
}

// canalTableFilters are the table include and exclude lists: Debezium's
// keys, or Canal's filter and black list in their place. Canal's lists
// may be used together (a table in the filter and not in the black
// list), Debezium's may not; each Canal list refuses its Debezium twin.
func canalTableFilters(c *connect.Config, props map[string]string) (inc, exc []string, err error) {
	inc, exc = c.List(KeyTableInclude), c.List(KeyTableExclude)
	for _, p := range []struct {
		canal, dbz string
		dst        *[]string
	}{{KeyCanalFilterRegex, KeyTableInclude, &inc}, {KeyCanalFilterBlackRegex, KeyTableExclude, &exc}} {
		var list []string // Canal splits these on ',' alone
		for _, e := range strings.Split(props[p.canal], ",") {
			if e = strings.TrimSpace(e); e != "" {
				list = append(list, e)
			}
		}
		if len(list) == 0 {
			continue
		}
		if len(*p.dst) > 0 {
			return nil, nil, &connect.ConfigError{Name: p.canal, Value: props[p.canal],
				Message: fmt.Sprintf("lists tables, and so does %s: keep one of them", p.dbz)}
		}
		*p.dst = list
	}
	return inc, exc, nil
}

// parseCanalFields reads Canal's per-table column lists:
// <db>.<table>:col1/col2, entries separated by ','; nil for "".
func parseCanalFields(key, s string) (map[string]map[string]bool, error) {
	var out map[string]map[string]bool
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e == "" {
			continue
		}
		table, cols, ok := strings.Cut(e, ":")
		table = strings.ToLower(strings.TrimSpace(table))
		if !ok || !strings.Contains(table, ".") || strings.TrimSpace(cols) == "" {
			return nil, &connect.ConfigError{Name: key, Value: s, Message: fmt.Sprintf("%q is not <db>.<table>:<column>/<column>", e)}
		}
		if out == nil {
			out = map[string]map[string]bool{}
		}
		if out[table] == nil {
			out[table] = map[string]bool{}
		}
		for _, c := range strings.Split(cols, "/") {
			if c = strings.ToLower(strings.TrimSpace(c)); c != "" {
				out[table][c] = true
			}
		}
	}
	return out, nil
}

// canalMatcher is one Canal expression: a name compared ignoring case, or
// a regular expression matched whole ignoring case.
type canalMatcher struct {
	name string
	re   *regexp.Regexp
	// dotted: the expression has an escaped dot, so as a dynamicTopic
	// rule it matches <db>.<table>, not a database name.
	dotted bool
}

// canalWildcards are the characters that make a Canal expression a
// regular expression.
const canalWildcards = `*?+|(){}[]\$^`

func newCanalMatcher(key, expr string) (canalMatcher, error) {
	m := canalMatcher{dotted: strings.Contains(expr, `\.`)}
	if !strings.ContainsAny(expr, canalWildcards) {
		m.name = expr
		return m, nil
	}
	re, err := regexp.Compile(`(?i)^(?:` + expr + `)$`)
	if err != nil {
		return m, fmt.Errorf("%s: %q is not a regular expression Sluice can use: %v", key, expr, err)
	}
	m.re = re
	return m, nil
}

func (m *canalMatcher) match(s string) bool {
	if m.re == nil {
		return strings.EqualFold(m.name, s)
	}
	return m.re.MatchString(s)
}

// canalRules splits a Canal rule list on ',' and ';'.
func canalRules(s string) []string {
	var out []string
	for _, r := range strings.FieldsFunc(s, func(c rune) bool { return c == ',' || c == ';' }) {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

type canalTopicRule struct {
	topic string // "" sends to the matched name
	m     canalMatcher
}

func parseCanalTopicRules(s string) ([]canalTopicRule, error) {
	var out []canalTopicRule
	for _, r := range canalRules(s) {
		var rule canalTopicRule
		expr := r
		if i := strings.IndexByte(r, ':'); i >= 0 {
			rule.topic, expr = strings.TrimSpace(r[:i]), strings.TrimSpace(r[i+1:])
		}
		var err error
		if rule.m, err = newCanalMatcher(KeyCanalDynamicTopic, expr); err != nil {
			return nil, err
		}
		out = append(out, rule)
	}
	return out, nil
}

type canalHashRule struct {
	m         canalMatcher
	tableHash bool     // no columns: the table name's hash
	autoPK    bool     // $pk$: the primary key's columns
	columns   []string // a^b^c
}

func parseCanalHashRules(s string) ([]canalHashRule, error) {
	var out []canalHashRule
	for _, r := range canalRules(s) {
		var rule canalHashRule
		expr := r
		if i := strings.LastIndexByte(r, ':'); i > 0 {
			cols := strings.TrimSpace(r[i+1:])
			expr = strings.TrimSpace(r[:i])
			if strings.EqualFold(cols, "$pk$") {
				rule.autoPK = true
			} else {
				for _, c := range strings.Split(cols, "^") {
					if c = strings.TrimSpace(c); c != "" {
						rule.columns = append(rule.columns, c)
					}
				}
			}
		} else {
			rule.tableHash = true
		}
		var err error
		if rule.m, err = newCanalMatcher(KeyCanalPartitionHash, expr); err != nil {
			return nil, err
		}
		out = append(out, rule)
	}
	return out, nil
}

type canalTopicPartitions struct {
	m canalMatcher
	n int
}

func parseCanalTopicPartitions(s string) ([]canalTopicPartitions, error) {
	var out []canalTopicPartitions
	for _, r := range canalRules(s) {
		i := strings.LastIndexByte(r, ':')
		if i <= 0 {
			return nil, fmt.Errorf("%s: %q is not <topic>:<partitions>", KeyCanalDynamicTopicPartitionNum, r)
		}
		n, err := strconv.Atoi(strings.TrimSpace(r[i+1:]))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s: %q: the partition count must be a positive integer", KeyCanalDynamicTopicPartitionNum, r)
		}
		m, err := newCanalMatcher(KeyCanalDynamicTopicPartitionNum, strings.TrimSpace(r[:i]))
		if err != nil {
			return nil, err
		}
		out = append(out, canalTopicPartitions{m: m, n: n})
	}
	return out, nil
}

// CanalRouting is Canal's topic and partition routing (the canal.mq keys).
type CanalRouting struct {
	DefaultTopic    string
	Topics          []canalTopicRule
	Partition       int
	PartitionsNum   int
	Hash            []canalHashRule
	DatabaseHash    bool
	TopicPartitions []canalTopicPartitions
}

// canalRoutingKeys are the keys whose presence turns Canal routing on.
var canalRoutingKeys = []string{KeyCanalTopic, KeyCanalDynamicTopic, KeyCanalPartition, KeyCanalPartitionsNum, KeyCanalPartitionHash, KeyCanalDynamicTopicPartitionNum}

// parseCanalRouting returns Canal routing when a canal.mq routing key is
// set, nil otherwise. It refuses the DTS topic and partition keys beside
// it: the two would route the same records two ways.
func parseCanalRouting(c *connect.Config, props map[string]string) (*CanalRouting, error) {
	var set string
	for _, k := range canalRoutingKeys {
		if _, ok := props[k]; ok {
			set = k
			break
		}
	}
	if v, ok := props[KeyCanalFlatMessage]; ok && !c.Bool(KeyCanalFlatMessage) {
		return nil, &connect.ConfigError{Name: KeyCanalFlatMessage, Value: v,
			Message: "Sluice writes Canal's JSON (flat) messages, with value.converter=io.sluice.converters.CanalJsonConverter; Canal's protobuf messages are not written. Set it to true or remove it"}
	}
	if set == "" {
		return nil, nil
	}
	for _, k := range []string{KeyTopicMode, KeyTopicDefault, KeyTopicMapping, KeyTopicPartitions, KeyTopicPartitionsMapping, KeyPartitionPolicy, KeyPartitionKeyColumns, KeyPartitionHashMode} {
		if _, ok := props[k]; ok {
			return nil, &connect.ConfigError{Name: k, Value: props[k],
				Message: fmt.Sprintf("routes topics or partitions, and so does %s (Canal's routing): keep the canal.mq keys or the DTS keys, not both", set)}
		}
	}
	r := &CanalRouting{DefaultTopic: c.String(KeyCanalTopic), Partition: c.Int(KeyCanalPartition), PartitionsNum: c.Int(KeyCanalPartitionsNum), DatabaseHash: c.Bool(KeyCanalDatabaseHash)}
	var err error
	bad := func(key string, err error) error {
		return &connect.ConfigError{Name: key, Value: props[key], Message: err.Error()}
	}
	if r.Topics, err = parseCanalTopicRules(c.String(KeyCanalDynamicTopic)); err != nil {
		return nil, bad(KeyCanalDynamicTopic, err)
	}
	if r.Hash, err = parseCanalHashRules(c.String(KeyCanalPartitionHash)); err != nil {
		return nil, bad(KeyCanalPartitionHash, err)
	}
	if r.TopicPartitions, err = parseCanalTopicPartitions(c.String(KeyCanalDynamicTopicPartitionNum)); err != nil {
		return nil, bad(KeyCanalDynamicTopicPartitionNum, err)
	}
	if r.DefaultTopic == "" {
		return nil, &connect.ConfigError{Name: KeyCanalTopic, Value: "",
			Message: fmt.Sprintf("is required with %s: name the topic of the tables no canal.mq.dynamicTopic rule routes (Canal's canal.mq.topic)", set)}
	}
	if r.Hash == nil && r.Partition >= r.PartitionsNum && props[KeyCanalPartitionsNum] != "" {
		return nil, &connect.ConfigError{Name: KeyCanalPartition, Value: props[KeyCanalPartition],
			Message: fmt.Sprintf("partition %d does not exist in topics of %d partitions (%s)", r.Partition, r.PartitionsNum, KeyCanalPartitionsNum)}
	}
	return r, nil
}

// topic is the topic of a table's records (and its DDL); a DDL about no
// table passes an empty table name.
func (r *CanalRouting) topic(db, table string) string {
	if db == "" || table == "" {
		return canalTopicName(r.DefaultTopic)
	}
	if t, ok := r.match(db + "." + table); ok {
		return t
	}
	if t, ok := r.match(db); ok {
		return t
	}
	return canalTopicName(r.DefaultTopic)
}

func (r *CanalRouting) match(name string) (string, bool) {
	dotted := strings.Contains(name, ".")
	for i := range r.Topics {
		rule := &r.Topics[i]
		m := &rule.m
		ok := false
		switch {
		case m.re == nil:
			ok = m.match(name)
		case dotted:
			ok = m.dotted && m.match(name)
		default:
			ok = !m.dotted && m.match(name)
		}
		if !ok {
			continue
		}
		if rule.topic != "" {
			return canalTopicName(rule.topic), true
		}
		return canalTopicName(strings.ToLower(name)), true
	}
	return "", false
}

// canalTopicName is Canal's topic name of a routing result: dots become '_'.
func canalTopicName(s string) string { return strings.ReplaceAll(s, ".", "_") }

// partitions is a topic's partition count.
func (r *CanalRouting) partitions(topic string) int {
	for i := range r.TopicPartitions {
		if r.TopicPartitions[i].m.match(topic) {
			return r.TopicPartitions[i].n
		}
	}
	return r.PartitionsNum
}

// hashRule is the partitionHash rule of a table, nil when none matches.
func (r *CanalRouting) hashRule(id TableID) *canalHashRule {
	name := id.DB + "." + id.Table
	for i := range r.Hash {
		if r.Hash[i].m.match(name) {
			return &r.Hash[i]
		}
	}
	return nil
}
