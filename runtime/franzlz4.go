package runtime

import (
	"bytes"
	"sync"

	"github.com/pierrec/lz4/v4"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kafkaLZ4 compresses produce batches the way Kafka's Java producer and
// librdkafka frame lz4: 64 KiB blocks and no content checksum. franz-go's
// own lz4 writer keeps pierrec/lz4's defaults, 4 MiB blocks and a content
// checksum, which compressed 1 MB batches of Canal JSON at 250–310 MB/s on
// the bench machine against 340–460 MB/s for these settings
// (BENCHMARKS.md); lz4 was a fifth of a catch-up row's CPU. The frames are
// standard: every lz4 consumer reads both. Where librdkafka's bundled C lz4
// is linked in (franzlz4_c.go) it frames the batches, faster still; the Go
// writer is the fallback.
type kafkaLZ4 struct {
	writers sync.Pool
	// goOnly skips the C library (tests of the fallback).
	goOnly bool
}

func newKafkaLZ4() *kafkaLZ4 {
	c := &kafkaLZ4{}
	c.writers.New = func() any {
		w := lz4.NewWriter(nil)
		_ = w.Apply(lz4.BlockSizeOption(lz4.Block64Kb), lz4.ChecksumOption(false))
		return w
	}
	return c
}

func (c *kafkaLZ4) Compress(dst *bytes.Buffer, src []byte, _ ...kgo.CompressFlag) ([]byte, kgo.CompressionCodecType) {
	dst.Reset() // franz-go hands over a reset buffer; the return is the frame alone either way
	if !c.goOnly {
		if out, ok := clz4Frame(dst, src); ok {
			return out, kgo.CodecLz4
		}
	}
	w := c.writers.Get().(*lz4.Writer)
	defer c.writers.Put(w)
	w.Reset(dst)
	if _, err := w.Write(src); err != nil {
		return nil, kgo.CodecError
	}
	if err := w.Close(); err != nil {
		return nil, kgo.CodecError
	}
	return dst.Bytes(), kgo.CodecLz4
}
