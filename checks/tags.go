package checks

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Tag returns "key:value" with both parts sanitised for Datadog. Every check
// builds its tags through it, so values from the cluster (zone targets, table
// names, locality tiers) can never produce a malformed or split tag.
func Tag(key, value string) string {
	t := sanitizeTag(key, false) + ":" + sanitizeTag(value, true)
	if len(t) > tagMax {
		t = t[:tagMax] // ASCII by now: no rune is cut
	}
	return t
}

// tagMax is Datadog's bound on a whole tag, key and value.
const tagMax = 200

// sanitizeTag lower-cases s and replaces what Datadog tags do not allow
// with '_' (colons too when colon is false, for tag keys). Tags are at most
// 200 characters.
func sanitizeTag(s string, colon bool) string {
	ok := true
	for i := 0; i < len(s); i++ {
		if !tagByte(s[i], colon) {
			ok = false
			break
		}
	}
	if !ok {
		s = strings.Map(func(c rune) rune {
			c = unicode.ToLower(c)
			if c < utf8.RuneSelf && tagByte(byte(c), colon) {
				return c
			}
			return '_'
		}, s)
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

func tagByte(c byte, colon bool) bool {
	switch {
	case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '_', c == '-', c == '.', c == '/':
		return true
	case c == ':':
		return colon
	}
	return false
}
