package maxwelljson

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/converters/dtsavro/dtstest"
)

// maxwellDecrypt is what Maxwell's RowEncrypt.decrypt does: base64 IV and
// bytes, AES/CBC, PKCS#5 padding.
func maxwellDecrypt(t *testing.T, key string, enc map[string]any) string {
	t.Helper()
	iv, err1 := base64.StdEncoding.DecodeString(enc["iv"].(string))
	ct, err2 := base64.StdEncoding.DecodeString(enc["bytes"].(string))
	if err1 != nil || err2 != nil || len(iv) != aes.BlockSize || len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		t.Fatalf("encrypted %v: iv %v, bytes %v", enc, err1, err2)
	}
	block, err := aes.NewCipher([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(ct, ct)
	pad := int(ct[len(ct)-1])
	if pad < 1 || pad > aes.BlockSize {
		t.Fatalf("bad padding %d", pad)
	}
	for _, b := range ct[len(ct)-pad:] {
		if int(b) != pad {
			t.Fatalf("bad padding bytes % x", ct[len(ct)-pad:])
		}
	}
	return string(ct[:len(ct)-pad])
}

func render(t *testing.T, props map[string]string, rec any) string {
	t.Helper()
	o := dtstest.NewOrders(3)
	c := New()
	if err := c.Configure(props, false); err != nil {
		t.Fatal(err)
	}
	b, err := c.FromConnectData("t", nil, o.Envelope, rec)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestEncrypt: encrypt=data puts data and old, encrypted, where they were;
// encrypt=all encrypts the whole message. Decrypted as Maxwell decrypts,
// they are the plain messages' parts; every message has its own IV.
func TestEncrypt(t *testing.T) {
	o := dtstest.NewOrders(3)
	const key = "0123456789abcdef0123456789abcdef"
	for _, rec := range []any{o.Update("0-1-78", 1), o.Insert("0-1-77", 1)} {
		plain := render(t, map[string]string{KeyOutputPrimaryKeys: "true"}, rec)
		head, body, ok := strings.Cut(plain, `,"data":`)
		if !ok {
			t.Fatal(plain)
		}
		data := render(t, map[string]string{KeyOutputPrimaryKeys: "true", KeyEncrypt: "data", KeySecretKey: key}, rec)
		if !strings.HasPrefix(data, head+`,"encrypted":{"iv":"`) {
			t.Fatalf("encrypt=data:\n%s\nwant it to start as\n%s", data, head)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			t.Fatal(err)
		}
		if _, ok := m["data"]; ok {
			t.Errorf("encrypt=data left data in the clear: %s", data)
		}
		if got, want := maxwellDecrypt(t, key, m["encrypted"].(map[string]any)), `{"data":`+body; got != want {
			t.Errorf("encrypt=data decrypts to\n%s\nwant\n%s", got, want)
		}

		all := render(t, map[string]string{KeyOutputPrimaryKeys: "true", KeyEncrypt: "all", KeySecretKey: key[:16]}, rec)
		var a map[string]any
		if err := json.Unmarshal([]byte(all), &a); err != nil || len(a) != 1 {
			t.Fatalf("encrypt=all: %v %s", err, all)
		}
		if got := maxwellDecrypt(t, key[:16], a["encrypted"].(map[string]any)); got != plain {
			t.Errorf("encrypt=all decrypts to\n%s\nwant\n%s", got, plain)
		}
		again := render(t, map[string]string{KeyOutputPrimaryKeys: "true", KeyEncrypt: "all", KeySecretKey: key[:16]}, rec)
		if again == all {
			t.Error("two messages encrypted with the same IV")
		}
	}
	for _, props := range []map[string]string{
		{KeyEncrypt: "data"},
		{KeyEncrypt: "all", KeySecretKey: "short-secret"},
		{KeyEncrypt: "rot13", KeySecretKey: key},
	} {
		err := New().Configure(props, false)
		if err == nil {
			t.Errorf("%v accepted", props)
			continue
		}
		if strings.Contains(err.Error(), "short-secret") {
			t.Errorf("error shows the key: %v", err)
		}
		if !strings.Contains(err.Error(), KeySecretKey) && !strings.Contains(err.Error(), KeyEncrypt) {
			t.Errorf("%v: error %q names neither key", props, err)
		}
	}
}

// TestExcludeColumns: names and /regexes/ that match a whole column name
// leave it out of data and old; primary_key keeps the key's values.
func TestExcludeColumns(t *testing.T) {
	o := dtstest.NewOrders(3)
	got := render(t, map[string]string{KeyExcludeColumns: "id, /.*_at/, /qt/", KeyOutputPrimaryKeys: "true"}, o.Update("", 1))
	want := `"primary_key":[1001],"data":{"sku":"A-1","qty":3,"amount":29.85,"status":"paid","note":null},"old":{"qty":2,"amount":19.90}}`
	if !strings.HasSuffix(got, want) {
		t.Errorf("got %s\nwant it to end in %s", got, want)
	}
	// An update whose only changes are in excluded columns has no old.
	if got := render(t, map[string]string{KeyExcludeColumns: "qty,amount,updated_at"}, o.Update("", 1)); strings.Contains(got, `"old"`) {
		t.Errorf("old of excluded columns: %s", got)
	}
	for _, bad := range []string{"/unterminated", "/(/"} {
		if err := New().Configure(map[string]string{KeyExcludeColumns: bad}, false); err == nil || !strings.Contains(err.Error(), KeyExcludeColumns) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestNamingStrategy: underscore_to_camelcase renames fields and columns
// as Maxwell's Underscore2CamelCaseStrategy does.
func TestNamingStrategy(t *testing.T) {
	o := dtstest.NewOrders(3)
	got := render(t, map[string]string{KeyNamingStrategy: "underscore_to_camelcase", KeyOutputServerID: "true", KeyOutputThreadID: "true",
		KeyOutputPrimaryKeys: "true", KeyOutputPrimaryKeyColumn: "true"}, o.Update("0-2019-77", 1))
	for _, w := range []string{`"serverId":2019,"threadId":541,"primaryKey":[1001],"primaryKeyColumns":["id"],"data":{`,
		`"createdAt":"2024-11-23 08:00:00.250","updatedAt":"2024-11-23 08:01:00.000000"`, `"old":{"qty":2,"amount":19.90,"updatedAt":`} {
		if !strings.Contains(got, w) {
			t.Errorf("want %s in %s", w, got)
		}
	}
	c := New()
	c.camel = true
	for in, want := range map[string]string{"first_name": "firstName", "_id": "id", "a__b": "a_b", "trailing_": "trailing", "x_1": "x1", "plain": "plain", "été_ok": "étéOk"} {
		if got := c.name(in); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
	if err := New().Configure(map[string]string{KeyNamingStrategy: "kebab"}, false); err == nil || !strings.Contains(err.Error(), KeyNamingStrategy) {
		t.Errorf("kebab: %v", err)
	}
}

// TestOutputKeysValidate: /config/validate reports a bad encrypt, key
// length, exclude pattern or naming strategy on its key, the key hidden.
func TestOutputKeysValidate(t *testing.T) {
	bad := map[string]string{KeyEncrypt: "date", KeySecretKey: "short-secret", KeyExcludeColumns: "/(/", KeyNamingStrategy: "kebab"}
	errs := map[string]string{}
	for _, cv := range New().Config().Validate(bad) {
		if len(cv.Errors) > 0 {
			errs[cv.Name] = strings.Join(cv.Errors, "; ")
		}
	}
	for k := range bad {
		if errs[k] == "" {
			t.Errorf("%s=%s: no error", k, bad[k])
		}
	}
	if strings.Contains(errs[KeySecretKey], "short-secret") || !strings.Contains(errs[KeySecretKey], "12 bytes") {
		t.Errorf("secret_key error %q", errs[KeySecretKey])
	}
	good := map[string]string{KeyEncrypt: "all", KeySecretKey: "0123456789abcdef", KeyExcludeColumns: "a,/b.*/", KeyNamingStrategy: "underscore_to_camelcase"}
	for _, cv := range New().Config().Validate(good) {
		if len(cv.Errors) > 0 {
			t.Errorf("%s: %v", cv.Name, cv.Errors)
		}
	}
}

// TestPushTimestamp: push_ts is the render time cut to microseconds, with
// the scale Java's BigDecimal.valueOf(nanos / 1e9) gives the fraction, after
// thread_id and before primary_key, renamed with the naming strategy.
func TestPushTimestamp(t *testing.T) {
	const sec = 1714979289
	for nanos, want := range map[int]string{
		0:         "1714979289.0",
		500000000: "1714979289.5",
		120000000: "1714979289.12",
		123456789: "1714979289.123456", // cut to microseconds
		999999000: "1714979289.999999",
		1234000:   "1714979289.001234", // 0.001234: Java's plain range
		999000:    "1714979289.000999", // 9.99E-4
		100000:    "1714979289.00010",  // 1.0E-4: the mantissa's zero stays
		10000:     "1714979289.000010", // 1.0E-5
		1000:      "1714979289.0000010",
	} {
		if got := string(appendPushTS(nil, time.Unix(sec, int64(nanos)))); got != want {
			t.Errorf("%d ns: %s, want %s", nanos, got, want)
		}
	}

	o := dtstest.NewOrders(3)
	at := time.Unix(sec, 123456000)
	for _, tc := range []struct {
		props map[string]string
		want  string
	}{
		{map[string]string{KeyOutputPushTimestamp: "true", KeyOutputThreadID: "true", KeyOutputPrimaryKeys: "true"},
			`"thread_id":541,"push_ts":1714979289.123456,"primary_key":[1001],"data"`},
		{map[string]string{KeyOutputPushTimestamp: "true", KeyNamingStrategy: "underscore_to_camelcase"},
			`"xid":77,"pushTs":1714979289.123456,"data"`},
	} {
		c := New()
		c.now = func() time.Time { return at }
		if err := c.Configure(tc.props, false); err != nil {
			t.Fatal(err)
		}
		b, err := c.FromConnectData("t", nil, o.Envelope, o.Insert("0-2019-77", 1))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), tc.want) || !json.Valid(b) {
			t.Errorf("%v: want %s in %s", tc.props, tc.want, b)
		}
	}
	if got := render(t, nil, o.Insert("", 1)); strings.Contains(got, "push_ts") {
		t.Errorf("push_ts without output_push_timestamp: %s", got)
	}
	// The real clock: a number close to now.
	b := render(t, map[string]string{KeyOutputPushTimestamp: "true"}, o.Insert("", 1))
	var m map[string]any
	if err := json.Unmarshal([]byte(b), &m); err != nil {
		t.Fatal(err)
	}
	if ts, _ := m["push_ts"].(float64); time.Since(time.Unix(int64(ts), 0)).Abs() > time.Minute {
		t.Errorf("push_ts %v is not now: %s", m["push_ts"], b)
	}
}

// TestNullZeroDates: output_null_zerodates writes a zero TIMESTAMP as null,
// which output_nulls=false then leaves out; other values are untouched.
func TestNullZeroDates(t *testing.T) {
	var zero, plain dtstest.TypeCase
	for _, tc := range dtstest.TypeCases() {
		switch tc.Name {
		case "timestamp zero":
			zero = tc
		case "timestamp(0)":
			plain = tc
		}
	}
	if zero.Name == "" || plain.Name == "" {
		t.Fatal("type cases timestamp zero and timestamp(0) are gone")
	}
	for _, tc := range []struct {
		props map[string]string
		in    dtstest.TypeCase
		want  string
	}{
		{nil, zero, `"data":{"c":"0000-00-00 00:00:00"}}`},
		{map[string]string{KeyOutputNullZeroDates: "true"}, zero, `"data":{"c":null}}`},
		{map[string]string{KeyOutputNullZeroDates: "true", KeyOutputNulls: "false"}, zero, `"data":{}}`},
		{map[string]string{KeyOutputNullZeroDates: "true"}, plain, `"data":{"c":"2024-01-02 03:04:05"}}`},
	} {
		c := New()
		if err := c.Configure(tc.props, false); err != nil {
			t.Fatal(err)
		}
		env, ins := dtstest.OneColumn(tc.in)
		b, err := c.FromConnectData("t", nil, env, ins)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(string(b), tc.want) {
			t.Errorf("%v %s: want %s at the end of %s", tc.props, tc.in.Name, tc.want, b)
		}
	}
}
