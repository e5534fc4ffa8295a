//go:build !(cgo && !dynamic && linux && (amd64 || arm64))

package runtime

import "bytes"

// Without librdkafka's bundled archive (other platforms, -tags dynamic, no
// cgo) the Go compressor frames every batch.
const clz4Usable = false

func clz4Frame(*bytes.Buffer, []byte) ([]byte, bool) { return nil, false }
