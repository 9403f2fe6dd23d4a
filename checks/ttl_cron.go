package checks

// The cron parser of the ttl check: how often a TTL schedule runs.

import (
	"strconv"
	"strings"
	"time"
)

// ttlCronPeriod returns the longest time between two runs of a TTL
// schedule's cron expression, as CockroachDB reads it (robfig/cron's
// standard parser, in UTC): the descriptors @hourly, @daily (@midnight),
// @weekly, @monthly (31 days: its longest gap), @yearly (@annually, 366
// days) and @every <duration>, and five fields (minute hour day-of-month
// month day-of-week) made of *, ?, numbers, names (jan, mon), ranges, steps
// and lists. When both day fields are restricted a day matches either, as
// in cron. ok is false for anything else, or a cron that fires less than
// twice in two years.
func ttlCronPeriod(expr string) (time.Duration, bool) {
	e := strings.ToLower(strings.TrimSpace(expr))
	switch e {
	case "@hourly":
		return time.Hour, true
	case "@daily", "@midnight":
		return 24 * time.Hour, true
	case "@weekly":
		return 7 * 24 * time.Hour, true
	case "@monthly":
		return 31 * 24 * time.Hour, true
	case "@yearly", "@annually":
		return 366 * 24 * time.Hour, true
	}
	if rest, ok := strings.CutPrefix(e, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil || d <= 0 {
			return 0, false
		}
		return d, true
	}
	f := strings.Fields(e)
	if len(f) != 5 {
		return 0, false
	}
	months := []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
	days := []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	minute, ok1 := ttlCronField(f[0], 0, 59, nil, 0)
	hour, ok2 := ttlCronField(f[1], 0, 23, nil, 0)
	dom, ok3 := ttlCronField(f[2], 1, 31, nil, 0)
	month, ok4 := ttlCronField(f[3], 1, 12, months, 1)
	dow, ok5 := ttlCronField(f[4], 0, 6, days, 0)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
		return 0, false
	}
	anyDay := func(s string) bool { return s == "*" || s == "?" }
	either := !anyDay(f[2]) && !anyDay(f[4])

	// Walk two years of days (covering leap years and yearly crons) and
	// measure the gaps between consecutive runs, in minutes.
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	const spanDays = 2*366 + 1
	var last, maxGap int64 = -1, 0
	for d := 0; d < spanDays; d++ {
		day := start.AddDate(0, 0, d)
		if !month[int(day.Month())] {
			continue
		}
		dm, wm := dom[day.Day()], dow[int(day.Weekday())]
		if either && !(dm || wm) || !either && !(dm && wm) {
			continue
		}
		for h := 0; h < 24; h++ {
			if !hour[h] {
				continue
			}
			for m := 0; m < 60; m++ {
				if !minute[m] {
					continue
				}
				at := int64(d)*1440 + int64(h)*60 + int64(m)
				if last >= 0 {
					maxGap = max(maxGap, at-last)
				}
				last = at
			}
		}
	}
	if maxGap == 0 {
		return 0, false
	}
	return time.Duration(maxGap) * time.Minute, true
}

// ttlCronField parses one cron field into the set of values it allows,
// indexed by value. names, when given, are the values' names from base
// (jan = 1, sun = 0); 7 also means Sunday in the day-of-week field.
func ttlCronField(field string, lo, hi int, names []string, base int) ([]bool, bool) {
	set := make([]bool, hi+1)
	value := func(s string) (int, bool) {
		for i, n := range names {
			if s == n {
				return i + base, true
			}
		}
		v, err := strconv.Atoi(s)
		if err != nil {
			return 0, false
		}
		if names != nil && base == 0 && v == 7 { // day of week: 7 is Sunday
			v = 0
		}
		return v, v >= lo && v <= hi
	}
	for _, part := range strings.Split(field, ",") {
		rng, stepText, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return nil, false
			}
			// A step past the range allows its start only; clamped so that
			// v += step below cannot overflow into a negative index.
			step = min(n, hi+1)
		}
		var from, to int
		switch {
		case rng == "*" || rng == "?":
			from, to = lo, hi
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var ok1, ok2 bool
			if from, ok1 = value(a); !ok1 {
				return nil, false
			}
			if to, ok2 = value(b); !ok2 || to < from {
				return nil, false
			}
		default:
			v, ok := value(rng)
			if !ok {
				return nil, false
			}
			from, to = v, v
			if hasStep { // "N/step" means "N-max/step"
				to = hi
			}
		}
		for v := from; v <= to; v += step {
			set[v] = true
		}
	}
	return set, true
}
