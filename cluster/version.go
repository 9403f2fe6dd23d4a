package cluster

import (
	"fmt"
	"regexp"
	"strconv"
)

// Version is a CockroachDB release version such as v23.2.1. Only the numeric
// part orders versions; pre-release and build suffixes ("-beta.1",
// "-localbuild") are kept in Raw but ignored by Compare, because roachdog
// chooses queries by the feature set of a release line and a v20.2 beta
// already has v20.2's tables.
type Version struct {
	Major, Minor, Patch int
	// Raw is the tag as the server reported it, e.g. "v20.2.0-beta.1-localbuild".
	Raw string
}

var (
	versionTagRe  = regexp.MustCompile(`^v(\d+)\.(\d+)\.(\d+)(\S*)$`)
	crdbVersionRe = regexp.MustCompile(`^CockroachDB (\S+) (v\d+\.\d+\.\d+\S*)`)
)

// ParseVersion parses a version tag such as "v23.2.1" or
// "v20.2.0-beta.1-localbuild" (the leading "v" is required, as CockroachDB
// always writes it).
func ParseVersion(tag string) (Version, error) {
	m := versionTagRe.FindStringSubmatch(tag)
	if m == nil {
		return Version{}, fmt.Errorf("parse CockroachDB version %q: want vMAJOR.MINOR.PATCH", tag)
	}
	v := Version{Raw: tag}
	for i, dst := range []*int{&v.Major, &v.Minor, &v.Patch} {
		n, err := strconv.Atoi(m[i+1])
		if err != nil { // only on absurdly long digit runs
			return Version{}, fmt.Errorf("parse CockroachDB version %q: %w", tag, err)
		}
		*dst = n
	}
	return v, nil
}

// ParseBuildString parses CockroachDB's long version string, as sent in the
// crdb_version parameter and returned by version(), e.g.
// "CockroachDB CCL v23.1.2 (x86_64-apple-darwin19, built ..., go1.19.4)".
// It returns the distribution ("CCL" or "OSS") and the version.
func ParseBuildString(s string) (distribution string, v Version, err error) {
	m := crdbVersionRe.FindStringSubmatch(s)
	if m == nil {
		return "", Version{}, fmt.Errorf("parse CockroachDB build string %q: want \"CockroachDB <distribution> v<version> ...\"", s)
	}
	v, err = ParseVersion(m[2])
	return m[1], v, err
}

// IsZero reports whether v is unknown.
func (v Version) IsZero() bool { return v == Version{} }

// Compare returns -1, 0 or +1 as v is older than, the same release as, or
// newer than o (suffixes ignored).
func (v Version) Compare(o Version) int {
	for _, d := range [3]int{v.Major - o.Major, v.Minor - o.Minor, v.Patch - o.Patch} {
		switch {
		case d < 0:
			return -1
		case d > 0:
			return 1
		}
	}
	return 0
}

// AtLeast reports whether v is release major.minor or newer.
func (v Version) AtLeast(major, minor int) bool {
	return v.Compare(Version{Major: major, Minor: minor}) >= 0
}

// String returns Raw when set, else "vMAJOR.MINOR.PATCH".
func (v Version) String() string {
	if v.Raw != "" {
		return v.Raw
	}
	return fmt.Sprintf("v%d.%d.%d", v.Major, v.Minor, v.Patch)
}
