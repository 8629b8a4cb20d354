#!/usr/bin/env bash
# The test command: installs what the build and the tests need when it is missing (cmake, a C
# compiler, redis-server, PostgreSQL), starts a throwaway Redis and PostgreSQL when none answers,
# then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

# What the throwaway servers need at exit (one EXIT trap for all of them).
on_exit=""
trap 'eval "$on_exit"' EXIT

apt_install() {
  local sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "$@" >/dev/null
}

need=()
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v cc >/dev/null 2>&1 || need+=(build-essential)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
# The TLS tests make their certificates with openssl (redis-server: Debian's is built with TLS).
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# tests/it/bbb_scripts*.rs run the BBB-server scripts of packaging/bbb: rsync for the spool
# transfer, curl for the upload, shellcheck to lint them.
command -v rsync >/dev/null 2>&1 || need+=(rsync)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
if [ ${#need[@]} -gt 0 ]; then
  apt_install "${need[@]}"
fi
# tests/it/metrics.rs lints the scrape with Prometheus' promtool (Debian package prometheus) and
# fails without it: install it or stop here.
if ! command -v promtool >/dev/null 2>&1; then
  apt_install --no-install-recommends prometheus || true
  if ! command -v promtool >/dev/null 2>&1; then
    echo "test.sh: cannot install promtool (Debian package prometheus); tests/it/metrics.rs needs it" >&2
    exit 1
  fi
fi

# Redis for the Redis store tests: the one given in REDIS_URL, the local default, or our own.
if [ -z "${REDIS_URL:-}" ]; then
  if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    export REDIS_URL=redis://127.0.0.1:6379
  else
    dir=$(mktemp -d)
    port=16379
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
      --dir "$dir" --logfile "$dir/redis.log"
    for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    on_exit+="redis-cli -p $port shutdown nosave >/dev/null 2>&1 || true;"
    export REDIS_URL=redis://127.0.0.1:$port
  fi
fi

# PostgreSQL for the database tests (trust auth, user postgres): the one given in
# SCALELITE_TEST_DATABASE_URL, the local default, or a throwaway cluster of our own.
if [ -z "${SCALELITE_TEST_DATABASE_URL:-}" ]; then
  url=postgres://postgres@127.0.0.1:5432/postgres
  if ! PGCONNECT_TIMEOUT=3 psql "$url" -qtAc 'SELECT 1' >/dev/null 2>&1; then
    pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }
    [ -n "$(pg_bin)" ] || apt_install postgresql
    bin=$(pg_bin)
    dir=$(mktemp -d)
    port=15432
    run=()
    # PostgreSQL refuses to run as root: run it as the postgres user (or nobody).
    if [ "$(id -u)" -eq 0 ]; then
      owner=postgres
      id postgres >/dev/null 2>&1 || owner=nobody
      chown "$owner" "$dir"
      run=(runuser -u "$owner" --)
    fi
    "${run[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust >/dev/null
    "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    on_exit+="${run[*]} $bin/pg_ctl -D $dir/data -m immediate stop >/dev/null 2>&1 || true;"
    url=postgres://postgres@127.0.0.1:$port/postgres
  fi
  export SCALELITE_TEST_DATABASE_URL=$url
fi

# Test threads: libtest's default, one per core. The integration tests mostly wait on processes,
# sockets and polls (the binary uses about 0.4 of a core), but more threads mean more gateways
# fighting for the cores. Measured on the 2-core development machine, shared with other builds
# (load 8-18): the integration binary took 137-225 s with 2 threads, 104-264 s with 4 and 89 s
# with 6, and with 4 or 6 one test (api_join::join_on_a_server_the_poller_marked_offline_is_refused,
# a join slipping in between the poller's store write and its registry update) failed in 3 of 4
# runs, with 2 in none of 3. RUST_TEST_THREADS overrides it.
cargo test --all-targets
