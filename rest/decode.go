package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
)

// maxBodyBytes bounds a request body; connector configs are a few KiB, and an
// offsets PATCH for thousands of partitions stays well under this.
const maxBodyBytes = 16 << 20

// errBodyTooLarge is the answer to a body over maxBodyBytes. Cutting the
// body at the limit and parsing the rest would report valid JSON as
// malformed; 413 is what Jetty answers a body over its limit with.
var errBodyTooLarge = &Error{Status: http.StatusRequestEntityTooLarge,
	Message: fmt.Sprintf("Request body exceeds the limit of %d bytes (16 MiB) on REST request bodies", maxBodyBytes)}

// readJSON reads the request body and parses it as one JSON value, with
// numbers kept as json.Number so that 64-bit offsets survive. Kafka Connect
// answers malformed JSON with a 500; a 400 naming the problem is what the
// client needs, so that is what Sluice answers.
func readJSON(w http.ResponseWriter, r *http.Request) (any, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, errBodyTooLarge
		}
		return nil, BadRequest("Could not read the request body: " + err.Error())
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, BadRequest("Request body is empty; a JSON document is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, BadRequest("Malformed JSON in the request body: " + jsonErrText(err, body))
	}
	if dec.More() {
		return nil, BadRequest(fmt.Sprintf("Malformed JSON in the request body: unexpected data after the JSON value at offset %d", dec.InputOffset()))
	}
	return v, nil
}

func jsonErrText(err error, body []byte) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("%s (at offset %d)", syn.Error(), syn.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Sprintf("unexpected end of input after %d bytes", len(body))
	}
	return err.Error()
}

// jsonTypeName names a decoded JSON value's type for error messages.
func jsonTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

// scalarString renders a JSON scalar the way Jackson's String deserializer
// does (numbers and booleans become their text), so configs written with
// {"tasks.max": 1} work as they do against Kafka Connect.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// capitalized upper-cases a message's first letter: every REST error
// message starts with a capital, including those that open with a
// description such as "the request body".
func capitalized(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// stringMap converts a decoded JSON object to a config map. what names the
// value in errors ("the request body", "field 'config'").
func stringMap(v any, what string) (map[string]string, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, BadRequest(capitalized(fmt.Sprintf("%s must be a JSON object of string values, got %s", what, jsonTypeName(v))))
	}
	out := make(map[string]string, len(obj))
	for k, val := range obj {
		if val == nil {
			return nil, BadRequest(fmt.Sprintf("Null value can not be supplied as the configuration value (key '%s' in %s)", k, what))
		}
		s, ok := scalarString(val)
		if !ok {
			return nil, BadRequest(fmt.Sprintf("Config key '%s' in %s must have a string value, got %s", k, what, jsonTypeName(val)))
		}
		out[k] = s
	}
	return out, nil
}

// patchMap is stringMap for PATCH /config, where null removes a key.
func patchMap(v any) (map[string]*string, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, BadRequest(fmt.Sprintf("The request body must be a JSON object of string (or null) values, got %s", jsonTypeName(v)))
	}
	out := make(map[string]*string, len(obj))
	for k, val := range obj {
		if val == nil {
			out[k] = nil
			continue
		}
		s, ok := scalarString(val)
		if !ok {
			return nil, BadRequest(fmt.Sprintf("Config key '%s' in the request body must have a string or null value, got %s", k, jsonTypeName(val)))
		}
		out[k] = &s
	}
	return out, nil
}

// offsetMap converts a partition or offset object to the primitive-valued map
// Kafka Connect's internal JsonConverter accepts, normalising integers to
// int64 and other numbers to float64 as Kafka's normalisation round trip does.
func offsetMap(v any, what string) (map[string]any, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, BadRequest(fmt.Sprintf("%s must be a JSON object, got %s", what, jsonTypeName(v)))
	}
	out := make(map[string]any, len(obj))
	for k, val := range obj {
		switch x := val.(type) {
		case nil, string, bool:
			out[k] = x
		case json.Number:
			if n, err := strconv.ParseInt(x.String(), 10, 64); err == nil {
				out[k] = n
				continue
			}
			f, err := strconv.ParseFloat(x.String(), 64)
			if err != nil || math.IsInf(f, 0) {
				return nil, BadRequest(fmt.Sprintf("Key '%s' of %s: number %s is out of range", k, what, x))
			}
			out[k] = f
		default:
			return nil, BadRequest(fmt.Sprintf("Key '%s' of %s must be a string, number, boolean or null, got %s", k, what, jsonTypeName(val)))
		}
	}
	return out, nil
}
