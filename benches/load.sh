#!/usr/bin/env bash
# Load bench of one `scalelite serve` against its ceilings, all measured in one run on loopback:
#   (a) join through scalelite (a 302 answered without calling BBB)  vs  (c) nginx's static 302
#   (b) getMeetingInfo through scalelite (proxied to its simulated BBB server)
#                                                 vs  (d) the same call sent straight to that server
#                                                 and (e) the same call through nginx proxy_pass
# Prints requests/s, p50 and p99 for each, the CPU each side spent per request, and the ratios
# join/nginx rps (goal >= 0.5), forwarded/direct p50 and p99 (goal <= 1.2), forwarded/direct rps.
#
#   benches/load.sh [seconds] [connections]        (default 10 s, 32 connections; wrk -t2)
#
# Builds the release binary, installs wrk and nginx when missing (apt-get; sudo when not root),
# and stops every process it started on exit. Only 127.0.0.1 is ever contacted.
#   LOAD_MEETINGS=N  meetings created before measuring (default 200)
#   LOAD_BBB_MS=MS   service time of a third simulated BBB server (default 2; 0 = skip it). The
#                    simulator normally answers in ~20 us, which no real BBB does (bbb-web takes
#                    milliseconds per API call); (f)-(h) repeat the forwarded-call measurements
#                    against a server that takes MS per answer, the case the proxy's latency
#                    overhead matters for in production. Both sets are printed.
#   LOAD_LOG=LEVEL   scalelite's log level (default error: no access log, like the nginx
#                    baseline's `access_log off`; info: an access line per request to a file)
#   LOAD_BIN=PATH    bench this scalelite binary instead of building one (A/B comparisons)
#   LOAD_PERF=1      after the measured runs (so the figures are not skewed): syscalls and
#                    context switches per request of each server (perf stat), then one more
#                    forwarded run under `perf record` with scalelite's hottest symbols; the
#                    perf data is kept and its directory printed.
#
# Everything shares the machine's CPUs: wrk, scalelite, the simulated BBB servers and nginx.
# A saturated closed loop (wrk) measures CPU per request more than anything else: p50 is about
# connections / rps, so the forwarded p50 ratio mostly mirrors the rps ratio. Run with 2
# connections (`benches/load.sh 10 2`) for latencies of an unloaded path. The "other CPU" column
# is what processes outside the bench used meanwhile: when it is not ~0 the figures are noisy.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

secs=${1:-10}
conns=${2:-32}
meetings=${LOAD_MEETINGS:-200}
bbb_ms=${LOAD_BBB_MS:-2}
# error: no access log, as nginx's baseline has access_log off; info: one line per request.
log_level=${LOAD_LOG:-error}
threads=2
warmup=1

die() { echo "load.sh: error: $*" >&2; exit 1; }
note() { echo "load.sh: $*" >&2; }
[[ $secs =~ ^[1-9][0-9]*$ && $secs -le 3600 ]] || die "seconds must be 1..3600 (got '$secs')"
[[ $conns =~ ^[1-9][0-9]*$ && $conns -le 10000 ]] || die "connections must be 1..10000 (got '$conns')"
[[ $meetings =~ ^[1-9][0-9]*$ && $meetings -le 10000 ]] || die "LOAD_MEETINGS must be 1..10000"
[[ $log_level =~ ^(error|warn|info)$ ]] || die "LOAD_LOG must be error, warn or info (got '$log_level')"
[[ $bbb_ms =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "LOAD_BBB_MS must be a number of milliseconds (got '$bbb_ms')"
slow=0
awk -v m="$bbb_ms" 'BEGIN{exit !(m > 0)}' && slow=1
((conns >= threads)) || die "connections must be >= $threads (wrk runs $threads threads)"
perf_mode=${LOAD_PERF:-0}

# ---------------------------------------------------------------- tools
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
find_nginx() { command -v nginx || { [[ -x /usr/sbin/nginx ]] && echo /usr/sbin/nginx; } || true; }
missing=()
command -v wrk >/dev/null || missing+=(wrk)
[[ -n $(find_nginx) ]] || missing+=(nginx)
command -v curl >/dev/null || missing+=(curl)
command -v pgrep >/dev/null || missing+=(procps)
if ((${#missing[@]})); then
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them"
  if [[ $(id -u) -ne 0 ]]; then command -v sudo >/dev/null || die "missing ${missing[*]}: not root and no sudo"; fi
  note "installing ${missing[*]} (apt-get)"
  # On a systemd host Debian's nginx package also starts the system nginx (port 80); this bench
  # does not use it and leaves it as the package set it up.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ||
    { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; } ||
    die "apt-get could not install ${missing[*]}"
fi
nginx_bin=$(find_nginx)
[[ -n $nginx_bin ]] || die "nginx not found after installing it"
command -v wrk >/dev/null || die "wrk not found after installing it"
if [[ $perf_mode == 1 ]]; then command -v perf >/dev/null || die "LOAD_PERF=1 needs perf (apt-get install linux-perf)"; fi

if [[ -n ${LOAD_BIN:-} ]]; then
  bin=$(realpath "$LOAD_BIN") && [[ -x $bin ]] || die "LOAD_BIN=$LOAD_BIN is not an executable"
  note "benching $bin (LOAD_BIN: no build)"
else
  note "building the release binary"
  cargo build --release || die "cargo build --release failed"
  bin=$root/target/release/scalelite
  [[ -x $bin ]] || die "$bin missing after the build"
fi

# ---------------------------------------------------------------- processes and clean-up
work=$(mktemp -d "${TMPDIR:-/tmp}/scalelite-load.XXXXXX")
declare -A pid_of=() # name -> pid of every long-running process started here
stop_pid() {         # pid signal: signal it, wait up to 5 s, then SIGKILL
  local pid=$1 sig=$2
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -"$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -n ${pid_of[perf]:-} ]] && stop_pid "${pid_of[perf]}" TERM
  # nginx: SIGTERM is its fast shutdown (the master stops its workers). scalelite: SIGINT is
  # Pingora's fast shutdown (SIGTERM would wait out the graceful period).
  [[ -n ${pid_of[nginx]:-} ]] && stop_pid "${pid_of[nginx]}" TERM
  [[ -n ${pid_of[scalelite]:-} ]] && stop_pid "${pid_of[scalelite]}" INT
  [[ -n ${pid_of[simulate]:-} ]] && stop_pid "${pid_of[simulate]}" TERM
  [[ -n ${pid_of[slowbbb]:-} ]] && stop_pid "${pid_of[slowbbb]}" TERM
  if ((rc != 0)) && [[ -d $work ]]; then
    for f in "$work"/*.log; do
      [[ -s $f ]] || continue
      echo "--- last lines of $(basename "$f")" >&2
      tail -n 15 "$f" >&2
    done
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Dies with the process's log when one of the servers has exited.
check_alive() {
  local name
  for name in simulate slowbbb scalelite nginx; do
    [[ -n ${pid_of[$name]:-} ]] || continue
    kill -0 "${pid_of[$name]}" 2>/dev/null || die "$name exited unexpectedly (log above)"
  done
}

# Free loopback ports, picked at random (no fixed port can collide with another bench).
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ports=()
pick_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 30000))
    [[ " ${ports[*]} " == *" $p "* ]] && continue
    port_in_use "$p" && continue
    ports+=("$p")
    return 0
  done
  die "no free loopback port found"
}
for _ in 1 2 3 4 5 6 7; do pick_port; done
sim1=${ports[0]} sim2=${ports[1]} lb_port=${ports[2]} nginx_port=${ports[3]} proxy_port=${ports[4]}
sim3=${ports[5]} slow_proxy_port=${ports[6]}

ccurl() { curl -sS --noproxy '*' --max-time 10 "$@"; }
sum() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
# wait_until <what> <tries of 0.1 s> <command...>
wait_until() {
  local what=$1 tries=$2 i
  shift 2
  for ((i = 0; i < tries; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    check_alive
    sleep 0.1
  done
  die "$what: not ready after $((tries / 10)) s"
}
answers() { # url pattern: the answer at url contains pattern
  local out
  out=$(ccurl "$1" 2>/dev/null) || return 1
  [[ $out == *"$2"* ]]
}

# ---------------------------------------------------------------- simulated BBB servers
sim_secret=load-sim-secret
secret=load-lb-secret
RUST_LOG=error "$bin" simulate --listen "127.0.0.1:$sim1" --listen "127.0.0.1:$sim2" --secret "$sim_secret" \
  >"$work/simulate.log" 2>&1 &
pid_of[simulate]=$!
sims=("$sim1" "$sim2")
if ((slow)); then
  # Its own process, so its sleeping answers share no runtime with the instant servers.
  RUST_LOG=error "$bin" simulate --listen "127.0.0.1:$sim3" --secret "$sim_secret" --service-time-ms "$bbb_ms" \
    >"$work/slowbbb.log" 2>&1 &
  pid_of[slowbbb]=$!
  sims+=("$sim3")
fi
for p in "${sims[@]}"; do
  wait_until "simulated BBB server on 127.0.0.1:$p" 100 answers "http://127.0.0.1:$p/bigbluebutton/api" SUCCESS
done

# ---------------------------------------------------------------- scalelite
# BIND keeps the listener on loopback (PORT alone would listen on every interface).
env LOADBALANCER_SECRET=$secret PORT=$lb_port BIND="tcp://127.0.0.1:$lb_port" \
  SCALELITE_DATA_DIR="$work/data" POLL_INTERVAL=5 RUST_LOG="$log_level" SCALELITE_LOG_FILE="$work/scalelite-file.log" \
  "$bin" serve >"$work/scalelite.log" 2>&1 &
pid_of[scalelite]=$!
lb=http://127.0.0.1:$lb_port
wait_until "scalelite health check on $lb" 150 ccurl -f "$lb/health_check"

admin_post() { # action json
  ccurl -H 'Content-Type: application/json' "$lb/scalelite/api/$1?checksum=$(sum "$1$secret")" -d "$2"
}
server_ids=()
for p in "${sims[@]}"; do
  # The slow server is tagged: only meetings asking for its tag go there (Scalelite's rule).
  tag=
  [[ $p == "$sim3" ]] && tag=',"tag":"slow-bbb"'
  out=$(admin_post addServer "{\"server\":{\"url\":\"http://127.0.0.1:$p/bigbluebutton/api/\",\"secret\":\"$sim_secret\"$tag}}") ||
    die "addServer for 127.0.0.1:$p: no answer"
  id=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' <<<"$out")
  [[ -n $id && $id != *[!A-Za-z0-9._:-]* ]] || die "addServer for 127.0.0.1:$p answered: $out"
  out=$(admin_post updateServer "{\"id\":\"$id\",\"server\":{\"state\":\"enable\"}}") || die "updateServer $id: no answer"
  [[ $out == *'"id"'* ]] || die "updateServer $id answered: $out"
  server_ids+=("$id")
done
# The poller (POLL_INTERVAL=5) brings them online.
for id in "${server_ids[@]}"; do
  q="id=$id"
  wait_until "server $id online" 300 answers "$lb/scalelite/api/getServerInfo?$q&checksum=$(sum "getServerInfo$q$secret")" '"online":"online"'
done

# ---------------------------------------------------------------- meetings
note "creating $meetings meetings"
for i in $(seq "$meetings"); do
  q="meetingID=load-$i&name=Load+bench+$i"
  echo "url = \"$lb/bigbluebutton/api/create?$q&checksum=$(sum "create$q$secret")\""
done >"$work/create.curl"
created=$(ccurl -K "$work/create.curl" | grep -o '<returncode>SUCCESS</returncode>' | wc -l) || true
((created == meetings)) || die "created $created of $meetings meetings"
if ((slow)); then
  q="meetingID=load-slow&name=Slow+BBB&meta_server-tag=slow-bbb"
  answers "$lb/bigbluebutton/api/create?$q&checksum=$(sum "create$q$secret")" SUCCESS || die "create on the slow BBB server failed"
  answers "http://127.0.0.1:$sim3/bigbluebutton/api/getMeetingInfo?meetingID=load-slow&checksum=$(sum "getMeetingInfomeetingID=load-slow$sim_secret")" SUCCESS ||
    die "meeting load-slow is not on the slow BBB server"
fi

# The benched meeting, and the simulated server that owns it.
mid="load-$(((meetings + 1) / 2))"
q="meetingID=$mid"
owner=
for p in "$sim1" "$sim2"; do
  if answers "http://127.0.0.1:$p/bigbluebutton/api/getMeetingInfo?$q&checksum=$(sum "getMeetingInfo$q$sim_secret")" SUCCESS; then
    owner=$p
  fi
done
[[ -n $owner ]] || die "no simulated server knows meeting $mid"
held=()
for p in "$sim1" "$sim2"; do
  n=$(ccurl "http://127.0.0.1:$p/bigbluebutton/api/getMeetings?checksum=$(sum "getMeetings$sim_secret")" | grep -o '<meetingID>' | wc -l) || true
  held+=("$n")
done
note "meetings per simulated server: ${held[*]}; benched meeting $mid is on 127.0.0.1:$owner"

# (a) join and (b) getMeetingInfo through scalelite, (d) straight to the owner, (e) via nginx.
jq_="meetingID=$mid&fullName=Jane+Doe&role=VIEWER"
url_join="$lb/bigbluebutton/api/join?$jq_&checksum=$(sum "join$jq_$secret")"
url_fwd="$lb/bigbluebutton/api/getMeetingInfo?$q&checksum=$(sum "getMeetingInfo$q$secret")"
direct_path="/bigbluebutton/api/getMeetingInfo?$q&checksum=$(sum "getMeetingInfo$q$sim_secret")"
url_direct="http://127.0.0.1:$owner$direct_path"
url_proxy="http://127.0.0.1:$proxy_port$direct_path"
q_slow="meetingID=load-slow"
url_fwd_slow="$lb/bigbluebutton/api/getMeetingInfo?$q_slow&checksum=$(sum "getMeetingInfo$q_slow$secret")"
slow_path="/bigbluebutton/api/getMeetingInfo?$q_slow&checksum=$(sum "getMeetingInfo$q_slow$sim_secret")"
url_direct_slow="http://127.0.0.1:$sim3$slow_path"
url_proxy_slow="http://127.0.0.1:$slow_proxy_port$slow_path"

read -r code location < <(ccurl -o /dev/null -w '%{http_code} %{redirect_url}\n' "$url_join") || die "join: no answer"
[[ $code == 302 && -n $location ]] || die "join answered $code (expected a 302 with a Location)"
out=$(ccurl "$url_fwd") || die "getMeetingInfo through scalelite: no answer"
[[ $out == *SUCCESS* ]] || die "getMeetingInfo through scalelite is not a SUCCESS: $out"
fwd_bytes=${#out}
out=$(ccurl "$url_direct") || die "getMeetingInfo on 127.0.0.1:$owner: no answer"
[[ $out == *SUCCESS* ]] || die "getMeetingInfo on 127.0.0.1:$owner is not a SUCCESS: $out"
((fwd_bytes == ${#out})) || note "warning: forwarded answer is $fwd_bytes bytes, direct one ${#out}"

# ---------------------------------------------------------------- nginx
mkdir -p "$work/nginx/tmp"
[[ $location != *[\"\$\\]* ]] || die "join Location cannot be put in nginx.conf: $location"
conf=$(<"$root/benches/load/nginx.conf.in")
conf=${conf//@PREFIX@/"$work/nginx"}
conf=${conf//@PORT@/"$nginx_port"}
conf=${conf//@PROXY_PORT@/"$proxy_port"}
conf=${conf//@OWNER@/"$owner"}
conf=${conf//@SLOW_PROXY_PORT@/"$slow_proxy_port"}
conf=${conf//@SLOW_OWNER@/"$sim3"}
conf=${conf//@LOCATION@/"$location"}
printf '%s\n' "$conf" >"$work/nginx/nginx.conf"
ngx=("$nginx_bin" -p "$work/nginx" -e "$work/nginx/nginx-error.log" -c "$work/nginx/nginx.conf")
"${ngx[@]}" -t -q >"$work/nginx.log" 2>&1 || die "nginx rejects its configuration: $(cat "$work/nginx.log")"
"${ngx[@]}" >>"$work/nginx.log" 2>&1 &
pid_of[nginx]=$!
url_nginx="http://127.0.0.1:$nginx_port/bigbluebutton/api/join?$jq_&checksum=$(sum "join$jq_$secret")"
ngx_ok() { [[ $(ccurl -o /dev/null -w '%{http_code}' "$url_nginx") == 302 ]] && answers "$url_proxy" SUCCESS; }
wait_until "nginx on 127.0.0.1:$nginx_port and :$proxy_port" 100 ngx_ok
if ((slow)); then
  answers "$url_fwd_slow" SUCCESS || die "getMeetingInfo of load-slow through scalelite is not a SUCCESS"
  answers "$url_proxy_slow" SUCCESS || die "getMeetingInfo of load-slow through nginx is not a SUCCESS"
fi

# ---------------------------------------------------------------- measuring
tck=$(getconf CLK_TCK)
ncpu=$(nproc)
# pids of a process and its children (nginx's workers)
family() { echo "$1" $(pgrep -P "$1" 2>/dev/null || true); }
# CPU time (clock ticks) of processes, all their threads included: user + system, or with
# ticks_of, the /proc/<pid>/stat expression given (e.g. $15, system time only).
ticks_of() {
  local expr=$1 total=0 p t
  shift
  for p in "$@"; do
    t=$(awk "{print $expr}" "/proc/$p/stat" 2>/dev/null) || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}
cpu_ticks() { ticks_of '$14 + $15' "$@"; }
sys_ticks() { ticks_of '$15' "$@"; }
# Busy CPU time of the whole machine (ticks): user nice system irq softirq steal.
machine_busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }
# CPU seconds of this shell's waited-for children (wrk), from bash's `times`; `times` must run
# in this shell (in a $(...) it would report the subshell's children).
children_secs() { awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); print u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$1"; }
per_req_us() { awk -v t="$1" -v n="$2" 'BEGIN{printf "%.1f", t * 1e6 / n}'; } # cpu-seconds requests

# Waits (at most 30 s) for a second in which processes outside the bench use under 15% of the
# CPUs: other builds and tests on a shared machine skew every figure.
wait_quiet() {
  local b0 b1 c0 c1 busy i pids=()
  for p in "${pid_of[@]}"; do pids+=($(family "$p")); done
  for ((i = 0; i < 30; i++)); do
    b0=$(machine_busy) c0=$(cpu_ticks "${pids[@]}")
    sleep 1
    b1=$(machine_busy) c1=$(cpu_ticks "${pids[@]}")
    busy=$(((b1 - b0 - (c1 - c0)) * 100 / (tck * ncpu)))
    ((busy < 15)) && return 0
  done
  note "warning: the machine stays busy (${busy}% of the CPUs used outside the bench); measuring anyway"
}

# measure <name> <url> <server-pid...>
declare -A rps p50 p99 errs reqs cpu wrk_cpu other kernel
measure() {
  local name=$1 url=$2
  shift 2
  wait_quiet
  wrk -t"$threads" -c"$conns" -d"${warmup}s" "$url" >/dev/null 2>&1 || die "wrk (warm-up) failed on $name"
  check_alive
  local pids=() p
  for p in "$@"; do pids+=($(family "$p")); done
  local c0 b0 w0 c1 b1 w1 k0 k1 parts=() before=()
  k0=$(sys_ticks $(family "$1"))
  for p in "$@"; do before+=("$(cpu_ticks $(family "$p"))"); done
  times >"$work/times0"
  c0=$(cpu_ticks "${pids[@]}") b0=$(machine_busy) w0=$(children_secs "$work/times0")
  wrk -t"$threads" -c"$conns" -d"${secs}s" --latency "$url" >"$work/wrk-$name.txt" 2>&1 ||
    die "wrk failed on $name: $(cat "$work/wrk-$name.txt")"
  times >"$work/times1"
  c1=$(cpu_ticks "${pids[@]}") b1=$(machine_busy) w1=$(children_secs "$work/times1")
  k1=$(sys_ticks $(family "$1"))
  check_alive
  local line i=0
  line=$(awk '
    function us(v) {
      if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000
      if (v ~ /s$/) return v * 1e6;  if (v ~ /m$/) return v * 6e7
      return v + 0
    }
    /Requests\/sec/ { r = $2 }
    / requests in / { n = $1 }
    /^ +50%/ { a = us($2) }
    /^ +99%/ { b = us($2) }
    /Non-2xx or 3xx/ { e += $NF }
    /Socket errors/ { for (i = 3; i <= NF; i++) { gsub(/,/, "", $i); if ($i ~ /^[0-9]+$/) e += $i } }
    END { if (r == "" || a == "" || b == "" || r <= 0 || n <= 0) exit 1; printf "%s %s %s %d %d\n", r, a, b, e, n }
  ' "$work/wrk-$name.txt") || die "cannot read wrk's output for $name: $(cat "$work/wrk-$name.txt")"
  read -r rps[$name] p50[$name] p99[$name] errs[$name] reqs[$name] <<<"$line"
  cpu[$name]=$(per_req_us "$(awk -v d=$((c1 - c0)) -v t="$tck" 'BEGIN{print d / t}')" "${reqs[$name]}")
  kernel[$name]=$(per_req_us "$(awk -v d=$((k1 - k0)) -v t="$tck" 'BEGIN{print d / t}')" "${reqs[$name]}")
  if (($# > 1)); then
    for p in "$@"; do
      parts+=("$(per_req_us "$(awk -v d=$(($(cpu_ticks $(family "$p")) - before[i])) -v t="$tck" 'BEGIN{print d / t}')" "${reqs[$name]}")")
      i=$((i + 1))
    done
    local joined=${parts[0]}
    for p in "${parts[@]:1}"; do joined+=" + $p"; done
    cpu[$name]+=" ($joined)"
  fi
  local wsecs
  wsecs=$(awk -v a="$w0" -v b="$w1" 'BEGIN{print b - a}')
  wrk_cpu[$name]=$(per_req_us "$wsecs" "${reqs[$name]}")
  # What the rest of the machine used meanwhile, in % of all CPUs.
  other[$name]=$(awk -v b=$((b1 - b0)) -v c=$((c1 - c0)) -v w="$wsecs" -v t="$tck" -v s="$secs" -v n="$ncpu" \
    'BEGIN{o = (b / t - c / t - w) / (s * n) * 100; if (o < 0) o = 0; printf "%.0f%%", o}')
  if ((errs[$name] != 0)); then
    note "warning: $name had ${errs[$name]} errors or non-2xx/3xx answers:"
    cat "$work/wrk-$name.txt" >&2
  fi
  note "$name: ${rps[$name]} req/s, p50 ${p50[$name]} us, p99 ${p99[$name]} us, other CPU ${other[$name]}"
}

note "load average before measuring: $(cut -d' ' -f1-3 /proc/loadavg) on $ncpu CPUs"
note "measuring: wrk -t$threads -c$conns, ${secs}s each after a ${warmup}s warm-up"
measure nginx "$url_nginx" "${pid_of[nginx]}"
measure join "$url_join" "${pid_of[scalelite]}"
measure direct "$url_direct" "${pid_of[simulate]}"
measure forwarded "$url_fwd" "${pid_of[scalelite]}" "${pid_of[simulate]}"
measure proxied "$url_proxy" "${pid_of[nginx]}" "${pid_of[simulate]}"
if ((slow)); then
  measure direct_slow "$url_direct_slow" "${pid_of[slowbbb]}"
  measure forwarded_slow "$url_fwd_slow" "${pid_of[scalelite]}" "${pid_of[slowbbb]}"
  measure proxied_slow "$url_proxy_slow" "${pid_of[nginx]}" "${pid_of[slowbbb]}"
fi
answers "$url_fwd" SUCCESS || die "getMeetingInfo through scalelite no longer a SUCCESS after the run"

# ---------------------------------------------------------------- report
echo
echo "scalelite load bench: $ncpu CPUs, wrk -t$threads -c$conns -d${secs}s, $meetings meetings on 2 simulated servers, scalelite log level $log_level"
printf '%-36s %9s %8s %8s %6s %6s %7s  %s\n' "" "req/s" "p50 ms" "p99 ms" "other" "wrk" "kernel" "server CPU us/req"
row() {
  awk -v l="$1" -v r="${rps[$2]}" -v a="${p50[$2]}" -v b="${p99[$2]}" -v c="${cpu[$2]}" \
    -v o="${other[$2]}" -v w="${wrk_cpu[$2]}" -v k="${kernel[$2]}" \
    'BEGIN{printf "%-36s %9.0f %8.3f %8.3f %6s %6s %7s  %s\n", l, r, a / 1000, b / 1000, o, w, k, c}'
}
row "(a) join via scalelite" join
row "(c) nginx static 302" nginx
row "(b) getMeetingInfo via scalelite" forwarded
row "(d) getMeetingInfo direct to BBB" direct
row "(e) getMeetingInfo via nginx proxy" proxied
if ((slow)); then
  echo "  the same call to a BBB server that takes $bbb_ms ms per answer:"
  row "(f) getMeetingInfo via scalelite" forwarded_slow
  row "(g) getMeetingInfo direct to BBB" direct_slow
  row "(h) getMeetingInfo via nginx proxy" proxied_slow
fi
echo "  other: CPU used by processes outside the bench meanwhile (% of all CPUs; ~0 = clean run)"
echo "  wrk / server CPU: CPU microseconds per request; (b) is scalelite + BBB, (e) nginx + BBB"
echo "  kernel: the part of the first server's CPU spent in the kernel (system time), us/request"
echo
ratio() { # label numerator denominator goal-op goal
  awk -v l="$1" -v n="$2" -v d="$3" -v op="$4" -v g="$5" 'BEGIN{
    r = n / d
    printf "%-36s %6.2f", l, r
    if (op == ">=") printf "   (goal >= %s: %s)", g, r >= g ? "met" : "MISSED"
    if (op == "<=") printf "   (goal <= %s: %s)", g, r <= g ? "met" : "MISSED"
    printf "\n"
  }'
}
ratio "join rps / nginx rps" "${rps[join]}" "${rps[nginx]}" ">=" 0.5
ratio "forwarded p50 / direct p50" "${p50[forwarded]}" "${p50[direct]}" "<=" 1.2
ratio "forwarded p99 / direct p99" "${p99[forwarded]}" "${p99[direct]}" "<=" 1.2
ratio "forwarded rps / direct rps" "${rps[forwarded]}" "${rps[direct]}" "" ""
ratio "nginx-proxied rps / direct rps" "${rps[proxied]}" "${rps[direct]}" "" ""
ratio "forwarded rps / nginx-proxied rps" "${rps[forwarded]}" "${rps[proxied]}" "" ""
ratio "nginx-proxied p50 / direct p50" "${p50[proxied]}" "${p50[direct]}" "" ""
if ((slow)); then
  echo "with a BBB server taking $bbb_ms ms per answer:"
  ratio "forwarded p50 / direct p50 (f/g)" "${p50[forwarded_slow]}" "${p50[direct_slow]}" "<=" 1.2
  ratio "forwarded p99 / direct p99 (f/g)" "${p99[forwarded_slow]}" "${p99[direct_slow]}" "<=" 1.2
  ratio "nginx-proxied p50 / direct p50 (h/g)" "${p50[proxied_slow]}" "${p50[direct_slow]}" "" ""
fi

[[ $perf_mode == 1 ]] || exit 0

# ---------------------------------------------------------------- optional profile
keep=$(mktemp -d "${TMPDIR:-/tmp}/scalelite-load-perf.XXXXXX")
echo
echo "profile (perf data kept in $keep)"
events=syscalls:sys_enter_read,syscalls:sys_enter_recvfrom,syscalls:sys_enter_write,syscalls:sys_enter_writev
events+=,syscalls:sys_enter_sendto,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_futex
events+=,syscalls:sys_enter_connect,syscalls:sys_enter_accept4,context-switches
# counts <name> <url> <label> <server-pid>: perf stat of one server during a wrk run.
counts() {
  local name=$1 url=$2 label=$3 pids n
  pids=$(family "$4" | tr ' ' ',')
  # perf stops by itself (`-- sleep`): a background job of a script ignores SIGINT.
  perf stat -x, -e "$events" -p "$pids" -o "$keep/stat-$name-$label.csv" -- sleep "$((secs + 1))" >/dev/null 2>&1 &
  pid_of[perf]=$!
  sleep 0.3
  wrk -t"$threads" -c"$conns" -d"${secs}s" "$url" >"$keep/wrk-stat-$name-$label.txt" 2>&1 || true
  wait "${pid_of[perf]}" || true
  unset 'pid_of[perf]'
  n=$(awk '/requests in/{print $1}' "$keep/wrk-stat-$name-$label.txt")
  [[ -n $n && $n -gt 0 ]] || { note "no requests counted for $name ($label)"; return 0; }
  awk -F, -v n="$n" -v l="$name: $label" '
    $3 ~ /sys_enter_|context-switches/ { e = $3; sub(/.*sys_enter_/, "", e); v[e] = $1 / n }
    END {
      printf "%-30s rd %4.2f  recv %4.2f  wr %4.2f  wrv %4.2f  send %4.2f  epoll %4.2f  futex %4.2f  connect %6.4f  accept %6.4f  ctxsw %4.2f\n", l,
        v["read"], v["recvfrom"], v["write"], v["writev"], v["sendto"], v["epoll_wait"], v["futex"], v["connect"], v["accept4"], v["context-switches"]
    }' "$keep/stat-$name-$label.csv"
}
echo "syscalls and context switches per request (perf stat; wrk -c$conns):"
counts join "$url_join" scalelite "${pid_of[scalelite]}"
counts forwarded "$url_fwd" scalelite "${pid_of[scalelite]}"
counts forwarded "$url_fwd" bbb "${pid_of[simulate]}"
counts direct "$url_direct" bbb "${pid_of[simulate]}"
counts proxied "$url_proxy" nginx "${pid_of[nginx]}"
counts proxied "$url_proxy" bbb "${pid_of[simulate]}"

perf record -F 999 --call-graph dwarf,16384 -o "$keep/perf.data" -p "${pid_of[scalelite]}" \
  -- sleep "$((secs + 1))" >"$keep/perf-record.log" 2>&1 &
pid_of[perf]=$!
sleep 0.3
wrk -t"$threads" -c"$conns" -d"${secs}s" "$url_fwd" >"$keep/wrk-record.txt" 2>&1 || true
wait "${pid_of[perf]}" || true
unset 'pid_of[perf]'
report() { perf report -i "$keep/perf.data" --stdio -g none "$@" 2>/dev/null | grep -v '^#' | grep -v '^$' | sed -E 's/ +- +- *$//; s/ +$//'; }
report --no-children --sort dso >"$keep/report-dso.txt" || true
report --no-children --sort dso,symbol >"$keep/report-self.txt" || true
report --children --sort symbol --percent-limit 2 >"$keep/report-children.txt" || true
echo
echo "scalelite during a forwarded run, self time by object:"
head -5 "$keep/report-dso.txt"
echo "hottest symbols (self; full list: $keep/report-self.txt):"
head -25 "$keep/report-self.txt" | cut -c1-160
echo "inclusive (children) time by symbol: $keep/report-children.txt"
