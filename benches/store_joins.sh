#!/usr/bin/env bash
# Joins per second through one `scalelite serve` instance on the embedded store versus on
# Redis: same binary, same simulated BBB server, same load generator (wrk), one run.
#   benches/store_joins.sh [seconds] [connections]
# Needs wrk and a Redis (REDIS_URL, default redis://127.0.0.1:6379).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-32}
redis_url=${REDIS_URL:-redis://127.0.0.1:6379}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)"; exit 1; }
cargo build --release -q
bin=target/release/scalelite
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

sum() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
secret=bench-lb-secret
$bin simulate --listen 127.0.0.1:4701 --secret sim-secret >/dev/null 2>&1 & pids+=($!)

start() { # name port extra-env...
  local name=$1 port=$2; shift 2
  env LOADBALANCER_SECRET=$secret PORT=$port SCALELITE_DATA_DIR="$work/$name" POLL_INTERVAL=5 \
      RUST_LOG=error "$@" $bin serve >"$work/$name.log" 2>&1 & pids+=($!)
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health_check" >/dev/null && break; sleep 0.1; done
  local base=http://127.0.0.1:$port
  local id
  id=$(curl -s -H 'Content-Type: application/json' "$base/scalelite/api/addServer?checksum=$(sum addServer$secret)" \
        -d '{"server":{"url":"http://127.0.0.1:4701/bigbluebutton/api/","secret":"sim-secret"}}' |
        sed 's/.*"id":"\([^"]*\)".*/\1/')
  curl -s -o /dev/null -H 'Content-Type: application/json' "$base/scalelite/api/updateServer?checksum=$(sum updateServer$secret)" \
        -d "{\"id\":\"$id\",\"server\":{\"state\":\"enable\"}}"
  for _ in $(seq 100); do
    curl -s "$base/scalelite/api/getServerInfo?id=$id&checksum=$(sum "getServerInfoid=$id$secret")" | grep -q '"online":"online"' && break
    sleep 0.1
  done
  local q="meetingID=bench-$name&name=Bench"
  curl -s "$base/bigbluebutton/api/create?$q&checksum=$(sum "create$q$secret")" | grep -q SUCCESS
  q="meetingID=bench-$name&fullName=Jane+Doe&role=VIEWER"
  echo "$base/bigbluebutton/api/join?$q&checksum=$(sum "join$q$secret")"
}

embedded=$(start embedded 4702)
ns="scalelite_bench_$$"
redis=$(start redis 4703 REDIS_URL="$redis_url" REDIS_NAMESPACE="$ns")

run() { wrk -t2 -c"$conns" -d"${secs}s" --latency "$1" | awk '/Requests\/sec/{r=$2} /^ +50%/{p50=$2} /^ +99%/{p99=$2} END{print r, p50, p99}'; }
read -r e_rps e_p50 e_p99 < <(run "$embedded")
read -r r_rps r_p50 r_p99 < <(run "$redis")
printf 'joins/s  embedded %10.0f (p50 %s, p99 %s)\n' "$e_rps" "$e_p50" "$e_p99"
printf 'joins/s  redis    %10.0f (p50 %s, p99 %s)\n' "$r_rps" "$r_p50" "$r_p99"
awk -v r="$r_rps" -v e="$e_rps" 'BEGIN{printf "redis / embedded = %.2f\n", r/e}'
redis-cli -u "$redis_url" --scan --pattern "$ns:*" | xargs -r redis-cli -u "$redis_url" del >/dev/null 2>&1 || true
