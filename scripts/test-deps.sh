#!/usr/bin/env bash
# Installs what the test suite needs beyond Go, when it is missing:
#   - a PostgreSQL server (Debian package postgresql): the SQL tests start a
#     throwaway instance with initdb + pg_ctl and load CockroachDB-shaped tables;
#   - docker-compose (Debian package): validates docker-compose.yaml offline;
#   - haproxy (Debian package): `haproxy -c` checks the demo's haproxy.cfg;
#   - shellcheck (Debian package): lints the shell scripts;
#   - statsd_exporter: a real third-party DogStatsD server the tests send to.
# Idempotent: a second run installs nothing.
set -euo pipefail

need_apt=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v docker-compose >/dev/null 2>&1 || need_apt+=(docker-compose)
command -v haproxy >/dev/null 2>&1 || need_apt+=(haproxy)
command -v shellcheck >/dev/null 2>&1 || need_apt+=(shellcheck)

if [ ${#need_apt[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "test-deps: need root (or sudo) to install: ${need_apt[*]}" >&2
      exit 1
    fi
  fi
  echo "test-deps: installing ${need_apt[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # The Debian packages may start a PostgreSQL cluster and an HAProxy of
  # their own; the tests never use them.
fi

gobin="$(go env GOPATH)/bin"
if ! command -v statsd_exporter >/dev/null 2>&1 && [ ! -x "$gobin/statsd_exporter" ]; then
  echo "test-deps: installing statsd_exporter"
  go install github.com/prometheus/statsd_exporter@v0.31.0
fi
echo "test-deps: ok (postgresql, docker-compose, haproxy, shellcheck, statsd_exporter)"
