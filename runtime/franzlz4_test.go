package runtime

import (
	"bytes"
	"strings"
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestKafkaLZ4Frames: batches come out as standard lz4 frames with 64 KiB
// blocks and no content checksum, and franz-go's own decompressor (what
// consumers use) gives the batch back.
func TestKafkaLZ4Frames(t *testing.T) {
	var src []byte
	for i := 0; len(src) < 300000; i++ {
		src = append(src, `{"data":[{"id":"`+strings.Repeat("7", i%13)+`","name":"row"}],"type":"INSERT"}`...)
	}
	c := newKafkaLZ4()
	for range 2 { // a pooled writer is reused
		out, codec := c.Compress(new(bytes.Buffer), src)
		if codec != kgo.CodecLz4 || len(out) >= len(src) {
			t.Fatalf("codec %d, %d bytes from %d", codec, len(out), len(src))
		}
		// Frame descriptor: magic, FLG, BD. FLG bit 2 is the content
		// checksum; BD bits 4-6 are the block maximum size, 4 = 64 KiB.
		if !bytes.Equal(out[:4], []byte{0x04, 0x22, 0x4d, 0x18}) || out[4]&0x04 != 0 || (out[5]>>4)&0x07 != 4 {
			t.Fatalf("frame header % x", out[:6])
		}
		back, err := kgo.DefaultDecompressor().Decompress(out, kgo.CodecLz4)
		if err != nil || !bytes.Equal(back, src) {
			t.Fatalf("decompressed %d bytes, %v; want the %d compressed", len(back), err, len(src))
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
