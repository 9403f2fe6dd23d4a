package assets

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Monitor message templates (docs.datadoghq.com/monitors/notify/variables/):
// sections {{#is_alert}}...{{/is_alert}}, inverted {{^is_alert}}, {{else}},
// variables {{value}}, tag variables {{node_id.name}}, helpers {{eval ...}},
// comments {{! ...}} and {{!-- ... --}}, unescaped {{{...}}}.

// sections are the conditional sections Datadog renders.
var sections = []string{
	"is_alert", "is_alert_recovery", "is_alert_to_warning", "is_exact_match", "is_match", "is_no_data",
	"is_no_data_recovery", "is_priority", "is_recovery", "is_renotify", "is_unknown", "is_warning",
	"is_warning_recovery",
}

// valueVars are the built-in variables of metric-based monitors.
var valueVars = []string{
	"value", "threshold", "warn_threshold", "ok_threshold", "alert_recovery_threshold", "warn_recovery_threshold",
	"comparator", "first_triggered_at", "first_triggered_at_epoch", "last_triggered_at", "last_triggered_at_epoch",
	"triggered_duration_sec",
}

// helpers are template functions: {{eval "value*100"}}, {{local_time 'last_triggered_at' 'UTC'}}.
var helpers = []string{"eval", "local_time", "urlencode"}

// templateInfo is what a message may refer to.
type templateInfo struct {
	// groups are the tag keys the monitor's query groups by: the only
	// {{key.name}} variables Datadog fills.
	groups []string
	// serviceCheck enables {{check_message}}.
	serviceCheck bool
	// warning and noData say whether the monitor can be in WARNING or NO
	// DATA; a section for a state that never happens is dead text, which
	// usually means a threshold or notify_no_data is missing.
	warning, noData bool
	// handle requires NotifyPlaceholder (messages, not names).
	handle bool
	// anyGroup accepts every tag variable: the groups are unknown
	// (composite monitors, or a query that did not parse).
	anyGroup bool
}

var (
	handleRe = regexp.MustCompile(`(^|[\s(\[{}>,;])@([A-Za-z0-9][A-Za-z0-9_.+@-]*)`)
	// Placeholders a template author leaves for "fill in later": <HANDLE>,
	// ${TEAM}, TODO... Datadog would send them verbatim.
	angleRe  = regexp.MustCompile(`<[A-Za-z_][A-Za-z0-9_ .-]*>`)
	dollarRe = regexp.MustCompile(`\$\{[^}]*\}`)
	todoRe   = regexp.MustCompile(`\b(TODO|FIXME|XXX|TBD|CHANGEME|CHANGE_ME|REPLACE_ME)\b`)
)

type openSection struct {
	name string
	line int
}

// checkTemplate validates a message (or name, or escalation message) at path.
func checkTemplate(r *reporter, path, text string, info templateInfo) {
	lineOf := func(off int) int { return strings.Count(text[:off], "\n") + 1 }
	at := func(off int, format string, args ...any) {
		r.add(path, "line %d: "+format, append([]any{lineOf(off)}, args...)...)
	}
	var stack []openSection
	used := map[string]bool{}
	var plain strings.Builder // the text outside {{ }}, for placeholder checks
	i := 0
	for {
		j := strings.Index(text[i:], "{{")
		if j < 0 {
			plain.WriteString(text[i:])
			break
		}
		plain.WriteString(text[i : i+j])
		plain.WriteByte(' ') // "{{/is_alert}}@team" is a handle after the tag
		start := i + j
		closeTok, openLen := "}}", 2
		if strings.HasPrefix(text[start:], "{{{") {
			closeTok, openLen = "}}}", 3
		} else if strings.HasPrefix(text[start:], "{{!--") {
			closeTok = "--}}"
		}
		k := strings.Index(text[start+openLen:], closeTok)
		if k < 0 {
			at(start, "%q is never closed with %q", firstLine(text[start:]), closeTok)
			break
		}
		body := strings.TrimSpace(text[start+openLen : start+openLen+k])
		i = start + openLen + k + len(closeTok)
		if strings.Contains(body, "{{") {
			at(start, "%q contains another {{: is a }} missing?", firstLine(text[start:i]))
			continue
		}
		switch {
		case strings.HasPrefix(body, "!"):
			// comment
		case strings.HasPrefix(body, "#") || strings.HasPrefix(body, "^"):
			name, args, _ := strings.Cut(strings.TrimSpace(body[1:]), " ")
			if !slices.Contains(sections, name) {
				msg := fmt.Sprintf("unknown section {{%c%s}}", body[0], name)
				if s := closest(name, sections); s != "" {
					msg += fmt.Sprintf(" (did you mean {{%c%s}}?)", body[0], s)
				}
				at(start, "%s", msg)
			} else {
				checkSectionArgs(at, start, name, strings.TrimSpace(args), info)
				if body[0] == '#' {
					used[name] = true
				}
			}
			stack = append(stack, openSection{name: name, line: lineOf(start)})
		case strings.HasPrefix(body, "/"):
			name := strings.TrimSpace(body[1:])
			switch {
			case len(stack) == 0:
				at(start, "{{/%s}} closes a section that was never opened", name)
			case stack[len(stack)-1].name != name:
				top := stack[len(stack)-1]
				at(start, "{{/%s}} closes {{#%s}} opened on line %d (sections must be closed in order)", name, top.name, top.line)
				// Recover: if the name is open further down, close up to it.
				for n := len(stack) - 1; n >= 0; n-- {
					if stack[n].name == name {
						stack = stack[:n]
						break
					}
				}
			default:
				stack = stack[:len(stack)-1]
			}
		case body == "else":
			if len(stack) == 0 {
				at(start, "{{else}} outside a section")
			}
		default:
			checkVariable(at, start, body, info)
		}
	}
	for _, s := range stack {
		r.add(path, "line %d: {{#%s}} is never closed (add {{/%s}})", s.line, s.name, s.name)
	}
	if !info.warning {
		for _, s := range []string{"is_warning", "is_warning_recovery", "is_alert_to_warning"} {
			if used[s] {
				r.add(path, "has a {{#%s}} section but the monitor has no warning threshold, so it never renders", s)
			}
		}
	}
	if !info.noData {
		for _, s := range []string{"is_no_data", "is_no_data_recovery"} {
			if used[s] {
				r.add(path, "has a {{#%s}} section but options.notify_no_data is not true, so it never renders", s)
			}
		}
	}
	checkPlaceholders(r, path, plain.String(), info.handle)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return s
}

// tagOfVar returns the tag key of a "key.name" or "[dot.key].name" variable.
func tagOfVar(v string) (string, string, bool) {
	if strings.HasPrefix(v, "[") {
		end := strings.Index(v, "]")
		if end < 0 {
			return "", "", false
		}
		k, rest := v[1:end], strings.TrimPrefix(v[end+1:], ".")
		return k, rest, true
	}
	k, attr, ok := strings.Cut(v, ".")
	return k, attr, ok
}

func checkVariable(at func(int, string, ...any), off int, body string, info templateInfo) {
	name, _, _ := strings.Cut(body, " ")
	switch {
	case slices.Contains(helpers, name):
		return
	case slices.Contains(valueVars, name):
		return
	case name == "check_message":
		if !info.serviceCheck {
			at(off, "{{check_message}} exists only in service check monitors")
		}
		return
	}
	key, attr, ok := tagOfVar(name)
	if !ok {
		msg := fmt.Sprintf("unknown variable {{%s}}", name)
		if s := closest(name, append(slices.Clone(valueVars), "check_message")); s != "" {
			msg += fmt.Sprintf(" (did you mean {{%s}}?)", s)
		}
		at(off, "%s", msg)
		return
	}
	if !info.anyGroup && !slices.Contains(info.groups, key) {
		at(off, "{{%s}}: the query does not group by %s (%s), so Datadog renders it empty", name, key, groupsText(info.groups))
		return
	}
	switch {
	case attr == "name":
	case key == "host" && attr != "":
	default:
		at(off, "{{%s}}: a tag variable is {{%s.name}}", name, key)
	}
}

func groupsText(groups []string) string {
	if len(groups) == 0 {
		return "it is a simple alert, grouped by nothing"
	}
	return "it groups by " + strings.Join(groups, ", ")
}

var (
	quotedArg  = regexp.MustCompile(`"([^"]*)"|'([^']*)'`)
	priorityRe = regexp.MustCompile(`^P[1-5]$`)
)

func checkSectionArgs(at func(int, string, ...any), off int, name, args string, info templateInfo) {
	var quoted []string
	for _, m := range quotedArg.FindAllStringSubmatch(args, -1) {
		quoted = append(quoted, m[1]+m[2])
	}
	switch name {
	case "is_match", "is_exact_match":
		if len(quoted) < 2 {
			at(off, "{{#%s}} needs a tag variable and at least one string: {{#%s \"node_id.name\" \"1\"}}", name, name)
			return
		}
		key, _, _ := tagOfVar(quoted[0])
		if key == "" {
			key = quoted[0]
		}
		if !info.anyGroup && !slices.Contains(info.groups, key) {
			at(off, "{{#%s \"%s\" ...}}: the query does not group by %s (%s)", name, quoted[0], key, groupsText(info.groups))
		}
	case "is_priority":
		if len(quoted) != 1 || !priorityRe.MatchString(quoted[0]) {
			at(off, "{{#is_priority}} takes one priority, 'P1' to 'P5'")
		}
	default:
		if args != "" {
			at(off, "{{#%s}} takes no arguments", name)
		}
	}
}

// checkPlaceholders looks for unset placeholders and hard-coded handles in
// the text outside template tags.
func checkPlaceholders(r *reporter, path, text string, requireHandle bool) {
	handle := strings.TrimPrefix(NotifyPlaceholder, "@")
	found := false
	for _, m := range handleRe.FindAllStringSubmatch(text, -1) {
		h := strings.TrimRight(m[2], ".")
		if h == handle {
			found = true
			continue
		}
		r.add(path, "hard-coded notification handle @%s: write %s, which `roachdog apply --notify @handle` replaces", h, NotifyPlaceholder)
	}
	// Inside code (`RESUME SCHEDULE <id>;`) angle brackets and ${VAR} are
	// the reader's to fill in, as in any runbook; elsewhere they are a
	// template's unset placeholder.
	prose := stripCode(text)
	for _, re := range []*regexp.Regexp{angleRe, dollarRe} {
		for _, m := range re.FindAllString(prose, -1) {
			r.add(path, "leftover placeholder %s", m)
		}
	}
	for _, m := range todoRe.FindAllString(text, -1) {
		r.add(path, "leftover placeholder %s", m)
	}
	if requireHandle && !found {
		r.add(path, "notifies nobody: add %s (`roachdog apply --notify @handle` replaces it)", NotifyPlaceholder)
	}
}

// stripCode blanks Markdown code: fenced blocks and inline code spans.
func stripCode(text string) string {
	var b strings.Builder
	for {
		fence := strings.Index(text, "```")
		tick := strings.IndexByte(text, '`')
		if tick < 0 {
			b.WriteString(text)
			return b.String()
		}
		delim := "`"
		if fence == tick {
			delim = "```"
		}
		b.WriteString(text[:tick])
		rest := text[tick+len(delim):]
		end := strings.Index(rest, delim)
		if end < 0 {
			// An unclosed span is not code: Markdown prints the backtick.
			b.WriteString(text[tick:])
			return b.String()
		}
		text = rest[end+len(delim):]
	}
}
