package connect

import (
	"regexp"
	"strings"
)

// ConfigVariablePattern is Kafka's ConfigTransformer.DEFAULT_PATTERN, a
// config variable: ${provider:[path:]key}. The runtime resolves those of
// the providers it has and leaves the others as written.
var ConfigVariablePattern = regexp.MustCompile(`\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}`)

// HasConfigVariables reports whether a config value holds a variable. In
// a resolved config that is one the runtime could not resolve: a
// connector that fails with such a value can say so, since the value it
// sent was the variable's text, not the secret it names.
func HasConfigVariables(v string) bool {
	return strings.Contains(v, "${") && ConfigVariablePattern.MatchString(v)
}
