package runtime

import (
	"reflect"
	"testing"
)

func TestParseProperties(t *testing.T) {
	tests := []struct {
		name string
		text string
		want map[string]string
	}{
		{"separators", "a=1\nb: 2\nc 3\nd\t=\t4\ne:=5\n", map[string]string{"a": "1", "b": "2", "c": "3", "d": "4", "e": "=5"}},
		{"comments and blanks", "# c\n  ! also\n\n   \nk=v # not a comment\n", map[string]string{"k": "v # not a comment"}},
		{"empty value and key only", "empty=\nalone\n", map[string]string{"empty": "", "alone": ""}},
		{"continuation", "list=a,\\\n    b,\\\n    c\nnext=1", map[string]string{"list": "a,b,c", "next": "1"}},
		{"even backslashes do not continue", "path=C:\\\\\nx=y", map[string]string{"path": `C:\`, "x": "y"}},
		{"escapes", `k=tab\there\nnl \u0041\=\:\\`, map[string]string{"k": "tab\there\nnl A=:\\"}},
		{"escaped separator in key", `my\=key\ name=v`, map[string]string{"my=key name": "v"}},
		{"trailing blanks kept in value", "k=v  ", map[string]string{"k": "v  "}},
		{"crlf", "a=1\r\nb=2\r\n", map[string]string{"a": "1", "b": "2"}},
		{"last wins", "a=1\na=2", map[string]string{"a": "2"}},
		{"continuation at eof", "a=1\\", map[string]string{"a": "1"}},
		{"utf8", "name=café", map[string]string{"name": "café"}},
		{"kafka sample", "bootstrap.servers=localhost:9092\nkey.converter.schemas.enable=true\n", map[string]string{"bootstrap.servers": "localhost:9092", "key.converter.schemas.enable": "true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseProperties(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParsePropertiesBadEscape(t *testing.T) {
	if _, err := ParseProperties("ok=1\nk=\\u12"); err == nil || err.Error() == "" {
		t.Fatal("malformed \\u escape accepted")
	} else if got := err.Error(); got[:6] != "line 2" {
		t.Errorf("error %q does not name line 2", got)
	}
}
