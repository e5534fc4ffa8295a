package transforms

import (
	"regexp"

	"github.com/sluicehq/sluice/connect"
)

// topicNameMatches is Kafka's TopicNameMatches predicate: true when the whole
// topic name matches `pattern`.
type topicNameMatches struct{ re *regexp.Regexp }

var topicNameMatchesDef = connect.NewConfigDef().
	Define(connect.ConfigKey{Name: "pattern", Type: connect.ConfigString, Required: true, Importance: connect.Medium,
		Validator: connect.ValidatorFunc{Desc: "non-empty string, valid regex", Fn: func(name string, v any) error {
			if err := connect.NonEmptyString().Validate(name, v); err != nil {
				return err
			}
			_, err := compileJavaRegex(v.(string), true)
			return err
		}},
		Doc: "A Java regular expression for matching against the name of a record's topic."})

func (p *topicNameMatches) Config() *connect.ConfigDef { return topicNameMatchesDef }
func (p *topicNameMatches) Version() string            { return "" }
func (p *topicNameMatches) Close() error               { return nil }

func (p *topicNameMatches) Configure(props map[string]string) error {
	cfg, err := parseConfig("TopicNameMatches", topicNameMatchesDef, props)
	if err != nil {
		return err
	}
	p.re, err = compileJavaRegex(cfg.String("pattern"), true)
	return err
}

func (p *topicNameMatches) Test(rec *connect.SourceRecord) bool {
	return rec.Topic != "" && p.re.MatchString(rec.Topic)
}

// hasHeaderKey is Kafka's HasHeaderKey predicate: true when the record has
// at least one header with the given name.
type hasHeaderKey struct{ name string }

var hasHeaderKeyDef = connect.NewConfigDef().
	Define(connect.ConfigKey{Name: "name", Type: connect.ConfigString, Required: true, Validator: connect.NonEmptyString(), Importance: connect.Medium,
		Doc: "The header name."})

func (p *hasHeaderKey) Config() *connect.ConfigDef { return hasHeaderKeyDef }
func (p *hasHeaderKey) Version() string            { return "" }
func (p *hasHeaderKey) Close() error               { return nil }

func (p *hasHeaderKey) Configure(props map[string]string) error {
	cfg, err := parseConfig("HasHeaderKey", hasHeaderKeyDef, props)
	if err != nil {
		return err
	}
	p.name = cfg.String("name")
	return nil
}

func (p *hasHeaderKey) Test(rec *connect.SourceRecord) bool {
	for _, h := range rec.Headers {
		if h.Key == p.name {
			return true
		}
	}
	return false
}

// recordIsTombstone is Kafka's RecordIsTombstone predicate: true when the
// value is null.
type recordIsTombstone struct{}

var recordIsTombstoneDef = connect.NewConfigDef()

func (recordIsTombstone) Config() *connect.ConfigDef          { return recordIsTombstoneDef }
func (recordIsTombstone) Version() string                     { return "" }
func (recordIsTombstone) Close() error                        { return nil }
func (recordIsTombstone) Configure(map[string]string) error   { return nil }
func (recordIsTombstone) Test(rec *connect.SourceRecord) bool { return rec.Value == nil }
