package promtext

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"google.golang.org/protobuf/proto"
)

// chunkReader returns at most n bytes per Read: a payload arriving in
// pieces that cut lines anywhere.
type chunkReader struct {
	b []byte
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), c.n)], c.b)
	c.b = c.b[k:]
	return k, nil
}

// readers are the ways a payload may arrive.
func readers(p []byte) map[string]io.Reader {
	return map[string]io.Reader{
		"whole":    bytes.NewReader(p),
		"7 bytes":  &chunkReader{p, 7},
		"4093":     &chunkReader{p, 4093},
		"half":     iotest.HalfReader(bytes.NewReader(p)),
		"data+EOF": iotest.DataErrReader(bytes.NewReader(p)),
	}
}

// TestSelectReaderMatchesSelect: reading a payload through the bounded
// buffer, in any pieces, selects exactly what Select selects from the whole
// payload, with the same caps and the same errors, on every real capture.
func TestSelectReaderMatchesSelect(t *testing.T) {
	t.Parallel()
	for _, f := range fixtures(t) {
		for _, pick := range []byte{0, 7} {
			for _, lim := range []Limits{{}, {MaxSeriesPerFamily: 2}} {
				want := fuzzWant(pick)
				ref, refCapped, refErr := SelectLimited(f.payload, want, lim)
				for name, r := range readers(f.payload) {
					if name == "7 bytes" && pick != 0 {
						continue // slow, and the cuts are the same
					}
					got, capped, err := SelectReader(r, want, ReadOptions{Limits: lim})
					if fmt.Sprint(err) != fmt.Sprint(refErr) {
						t.Fatalf("%s %d %+v %s: error %v, Select's %v", f.name, pick, lim, name, err, refErr)
					}
					if !bytes.Equal(got, ref) || !slices.Equal(capped, refCapped) {
						t.Fatalf("%s %d %+v %s: %d bytes (%d capped), Select's %d (%d)", f.name, pick, lim, name, len(got), len(capped), len(ref), len(refCapped))
					}
				}
			}
		}
	}
}

// TestParseReaderMatchesParse: parseReader (ReadParsed) gives the same families as ParseLimited.
func TestParseReaderMatchesParse(t *testing.T) {
	t.Parallel()
	for _, f := range fixtures(t) {
		want := fuzzWant(3)
		ref, _, refErr := ParseLimited(f.payload, want, Limits{MaxSeriesPerFamily: 5})
		got, _, err := parseReader(&chunkReader{f.payload, 1000}, want, ReadOptions{Limits: Limits{MaxSeriesPerFamily: 5}})
		if fmt.Sprint(err) != fmt.Sprint(refErr) {
			t.Fatalf("%s: error %v, ParseLimited's %v", f.name, err, refErr)
		}
		if len(got) != len(ref) {
			t.Fatalf("%s: %d families, ParseLimited's %d", f.name, len(got), len(ref))
		}
		for n, mf := range ref {
			if !proto.Equal(mf, got[n]) {
				t.Errorf("%s: family %s differs", f.name, n)
			}
		}
	}
}

// TestSelectReaderErrors: a line too long for the budget and a failing
// reader are ReadErrors; bad text is a parse error naming its line, as
// Select's.
func TestSelectReaderErrors(t *testing.T) {
	t.Parallel()
	long := "# TYPE x gauge\nx{a=\"" + strings.Repeat("v", 300<<10) + "\"} 1\ny 2\n"
	var grown []int
	out, _, err := SelectReader(strings.NewReader(long), func(string) bool { return true },
		ReadOptions{Grow: func(n int) error { grown = append(grown, n); return nil }})
	if err != nil || string(out) != long {
		t.Errorf("long line: %d bytes, %v", len(out), err)
	}
	if !slices.Equal(grown, []int{128 << 10, 256 << 10, 512 << 10}) {
		t.Errorf("grew to %v", grown)
	}

	budget := errors.New("no memory left")
	_, _, err = SelectReader(strings.NewReader(long), func(string) bool { return true },
		ReadOptions{Grow: func(int) error { return budget }})
	var re *ReadError
	if !errors.As(err, &re) || !errors.Is(err, budget) {
		t.Errorf("refused growth: %v", err)
	}

	_, _, err = SelectReader(iotest.TimeoutReader(&chunkReader{[]byte(long), 100}), func(string) bool { return true }, ReadOptions{})
	if !errors.As(err, &re) || !errors.Is(err, iotest.ErrTimeout) {
		t.Errorf("failing reader: %v", err)
	}

	bad := "a 1\nb 2\n<html>\n"
	_, _, err = SelectReader(&chunkReader{[]byte(bad), 3}, func(string) bool { return true }, ReadOptions{})
	if err == nil || errors.As(err, &re) || !strings.HasPrefix(err.Error(), "line 3: ") {
		t.Errorf("bad text: %v", err)
	}
}

// TestSelectReaderLines: Lines sees the whole payload, in order, in whole
// lines.
func TestSelectReaderLines(t *testing.T) {
	t.Parallel()
	p := v20(t, "node1_status_vars.txt")
	var seen bytes.Buffer
	_, _, err := SelectReader(&chunkReader{p, 777}, func(string) bool { return false }, ReadOptions{
		Lines: func(b []byte) {
			if len(b) > 0 && b[len(b)-1] != '\n' && seen.Len()+len(b) != len(p) {
				t.Errorf("a run of lines ends mid-line: %q", b[max(0, len(b)-20):])
			}
			seen.Write(b)
		}})
	if err != nil || !bytes.Equal(seen.Bytes(), p) {
		t.Errorf("Lines saw %d of %d bytes (%v)", seen.Len(), len(p), err)
	}
}

// TestSelectReaderBoundedFamily: a family with 100,000 series under a cap of
// 10 holds a few kilobytes of selected lines while it is read, not the
// family: the lines past the cap are cut down as they come.
func TestSelectReaderBoundedFamily(t *testing.T) {
	t.Parallel()
	stores := make([]int, 100000)
	for i := range stores {
		stores[i] = len(stores) - i
	}
	p := storesPayload(stores)
	out, capped, err := SelectReader(bytes.NewReader(p), func(string) bool { return true }, ReadOptions{Limits: Limits{MaxSeriesPerFamily: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if len(capped) != 1 || capped[0].Dropped != 99990 || capped[0].Kept != 10 {
		t.Errorf("capped %+v", capped)
	}
	if cap(out) > 512<<10 {
		t.Errorf("the selection grew to %d bytes for a %d-byte payload", cap(out), len(p))
	}
	ref, _, _ := SelectLimited(p, func(string) bool { return true }, Limits{MaxSeriesPerFamily: 10})
	if !bytes.Equal(out, ref) {
		t.Errorf("got\n%s\nwant\n%s", out, ref)
	}
}

// TestSelectorReusesItsMemory: a selection in reused selBufs allocates only
// the names of the families it keeps (and perhaps a read buffer the pool
// dropped), not its map, lists and header lines again: their growth was
// over half of a node's scrape.
func TestSelectorReusesItsMemory(t *testing.T) {
	var b strings.Builder
	wanted := 0
	for i := range 400 {
		fmt.Fprintf(&b, "# HELP fam_%d Help text.\n# TYPE fam_%d gauge\n", i, i)
		for s := 1; s <= 3; s++ {
			fmt.Fprintf(&b, "fam_%d{store=\"%d\"} %d.5\n", i, s, i*s)
		}
		if i%2 == 0 {
			wanted++
		}
	}
	payload := []byte(b.String())
	// Even numbers, without allocating.
	want := func(name string) bool {
		return strings.HasPrefix(name, "fam_") && (name[len(name)-1]-'0')%2 == 0
	}
	bufs := new(selBufs)
	run := func() {
		sel, err := selectFrom(bytes.NewReader(payload), want, ReadOptions{}, bufs)
		if err != nil || len(sel.fams) != wanted {
			t.Fatalf("%d families, %v; want %d", len(sel.fams), err, wanted)
		}
		bufs.out, bufs.lines, bufs.fams = sel.out, sel.lines, sel.fams
		if !bufs.reset() {
			t.Fatal("a 400-family selection is not kept for reuse")
		}
	}
	run()
	if n := testing.AllocsPerRun(5, run); n > float64(wanted)+3 {
		t.Errorf("a reused selection allocates %.0f times, want at most %d (one name per kept family, a read buffer)", n, wanted+3)
	}
}
