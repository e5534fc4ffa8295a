package mysql

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"github.com/sluicehq/sluice/connect"
)

// Debezium's GTID source filter. A GTID's source is the server UUID of a
// MySQL GTID ("3e11fa47-71ca-11e1-9e33-c80aa9429562") and the domain and
// server of a MariaDB one ("0-1" of "0-1-42"), Debezium's value for both.
// With gtid.source.filter.dml.events (the default) the row changes of a
// transaction whose source the filter leaves out are skipped and counted;
// its DDL is still applied, since the captured tables' definitions must
// follow it, and the stored position still moves past it, so a restart
// never reads it again. Transactions without a GTID pass.
const (
	KeyGTIDSourceIncludes  = "gtid.source.includes"
	KeyGTIDSourceExcludes  = "gtid.source.excludes"
	KeyGTIDSourceFilterDML = "gtid.source.filter.dml.events"
)

func defineGTIDSourceKeys(def func(connect.ConfigKey)) {
	def(connect.ConfigKey{Name: KeyGTIDSourceIncludes, Type: connect.ConfigList, Default: "", Importance: connect.Low, Group: groupDebezium,
		Validator: connect.RegexList(),
		Doc: "Regular expressions (comma-separated, each matching a whole source, case-insensitively) of the GTID sources whose transactions' row changes are captured: " +
			"the server UUID of a MySQL GTID, the domain-server pair of a MariaDB GTID (\"0-1\" of \"0-1-42\"). Row changes of other sources' transactions are skipped and counted in gtid_source_skipped_rows_total; " +
			"DDL is applied whatever its source. Use it to capture only the changes made on one primary of a multi-source or circular replication topology. Not with " + KeyGTIDSourceExcludes + "."})
	def(connect.ConfigKey{Name: KeyGTIDSourceExcludes, Type: connect.ConfigList, Default: "", Importance: connect.Low, Group: groupDebezium,
		Validator: connect.RegexList(),
		Doc:       "Regular expressions of the GTID sources whose transactions' row changes are skipped (see " + KeyGTIDSourceIncludes + "), e.g. the domain a replication channel from another site writes with. Not with " + KeyGTIDSourceIncludes + "."})
	def(connect.ConfigKey{Name: KeyGTIDSourceFilterDML, Type: connect.ConfigBoolean, Default: "true", Importance: connect.Low, Group: groupDebezium,
		Doc: "Whether " + KeyGTIDSourceIncludes + "/" + KeyGTIDSourceExcludes + " skip the row changes of the sources they leave out (Debezium's gtid.source.filter.dml.events). false captures every source's changes."})
}

// gtidSourceFilter says which GTID sources' row changes are skipped.
type gtidSourceFilter struct {
	include, exclude []*regexp.Regexp
}

// newGTIDSourceFilter compiles the keys; nil when nothing is filtered.
func newGTIDSourceFilter(c *connect.Config) (*gtidSourceFilter, error) {
	inc, exc := c.List(KeyGTIDSourceIncludes), c.List(KeyGTIDSourceExcludes)
	if len(inc) > 0 && len(exc) > 0 {
		return nil, &connect.ConfigError{Name: KeyGTIDSourceExcludes, Value: strings.Join(exc, ","),
			Message: fmt.Sprintf("cannot be used together with %s; keep only one of them", KeyGTIDSourceIncludes)}
	}
	if (len(inc) == 0 && len(exc) == 0) || !c.Bool(KeyGTIDSourceFilterDML) {
		return nil, nil
	}
	compile := func(key string, exprs []string) ([]*regexp.Regexp, error) {
		out := make([]*regexp.Regexp, 0, len(exprs))
		for _, e := range exprs {
			re, err := regexp.Compile(`(?i)^(?:` + strings.TrimSpace(e) + `)$`)
			if err != nil {
				return nil, &connect.ConfigError{Name: key, Value: strings.Join(exprs, ","), Message: fmt.Sprintf("%q is not a valid regular expression: %v", e, err)}
			}
			out = append(out, re)
		}
		return out, nil
	}
	f := &gtidSourceFilter{}
	var err error
	if f.include, err = compile(KeyGTIDSourceIncludes, inc); err != nil {
		return nil, err
	}
	if f.exclude, err = compile(KeyGTIDSourceExcludes, exc); err != nil {
		return nil, err
	}
	return f, nil
}

// skips reports whether a transaction of source loses its row changes.
func (f *gtidSourceFilter) skips(source string) bool {
	if f == nil || source == "" {
		return false
	}
	matches := func(res []*regexp.Regexp) bool {
		for _, re := range res {
			if re.MatchString(source) {
				return true
			}
		}
		return false
	}
	if len(f.include) > 0 {
		return !matches(f.include)
	}
	return matches(f.exclude)
}

// mysqlGTIDSource is the source of a MySQL GTID event: its server UUID.
func mysqlGTIDSource(u uuid.UUID) string { return u.String() }

// mariadbGTIDSource is the source of a MariaDB GTID: "domain-server".
func mariadbGTIDSource(domain, server uint32) string { return fmt.Sprintf("%d-%d", domain, server) }
