#!/usr/bin/env bash
# getRecordings over HTTP at 100,000 recordings (5 metadata rows and 2 playback formats each), on
# PostgreSQL (a database of its own, created and dropped here) and on SQLite (the embedded default
# in a temp data dir), each against its floor measured in the same run: the same SQL statements
# sent straight to the database (pgbench -M prepared; Python's sqlite3 module, C underneath).
# Three cases, each over many distinct pre-signed URLs (wrk picks them in turn, never one URL):
#   meeting  meetingID=room-<m>               (5 recordings each)
#   meta     meta_course=course-<c>           (4 recordings each)
#   page     limit=100&offset=<count/2 + k>   (a page of 100 in the middle, with the total)
# Prints p50/p99 of each side and the ratio HTTP p50 / SQL p50, then the import throughput:
# small tarballs dropped into the spool of the running instance, timed until the spool is empty
# and getRecordings lists them all. Goals (PostgreSQL, 100,000): meeting p50 <= 5 ms, page p50
# <= 20 ms.
#
#   benches/recordings.sh [seconds] [connections]     (default 3 s per case, 1 connection)
#   REC_COUNT=N    recordings loaded (default 100000; a multiple of 20)
#   REC_IMPORT=N   tarballs imported (default 300)
#   REC_DBS="postgres sqlite"   which databases (default both)
#   REC_BIN=PATH   bench this binary instead of building one
#   REC_PG_URL     an admin URL of the PostgreSQL (default postgres://postgres@127.0.0.1:5432/postgres)
# Needs wrk, pgbench, psql, curl and python3. Only 127.0.0.1 is contacted; every process started
# here is stopped and every temp file, data dir and database removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
secs=${1:-3}
conns=${2:-1}
count=${REC_COUNT:-100000}
imports=${REC_IMPORT:-300}
dbs=${REC_DBS:-postgres sqlite}
pg_admin=${REC_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
secret=bench-recordings-secret
nurls=1000 # distinct URLs per case (fewer when there are fewer meetings)

die() { echo "recordings.sh: error: $*" >&2; exit 1; }
note() { echo "recordings.sh: $*" >&2; }
[[ $secs =~ ^[1-9][0-9]*$ && $secs -le 600 ]] || die "seconds must be 1..600"
[[ $conns =~ ^[1-9][0-9]*$ && $conns -le 64 ]] || die "connections must be 1..64"
[[ $count =~ ^[1-9][0-9]*$ ]] && ((count % 20 == 0 && count >= 2000)) || die "REC_COUNT must be a multiple of 20, >= 2000"
[[ $imports =~ ^[1-9][0-9]*$ ]] || die "REC_IMPORT must be a positive number"
for t in wrk pgbench psql curl python3; do command -v $t >/dev/null || die "$t is needed"; done
meetings=$((count / 5)) # room-<m>: recordings m, m+M, … (5 each)
courses=$((count / 4))  # course-<c>: recordings c, c+C, … (4 each)
offset=$((count / 2))
nurls=$((meetings - 1 < nurls ? meetings - 1 : nurls))

if [[ -n ${REC_BIN:-} ]]; then
  bin=$(realpath "$REC_BIN")
else
  note "building the release binary"
  cargo build --release -q || die "cargo build --release failed"
  bin=${CARGO_TARGET_DIR:-$root/target}/release/scalelite
fi
[[ -x $bin ]] || die "$bin is not an executable"

work=$(mktemp -d "${TMPDIR:-/tmp}/scalelite-recbench.XXXXXX")
pgdb="scalelite_recbench_$$"
pg_url=$(python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/"+sys.argv[2])))' "$pg_admin" "$pgdb")
pid=
stop() {
  [[ -n $pid ]] || return 0
  kill -INT "$pid" 2>/dev/null || true # Pingora's fast shutdown
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop
  if ((rc != 0)); then for f in "$work"/*.log; do [[ -s $f ]] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }; done; fi
  psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS \"$pgdb\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=
for _ in $(seq 200); do p=$((20000 + RANDOM % 30000)); port_in_use $p || { port=$p; break; }; done
[[ -n $port ]] || die "no free loopback port"
base=http://127.0.0.1:$port
signed() { # query → path of a signed getRecordings
  printf '/bigbluebutton/api/getRecordings?%s&checksum=%s' "$1" \
    "$(printf 'getRecordings%s%s' "$1" "$secret" | sha256sum | cut -d' ' -f1)"
}

# ---------------------------------------------------------------- the pre-signed URLs, per case
python3 - "$work" "$secret" "$nurls" "$meetings" "$courses" "$offset" <<'EOF'
import hashlib, random, sys
work, secret, n, meetings, courses, offset = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
rnd = random.Random(9)
def path(q):
    c = hashlib.sha256(f"getRecordings{q}{secret}".encode()).hexdigest()
    return f"/bigbluebutton/api/getRecordings?{q}&checksum={c}"
cases = {
    "meeting": [f"meetingID=room-{m}" for m in rnd.sample(range(1, meetings), n)],
    "meta": [f"meta_course=course-{c}" for c in rnd.sample(range(1, courses), n)],
    "page": [f"limit=100&offset={offset + k}" for k in range(n)],
}
for name, qs in cases.items():
    rnd.shuffle(qs)
    with open(f"{work}/{name}.urls", "w") as f:
        f.write("".join(path(q) + "\n" for q in qs))
EOF
cat >"$work/rotate.lua" <<'EOF'
-- Each request takes the next of the pre-signed paths (one per line of the file given after --);
-- each thread starts at its own place in the list.
local paths, i = {}, 0
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  i = (tid or 0) * 397
end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
EOF

# wrk's latency (1.23ms, 456.00us, 1.20s) in ms.
to_ms() { awk -v v="$1" 'BEGIN{n=v+0; if (v ~ /us$/) n/=1000; else if (v ~ /ms$/) n=n; else if (v ~ /s$/) n*=1000; printf "%.3f", n}'; }
http_case() { # case → "rps p50 p99" (ms); a 1 s warm-up first
  local urls=$work/$1.urls out
  wrk -t"$((conns < 2 ? 1 : 2))" -c"$conns" -d1s -s "$work/rotate.lua" "$base" -- "$urls" >/dev/null
  out=$(wrk -t"$((conns < 2 ? 1 : 2))" -c"$conns" -d"${secs}s" --latency -s "$work/rotate.lua" "$base" -- "$urls")
  grep -q 'Non-2xx' <<<"$out" && die "HTTP errors in $1: $out"
  awk '/Requests\/sec/{r=$2} /^ +50%/{a=$2} /^ +99%/{b=$2} END{print r, a, b}' <<<"$out" |
    { read -r r a b; echo "$r $(to_ms "$a") $(to_ms "$b")"; }
}
percentiles() { # latencies in µs on stdin, one per line → "p50 p99" (ms)
  sort -n | awk '{v[NR]=$1} END{if (NR==0) {print "nan nan"; exit}
    i=int(NR*0.5); if(i<1)i=1; j=int(NR*0.99); if(j<1)j=1; printf "%.3f %.3f\n", v[i]/1000, v[j]/1000}'
}
# Every case answers SUCCESS with the expected number of recordings (and the page its total).
check_answers() {
  local a
  a=$(curl -sf "$base$(head -1 "$work/meeting.urls")")
  [[ $(grep -o '<recordID>' <<<"$a" | wc -l) == 5 ]] || die "meeting case: not 5 recordings: ${a:0:300}"
  a=$(curl -sf "$base$(head -1 "$work/meta.urls")")
  [[ $(grep -o '<recordID>' <<<"$a" | wc -l) == 4 ]] || die "meta case: not 4 recordings: ${a:0:300}"
  a=$(curl -sf "$base$(head -1 "$work/page.urls")")
  [[ $(grep -o '<recordID>' <<<"$a" | wc -l) == 100 ]] || die "page case: not 100 recordings: ${a:0:300}"
  grep -q "<totalElements>$count</totalElements>" <<<"$a" || die "page case: total is not $count"
}

start() { # db-name extra-env…
  local name=$1; shift
  mkdir -p "$work/$name"
  env LOADBALANCER_SECRET=$secret PORT=$port SCALELITE_DATA_DIR="$work/$name" RUST_LOG=error \
    RECORDING_IMPORT_POLL_INTERVAL=1 "$@" "$bin" serve >"$work/$name.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf "$base/health_check" >/dev/null && break; sleep 0.1; done
  # One call, so that Database::ready creates the schema.
  curl -sf "$base$(signed meetingID=none)" | grep -q SUCCESS || die "$name: getRecordings failed"
}

source "$root/benches/recordings_data.sh"

declare -A res=()
for db in $dbs; do
  case $db in
  postgres)
    psql -q "$pg_admin" -c "CREATE DATABASE \"$pgdb\"" >/dev/null
    start postgres DATABASE_URL="$pg_url"
    note "postgres: loading $count recordings"
    t0=$(date +%s.%N)
    pg_load "$pg_url"
    note "postgres: loaded in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
    ;;
  sqlite)
    start sqlite
    note "sqlite: loading $count recordings"
    t0=$(date +%s.%N)
    sqlite_load "$work/sqlite/recordings.sqlite3"
    note "sqlite: loaded in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
    ;;
  *) die "unknown database '$db' (postgres, sqlite)" ;;
  esac
  check_answers
  for c in meeting meta page; do
    res[$db.$c.http]=$(http_case $c)
    if [[ $db == postgres ]]; then res[$db.$c.sql]=$(pg_floor "$pg_url" $c)
    else res[$db.$c.sql]=$(sqlite_floor "$work/sqlite/recordings.sqlite3" $c); fi
  done
  res[$db.import]=$(import_run "$db")
  stop
  [[ $db == postgres ]] && psql -q "$pg_admin" -c "DROP DATABASE \"$pgdb\" WITH (FORCE)" >/dev/null
  rm -rf "${work:?}/$db"
done

echo "getRecordings at $count recordings, $conns connection(s), ${secs} s per case ($(nproc) CPUs, all shared)"
printf '%-9s %-8s %9s %9s %9s | %9s %9s | %s\n' db case 'http rps' 'http p50' 'http p99' 'sql p50' 'sql p99' 'http/sql p50'
for db in $dbs; do
  for c in meeting meta page; do
    read -r rps hp50 hp99 <<<"${res[$db.$c.http]}"
    read -r sp50 sp99 <<<"${res[$db.$c.sql]}"
    printf '%-9s %-8s %9.0f %7.2fms %7.2fms | %7.2fms %7.2fms | %.2f\n' "$db" "$c" "$rps" "$hp50" "$hp99" \
      "$sp50" "$sp99" "$(awk -v a="$hp50" -v b="$sp50" 'BEGIN{print (b>0)?a/b:0}')"
  done
done
for db in $dbs; do
  read -r n t <<<"${res[$db.import]}"
  printf 'import    %-8s %d tarballs in %.2f s = %.0f tarballs/s\n' "$db" "$n" "$t" "$(awk -v n="$n" -v t="$t" 'BEGIN{print n/t}')"
done
if [[ " $dbs " == *" postgres "* ]]; then
  read -r _ m50 _ <<<"${res[postgres.meeting.http]}"
  read -r _ p50 _ <<<"${res[postgres.page.http]}"
  awk -v m="$m50" -v p="$p50" 'BEGIN{printf "goals (postgres): meeting p50 %.2f ms <= 5: %s; page p50 %.2f ms <= 20: %s\n",
    m, (m<=5)?"met":"MISSED", p, (p<=20)?"met":"MISSED"}'
fi
