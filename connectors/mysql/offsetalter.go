package mysql

import (
	"encoding/json"
	"fmt"
	"strings"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicehq/sluice/connect"
)

var _ connect.OffsetAlterer = (*Connector)(nil)

// validOffsetShape is the hint every refused offset carries: the form
// Debezium's MySQL connector stores, which is also what the task writes.
const validOffsetShape = `a valid offset is what Debezium stores: {"file": "mysql-bin.000003", "pos": 154} (binlog file and position), ` +
	`or {"gtids": "<GTID set>"} with GTIDs on, optionally with "file"/"pos" and the integers "event", "row", "ts_sec", "server_id"; ` +
	`a null offset resets the partition`

// AlterOffsets checks offsets sent to PATCH /connectors/{c}/offsets. The
// task only reads the offset of its own partition and fails on resume when
// it cannot use it, which is long after the PATCH answered 200; checking
// here refuses the mistake while the user is still looking at it. A null
// offset is allowed for any partition, so garbage can always be removed.
// It reports false: Debezium leaves offsets to the framework too, and its
// answer to the PATCH is Kafka's "framework-managed" message.
func (c *Connector) AlterOffsets(props map[string]string, offsets map[string]map[string]any) (bool, error) {
	var own string // the connector's partition, as JSON; found on first need
	for part, off := range offsets {
		if off == nil {
			continue
		}
		if own == "" {
			prefix := topicPrefix(props)
			if prefix == "" {
				return false, fmt.Errorf("the connector has no %s, so it has no partition to alter the offset of", KeyTopicPrefix)
			}
			b, err := json.Marshal(SourcePartition(prefix))
			if err != nil {
				return false, err
			}
			own = string(b)
		}
		if !samePartition(part, own) {
			return false, fmt.Errorf("partition %s is not this connector's: its offset is stored under the partition %s (%q is the connector's topic.prefix); only a null offset may be given for another partition", part, own, OffsetServer)
		}
		if err := checkOffset(off); err != nil {
			return false, fmt.Errorf("offset for partition %s cannot be used: %w; %s", part, err, validOffsetShape)
		}
	}
	return false, nil
}

// topicPrefix is the topic.prefix ParseOptions would find (database.server.name
// being its legacy name) without parsing the rest of a config that is stored
// with its ${provider:...} variables unresolved.
func topicPrefix(props map[string]string) string {
	if p := strings.TrimSpace(props[KeyTopicPrefix]); p != "" {
		return p
	}
	return strings.TrimSpace(props[KeyServerName])
}

// samePartition compares two partitions given as JSON by value, so key
// order and spacing do not matter.
func samePartition(a, b string) bool {
	var x, y map[string]any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil || len(x) != len(y) {
		return false
	}
	for k, v := range y {
		if xv, ok := x[k]; !ok || xv != v {
			return false
		}
	}
	return true
}

// checkOffset reads an offset as the task does at start (ParsePosition),
// and also refuses what ParsePosition passes over but makes the task fail
// or misbehave later: a "file" or "gtids" that is not a string, and a GTID
// set that parses neither as MySQL's nor as MariaDB's (which one the
// server uses is only known once connected).
func checkOffset(off map[string]any) error {
	for _, k := range []string{OffsetFile, OffsetGTIDs} {
		if v, ok := off[k]; ok && v != nil {
			if _, isString := v.(string); !isString {
				return fmt.Errorf("offset field %q must be a string, got %s", k, jsonText(v))
			}
		}
	}
	p, err := ParsePosition(off)
	if err != nil {
		return err
	}
	if p.GTIDs != "" {
		_, errMySQL := gomysql.ParseGTIDSet(FlavorMySQL, p.GTIDs)
		_, errMariaDB := gomysql.ParseGTIDSet(FlavorMariaDB, p.GTIDs)
		if errMySQL != nil && errMariaDB != nil {
			return fmt.Errorf("offset field %q: %q is neither a MySQL nor a MariaDB GTID set", OffsetGTIDs, p.GTIDs)
		}
	}
	return nil
}

// jsonText renders a value as it appeared in the request.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
