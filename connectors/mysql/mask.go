package mysql

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/sluicehq/sluice/connect"
)

// Debezium's column masking and truncation, for personal data that must
// not leave the database as it is stored. The keys carry their parameter
// in their name; each value lists regular expressions matched against the
// whole <db>.<table>.<column>:
//
//	column.truncate.to.<N>.chars              text cut to N characters
//	column.mask.with.<N>.chars                text replaced by N asterisks
//	column.mask.hash.<ALGORITHM>.with.salt.<SALT>
//	column.mask.hash.v2.<ALGORITHM>.with.salt.<SALT>
//	                                          text replaced by the hex
//	                                          digest of SALT followed by
//	                                          the text, cut to the length
//	                                          of a CHAR or VARCHAR column
//
// They apply to character columns (CHAR, VARCHAR, TEXT, ENUM, SET, JSON)
// in the snapshot and the stream alike: truncation first, then the first
// mask that matches.
//
// The two hash keys are Debezium's two hashing strategies, kept apart so a
// pseudonym computed by Debezium is computed again here, byte for byte, and
// joins across a move from Debezium still hold: v2 digests the text's UTF-8
// bytes; the unversioned key (Debezium's first strategy) digests the bytes
// Java's ObjectOutputStream writes for the String (javaSerializedString).

var (
	truncateKey = regexp.MustCompile(`^column\.truncate\.to\.(\d+)\.chars$`)
	maskKey     = regexp.MustCompile(`^column\.mask\.with\.(\d+)\.chars$`)
	hashKey     = regexp.MustCompile(`^column\.mask\.hash\.(v2\.)?([^.]+)\.with\.salt\.(.*)$`)
)

// columnRule changes the text of the columns its expressions match.
type columnRule struct {
	key   string
	cols  []*regexp.Regexp
	apply func(string) string
	// fitsColumn: the result is cut to the column's declared length, as
	// Debezium does with a hash longer than a CHAR or VARCHAR column.
	fitsColumn bool
	truncateTo int // a truncation rule's length
}

func (r *columnRule) matches(id string) bool {
	for _, re := range r.cols {
		if re.MatchString(id) {
			return true
		}
	}
	return false
}

// parseColumnRules reads the masking and truncation keys of props; an
// error names the key.
func parseColumnRules(props map[string]string) (truncs, masks []*columnRule, err error) {
	for key, v := range props {
		var apply func(string) string
		var isMask, fits bool
		var truncTo int
		switch {
		case truncateKey.MatchString(key):
			n, perr := strconv.Atoi(truncateKey.FindStringSubmatch(key)[1])
			if perr != nil || n <= 0 {
				// Debezium's truncation refuses a length of 0 when the task starts.
				return nil, nil, &connect.ConfigError{Name: key, Value: v, Message: "the length in the key's name must be a whole number of at least 1 (column.mask.with.0.chars empties a column)"}
			}
			apply, truncTo = func(s string) string { return truncateRunes(s, n) }, n
		case maskKey.MatchString(key):
			n, perr := strconv.Atoi(maskKey.FindStringSubmatch(key)[1])
			if perr != nil {
				return nil, nil, &connect.ConfigError{Name: key, Value: v, Message: "the length in the key's name must be a whole number"}
			}
			stars := strings.Repeat("*", n)
			apply, isMask = func(string) string { return stars }, true
		case hashKey.MatchString(key):
			m := hashKey.FindStringSubmatch(key)
			newHash, ok := hashAlgorithms[strings.ToUpper(m[2])]
			if !ok {
				return nil, nil, &connect.ConfigError{Name: key, Value: v,
					Message: fmt.Sprintf("unknown hash algorithm %q; use MD5, SHA-1, SHA-224, SHA-256, SHA-384, SHA-512, SHA-512/224, SHA-512/256 or SHA3-224/256/384/512", m[2])}
			}
			salt, v2 := m[3], m[1] != ""
			apply, isMask, fits = func(s string) string {
				h := newHash()
				h.Write([]byte(salt))
				if v2 {
					h.Write([]byte(s))
				} else {
					h.Write(javaSerializedString(s))
				}
				return hex.EncodeToString(h.Sum(nil))
			}, true, true
		default:
			continue
		}
		var exprs []string
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				exprs = append(exprs, e)
			}
		}
		cols, cerr := wholeNames(key, exprs)
		if cerr != nil {
			return nil, nil, cerr
		}
		r := &columnRule{key: key, cols: cols, apply: apply, fitsColumn: fits, truncateTo: truncTo}
		if isMask {
			masks = append(masks, r)
		} else {
			truncs = append(truncs, r)
		}
	}
	// Map order is random: a fixed order makes "the first mask" stable.
	byKey := func(a, b *columnRule) int { return strings.Compare(a.key, b.key) }
	slices.SortFunc(truncs, byKey)
	slices.SortFunc(masks, byKey)
	return truncs, masks, nil
}

// hashAlgorithms are the MessageDigest algorithms of Java's standard names
// that Debezium's hash keys can name (MD2, which Java still offers, is left
// out: broken, and not in Go's library).
var hashAlgorithms = map[string]func() hash.Hash{
	"MD5": md5.New, "SHA-1": sha1.New, "SHA1": sha1.New, "SHA": sha1.New,
	"SHA-224": sha256.New224, "SHA224": sha256.New224, "SHA-256": sha256.New, "SHA256": sha256.New,
	"SHA-384": sha512.New384, "SHA384": sha512.New384, "SHA-512": sha512.New, "SHA512": sha512.New,
	"SHA-512/224": sha512.New512_224, "SHA-512/256": sha512.New512_256,
	"SHA3-224": func() hash.Hash { return sha3.New224() }, "SHA3-256": func() hash.Hash { return sha3.New256() },
	"SHA3-384": func() hash.Hash { return sha3.New384() }, "SHA3-512": func() hash.Hash { return sha3.New512() },
}

func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// Field schema parameters Debezium's column mappers add: the length a
// truncation rule cuts to, and that a value is masked or hashed.
const (
	paramTruncateLength = "truncateLength"
	paramMasked         = "masked"
)

// markColumnText adds to a character column's field schema the parameters
// Debezium's truncation and masking add, so schemas (JsonConverter's
// envelope, Avro's connect.parameters) read as Debezium's: truncateLength
// when a rule can cut the column (its declared length, 0 for unknown, is
// longer than the rule's), masked=true when a mask or hash replaces it.
func (f *Filters) markColumnText(db, table, column string, declared int, s *connect.Schema) {
	if f == nil || (len(f.truncs) == 0 && len(f.masks) == 0) {
		return
	}
	id := db + "." + table + "." + column
	set := func(k, v string) {
		if s.Parameters == nil {
			s.Parameters = map[string]string{}
		}
		s.Parameters[k] = v
	}
	for _, r := range f.truncs {
		if r.matches(id) {
			if declared <= 0 || declared > r.truncateTo {
				set(paramTruncateLength, strconv.Itoa(r.truncateTo))
			}
			break
		}
	}
	for _, r := range f.masks {
		if r.matches(id) {
			set(paramMasked, "true")
			break
		}
	}
}

// javaSerializedString returns the bytes java.io.ObjectOutputStream writes
// for a lone String: the stream header, then TC_STRING with a 16-bit
// length (TC_LONGSTRING with a 64-bit one past 65535 bytes) and the text
// in Java's modified UTF-8, where U+0000 takes two bytes and a character
// outside the BMP is two surrogates of three bytes each.
func javaSerializedString(s string) []byte {
	var text []byte
	for _, r := range s {
		if r > 0xFFFF {
			hi, lo := utf16.EncodeRune(r)
			text = appendModifiedUTF8(text, hi)
			text = appendModifiedUTF8(text, lo)
			continue
		}
		text = appendModifiedUTF8(text, r)
	}
	out := []byte{0xAC, 0xED, 0x00, 0x05}
	if len(text) <= 0xFFFF {
		out = append(out, 0x74)
		out = binary.BigEndian.AppendUint16(out, uint16(len(text)))
	} else {
		out = append(out, 0x7C)
		out = binary.BigEndian.AppendUint64(out, uint64(len(text)))
	}
	return append(out, text...)
}

func appendModifiedUTF8(b []byte, c rune) []byte {
	switch {
	case c >= 0x01 && c <= 0x7F:
		return append(b, byte(c))
	case c <= 0x7FF:
		return append(b, byte(0xC0|c>>6), byte(0x80|c&0x3F))
	default:
		return append(b, byte(0xE0|c>>12), byte(0x80|(c>>6)&0x3F), byte(0x80|c&0x3F))
	}
}

// ColumnText returns what the masking and truncation keys do to a column's
// text, nil when none matches. maxChars is the column's declared length in
// characters (0 for none), to which a hash is cut.
func (f *Filters) ColumnText(db, table, column string, maxChars int) func(string) string {
	if f == nil || (len(f.truncs) == 0 && len(f.masks) == 0) {
		return nil
	}
	id := db + "." + table + "." + column
	var steps []func(string) string
	for _, r := range f.truncs {
		if r.matches(id) {
			steps = append(steps, r.apply)
			break
		}
	}
	for _, r := range f.masks {
		if r.matches(id) {
			if apply := r.apply; r.fitsColumn && maxChars > 0 {
				steps = append(steps, func(s string) string { return truncateRunes(apply(s), maxChars) })
			} else {
				steps = append(steps, apply)
			}
			break
		}
	}
	switch len(steps) {
	case 0:
		return nil
	case 1:
		return steps[0]
	}
	return func(s string) string { return steps[1](steps[0](s)) }
}

// maskedText applies fn to the text conv gives.
func maskedText(conv convertFunc, fn func(string) string) convertFunc {
	return func(v any) (any, error) {
		out, err := conv(v)
		if s, ok := out.(string); ok && err == nil {
			return fn(s), nil
		}
		return out, err
	}
}
