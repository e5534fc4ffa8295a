//go:build cgo && !dynamic && linux && (amd64 || arm64)

package runtime

// lz4 frames from the C lz4 library that librdkafka's bundled static
// archive (confluent-kafka-go's librdkafka_vendor, linked into every Sluice
// binary built this way) carries and exports. On 1 MB batches of
// Canal JSON it compresses 1.5–1.8 × faster than pierrec/lz4's Go block
// compressor, and lz4 was 15 % of a catch-up or snapshot row's CPU
// (BENCHMARKS.md). lz4frame.h is not shipped with the archive, so the two
// functions and the preferences struct are declared here as lz4's stable
// frame API has them since 1.8 (the archive's lz4 is 1.9.x; older ones are
// refused at start-up and the Go compressor used).

/*
#include <stddef.h>

typedef struct {
	int blockSizeID;            // LZ4F_blockSizeID_t
	int blockMode;              // LZ4F_blockMode_t
	int contentChecksumFlag;    // LZ4F_contentChecksum_t
	int frameType;              // LZ4F_frameType_t
	unsigned long long contentSize;
	unsigned dictID;
	int blockChecksumFlag;      // LZ4F_blockChecksum_t
} sluice_lz4f_frame_info;

typedef struct {
	sluice_lz4f_frame_info frameInfo;
	int compressionLevel;
	unsigned autoFlush;
	unsigned favorDecSpeed;
	unsigned reserved[3];
} sluice_lz4f_preferences;

size_t LZ4F_compressFrameBound(size_t srcSize, const sluice_lz4f_preferences* prefs);
size_t LZ4F_compressFrame(void* dst, size_t dstCapacity, const void* src, size_t srcSize, const sluice_lz4f_preferences* prefs);
unsigned LZ4F_isError(size_t code);
int LZ4_versionNumber(void);

// Kafka's framing: 64 KiB blocks (LZ4F_max64KB = 4), independent
// (LZ4F_blockIndependent = 1), no content or block checksum, the fast
// level 0 librdkafka uses by default.
static void sluice_lz4f_prefs(sluice_lz4f_preferences* p) {
	*p = (sluice_lz4f_preferences){0};
	p->frameInfo.blockSizeID = 4;
	p->frameInfo.blockMode = 1;
}

static size_t sluice_lz4f_bound(size_t n) {
	sluice_lz4f_preferences p;
	sluice_lz4f_prefs(&p);
	return LZ4F_compressFrameBound(n, &p);
}

static size_t sluice_lz4f_frame(void* dst, size_t cap, const void* src, size_t n) {
	sluice_lz4f_preferences p;
	sluice_lz4f_prefs(&p);
	return LZ4F_compressFrame(dst, cap, src, n, &p);
}
*/
import "C"

import (
	"bytes"
	"unsafe"

	// The archive that defines the lz4 symbols above.
	_ "github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// clz4Usable: the frame API above is lz4 1.8's or later.
var clz4Usable = C.LZ4_versionNumber() >= 10800

// clz4Frame appends src as one lz4 frame to dst; false if the C library is
// not usable here or failed (the caller then uses the Go compressor).
func clz4Frame(dst *bytes.Buffer, src []byte) ([]byte, bool) {
	if !clz4Usable || len(src) == 0 {
		return nil, false
	}
	bound := int(C.sluice_lz4f_bound(C.size_t(len(src))))
	dst.Reset()
	dst.Grow(bound)
	out := dst.AvailableBuffer()[:bound]
	// Go memory passed for the call only, holding no Go pointers: allowed
	// by cgo's rules.
	n := C.sluice_lz4f_frame(unsafe.Pointer(&out[0]), C.size_t(bound), unsafe.Pointer(&src[0]), C.size_t(len(src)))
	if C.LZ4F_isError(n) != 0 {
		return nil, false
	}
	return out[:int(n)], true
}
