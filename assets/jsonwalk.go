package assets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// decodeJSON decodes data into map[string]any / []any / json.Number /
// string / bool / nil. Unlike json.Unmarshal it reports a key given twice
// in one object (Datadog would keep one silently, and a second "query" in a
// hand-edited file is a bug), and syntax errors with line and column.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, data, "")
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s: unexpected data after the top-level value", lineCol(data, dec.InputOffset()))
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, data []byte, path string) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonErr(data, dec, err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := map[string]any{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, jsonErr(data, dec, err)
				}
				k := kt.(string)
				if _, dup := obj[k]; dup {
					return nil, fmt.Errorf("%s: %s: key %q appears twice in the same object", lineCol(data, dec.InputOffset()), orRoot(path), k)
				}
				v, err := decodeValue(dec, data, field(path, k))
				if err != nil {
					return nil, err
				}
				obj[k] = v
			}
			if _, err := dec.Token(); err != nil {
				return nil, jsonErr(data, dec, err)
			}
			return obj, nil
		case '[':
			arr := []any{}
			for i := 0; dec.More(); i++ {
				v, err := decodeValue(dec, data, index(path, i))
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, jsonErr(data, dec, err)
			}
			return arr, nil
		}
		return nil, fmt.Errorf("%s: unexpected %q", lineCol(data, dec.InputOffset()), t)
	default:
		return t, nil
	}
}

func jsonErr(data []byte, dec *json.Decoder, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%s: invalid JSON: %s", lineCol(data, se.Offset), se.Error())
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s: invalid JSON: unexpected end of file", lineCol(data, int64(len(data))))
	}
	return fmt.Errorf("%s: invalid JSON: %v", lineCol(data, dec.InputOffset()), err)
}

// lineCol turns a byte offset into "line L, column C" (1-based).
func lineCol(data []byte, off int64) string {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

func orRoot(path string) string {
	if path == "" {
		return "(top level)"
	}
	return path
}

// field and index build JSON paths: widgets[2].definition.title.
func field(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// jsonType names a decoded value's JSON type for messages.
func jsonType(v any) string {
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

// obj is a decoded JSON object with its path, for terse field checks.
type obj struct {
	m    map[string]any
	path string
	r    *reporter
}

func (o obj) has(k string) bool { _, ok := o.m[k]; return ok }

// str returns field k as a string; required reports a missing field.
func (o obj) str(k string, required bool) (string, bool) {
	v, ok := o.m[k]
	if !ok || v == nil {
		if required {
			o.r.add(orRoot(o.path), "missing required field %q", k)
		}
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		o.r.add(field(o.path, k), "must be a string, not %s", jsonType(v))
		return "", false
	}
	return s, true
}

// oneOf returns field k when it is one of allowed.
func (o obj) oneOf(k string, required bool, allowed ...string) (string, bool) {
	s, ok := o.str(k, required)
	if !ok {
		return "", false
	}
	for _, a := range allowed {
		if s == a {
			return s, true
		}
	}
	o.r.add(field(o.path, k), "%q is not one of %s", s, strings.Join(allowed, ", "))
	return s, false
}

func (o obj) object(k string, required bool) (obj, bool) {
	v, ok := o.m[k]
	if !ok || v == nil {
		if required {
			o.r.add(orRoot(o.path), "missing required field %q", k)
		}
		return obj{}, false
	}
	m, ok := v.(map[string]any)
	if !ok {
		o.r.add(field(o.path, k), "must be an object, not %s", jsonType(v))
		return obj{}, false
	}
	return obj{m: m, path: field(o.path, k), r: o.r}, true
}

func (o obj) array(k string, required bool) ([]any, bool) {
	v, ok := o.m[k]
	if !ok || v == nil {
		if required {
			o.r.add(orRoot(o.path), "missing required field %q", k)
		}
		return nil, false
	}
	a, ok := v.([]any)
	if !ok {
		o.r.add(field(o.path, k), "must be an array, not %s", jsonType(v))
		return nil, false
	}
	return a, true
}

// number returns field k as a float64.
func (o obj) number(k string) (float64, bool) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return 0, false
	}
	n, ok := v.(json.Number)
	if !ok {
		o.r.add(field(o.path, k), "must be a number, not %s", jsonType(v))
		return 0, false
	}
	f, err := n.Float64()
	if err != nil {
		o.r.add(field(o.path, k), "malformed number %s", n)
		return 0, false
	}
	return f, true
}

func (o obj) boolean(k string) (bool, bool) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return false, false
	}
	b, ok := v.(bool)
	if !ok {
		o.r.add(field(o.path, k), "must be true or false, not %s", jsonType(v))
		return false, false
	}
	return b, true
}

// onlyKeys reports keys outside allowed, suggesting the nearest allowed
// one: a misspelt key is ignored by Datadog, silently.
func (o obj) onlyKeys(what string, allowed ...string) {
	for _, k := range keys(o.m) {
		if containsStr(allowed, k) {
			continue
		}
		msg := fmt.Sprintf("unknown %s field %q", what, k)
		if s := closest(k, allowed); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		o.r.add(field(o.path, k), "%s", msg)
	}
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
