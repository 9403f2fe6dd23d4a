// Package suggest finds the known word a mistyped one was probably meant to
// be, for "did you mean" hints in configuration and asset errors.
package suggest

// Distance is the Levenshtein edit distance between a and b: the fewest
// single-byte insertions, deletions and substitutions that turn a into b.
// It counts bytes, not runes: the words compared here (configuration keys,
// metric and type names) are ASCII.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Closest returns the candidate nearest to word by Distance, the first of
// them in candidates' order on a tie (callers sort candidates for a stable
// answer), and whether it is within maxDist. It returns "", false when no
// candidate is that near, or there is none.
func Closest(word string, candidates []string, maxDist int) (string, bool) {
	best, bestDist := "", -1
	for _, c := range candidates {
		if d := Distance(word, c); bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	if bestDist < 0 || bestDist > maxDist {
		return "", false
	}
	return best, true
}
