package checks

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"

	"github.com/roachdog/roachdog/cluster"
)

// describeAPIErrors describes a failed status API read without response
// bodies (an error page can hold anything): for each node that answered
// badly its host, the request and roachdog's own reading of the status;
// other failures (refused, timeout) as Go words them. The errors joined in
// err are described one by one, separated by "; ". The caller makes the
// result one bounded printable line (oneLineText).
func describeAPIErrors(err error) string {
	var parts []string
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, inner := range j.Unwrap() {
				walk(inner)
			}
			return
		}
		var ae *cluster.APIError
		if errors.As(e, &ae) {
			host := ae.Node
			if u, perr := url.Parse(ae.Node); perr == nil && u.Host != "" {
				host = u.Host
			}
			parts = append(parts, fmt.Sprintf("%s %s%s: HTTP %d: %s", ae.Method, host, ae.Path, ae.StatusCode, ae.Msg))
			return
		}
		parts = append(parts, e.Error())
	}
	walk(err)
	return strings.Join(parts, "; ")
}

// oneLineText makes text from the cluster (an error, a name, a statement)
// one printable line of at most n bytes: spaces, control and other
// non-printable characters (bidi overrides included) fold into single
// spaces, and the cut does not split a rune.
func oneLineText(s string, n int) string {
	s = strings.Join(strings.FieldsFunc(s, func(c rune) bool { return !unicode.IsPrint(c) || unicode.IsSpace(c) }), " ")
	return truncateText(s, n)
}
