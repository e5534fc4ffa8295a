// Package distributed runs a Sluice worker as a member of a Kafka Connect
// cluster: workers sharing a group.id coordinate through Kafka's group
// protocol (protocol type "connect"), keep connector configs, offsets and
// statuses in compacted topics in Kafka Connect's record formats, divide
// connectors and tasks with the incremental cooperative assignor (KIP-415)
// or, under connect.protocol=eager, the eager one, and take over the work
// of a worker that dies.
package distributed

import (
	"crypto/rand"
	"encoding/base64"
)

func encodeBase64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func decodeBase64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

func cryptoRead(b []byte) (int, error) { return rand.Read(b) }
