package transforms

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/sluicehq/sluice/connect"
)

// regexRouter is Kafka's RegexRouter: when the whole topic matches `regex`
// (a Java regular expression), the topic becomes `replacement`, where $1 or
// ${name} refer to capture groups.
type regexRouter struct {
	re       *regexp.Regexp
	template string
}

var regexRouterDef = connect.NewConfigDef().
	Define(connect.ConfigKey{Name: "regex", Type: connect.ConfigString, Required: true, Importance: connect.High,
		Validator: connect.ValidatorFunc{Desc: "valid regex", Fn: func(name string, v any) error {
			_, err := compileJavaRegex(v.(string), true)
			return err
		}},
		Doc: "Regular expression to use for matching."}).
	Define(connect.ConfigKey{Name: "replacement", Type: connect.ConfigString, Required: true, Importance: connect.High,
		Doc: "Replacement string."})

func (t *regexRouter) Config() *connect.ConfigDef { return regexRouterDef }
func (t *regexRouter) Version() string            { return "" }
func (t *regexRouter) Close() error               { return nil }

func (t *regexRouter) Configure(props map[string]string) error {
	cfg, err := parseConfig("RegexRouter", regexRouterDef, props)
	if err != nil {
		return err
	}
	t.re, _ = compileJavaRegex(cfg.String("regex"), true)
	tpl, err := javaReplacement(cfg.String("replacement"))
	if err != nil {
		return configErr("RegexRouter", "replacement", cfg.String("replacement"), err.Error())
	}
	t.template = tpl
	return nil
}

func (t *regexRouter) Apply(rec *connect.SourceRecord) (*connect.SourceRecord, error) {
	m := t.re.FindStringSubmatchIndex(rec.Topic)
	if m == nil {
		return rec, nil
	}
	topic := string(t.re.ExpandString(nil, t.template, rec.Topic, m))
	out := rec.Clone()
	out.Topic = topic
	return out, nil
}

// compileJavaRegex compiles a Java regular expression with Go's RE2, anchored
// for Matcher.matches() when full is set. Java features RE2 lacks
// (lookaround, backreferences, possessive quantifiers) fail here with the
// reason.
func compileJavaRegex(expr string, full bool) (*regexp.Regexp, error) {
	e := expr
	if full {
		e = `^(?:` + expr + `)$`
	}
	re, err := regexp.Compile(e)
	if err != nil {
		return nil, fmt.Errorf("Invalid regex: %q is not a regular expression Sluice supports (RE2 syntax, no lookaround or backreferences): %v", expr, err)
	}
	return re, nil
}

// javaReplacement turns a java.util.regex replacement ($1, ${name}, \$) into
// a Go regexp template (${1}, ${name}, $$).
func javaReplacement(r string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch c {
		case '\\':
			if i+1 >= len(r) {
				return "", fmt.Errorf("character to be escaped is missing")
			}
			i++
			if r[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(r[i])
			}
		case '$':
			if i+1 >= len(r) {
				return "", fmt.Errorf("Illegal group reference: group index is missing")
			}
			if r[i+1] == '{' {
				end := strings.IndexByte(r[i:], '}')
				if end < 0 {
					return "", fmt.Errorf("named capturing group is missing trailing '}'")
				}
				b.WriteString(r[i : i+end+1])
				i += end
				continue
			}
			j := i + 1
			for j < len(r) && r[j] >= '0' && r[j] <= '9' {
				j++
			}
			if j == i+1 {
				return "", fmt.Errorf("Illegal group reference")
			}
			b.WriteString("${" + r[i+1:j] + "}")
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// timestampRouter is Kafka's TimestampRouter: it rewrites the topic to
// topic.format with ${topic} and ${timestamp} (the record timestamp in UTC,
// formatted by timestamp.format) substituted.
type timestampRouter struct {
	topicFormat string
	format      *dateFormat
}

var timestampRouterDef = connect.NewConfigDef().
	Define(connect.ConfigKey{Name: "topic.format", Type: connect.ConfigString, Default: "${topic}-${timestamp}", Importance: connect.High,
		Doc: "Format string which can contain <code>${topic}</code> and <code>${timestamp}</code> as placeholders for the topic and timestamp, respectively."}).
	Define(connect.ConfigKey{Name: "timestamp.format", Type: connect.ConfigString, Default: "yyyyMMdd", Importance: connect.High,
		Doc: "Format string for the timestamp that is compatible with <code>java.text.SimpleDateFormat</code>."})

func (t *timestampRouter) Config() *connect.ConfigDef { return timestampRouterDef }
func (t *timestampRouter) Version() string            { return "" }
func (t *timestampRouter) Close() error               { return nil }

func (t *timestampRouter) Configure(props map[string]string) error {
	cfg, err := parseConfig("TimestampRouter", timestampRouterDef, props)
	if err != nil {
		return err
	}
	t.topicFormat = cfg.String("topic.format")
	df, err := newDateFormat(cfg.String("timestamp.format"))
	if err != nil {
		return configErr("TimestampRouter", "timestamp.format", cfg.String("timestamp.format"), err.Error())
	}
	t.format = df
	return nil
}

func (t *timestampRouter) Apply(rec *connect.SourceRecord) (*connect.SourceRecord, error) {
	if rec.Timestamp == 0 {
		return nil, fmt.Errorf("TimestampRouter: timestamp missing on record for topic %s; the connector must set SourceRecord.Timestamp", rec.Topic)
	}
	ts := t.format.format(time.UnixMilli(rec.Timestamp))
	topic := strings.ReplaceAll(strings.ReplaceAll(t.topicFormat, "${topic}", rec.Topic), "${timestamp}", ts)
	out := rec.Clone()
	out.Topic = topic
	return out, nil
}
