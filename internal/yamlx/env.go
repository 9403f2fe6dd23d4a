package yamlx

import (
	"fmt"
	"strings"
)

// expandEnv replaces ${VAR} with the variable's value and ${VAR:-default}
// with the value, or default when VAR is unset or empty (the shell's rule).
// "$${" stands for a literal "${"; any other "$" is kept as is, so passwords
// with a "$" need no escaping. Errors name the variable, never a value.
// refs are the variables referenced, with the values put in their place, so
// that messages about the result can avoid quoting them.
func expandEnv(s string, lookup func(string) (string, bool)) (out string, refs []envRef, err error) {
	if !strings.Contains(s, "${") {
		return s, nil, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), refs, nil
		}
		if i > 0 && s[i-1] == '$' { // "$${": literal "${"
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		s = s[i+2:]
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return "", refs, fmt.Errorf(`"${" without a closing "}" (write "$${" for a literal "${")`)
		}
		ref := s[:end]
		s = s[end+1:]
		name, def, hasDef := strings.Cut(ref, ":-")
		if !validEnvName(name) {
			// The text is not echoed: it may be part of a password.
			return "", refs, fmt.Errorf(`"${" must start ${VAR} or ${VAR:-default}, VAR made of letters, digits and _ (write "$${" for a literal "${")`)
		}
		v, ok := lookup(name)
		switch {
		case ok && (v != "" || !hasDef):
		case hasDef:
			v = def
		default:
			return "", refs, fmt.Errorf("environment variable %s is not set (write ${%s:-default} to give a default)", name, name)
		}
		b.WriteString(v)
		refs = append(refs, envRef{name: name, value: v})
	}
}

// envRef is one ${VAR} of a value and what it was replaced with.
type envRef struct{ name, value string }

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// noEnv is the environment Parse uses when given none.
func noEnv(string) (string, bool) { return "", false }
