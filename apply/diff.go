package apply

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// How apply decides that a Datadog object already matches its file.
//
// The API returns more than roachdog sends (ids, timestamps, widget ids,
// option defaults) and may print numbers differently (3 as 3.0). So the
// existing object is first projected onto the file's shape: only the keys
// the file sets are kept, element by element in arrays. Then the two are
// compared with numbers compared by value, null, [] and {} equal to an
// absent key, and the top-level tags as a set. A few subtrees are compared
// whole (exactSubtrees), because a key removed from them must be noticed:
// a monitor whose file drops its warning threshold has to lose it.

// exactSubtrees are compared without projection: every key the existing
// object has there counts.
var exactSubtrees = map[string]bool{
	"options.thresholds":        true,
	"options.threshold_windows": true,
}

// projectOnto returns the part of have that want describes.
func projectOnto(want, have any, path string) any {
	if exactSubtrees[path] {
		return have
	}
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return have
		}
		out := make(map[string]any, len(w))
		for k, wv := range w {
			if hv, ok := h[k]; ok {
				out[k] = projectOnto(wv, hv, joinPath(path, k))
			}
		}
		return out
	case []any:
		h, ok := have.([]any)
		if !ok {
			return have
		}
		out := make([]any, len(h))
		for i, hv := range h {
			if i < len(w) {
				out[i] = projectOnto(w[i], hv, path+"["+strconv.Itoa(i)+"]")
			} else {
				out[i] = hv
			}
		}
		return out
	}
	return have
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// normalize returns comparable forms of the file's object and of the
// existing one: have projected onto want, top-level tags sorted.
func normalize(want, have map[string]any) (w, h map[string]any) {
	w = maps.Clone(want)
	h, _ = projectOnto(want, have, "").(map[string]any)
	for _, m := range []map[string]any{w, h} {
		if tags, ok := m["tags"].([]any); ok {
			sorted := slices.Clone(tags)
			slices.SortFunc(sorted, func(a, b any) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
			m["tags"] = sorted
		}
	}
	return w, h
}

// jsonEqual compares decoded JSON: numbers by value; null, an empty list
// and an empty object alike (the API returns null for what was sent
// empty), and as an absent key.
func jsonEqual(a, b any) bool {
	if isEmpty(a) || isEmpty(b) {
		return isEmpty(a) && isEmpty(b)
	}
	if an, ok := number(a); ok {
		bn, ok := number(b)
		return ok && an == bn
	}
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return false
		}
		for _, k := range unionKeys(av, bv) {
			if !jsonEqual(av[k], bv[k]) {
				return false
			}
		}
		return true
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for i := range av {
			if !jsonEqual(av[i], bv[i]) {
				return false
			}
		}
		return true
	case nil:
		return b == nil
	default:
		return a == b
	}
}

// isEmpty reports whether v is null, [] or an object of empty values.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case []any:
		return len(x) == 0
	case map[string]any:
		for _, e := range x {
			if !isEmpty(e) {
				return false
			}
		}
		return true
	}
	return false
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	}
	return 0, false
}

// unionKeys returns the keys of a and b whose value is not empty
// (isEmpty), sorted.
func unionKeys(a, b map[string]any) []string {
	set := map[string]bool{}
	for _, m := range []map[string]any{a, b} {
		for k, v := range m {
			if !isEmpty(v) {
				set[k] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// writeDiff prints, unified-style, how have (the object in Datadog) differs
// from want (the file): one -/+ pair per changed leaf, named by its path,
// and a line diff for multi-line strings such as monitor messages.
func writeDiff(w io.Writer, indent, fromName, toName string, have, want any) {
	var lines []string
	diffValue(&lines, "", have, want)
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(w, "%s--- %s\n%s+++ %s\n", indent, fromName, indent, toName)
	for _, l := range lines {
		fmt.Fprintf(w, "%s%s\n", indent, l)
	}
}

func diffValue(out *[]string, path string, have, want any) {
	if jsonEqual(have, want) {
		return
	}
	switch wv := want.(type) {
	case map[string]any:
		if hv, ok := have.(map[string]any); ok {
			for _, k := range unionKeys(hv, wv) {
				diffValue(out, joinPath(path, k), hv[k], wv[k])
			}
			return
		}
	case []any:
		if hv, ok := have.([]any); ok {
			for i := 0; i < max(len(hv), len(wv)); i++ {
				var h, x any
				if i < len(hv) {
					h = hv[i]
				}
				if i < len(wv) {
					x = wv[i]
				}
				diffValue(out, path+"["+strconv.Itoa(i)+"]", h, x)
			}
			return
		}
	case string:
		if hs, ok := have.(string); ok && (strings.Contains(hs, "\n") || strings.Contains(wv, "\n")) {
			*out = append(*out, "@@ "+path+" @@")
			*out = append(*out, lineDiff(strings.Split(hs, "\n"), strings.Split(wv, "\n"), 1)...)
			return
		}
	}
	if have != nil {
		*out = append(*out, "-"+path+": "+compactJSON(have))
	}
	if want != nil {
		*out = append(*out, "+"+path+": "+compactJSON(want))
	}
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// lineDiff is a longest-common-subsequence line diff with ctx lines of
// context around each change ("..." marks skipped lines). Messages are a
// few dozen lines, so the quadratic table is small.
func lineDiff(a, b []string, ctx int) []string {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte
		text string
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, op{' ', a[i]})
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', a[i]})
			i++
		default:
			ops = append(ops, op{'+', b[j]})
			j++
		}
	}
	keep := make([]bool, len(ops))
	for k, o := range ops {
		if o.kind != ' ' {
			for c := max(0, k-ctx); c <= min(len(ops)-1, k+ctx); c++ {
				keep[c] = true
			}
		}
	}
	var out []string
	skipped := false
	for k, o := range ops {
		if !keep[k] {
			skipped = true
			continue
		}
		if skipped && len(out) > 0 {
			out = append(out, " ...")
		}
		skipped = false
		out = append(out, string(o.kind)+o.text)
	}
	return out
}
