package distributed

import "github.com/sluicehq/sluice/runtime"

// kgoSecurity is the group-membership client's TLS and SASL settings,
// built as the runtime builds them for its franz-go producers.
var kgoSecurity = runtime.KgoSecurity
