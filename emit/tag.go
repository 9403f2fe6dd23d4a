package emit

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Tag returns "key:value" with both parts sanitised for Datadog. Every tag a
// check sends is built by it or, for a definition's fixed keys, by the same
// tagKey and tagValue, so values from the cluster (zone targets, table
// names, locality tiers) can never produce a malformed or split tag.
// Datadog allows 200 characters for the whole tag: the key keeps at most
// MaxTagKey of them, the value what is left.
func Tag(key, value string) string {
	k := tagKey(key) + ":"
	return k + tagValue(value, maxTag-len(k))
}

// tagKey is key made safe as a tag key, cut to MaxTagKey.
func tagKey(key string) string {
	k := sanitizeTag(key, false)
	if len(k) > MaxTagKey {
		k = k[:MaxTagKey]
	}
	return k
}

// tagValue is value made safe as a tag value, cut to room.
func tagValue(value string, room int) string {
	v := sanitizeTag(value, true)
	if len(v) > room {
		v = v[:room] // sanitizeTag returns ASCII: bytes are characters
	}
	return v
}

// maxTag is Datadog's limit for a whole tag; MaxTagKey the share of it a
// key may take (Tag cuts a longer key, so configurations refuse one).
const (
	maxTag    = 200
	MaxTagKey = 100
)

// SanitizeKey is s made safe as a tag key (no colon), at most 200 bytes;
// Tag also cuts keys to 100.
func SanitizeKey(s string) string { return sanitizeTag(s, false) }

// SanitizeValue is s made safe as a tag value (colons kept), at most 200
// bytes; Tag also cuts values to what the key leaves of 200.
func SanitizeValue(s string) string { return sanitizeTag(s, true) }

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
	if len(s) > maxTag {
		s = s[:maxTag]
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
