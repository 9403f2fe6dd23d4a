package config

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// bigConfig returns a valid file of about size bytes (instances of 5
// lines, with comment and blank lines between) and its line count.
func bigConfig(size int) ([]byte, int) {
	var b bytes.Buffer
	b.WriteString("init_config:\n  namespace: crdb\ninstances:\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "  # cluster %d\n\n  - cluster: c%d\n    status_urls: [\"http://roach%d:8080\"]\n    tags: [\"team:db\"]\n", i, i, i)
	}
	return b.Bytes(), bytes.Count(b.Bytes(), []byte("\n"))
}

// TestSyntaxErrorLineInLargeFile: a syntax error near the end of a 256 KiB
// file (15,000 lines) is reported on its own line (yaml.v3 names the line
// where the instances list began, or none), in linear time: the old search
// re-parsed every prefix, gigabytes of YAML here, and took minutes.
func TestSyntaxErrorLineInLargeFile(t *testing.T) {
	t.Parallel()
	data, lines := bigConfig(1 << 18)
	tests := []struct {
		name, tail string
		line       int // of the tail, 1-based
		msg        string
	}{
		// yaml.v3: "line 3" (where the list began).
		{"bad indentation", "  - cluster: z\n   status_urls: [\"http://z:1\"]\n", 2, "did not find expected '-' indicator"},
		// yaml.v3: no line at all.
		{"mapping in a value", "  - cluster: z: y\n    status_urls: [\"http://z:1\"]\n", 1, "mapping values are not allowed in this context"},
		// Where the list opens, not the end of the file.
		{"unclosed flow list", "  - cluster: z\n    status_urls: [\"http://z:1\"\n    tags: [\"a:b\"]\n\n  # end\n", 2, "did not find expected ',' or ']'"},
		{"key outside the block", "  - cluster: z\n    status_urls: [\"http://z:1\"]\n # stray\n bad: 1\n", 4, "did not find expected key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := append(bytes.Clone(data), tt.tail...)
			_, err := Parse("big.yaml", src, nil)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *config.Error", err)
			}
			want := fmt.Sprintf("big.yaml:%d: invalid YAML: %s", lines+tt.line, tt.msg)
			if ce.Error() != want {
				t.Errorf("got  %s\nwant %s", ce.Error(), want)
			}
		})
	}
}

// TestSyntaxErrorLineSmall: the line rules on small files, where the
// lookahead crosses comment and blank lines.
func TestSyntaxErrorLineSmall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src  string
		want string
	}{
		{"a: 1\nb:\n  - x\n  y: 2\n", "c:4: invalid YAML: did not find expected '-' indicator"},
		{"a:\n  b: 1\n c: 2\n", "c:3: invalid YAML: did not find expected key"},
		{"a: 1\nb: \"unclosed\nc: 2\nd: 3\n", "c:2: invalid YAML: found unexpected end of stream"},
		{"a: [1, 2\nb: 3\n", "c:1: invalid YAML: did not find expected ',' or ']'"},
		{"a: 1\n\n# x\n\n  # y\n\tb: 2\n", "c:6: invalid YAML: found character that cannot start any token"},
		{"a:\n  b: 1\n  {  # x\n\n  c: 2\n", "c:3: invalid YAML: could not find expected ':'"},
		{"a: *nope\n", "c:1: invalid YAML: unknown anchor 'nope' referenced"},
		{"a: 1\n---\nb: [\n", "c:3: invalid YAML: did not find expected node content"},
	}
	for _, tt := range tests {
		_, err := Parse("c", []byte(tt.src), nil)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%q: got %v, want %s", tt.src, err, tt.want)
		}
	}
}

func BenchmarkSyntaxErrorLargeFile(b *testing.B) {
	data, _ := bigConfig(1 << 20)
	data = append(data, "  - cluster: z\n   status_urls: [\"http://z:1\"]\n"...)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("big.yaml", data, nil); err == nil || !strings.Contains(err.Error(), "invalid YAML") {
			b.Fatal(err)
		}
	}
}
