package mysqlvalue

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/internal/jsonfmt"
)

// BinaryFormat is how the JSON formats print binary and geometry columns.
type BinaryFormat uint8

const (
	// BinaryISO88591 maps each byte to the character of the same number, as
	// Canal does (new String(bytes, ISO_8859_1)).
	BinaryISO88591 BinaryFormat = iota
	BinaryHexText
	BinaryBase64Text
)

// ParseBinaryFormat parses iso-8859-1, hex or base64.
func ParseBinaryFormat(s string) (BinaryFormat, error) {
	switch strings.ToLower(s) {
	case "iso-8859-1", "latin1", "":
		return BinaryISO88591, nil
	case "hex":
		return BinaryHexText, nil
	case "base64":
		return BinaryBase64Text, nil
	}
	return 0, fmt.Errorf("unknown binary format %q (use iso-8859-1, hex or base64)", s)
}

// ParseZone parses a time zone name ("UTC", "Asia/Shanghai", "+08:00").
func ParseZone(s string) (*time.Location, error) {
	if s == "" || strings.EqualFold(s, "UTC") || s == "Z" {
		return time.UTC, nil
	}
	if len(s) == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':' {
		var h, m int
		if _, err := fmt.Sscanf(s[1:], "%02d:%02d", &h, &m); err == nil && h < 24 && m < 60 {
			off := h*3600 + m*60
			if s[0] == '-' {
				off = -off
			}
			return time.FixedZone(s, off), nil
		}
	}
	return time.LoadLocation(s)
}

// JSONOptions configures AppendJSON.
type JSONOptions struct {
	TextOptions
	Binary BinaryFormat
}

// AppendJSON appends a column value as the JSON formats print it: null, or a
// JSON string holding the MySQL text (AppendText), escaped as Jackson does;
// binary columns per o.Binary, geometry in MySQL's internal form (SRID +
// WKB). scratch is working memory, returned extended.
func AppendJSON(dst []byte, c *Column, v *Value, o *JSONOptions, scratch []byte) ([]byte, []byte) {
	if v.Null {
		return append(dst, "null"...), scratch
	}
	if c.Kind.IsBinary() || c.Kind == KindGeometry {
		b := v.Bytes
		if c.Kind == KindGeometry {
			start := len(scratch)
			scratch = InternalGeometry(scratch, v)
			b = scratch[start:]
		}
		switch o.Binary {
		case BinaryHexText:
			dst = append(dst, '"')
			dst = hex.AppendEncode(dst, b)
			return append(dst, '"'), scratch
		case BinaryBase64Text:
			return jsonfmt.AppendBase64(dst, b), scratch
		}
		return AppendISO88591JSON(dst, b), scratch
	}
	if v.Str != "" && v.Bytes == nil && (c.Kind.IsText() || c.Kind == KindJSON || c.Kind == KindDecimal ||
		((c.Kind == KindEnum || c.Kind == KindSet) && !o.EnumIndex)) {
		return jsonfmt.AppendString(dst, v.Str), scratch
	}
	if plainText(c.Kind) {
		// Digits, signs, separators, "NaN", "Infinity": nothing to escape,
		// so the text goes straight into dst.
		dst = append(dst, '"')
		dst = AppendText(dst, c, v, &o.TextOptions)
		return append(dst, '"'), scratch
	}
	start := len(scratch)
	scratch = AppendText(scratch, c, v, &o.TextOptions)
	return jsonfmt.AppendBytesString(dst, scratch[start:]), scratch
}

// plainText reports whether AppendText renders a kind from numbers alone
// (a DECIMAL given as text took AppendJSON's string branch before).
func plainText(k Kind) bool {
	switch {
	case k.IsInteger():
		return true
	}
	switch k {
	case KindBit, KindDecimal, KindFloat, KindDouble, KindYear, KindDate, KindTime, KindDateTime, KindTimestamp:
		return true
	}
	return false
}

// ParseJSONSettings reads the settings both DTS JSON formats share (time zone,
// binary format, binary handling mode) from a parsed converter config into o,
// returning the binary handling mode; an error names the bad key.
func ParseJSONSettings(cfg *connect.Config, zoneKey, formatKey, modeKey string, o *JSONOptions) (BinaryMode, error) {
	var err error
	if o.Zone, err = ParseZone(cfg.String(zoneKey)); err != nil {
		return 0, &connect.ConfigError{Name: zoneKey, Value: cfg.String(zoneKey), Message: err.Error()}
	}
	if o.Binary, err = ParseBinaryFormat(cfg.String(formatKey)); err != nil {
		return 0, &connect.ConfigError{Name: formatKey, Value: cfg.String(formatKey), Message: err.Error()}
	}
	mode, err := ParseBinaryMode(cfg.String(modeKey))
	if err != nil {
		return 0, &connect.ConfigError{Name: modeKey, Value: cfg.String(modeKey), Message: err.Error()}
	}
	return mode, nil
}

// Validators of the keys ParseZone, ParseBinaryFormat and ParseBinaryMode
// read, for the converters' ConfigDefs: /config/validate then reports a bad
// value on its key, as the converter's Configure would refuse it.
var (
	ZoneValidator = connect.ValidatorFunc{Desc: "UTC, an IANA time zone name or ±HH:MM", Fn: func(_ string, v any) error {
		s, _ := v.(string)
		_, err := ParseZone(s)
		return err
	}}
	BinaryFormatValidator = connect.ValidatorFunc{Desc: "iso-8859-1, hex or base64", Fn: func(_ string, v any) error {
		s, _ := v.(string)
		_, err := ParseBinaryFormat(s)
		return err
	}}
	BinaryModeValidator = connect.ValidatorFunc{Desc: "bytes, base64, base64-url-safe or hex", Fn: func(_ string, v any) error {
		s, _ := v.(string)
		_, err := ParseBinaryMode(s)
		return err
	}}
)
