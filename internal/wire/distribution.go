package wire

import (
	"math"
	"math/bits"
	"strconv"

	"github.com/roachdog/roachdog/internal/promtext"
)

// KindDistribution counts distribution messages in Config.Unsendable.
const KindDistribution = "distribution"

// RateGroup is one distribution message: values that all stand for
// 1/Rate observations.
type RateGroup struct {
	Rate   float64
	Weight uint64
	Values []float64
}

// Rates groups weighted values into messages the Agent reads back with the
// same weights. The Agent inserts a distribution value with the weight
// 1/rate: as is into the sketch's count and sum, truncated to an integer
// for its bins (pkg/quantile Agent.Insert). A weight is only safe when
// 1/rate is exactly that integer, and the rate survives its decimal form on
// the wire: true of powers of two (2^-k is a finite decimal; datadog-go
// writes the shortest form that parses back to the same float). Any other
// weight is split into its binary digits, the same value sent once per
// digit. Non-finite values, values longer than maxFloatLen characters on
// the wire (no latency is: they would not fit the size the layer checks)
// and zero weights are left out. Groups come in
// increasing weight; each holds its values in the order given.
func Rates(samples []promtext.Sample) []RateGroup {
	// Two passes: count the values per weight bit, then fill one backing
	// array (every sample pays this: one slice per group, grown value by
	// value, was most of a cycle's allocations).
	var perBit [64]int
	total := 0
	for _, s := range samples {
		if !usable(s.Value) {
			continue
		}
		for w := s.Weight; w != 0; w &= w - 1 {
			perBit[bits.TrailingZeros64(w)]++
			total++
		}
	}
	if total == 0 {
		return nil
	}
	groups := 0
	for _, n := range perBit {
		if n > 0 {
			groups++
		}
	}
	values := make([]float64, total)
	out := make([]RateGroup, 0, groups)
	var group [64]int // index in out per bit
	for k, n := range perBit {
		if n > 0 {
			group[k] = len(out)
			out = append(out, RateGroup{Rate: math.Ldexp(1, -k), Weight: 1 << k, Values: values[:0:n]})
			values = values[n:]
		}
	}
	for _, s := range samples {
		if !usable(s.Value) {
			continue
		}
		for w := s.Weight; w != 0; w &= w - 1 {
			g := &out[group[bits.TrailingZeros64(w)]]
			g.Values = append(g.Values, s.Value) // within its capacity
		}
	}
	return out
}

// usable reports a value Rates sends: finite, and at most maxFloatLen
// characters on the wire. Values from 1e-6 up to 1e15 (and 0) take at most
// 25 ('-', "0.", 5 zeros, 17 digits): only others are formatted.
func usable(v float64) bool {
	if a := math.Abs(v); a == 0 || a >= 1e-6 && a < 1e15 {
		return true
	}
	var buf [64]byte
	return !math.IsNaN(v) && !math.IsInf(v, 0) && len(strconv.AppendFloat(buf[:0], v, 'f', -1, 64)) <= maxFloatLen
}

// Distribution returns the safe name and tags of a distribution, or false
// when it cannot be sent (logged and counted). The size is checked for a
// message of one value (the longest a float can take) at the smallest
// rate: the client packs as many values as fit per datagram and starts a
// new one for the rest, so one value must fit.
func (l *Layer) Distribution(name string, tags []string) (string, []string, bool) {
	name, ok := l.metricName(name)
	tags = l.Tags(tags)
	if !ok {
		l.drop(KindDistribution, l.ns+name, reasonName)
	} else if l.metricSize(name, maxFloatLen+len("|@")+maxRateLen, tags) > l.max {
		l.drop(KindDistribution, l.ns+name, reasonSize)
	} else {
		return name, tags, true
	}
	return "", nil, false
}

// maxRateLen is the length of the smallest rate, 2^-63, on the wire.
var maxRateLen = len(strconv.FormatFloat(math.Ldexp(1, -63), 'f', -1, 64))

// maxFloatLen is the longest 'f', -1 form of a value roachdog sends as a
// distribution: latencies rounded to 6 significant digits, so at most
// about 30 characters for the smallest; 32 leaves room.
const maxFloatLen = 32

// AppendDistribution writes "<ns><name>:<v1>:<v2>...|d|@<rate>|#tags|card:<c>",
// the packed form (protocol v1.1) datadog-go's DistributionSamples sends
// when all values fit in one datagram; the rate is left out at 1.
func AppendDistribution(b []byte, ns, name string, g RateGroup, global, tags []string, card string) []byte {
	b = append(append(append(b, ns...), name...), ':')
	for i, v := range g.Values {
		if i > 0 {
			b = append(b, ':')
		}
		b = strconv.AppendFloat(b, v, 'f', -1, 64)
	}
	b = append(b, "|d"...)
	if g.Rate < 1 {
		b = strconv.AppendFloat(append(b, "|@"...), g.Rate, 'f', -1, 64)
	}
	return appendTail(appendTags(b, global, tags), card)
}
