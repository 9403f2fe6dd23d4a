package promtext

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// sameFloat reports whether parseDecimal's answer for s is ParseFloat's,
// bit for bit; a decimal it leaves (ok=false) is always fine.
func sameFloat(s string, got float64, ok bool) string {
	if !ok {
		return ""
	}
	want, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return "took what ParseFloat refuses: " + err.Error()
	}
	if math.Float64bits(got) != math.Float64bits(want) {
		return "got " + strconv.FormatFloat(got, 'g', -1, 64) + " (" + strconv.FormatUint(math.Float64bits(got), 16) +
			"), ParseFloat " + strconv.FormatFloat(want, 'g', -1, 64) + " (" + strconv.FormatUint(math.Float64bits(want), 16) + ")"
	}
	return ""
}

// TestParseDecimalBoundaries: on the edges of its paths (the float64 fast
// path up to 2^53, the integer path for 16 to 19 digits, the exponents,
// zeros and ties), parseDecimal gives ParseFloat's bits, and it takes
// (ok=true) every decimal it is meant to.
func TestParseDecimalBoundaries(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		take bool // parseDecimal must read it, not leave it to ParseFloat
	}{
		{"0", true}, {"-0", true}, {"-0.0", true}, {"-0e5", true}, {"0e999", true}, {"-0.000", true},
		{"9007199254740991", true}, {"9007199254740992", true}, {"9007199254740993", true},
		{"9007199254740994", true}, {"9007199254740995", true}, {"9007199254740997", true},
		{"9007199254740993.0", true}, {"900719925474099.3e1", true}, {"9007199254740993000e-3", true},
		{"-9007199254740993", true}, {"18014398509481985", true}, {"18014398509481987", true},
		{"18014398509481986", true}, {"1844674407370955161", true}, {"9999999999999999999", true},
		{"1000000000000000000", true}, {"0.1915154535926174", true}, {"12638.482029342978", true},
		{"1.0811807510766068e+06", true}, {"1.1689518164985757e+08", true}, {"1.8446744073709552e+19", true},
		{"5e-324", false}, {"1.7976931348623157e+308", false}, {"2.2250738585072014e-308", false},
		{"4.9406564584124654e-324", false}, {"1e23", false}, {"1e-23", false}, {"1e22", true}, {"1e-22", true},
		{"1234567890123456789e19", true}, {"1234567890123456789e-19", true}, {"1234567890123456789e20", false},
		{"1234567890123456789e-20", false}, {"0.0000000000000000001234567890123456789", false}, {"0.1234567890123456789", true},
		{"12345678901234567890", false}, {"18446744073709551616", false}, {"18446744073709551616e-5", false},
		{"184467440737095516160", false}, {"000000000000000000000000000001", true}, {"1e0001", false},
		{"1.", true}, {".5", true}, {"-.5", true}, {".", false}, {"-", false}, {"", false}, {"+1", false},
		{"1e", false}, {"1e+", false}, {"1e-", false}, {"1.2.3", false}, {"--1", false}, {"1ee2", false},
		{"0.30000000000000004", true}, {"0.1", true}, {"2.5e-07", true}, {"4.35", true},
		{"7.038135554931545e+06", true}, {"1.7269832906594332e+06", true}, {"123456789012345678e-1", true},
	} {
		got, ok := parseDecimal([]byte(c.in))
		if d := sameFloat(c.in, got, ok); d != "" {
			t.Errorf("%q: %s", c.in, d)
		}
		if ok != c.take {
			t.Errorf("%q: read it: %v, want %v", c.in, ok, c.take)
		}
	}
	rnd := rand.New(rand.NewPCG(5, 6))
	check := func(s string, mustTake bool) {
		t.Helper()
		got, ok := parseDecimal([]byte(s))
		if d := sameFloat(s, got, ok); d != "" {
			t.Fatalf("%q: %s", s, d)
		}
		if mustTake && !ok {
			t.Fatalf("%q: left to ParseFloat", s)
		}
	}
	for range 60000 {
		// Ties and their neighbours: integers of 54 to 64 bits exactly
		// halfway between two float64s, as 19 digits at most.
		s := 1 + rnd.IntN(11)
		n := (rnd.Uint64()>>11|1<<52)<<s | 1<<(s-1)
		for _, v := range []uint64{n - 1, n, n + 1} {
			if v < 1e19 {
				digits := strconv.FormatUint(v, 10)
				check(digits, true)
				// The same value with a fraction or an exponent.
				check(digits+".000", len(digits) <= 16)
				k := 1 + rnd.IntN(len(digits)-1)
				check(digits[:len(digits)-k]+"."+digits[len(digits)-k:]+"e+"+strconv.Itoa(k), true)
			}
		}
		// strconv's shortest form of any float64, and of the values a
		// registry writes (small ranges, bucket bounds).
		f := math.Float64frombits(rnd.Uint64())
		switch rnd.IntN(3) {
		case 0:
			f = float64(rnd.Uint64()>>rnd.IntN(64)) / math.Pow(10, float64(rnd.IntN(20)))
		case 1:
			f = math.Pow(rnd.Float64()*2, float64(rnd.IntN(120)-60))
		}
		for _, fc := range []byte{'g', 'e', 'f'} {
			s := strconv.FormatFloat(f, fc, -1, 64)
			take := false
			if a := math.Abs(f); a >= 1e-3 && a < 1e15 && !math.IsInf(f, 0) && !math.IsNaN(f) {
				take = true // 17 digits at most, 10^±19 at most
			}
			check(s, take)
			check(strconv.FormatFloat(f, fc, rnd.IntN(20), 64), false)
		}
		// Random digit strings of 16 to 19 significant digits.
		var b strings.Builder
		if rnd.IntN(2) == 0 {
			b.WriteByte('-')
		}
		nd := 16 + rnd.IntN(4)
		dot := rnd.IntN(nd + 1)
		for i := range nd {
			if i == dot {
				b.WriteByte('.')
			}
			b.WriteByte(byte('0' + rnd.IntN(10)))
		}
		if rnd.IntN(2) == 0 {
			b.WriteString("e" + strconv.Itoa(rnd.IntN(50)-25))
		}
		check(b.String(), false)
	}
}

// TestScanDecimalPrefix: scanDecimal reads the decimal at the start of a
// value and says where it ends, as parseDecimal reads that decimal alone.
func TestScanDecimalPrefix(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in string
		n  int // bytes read, 0 when it leaves the value
	}{
		{"1 1700000000000", 1}, {"-2.5e+06 x", 8}, {"12638.482029342978}", 18}, {"NaN", 0}, {"+Inf", 0},
		{"1e 2", 0}, {"1e1234 ", 0}, {"1.5\t2", 3}, {"7", 1}, {"0.1915154535926174", 18}, {"1x", 1},
	} {
		f, n, ok := scanDecimal([]byte(c.in))
		if !ok {
			n = 0
		}
		if n != c.n {
			t.Errorf("%q: read %d bytes, want %d", c.in, n, c.n)
			continue
		}
		if ok {
			g, gok := parseDecimal([]byte(c.in[:n]))
			if !gok || math.Float64bits(g) != math.Float64bits(f) {
				t.Errorf("%q: %v, parseDecimal(%q) = %v, %v", c.in, f, c.in[:n], g, gok)
			}
		}
	}
}

// FuzzParseDecimal: whatever the text, parseDecimal either leaves it to
// ParseFloat or gives ParseFloat's value bit for bit; scanDecimal reads a
// prefix that parseDecimal reads alone to the same bits.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{
		"0", "-0", "1", "9007199254740993", "9007199254740993.0", "18014398509481985", "9999999999999999999",
		"12638.482029342978", "1.0811807510766068e+06", "0.1915154535926174", "1234567890123456789e-19",
		"1234567890123456789e19", "18446744073709551616", "1844674407370955161", "1e22", "1e-22", "1e23",
		"0.30000000000000004", "5e-324", "1.7976931348623157e+308", ".5", "1.", "1e+05", "-0e5", "1e0001",
		"00000000000000000000000001.5", "123456789012345678e-1", "1 2", "1.5}", "NaN", "+Inf",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseDecimal([]byte(s))
		if d := sameFloat(s, got, ok); d != "" {
			t.Fatalf("%q: %s", s, d)
		}
		v, n, ok := scanDecimal([]byte(s))
		if !ok {
			return
		}
		if n == 0 || n > len(s) {
			t.Fatalf("%q: read %d bytes", s, n)
		}
		alone, aok := parseDecimal([]byte(s[:n]))
		if !aok || math.Float64bits(alone) != math.Float64bits(v) {
			t.Fatalf("%q: prefix %q read as %v, alone as (%v, %v)", s, s[:n], v, alone, aok)
		}
	})
}
