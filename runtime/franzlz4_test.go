package runtime

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestKafkaLZ4Frames: batches come out as standard lz4 frames with 64 KiB
// blocks and no content checksum, from the C library where it is linked in
// and from the Go fallback alike, and franz-go's own decompressor (what
// consumers use) gives the batch back.
func TestKafkaLZ4Frames(t *testing.T) {
	var big []byte
	for i := 0; len(big) < 300000; i++ {
		big = append(big, `{"data":[{"id":"`+strings.Repeat("7", i%13)+`","name":"row"}],"type":"INSERT"}`...)
	}
	if runtime.GOOS == "linux" && (runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64") && !clz4Usable {
		t.Fatalf("librdkafka's bundled lz4 is not usable on %s/%s: the Go compressor would frame every batch", runtime.GOOS, runtime.GOARCH)
	}
	for _, goOnly := range []bool{false, true} {
		c := newKafkaLZ4()
		c.goOnly = goOnly
		for _, src := range [][]byte{big, big[:1], big[:65536], big[:65537], {}} {
			for range 2 { // a pooled writer and the buffer are reused
				var dst bytes.Buffer
				dst.WriteString("left over from the last batch")
				out, codec := c.Compress(&dst, src)
				if codec != kgo.CodecLz4 || (len(src) > 1000 && len(out) >= len(src)) {
					t.Fatalf("go only %v: codec %d, %d bytes from %d", goOnly, codec, len(out), len(src))
				}
				// Frame descriptor: magic, FLG, BD. FLG bit 2 is the
				// content checksum, bit 5 block independence; BD bits
				// 4-6 are the block maximum size, 4 = 64 KiB.
				if !bytes.Equal(out[:4], []byte{0x04, 0x22, 0x4d, 0x18}) || out[4]&0x04 != 0 || out[4]&0x20 == 0 || (out[5]>>4)&0x07 != 4 {
					t.Fatalf("go only %v: frame header % x", goOnly, out[:6])
				}
				back, err := kgo.DefaultDecompressor().Decompress(out, kgo.CodecLz4)
				if err != nil || !bytes.Equal(back, src) {
					t.Fatalf("go only %v: decompressed %d bytes, %v; want the %d compressed", goOnly, len(back), err, len(src))
				}
			}
		}
	}
	// The compressor goes into a task's client options beside the rest.
	fp, err := FranzGoProducerOptions(defaultsWith(kafka.ConfigMap{"compression.type": "lz4"}))
	if err != nil {
		t.Fatalf("lz4 options: %v", err)
	}
	cl, err := kgo.NewClient(fp.Opts...)
	if err != nil {
		t.Fatalf("a client from the lz4 options: %v", err)
	}
	cl.Close()
}

// BenchmarkKafkaLZ4: a 1 MB batch of Canal-JSON-like records with random
// text, as the C library and the Go fallback frame it.
func BenchmarkKafkaLZ4(b *testing.B) {
	seed := uint64(88172645463325252)
	rnd := func(n int) string {
		s := make([]byte, n)
		for i := range s {
			seed ^= seed << 13
			seed ^= seed >> 7
			seed ^= seed << 17
			s[i] = byte('a' + seed%26)
		}
		return string(s)
	}
	var src []byte
	for i := 0; len(src) < 1<<20; i++ {
		src = fmt.Appendf(src, `{"data":[{"id":"%d","k":"%d","c":"%s","pad":"%s","ts":"2026-12-07 03:%02d:%02d.123"}],"database":"bench","isDdl":false,"mysqlType":{"id":"bigint","k":"int"},"old":null,"pkNames":["id"],"table":"t7","ts":1765078000123,"type":"INSERT"}`,
			i, i*7919%100000, rnd(16+i%32), rnd(50), i%60, (i/60)%60)
	}
	for _, goOnly := range []bool{false, true} {
		name := "c"
		if goOnly {
			name = "go"
		}
		b.Run(name, func(b *testing.B) {
			c := newKafkaLZ4()
			c.goOnly = goOnly
			var dst bytes.Buffer
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				out, _ := c.Compress(&dst, src)
				b.ReportMetric(float64(len(out))/float64(len(src)), "ratio")
			}
		})
	}
}
