#!/usr/bin/env bash
# Runs every Fuzz* target of the module for a bounded time each. Go fuzzes one
# target per invocation, so targets are discovered per package with
# `go test -list '^Fuzz'`: a target added anywhere is picked up without
# editing this file. The committed seed corpora (testdata/fuzz/FuzzX/) and
# f.Add seeds run first; an input that fails is written by go test under the
# package's testdata/fuzz/ and printed here, so that CI's log holds it.
#
# Go before 1.27 can fail a target with a bare "context deadline exceeded"
# just as -fuzztime ends (the coordinator's shutdown race, go.dev/issue/75804):
# no input is written and nothing is reproducible. Such a run is retried
# once after replaying the target's corpus; a second bare deadline with a
# clean replay is reported as a flake, not a failure. Anything else (a
# written input, a panic, a test failure) fails at once.
#
#   FUZZTIME=10s   time per target (a go test -fuzztime value)
#   FUZZPKGS=./... packages to search
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-10s}"
pkgs="${FUZZPKGS:-./...}"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
targets=0
failed=()
flaked=()

# boundary_flake: the log's only failure is the bare deadline at the end of
# -fuzztime, and no input was written.
boundary_flake() {
  grep -q '^    context deadline exceeded$' "$log" &&
    ! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$log"
}
for pkg in $(go list "$pkgs"); do
  # -list compiles the package's test binary: skip, cheaply, packages whose
  # test files declare no func Fuzz... at all.
  dir=$(go list -f '{{.Dir}}' "$pkg")
  if ! grep -qsE '^func Fuzz[A-Za-z0-9_]*\(' "$dir"/*_test.go; then
    continue
  fi
  names=$(go test -list '^Fuzz' "$pkg" | grep -E '^Fuzz' || true)
  for name in $names; do
    targets=$((targets + 1))
    before=$(find "$dir/testdata/fuzz/$name" -type f 2>/dev/null | sort || true)
    echo "fuzz: $pkg $name for $fuzztime"
    # The progress lines every 3 s are dropped; the verdict and any failure
    # are kept.
    rc=0
    go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg" >"$log" 2>&1 || rc=$?
    grep -v '^fuzz: elapsed' "$log" || true
    if [ "$rc" -ne 0 ] && boundary_flake && go test -run "^${name}\$" "$pkg" >/dev/null 2>&1; then
      echo "fuzz: $name: bare deadline at the end of -fuzztime, corpus replay clean; retrying once"
      rc=0
      go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg" >"$log" 2>&1 || rc=$?
      grep -v '^fuzz: elapsed' "$log" || true
      if [ "$rc" -ne 0 ] && boundary_flake && go test -run "^${name}\$" "$pkg" >/dev/null 2>&1; then
        flaked+=("$pkg $name")
        rc=0
      fi
    fi
    if [ "$rc" -ne 0 ]; then
      failed+=("$pkg $name")
      after=$(find "$dir/testdata/fuzz/$name" -type f 2>/dev/null | sort || true)
      for f in $(comm -13 <(echo "$before") <(echo "$after")); do
        echo "fuzz: failing input $f:"
        cat "$f"
      done
    fi
  done
done

corpus=$(git ls-files '*/testdata/fuzz/*' | wc -l)
echo "fuzz: $targets targets, ${fuzztime} each, $(( $(date +%s) - start ))s in all (builds included); $corpus committed seed files"
if [ "$targets" -eq 0 ]; then
  echo "fuzz: no Fuzz* target found" >&2
  exit 1
fi
if [ ${#flaked[@]} -gt 0 ]; then
  printf 'fuzz: warning: %s twice ended on the bare -fuzztime deadline (go.dev/issue/75804), nothing found\n' "${flaked[@]}" >&2
fi
if [ ${#failed[@]} -gt 0 ]; then
  printf 'fuzz: FAILED %s\n' "${failed[@]}" >&2
  exit 1
fi
