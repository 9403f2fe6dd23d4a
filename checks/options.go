package checks

import (
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/roachdog/roachdog/internal/yamlx"
)

// Decoders of option values more than one check takes.

// tablePartRe is one part of a "database.schema.table" name: no dot, no
// space, no quote (roachdog compares the name as the cluster spells it).
var tablePartRe = regexp.MustCompile(`^[^.\s"'` + "`" + `]+$`)

// validTableName reports whether s is a database name, or with qualified a
// "database.schema.table" name.
func validTableName(s string, qualified bool) bool {
	parts := strings.Split(s, ".")
	valid := len(parts) == 1
	if qualified {
		valid = len(parts) == 3
	}
	for _, part := range parts {
		valid = valid && tablePartRe.MatchString(part)
	}
	return valid
}

// decodeNames decodes a list of database names, or of
// "database.schema.table" names when qualified.
func decodeNames(d *yamlx.Decoder, n *yaml.Node, path string, qualified bool) []string {
	items, ok := d.List(n, path)
	if !ok {
		return nil
	}
	var out []string
	for i, it := range items {
		p := yamlx.IndexPath(path, i)
		s, ok := d.Str(it, p)
		if !ok {
			continue
		}
		if !validTableName(s, qualified) {
			want := "a database name"
			if qualified {
				want = `"database.schema.table"`
			}
			d.Errorf(it, p, "%s: want %s", d.Show(it, s), want)
			continue
		}
		out = append(out, s)
	}
	return out
}

// yamlList writes a list of strings as a YAML flow list, for a Key's
// Default.
func yamlList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
