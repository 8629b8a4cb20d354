#!/usr/bin/env bash
# Zero-downtime upgrade under load: a steady stream of joins (wrk) while a second
# `scalelite serve -u` takes the listening sockets over from the first (SIGQUIT hand-over).
# Prints wrk's totals; socket errors and wrong answers (anything but a 302 to the meeting's
# server, counted by benches/load/join_302.lua) must be 0, the old process gone and a new one
# serving. tests/it/upgrade.rs checks the same on every CI run; this is the bench under wrk.
#   benches/upgrade.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-16}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)"; exit 1; }
cargo build --release -q
bin=$PWD/target/release/scalelite
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; pkill -f "SCALELITE_DATA_DIR=$work" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
sum() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
secret=upgrade-secret
port=4801
$bin simulate --listen 127.0.0.1:4802 --secret sim-secret >/dev/null 2>&1 & pids+=($!)
export LOADBALANCER_SECRET=$secret PORT=$port SCALELITE_DATA_DIR=$work POLL_INTERVAL=2 RUST_LOG=error SCALELITE_METRICS_LISTEN=off
$bin serve >"$work/old.log" 2>&1 & old=$!; pids+=($old)
base=http://127.0.0.1:$port
for _ in $(seq 100); do curl -sf "$base/health_check" >/dev/null && break; sleep 0.1; done
id=$(curl -s -H 'Content-Type: application/json' "$base/scalelite/api/addServer?checksum=$(sum addServer$secret)" \
      -d '{"server":{"url":"http://127.0.0.1:4802/bigbluebutton/api/","secret":"sim-secret"}}' | sed 's/.*"id":"\([^"]*\)".*/\1/')
curl -s -o /dev/null -H 'Content-Type: application/json' "$base/scalelite/api/updateServer?checksum=$(sum updateServer$secret)" \
      -d "{\"id\":\"$id\",\"server\":{\"state\":\"enable\"}}"
for _ in $(seq 100); do
  curl -s "$base/scalelite/api/getServerInfo?id=$id&checksum=$(sum "getServerInfoid=$id$secret")" | grep -q '"online":"online"' && break
  sleep 0.1
done
q="meetingID=upgrade&name=Upgrade"
curl -s "$base/bigbluebutton/api/create?$q&checksum=$(sum "create$q$secret")" | grep -q SUCCESS
q="meetingID=upgrade&fullName=Jane&role=VIEWER"
join="$base/bigbluebutton/api/join?$q&checksum=$(sum "join$q$secret")"

location=$(curl -s -o /dev/null -w '%{redirect_url}' "$join")
[ -n "$location" ] || { echo "the join is not a redirect"; exit 1; }
wrk -t2 -c"$conns" -d"${secs}s" -s benches/load/join_302.lua "$join" -- "$location" >"$work/wrk.txt" 2>&1 & load=$!
sleep $((secs / 3))
# The new binary waits for the sockets; SIGQUIT makes the old one hand them over and drain.
$bin serve -u >"$work/new.log" 2>&1 & new=$!; pids+=($new)
sleep 1
kill -QUIT "$old"
wait "$load"
cat "$work/wrk.txt"
errors=$(awk '/Socket errors/{gsub(",","");print $4+$6+$8+$10} ' "$work/wrk.txt")
wrong=$(awk '/wrong answers/{print $3}' "$work/wrk.txt")
# Running, not a zombie: the old process is this script's child until waited for.
running() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1; [[ $st != Z* ]]; }
# The old process drains for up to ~10 s after the SIGQUIT.
for _ in $(seq 200); do running "$old" || break; sleep 0.1; done
alive_old=$(running "$old" && echo yes || echo no)
grep -q . "$work/new.log" && echo "new process log: $(tail -1 "$work/new.log")"
new_pid=$(cat "$work/scalelite.pid" 2>/dev/null || echo "?")
echo "socket errors: ${errors:-0}; wrong answers: ${wrong:-?}; old process ($old) still running: $alive_old; pid file: $new_pid"
serving=no
curl -sf "$base/health_check" >/dev/null && serving=yes
echo "new process serving: $serving"
[ "${errors:-0}" = 0 ] && [ "${wrong:-1}" = 0 ] && [ "$alive_old" = no ] && [ "$serving" = yes ] && [ "$new_pid" != "$old" ]
