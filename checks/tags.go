package checks

import "github.com/roachdog/roachdog/emit"

// Tag is emit.Tag: "key:value" made safe for Datadog. Checks send through
// emit definitions, which call it for them; it remains for tests and for
// checks not yet converted.
func Tag(key, value string) string { return emit.Tag(key, value) }

// sanitizeTag is emit.SanitizeKey (colon false) or emit.SanitizeValue.
func sanitizeTag(s string, colon bool) string {
	if colon {
		return emit.SanitizeValue(s)
	}
	return emit.SanitizeKey(s)
}
