package maxwelljson

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/internal/jsonfmt"
)

// encryptMode is Maxwell's encrypt option.
type encryptMode int

const (
	encryptNone encryptMode = iota
	encryptData             // data and old
	encryptAll              // the whole message
)

// parseEncryption reads encrypt and secret_key (their validators have
// checked the mode and the key's length). The key is never part of an
// error.
func parseEncryption(mode string, secret connect.Password) (encryptMode, cipher.Block, error) {
	var m encryptMode
	switch strings.ToLower(mode) {
	case "data":
		m = encryptData
	case "all":
		m = encryptAll
	default:
		return encryptNone, nil, nil
	}
	if secret == "" {
		return 0, nil, &connect.ConfigError{Name: KeySecretKey, Value: "[hidden]", Message: "encrypt=" + mode + " needs secret_key, the AES key (16, 24 or 32 bytes)"}
	}
	block, err := aes.NewCipher([]byte(secret.Value()))
	if err != nil {
		return 0, nil, &connect.ConfigError{Name: KeySecretKey, Value: "[hidden]", Message: err.Error()}
	}
	return m, block, nil
}

// validAESKey checks secret_key's length where /config/validate sees it;
// an empty key is refused by Configure only when encrypt asks for one.
func validAESKey(_ string, v any) error {
	p, _ := v.(connect.Password)
	if n := len(p); n != 0 && n != 16 && n != 24 && n != 32 {
		return fmt.Errorf("is %d bytes; AES takes a key of 16, 24 or 32 bytes (AES-128, -192 or -256), as Maxwell does", n)
	}
	return nil
}

// validExcludes checks exclude_columns where /config/validate sees it.
func validExcludes(_ string, v any) error {
	items, _ := v.([]string)
	for _, it := range items {
		if _, err := maxwellPattern(it); err != nil {
			return fmt.Errorf("%q: %v", it, err)
		}
	}
	return nil
}

// appendEncrypted writes {"iv":"…","bytes":"…"}: plain encrypted with
// AES/CBC and PKCS#5 padding under a fresh random IV, both base64, as
// Maxwell's RowEncrypt does, so RowEncrypt.decrypt reads it.
func (c *Converter) appendEncrypted(dst, plain []byte) ([]byte, error) {
	var iv [aes.BlockSize]byte
	if _, err := rand.Read(iv[:]); err != nil {
		return dst, fmt.Errorf("encrypt: random IV: %w", err)
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	buf := make([]byte, len(plain)+pad)
	copy(buf, plain)
	for i := len(plain); i < len(buf); i++ {
		buf[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(c.aesBlock, iv[:]).CryptBlocks(buf, buf)
	dst = append(dst, `{"iv":"`...)
	dst = base64.StdEncoding.AppendEncode(dst, iv[:])
	dst = append(dst, `","bytes":"`...)
	dst = base64.StdEncoding.AppendEncode(dst, buf)
	return append(dst, `"}`...), nil
}

// name is a field or column name under output_naming_strategy:
// underscore_to_camelcase drops each underscore and upper-cases the ASCII
// letter after it, except after a leading one, as Maxwell's
// Underscore2CamelCaseStrategy does ("first_name" → "firstName",
// "_id" → "id", "a__b" → "a_b").
func (c *Converter) name(s string) string {
	if !c.camel || !strings.Contains(s, "_") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch == '_' && i+1 < len(s) {
			n := s[i+1]
			if i > 0 && n >= 'a' && n <= 'z' {
				n -= 'a' - 'A'
			}
			b.WriteByte(n)
			i++
			continue
		}
		if ch != '_' {
			b.WriteByte(ch)
		}
	}
	return b.String()
}

// maxwellPattern reads a name as Maxwell's compileStringToPattern does: a
// /regular expression/ that must match the whole name, or the name itself.
func maxwellPattern(s string) (*regexp.Regexp, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "/") {
		if len(s) < 2 || !strings.HasSuffix(s, "/") {
			return nil, fmt.Errorf("a regular expression must end with /, e.g. /^secret_.*/")
		}
		re, err := regexp.Compile("^(?:" + s[1:len(s)-1] + ")$")
		if err != nil {
			return nil, fmt.Errorf("invalid regular expression: %v", err)
		}
		return re, nil
	}
	return regexp.MustCompile("^" + regexp.QuoteMeta(s) + "$"), nil
}

// appendPushTS writes now as Maxwell's push_ts: the Instant cut to
// microseconds, its seconds as a BigDecimal plus BigDecimal.valueOf(nanos /
// 1e9). valueOf reads Double.toString's text, so the fraction keeps that
// text's scale: 0.5 s is "….5", 100 µs ("1.0E-4") is "….00010", none is "….0".
func appendPushTS(dst []byte, now time.Time) []byte {
	nanos := now.Nanosecond() / 1000 * 1000
	var buf [32]byte
	text := jsonfmt.AppendDouble(buf[:0], float64(nanos)/1e9)
	mant, exp := text, 0
	if i := bytes.IndexByte(text, 'E'); i >= 0 {
		mant = text[:i]
		exp, _ = strconv.Atoi(string(text[i+1:]))
	}
	point := bytes.IndexByte(mant, '.')
	// The BigDecimal's unscaled digits and scale: the mantissa without its
	// point, and its fraction digits less the exponent.
	digits := bytes.TrimLeft(append(append([]byte(nil), mant[:point]...), mant[point+1:]...), "0")
	scale := len(mant) - point - 1 - exp
	dst = strconv.AppendInt(dst, now.Unix(), 10)
	dst = append(dst, '.')
	for i := len(digits); i < scale; i++ {
		dst = append(dst, '0')
	}
	return append(dst, digits...)
}
