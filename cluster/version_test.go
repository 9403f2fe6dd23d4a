package cluster

import "testing"

func TestParseVersion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in      string
		want    Version
		wantErr bool
	}{
		{in: "v23.2.1", want: Version{23, 2, 1, "v23.2.1"}},
		{in: "v20.2.0-beta.1-localbuild", want: Version{20, 2, 0, "v20.2.0-beta.1-localbuild"}},
		{in: "v23.1.0-rc.2", want: Version{23, 1, 0, "v23.1.0-rc.2"}},
		{in: "v26.1.0-alpha.00000000-1234-gabcdef", want: Version{26, 1, 0, "v26.1.0-alpha.00000000-1234-gabcdef"}},
		{in: "23.2.1", wantErr: true},
		{in: "v23.2", wantErr: true},
		{in: "v23.2.1 extra", wantErr: true},
		{in: "", wantErr: true},
		{in: "v99999999999999999999.0.0", wantErr: true},
	} {
		got, err := ParseVersion(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParseVersion(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseVersion(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestParseBuildString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in       string
		wantDist string
		wantVer  string
		wantErr  bool
	}{
		// Real v20.2 capture (select_version.csv of the shared fixtures).
		{in: "CockroachDB CCL v20.2.0-beta.1-localbuild (x86_64-pc-linux-gnu, built 2026/11/22 02:27:23, go1.15.15)", wantDist: "CCL", wantVer: "v20.2.0-beta.1-localbuild"},
		{in: "CockroachDB OSS v23.1.2 (x86_64-apple-darwin19, built 2023/05/25 16:10:39, go1.19.4)", wantDist: "OSS", wantVer: "v23.1.2"},
		{in: "PostgreSQL 15.8 (Debian 15.8-0+deb12u1) on x86_64-pc-linux-gnu", wantErr: true},
		{in: "KWDB CCL v2.0.0", wantErr: true},
		{in: "", wantErr: true},
	} {
		dist, v, err := ParseBuildString(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParseBuildString(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if dist != tc.wantDist || v.Raw != tc.wantVer {
			t.Errorf("ParseBuildString(%q) = %q, %q; want %q, %q", tc.in, dist, v.Raw, tc.wantDist, tc.wantVer)
		}
	}
}

func TestVersionCompare(t *testing.T) {
	t.Parallel()
	v := func(s string) Version {
		t.Helper()
		x, err := ParseVersion(s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"v23.2.1", "v23.2.1", 0},
		{"v23.2.1", "v23.2.0", 1},
		{"v23.2.9", "v23.10.0", -1},
		{"v24.1.0", "v23.2.9", 1},
		{"v20.2.0-beta.1-localbuild", "v20.2.0", 0}, // suffixes ignored
	} {
		if got := v(tc.a).Compare(v(tc.b)); got != tc.want {
			t.Errorf("%s.Compare(%s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := v(tc.b).Compare(v(tc.a)); got != -tc.want {
			t.Errorf("%s.Compare(%s) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
	for _, tc := range []struct {
		v            string
		major, minor int
		want         bool
	}{
		{"v25.4.0", 25, 4, true},
		{"v25.3.9", 25, 4, false},
		{"v26.1.0", 25, 4, true},
		{"v20.2.0-beta.1", 20, 2, true},
		{"v20.1.99", 20, 2, false},
	} {
		if got := v(tc.v).AtLeast(tc.major, tc.minor); got != tc.want {
			t.Errorf("%s.AtLeast(%d, %d) = %v, want %v", tc.v, tc.major, tc.minor, got, tc.want)
		}
	}
	if !(Version{}).IsZero() || v("v0.0.0").IsZero() {
		t.Error("IsZero: only the empty Version is zero")
	}
	if got := (Version{Major: 23, Minor: 2, Patch: 1}).String(); got != "v23.2.1" {
		t.Errorf("String() = %q", got)
	}
}
