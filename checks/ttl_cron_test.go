package checks

import (
	"strings"
	"testing"
	"time"
)

func TestTTLCronPeriod(t *testing.T) {
	t.Parallel()
	const (
		minute = time.Minute
		hour   = time.Hour
		day    = 24 * time.Hour
	)
	for _, tc := range []struct {
		cron string
		want time.Duration // 0: unknown
	}{
		{"@hourly", hour},
		{"@daily", day},
		{"@midnight", day},
		{" @Weekly ", 7 * day},
		{"@monthly", 31 * day},
		{"@yearly", 366 * day},
		{"@annually", 366 * day},
		{"@every 90m", 90 * minute},
		{"@every 1h30m", 90 * minute},
		{"* * * * *", minute},
		{"*/5 * * * *", 5 * minute},
		{"*/1 * * * *", minute},
		{"0 * * * *", hour},
		{"30 * * * *", hour},
		{"0,30 * * * *", 30 * minute},
		{"0,10 * * * *", 50 * minute}, // the longest gap: :10 to the next :00
		{"0 3 * * *", day},
		{"15 3 * * ?", day},
		{"0 */6 * * *", 6 * hour},
		{"0 3,15 * * *", 12 * hour},
		{"0 1,5 * * *", 20 * hour},
		{"0 9-17 * * *", 16 * hour}, // 17:00 to 09:00
		{"0 3 * * 0", 7 * day},
		{"0 3 * * sun", 7 * day},
		{"0 3 * * 7", 7 * day},
		{"0 3 * * mon-fri", 3 * day}, // Friday to Monday
		{"0 0 1 * *", 31 * day},
		{"0 0 1 */3 *", 92 * day},
		{"0 0 1 jan *", 366 * day},
		{"0 0 31 * *", 61 * day},
		{"0 0 1,15 * 1", 7 * day}, // day of month OR Monday
		{"0 12 2/3 * *", 4 * day}, // 2, 5, ..., 29 then the 2nd: 30/31-day months
		// Unknown: roachdog sends no period rather than a wrong one.
		{"", 0},
		{"@reboot", 0},
		{"@every soon", 0},
		{"@every -1h", 0},
		{"0 3 * *", 0},
		{"0 0 3 * * *", 0}, // six fields (seconds)
		{"61 * * * *", 0},
		{"0 24 * * *", 0},
		{"0 0 0 * *", 0},
		{"*/0 * * * *", 0},
		{"5-1 * * * *", 0},
		{"0 0 29 2 *", 0}, // once in two years
		{"x * * * *", 0},
	} {
		got, ok := ttlCronPeriod(tc.cron)
		if ok != (tc.want != 0) || got != tc.want {
			t.Errorf("ttlCronPeriod(%q) = %v, %v; want %v", tc.cron, got, ok, tc.want)
		}
	}
}

func BenchmarkTTLCronPeriod(b *testing.B) {
	for b.Loop() {
		ttlCronPeriod("* * * * *")
	}
}

// FuzzTTLCronPeriod reads arbitrary cron expressions. It never panics (nor
// loops on huge steps), and when it gives a period:
//   - the period is positive, and for five-field crons a whole number of
//     minutes no longer than the two years walked;
//   - case and surrounding blanks do not matter;
//   - the order of a field's comma-separated parts does not matter;
//   - "@every d" gives d.
func FuzzTTLCronPeriod(f *testing.F) {
	for _, s := range []string{
		"@hourly", "@daily", " @Weekly ", "@every 90m", "@every -1s", "@every 1ns",
		"* * * * *", "*/5 * * * *", "0 3 * * mon-fri", "0 0 1,15 * 1", "0 12 2/3 * *",
		"0 0 29 2 *", "0 0 31 * *", "61 * * * *", "5-1 * * * *", "*/0 * * * *",
		"1/9223372036854775807 * * * *", "0 0 * * 7", "0 0 * * 0-7", "? ? ? ? ?",
		"0-59/7,3 1-23/2 1-31 jan-dec sun-sat", "- - - - -", "1-/2 * * * *",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		d, ok := ttlCronPeriod(expr)
		if !ok {
			if d != 0 {
				t.Errorf("ttlCronPeriod(%q) = %v, false; want 0 when unknown", expr, d)
			}
			return
		}
		if d <= 0 {
			t.Fatalf("ttlCronPeriod(%q) = %v: not positive", expr, d)
		}
		e := strings.TrimSpace(strings.ToLower(expr))
		fields := strings.Fields(e)
		if !strings.HasPrefix(e, "@") {
			if d%time.Minute != 0 || d > (2*366+1)*24*time.Hour {
				t.Errorf("ttlCronPeriod(%q) = %v: not whole minutes within two years", expr, d)
			}
		}
		if rest, every := strings.CutPrefix(e, "@every "); every {
			if want, err := time.ParseDuration(strings.TrimSpace(rest)); err != nil || want != d {
				t.Errorf("ttlCronPeriod(%q) = %v, want %v (%v)", expr, d, want, err)
			}
		}
		for _, v := range []string{strings.ToUpper(expr), " \t" + expr + " "} {
			if d2, ok2 := ttlCronPeriod(v); d2 != d || !ok2 {
				t.Errorf("ttlCronPeriod(%q) = %v, %v; but %q gives %v", v, d2, ok2, expr, d)
			}
		}
		if len(fields) == 5 {
			rev := make([]string, 5)
			for i, fl := range fields {
				parts := strings.Split(fl, ",")
				for l, r := 0, len(parts)-1; l < r; l, r = l+1, r-1 {
					parts[l], parts[r] = parts[r], parts[l]
				}
				rev[i] = strings.Join(parts, ",")
			}
			v := strings.Join(rev, " ")
			if d2, ok2 := ttlCronPeriod(v); d2 != d || !ok2 {
				t.Errorf("ttlCronPeriod(%q) = %v, %v; but %q gives %v", v, d2, ok2, expr, d)
			}
		}
	})
}
