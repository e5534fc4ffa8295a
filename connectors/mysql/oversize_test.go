package mysql

import (
	"testing"

	"github.com/sluicehq/sluice/connect"
)

func TestTextSize(t *testing.T) {
	text := &columnConverter{schema: connect.StringSchema}
	blob := &columnConverter{schema: connect.BytesSchema}
	for _, tc := range []struct {
		name string
		cc   *columnConverter
		v    any
		want int64
	}{
		{"plain text", text, "abc", 3},
		{"text as binlog bytes", text, []byte("a\"b\nc"), 7},
		{"control characters", text, "\x01\x02", 12},
		{"blob", blob, []byte{0, 1, 2}, 6},
		{"number", text, int64(7), 8},
		{"null", text, nil, 0},
	} {
		if got := textSize(tc.cc, tc.v); got != tc.want {
			t.Errorf("%s: textSize = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestTextValueConverter(t *testing.T) {
	for conv, want := range map[string]bool{
		"": true, "org.apache.kafka.connect.json.JsonConverter": true,
		"io.confluent.connect.avro.AvroConverter":                false,
		"io.sluice.converters.DtsAvroConverter":                  false,
		"org.apache.kafka.connect.converters.ByteArrayConverter": false,
	} {
		if got := textValueConverter(map[string]string{"value.converter": conv}); got != want {
			t.Errorf("value.converter=%q: text %v, want %v", conv, got, want)
		}
	}
}
