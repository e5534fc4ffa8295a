package mysqlcharset

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"golang.org/x/text/transform"
)

func TestLookup(t *testing.T) {
	for _, name := range []string{"ARMSCII8", "latin1", "swe7", "gbk", "utf16le"} {
		if Lookup(name) == nil {
			t.Errorf("%s: no encoding", name)
		}
	}
	for _, name := range []string{"utf8mb4", "utf8", "binary", "klingon8"} {
		if Lookup(name) != nil {
			t.Errorf("%s: an encoding", name)
		}
	}
	if ASCIICompatible("swe7") || ASCIICompatible("UTF16") || !ASCIICompatible("latin2") || !ASCIICompatible("gbk") {
		t.Error("ASCIICompatible")
	}
}

func TestSingleByteRoundTrip(t *testing.T) {
	// swe7 has letters where ASCII has punctuation; geostd8 and armscii8
	// are scripts golang.org/x/text has no 8-bit set of.
	for cs, text := range map[string]string{"swe7": "Åsa Öberg", "geostd8": "გამარჯობა", "armscii8": "Բարեւ", "latin1": "Zoë\u0081"} {
		e := Lookup(cs)
		enc, err := e.NewEncoder().String(text)
		if err != nil {
			t.Fatalf("%s: encode %q: %v", cs, text, err)
		}
		if len(enc) != len([]rune(text)) {
			t.Errorf("%s: %q encodes to %x, not a byte a character", cs, text, enc)
		}
		dec, err := e.NewDecoder().String(enc)
		if err != nil || dec != text {
			t.Errorf("%s: %x decodes to %q (%v), want %q", cs, enc, dec, err, text)
		}
	}
	if b, err := Lookup("swe7").NewEncoder().String("[x]"); err == nil {
		t.Errorf("swe7 has no '[' but encoded it as %x", b)
	}
	if b, err := Lookup("latin2").NewEncoder().String("日本"); err == nil {
		t.Errorf("latin2 encoded CJK as %x", b)
	}
	if b, err := Lookup("latin2").NewEncoder().Bytes([]byte{'a', 0xff}); err == nil {
		t.Errorf("invalid UTF-8 encoded as %x", b)
	}
}

// TestSingleByteShortBuffers streams through a reader, whose transformer
// sees short destination buffers and multi-byte characters split across
// source chunks.
func TestSingleByteShortBuffers(t *testing.T) {
	e := Lookup("geostd8")
	text := strings.Repeat("ქართული ", 500)
	var enc bytes.Buffer
	if _, err := enc.ReadFrom(transform.NewReader(&oneByteReader{s: text}, e.NewEncoder())); err != nil {
		t.Fatal(err)
	}
	var dec bytes.Buffer
	if _, err := dec.ReadFrom(transform.NewReader(bytes.NewReader(enc.Bytes()), e.NewDecoder())); err != nil {
		t.Fatal(err)
	}
	if dec.String() != text {
		t.Fatalf("round trip through readers lost text: %d bytes back of %d", dec.Len(), len(text))
	}
}

type oneByteReader struct {
	s string
	i int
}

func (r *oneByteReader) Read(p []byte) (int, error) {
	if r.i >= len(r.s) {
		return 0, io.EOF
	}
	p[0] = r.s[r.i]
	r.i++
	return 1, nil
}

// TestPatchedShortBuffers: the server's sjis characters (WAVE DASH,
// DOUBLE VERTICAL LINE, MINUS SIGN) among x/text's, streamed a byte at a time and through
// small destination buffers, decode and encode back to the same bytes.
func TestPatchedShortBuffers(t *testing.T) {
	e := Lookup("sjis")
	text := strings.Repeat("日本〜‖−ｶﾅabc", 300)
	var enc bytes.Buffer
	if _, err := enc.ReadFrom(transform.NewReader(&oneByteReader{s: text}, e.NewEncoder())); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(enc.Bytes(), []byte{0x81, 0x60, 0x81, 0x61, 0x81, 0x7C}) {
		t.Fatalf("〜‖− are not JIS's 0x8160 0x8161 0x817C in %x", enc.Bytes()[:20])
	}
	var dec bytes.Buffer
	if _, err := dec.ReadFrom(transform.NewReader(&oneByteReader{s: enc.String()}, e.NewDecoder())); err != nil {
		t.Fatal(err)
	}
	if dec.String() != text {
		t.Fatalf("round trip: %q", dec.String())
	}
	small := make([]byte, 5)
	d := e.NewDecoder()
	var out []byte
	src := enc.Bytes()
	for len(src) > 0 {
		n, m, err := d.Transform(small, src, true)
		out = append(out, small[:n]...)
		src = src[m:]
		if err != nil && err != transform.ErrShortDst {
			t.Fatal(err)
		}
		if n == 0 && m == 0 {
			t.Fatal("no progress with a 5-byte destination")
		}
	}
	if string(out) != text {
		t.Fatal("decoding through a 5-byte destination lost text")
	}
}
