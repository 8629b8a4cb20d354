#!/bin/bash
# Builds the scalelite .deb and proves it installs, starts, reloads without downtime, stops and
# purges cleanly on this Debian machine WITHOUT a running systemd: the unit's ExecStartPre,
# ExecStart and ExecReload command lines are read from the installed unit and run the way
# systemd would (user scalelite, Environment= then EnvironmentFile= re-read for every command,
# WorkingDirectory, $MAINPID from PIDFile).
# Needs root (dpkg -i), curl, openssl, wrk (else a curl loop), logrotate, bc.
# DESTRUCTIVE: installs, edits /etc/default/scalelite, purges the package; use a disposable machine.
# Usage: packaging/test-deb.sh [path/to/scalelite.deb]   (no argument: build it with cargo deb)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
UNIT=/lib/systemd/system/scalelite.service
PASSED=(); FAILED=()
pass() { PASSED+=("$1"); echo "  ok    $1"; }
fail() { FAILED+=("$1"); echo "  FAIL  $1"; }
check() { local name=$1; shift; if "$@" >/dev/null 2>&1; then pass "$name"; else fail "$name"; fi; }
not() { ! "$@"; }
summary() {
    echo
    echo "==== test-deb summary: ${#PASSED[@]} passed, ${#FAILED[@]} failed ===="
    for f in "${FAILED[@]+"${FAILED[@]}"}"; do echo "  FAILED: $f"; done
    if [ ${#FAILED[@]} -eq 0 ]; then echo "PASS"; exit 0; else echo "FAIL"; exit 1; fi
}
[ "$(id -u)" -eq 0 ] || { echo "run as root (dpkg -i)"; exit 2; }
TMP=$(mktemp -d /tmp/scalelite-deb-test.XXXXXX); chmod 755 "$TMP"
PIDS=()   # every scalelite daemon seen, killed on exit
# Alive and not a zombie (PID 1 here may not reap the reparented daemons).
alive() { local s; s=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null); [ -n "$s" ] && [ "$s" != Z ]; }
cleanup() {
    for p in "${PIDS[@]+"${PIDS[@]}"}"; do alive "$p" && kill -KILL "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT
# Waits up to $1 seconds for "$2..." to succeed.
wait_for() { local t=$1; shift; local end; end=$(echo "$(date +%s.%N) + $t" | bc)
    until "$@" >/dev/null 2>&1; do
        [ "$(echo "$(date +%s.%N) < $end" | bc)" = 1 ] || return 1; sleep 0.2; done; }
since() { printf '%.1f' "$(echo "$(date +%s.%N) - $1" | bc)"; }

echo "== 1. build"
if [ $# -ge 1 ]; then
    DEB=$1
else
    cd "$ROOT"
    if cargo deb --version >/dev/null 2>&1; then
        cargo deb 2>&1 | tee "$TMP/build.log" | tail -3
        DEB=$(tail -1 "$TMP/build.log")
    else
        echo "cargo-deb missing (cargo install cargo-deb --locked)"; DEB=
    fi
fi
if [ -n "$DEB" ] && [ -f "$DEB" ]; then pass "built $(basename "$DEB")"; else fail "build .deb"; summary; fi
dpkg-deb --info "$DEB" | sed -n '/Package:/,$p' | grep -E '^ (Package|Version|Architecture|Depends|Recommends):'

echo "== 2. install"
if dpkg -s scalelite >/dev/null 2>&1; then dpkg --purge scalelite >/dev/null 2>&1; fi
if dpkg -i "$DEB" >"$TMP/dpkg-i.log" 2>&1; then pass "dpkg -i"; else cat "$TMP/dpkg-i.log"; fail "dpkg -i"; summary; fi

echo "== 3. files, owners, conffiles, user"
LIST=$(dpkg -L scalelite)
CONFFILES=(/etc/scalelite/scalelite.yaml /etc/default/scalelite /etc/logrotate.d/scalelite)
for f in /usr/bin/scalelite "${CONFFILES[@]}" $UNIT /usr/share/doc/scalelite/examples/certbot-deploy-hook; do
    check "dpkg -L lists $f" grep -qx "$f" <<<"$LIST"
done
CONFF=$(dpkg-query -W -f='${Conffiles}\n' scalelite)
echo "$CONFF" | sed 's/^/        /'
for f in "${CONFFILES[@]}"; do check "conffile $f" grep -q "^ $f " <<<"$CONFF"; done
check "no other conffile" test "$(grep -c . <<<"$CONFF")" -eq ${#CONFFILES[@]}
check "/usr/bin/scalelite root:root 755" test "$(stat -c '%U:%G %a' /usr/bin/scalelite)" = "root:root 755"
check "/etc/logrotate.d/scalelite root:root 644" test "$(stat -c '%U:%G %a' /etc/logrotate.d/scalelite)" = "root:root 644"
check "/usr/bin/scalelite runs" /usr/bin/scalelite --version
check "user scalelite exists" getent passwd scalelite
check "group scalelite exists" getent group scalelite
check "scalelite is a system user (uid < 1000)" test "$(id -u scalelite 2>/dev/null || echo 99999)" -lt 1000
check "scalelite has no login shell" grep -Eq '^scalelite:.*:/(usr/)?s?bin/(nologin|false)$' /etc/passwd
for d in /var/lib/scalelite /var/log/scalelite; do
    check "$d scalelite:scalelite 750" test "$(stat -c '%U:%G %a' $d 2>/dev/null)" = "scalelite:scalelite 750"
done
for f in /etc/default/scalelite /etc/scalelite/scalelite.yaml; do
    check "$f root:scalelite 640" test "$(stat -c '%U:%G %a' $f)" = "root:scalelite 640"
done
check "LOADBALANCER_SECRET= placeholder in /etc/default/scalelite" grep -qx 'LOADBALANCER_SECRET=' /etc/default/scalelite
check "enabled at boot (wants/ symlink)" test -L /etc/systemd/system/multi-user.target.wants/scalelite.service
if command -v logrotate >/dev/null 2>&1; then
    logrotate -d /etc/logrotate.d/scalelite >"$TMP/logrotate-d.log" 2>&1
    if grep -qi 'error' "$TMP/logrotate-d.log"; then
        sed 's/^/        /' "$TMP/logrotate-d.log"; fail "logrotate -d /etc/logrotate.d/scalelite: no error"
    else pass "logrotate -d /etc/logrotate.d/scalelite: no error"; fi
fi

echo "== 4. unit file"
unit_val() { sed -n "s/^$1=//p" $UNIT; }
for d in 'Type=forking' 'PIDFile=/var/lib/scalelite/scalelite.pid' 'User=scalelite' \
         'Environment=SCALELITE_DATA_DIR=/var/lib/scalelite' \
         'Environment=SCALELITE_LOG_FILE=/var/log/scalelite/scalelite.log' \
         'EnvironmentFile=-/etc/default/scalelite' 'StateDirectory=scalelite' 'LogsDirectory=scalelite' \
         'KillSignal=SIGTERM' 'KillMode=control-group' 'Restart=always' 'NoNewPrivileges=yes' \
         'ProtectSystem=strict' 'PrivateTmp=yes' 'AmbientCapabilities=CAP_NET_BIND_SERVICE' \
         'ExecStartPre=/usr/bin/scalelite serve .*--test' 'ExecStart=/usr/bin/scalelite serve (.* )?-d( .*)?'; do
    check "unit: $d" grep -Eqx "$d" $UNIT
done
check "unit: ReadWritePaths has /var/lib/scalelite and /var/log/scalelite" bash -c \
    "grep -E '^ReadWritePaths=' $UNIT | grep -q /var/lib/scalelite && grep -E '^ReadWritePaths=' $UNIT | grep -q /var/log/scalelite"
check "unit: RestrictAddressFamilies has AF_UNIX (upgrade.sock)" grep -Eq '^RestrictAddressFamilies=.*AF_UNIX' $UNIT
mapfile -t RELOAD < <(unit_val ExecReload)
printf '        ExecReload=%s\n' "${RELOAD[@]+"${RELOAD[@]}"}"
check "unit: 3 ExecReload lines" test ${#RELOAD[@]} -eq 3
check "unit: ExecReload 1 validates (--test)" grep -Eq '^/usr/bin/scalelite serve .*--test' <<<"${RELOAD[0]:-}"
check "unit: ExecReload 2 sends SIGQUIT to \$MAINPID" grep -Eq '^/bin/kill -QUIT \$MAINPID$' <<<"${RELOAD[1]:-}"
takes_over() { [[ $1 == "/usr/bin/scalelite serve "* && " $1 " == *" -u "* && " $1 " == *" -d "* ]]; }
check "unit: ExecReload 3 takes the sockets over (serve -u -d)" takes_over "${RELOAD[2]:-}"
STOP_TIMEOUT=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s\?$/\1/p' $UNIT); STOP_TIMEOUT=${STOP_TIMEOUT:-90}
check "unit: TimeoutStopSec=$STOP_TIMEOUT > 5 s grace + 5 s drain + margin" test "$STOP_TIMEOUT" -ge 20
if command -v systemd-analyze >/dev/null 2>&1; then
    if systemd-analyze verify $UNIT >"$TMP/verify.log" 2>&1 && ! grep -q 'scalelite.service' "$TMP/verify.log"; then
        pass "systemd-analyze verify $UNIT"
    else
        sed 's/^/        /' "$TMP/verify.log"; fail "systemd-analyze verify $UNIT"
    fi
else
    echo "  skip  systemd-analyze not installed (apt-get install systemd)"
fi

# ---- Running the unit's commands as systemd would ----
PIDFILE=$(unit_val PIDFile)
ENVFILE=$(unit_val EnvironmentFile | sed 's/^-//')
WD=$(unit_val WorkingDirectory); WD=${WD:-/}
LOG_FILE=$(unit_val Environment | sed -n 's/^SCALELITE_LOG_FILE=//p')
MAINPID=
# Environment: Environment= lines, then EnvironmentFile= read afresh for every command.
unit_env() {
    ENVV=(PATH=/usr/local/bin:/usr/bin:/bin HOME=/var/lib/scalelite USER=scalelite LOGNAME=scalelite)
    [ -n "$MAINPID" ] && ENVV+=("MAINPID=$MAINPID")
    while IFS= read -r l; do ENVV+=("$l"); done < <(unit_val Environment)
    while IFS= read -r l; do ENVV+=("$l"); done < <(grep -E '^[A-Za-z_][A-Za-z0-9_]*=' "$ENVFILE" 2>/dev/null)
}
# One Exec line: systemd's prefixes dropped, $MAINPID substituted, run as the unit's user.
as_unit() {
    local cmd=$1
    cmd=$(sed -E 's/^[-@:+!]+//' <<<"$cmd"); cmd=${cmd//\$\{MAINPID\}/$MAINPID}; cmd=${cmd//\$MAINPID/$MAINPID}
    unit_env
    (cd "$WD" && exec setpriv --reuid=scalelite --regid=scalelite --init-groups env -i "${ENVV[@]}" $cmd)
}
read_pid() { tr -dc '0-9' <"$PIDFILE" 2>/dev/null; }
pid_file_alive() { local p; p=$(read_pid); [ -n "$p" ] && alive "$p"; }
# ExecReload: its lines in order; the first failure aborts the reload (as systemd does).
reload() {
    local i=0 line
    RELOAD_FAILED_AT=
    for line in "${RELOAD[@]}"; do
        i=$((i + 1))
        echo "        reload $i: $line" >>"$TMP/reload.log"
        as_unit "$line" >>"$TMP/reload.log" 2>&1 || { RELOAD_FAILED_AT=$i; return 1; }
        [ $i -eq 2 ] && T_QUIT=$(date +%s.%N)
    done
    # What systemd does when the reload ends: re-read PIDFile.
    wait_for 10 pid_file_alive && MAINPID=$(read_pid) && PIDS+=("$MAINPID")
}
PORT=3000
port_busy() { ss -ltnH "( sport = :$1 )" 2>/dev/null | grep -q .; }
while port_busy $PORT; do PORT=$((PORT + 1)); done
TPORT=$((PORT + 443)); while port_busy $TPORT; do TPORT=$((TPORT + 1)); done
MPORT=19464; while port_busy $MPORT; do MPORT=$((MPORT + 1)); done
BASE=http://127.0.0.1:$PORT
echo "        port $PORT, TLS $TPORT, metrics 127.0.0.1:$MPORT; env file $ENVFILE; pid file $PIDFILE"

echo "== 5. ExecStartPre / ExecStart (daemon) as the unit runs them"
mapfile -t PRE < <(unit_val ExecStartPre); START=$(unit_val ExecStart)
check "ExecStartPre refuses the unedited $ENVFILE (empty secret)" not as_unit "${PRE[0]}"
# Edit the real EnvironmentFile as an operator would: secret, ports, a build number, TLS.
TLS=/etc/scalelite/tls; mkdir -p $TLS
new_cert() { openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
    -keyout $TLS/privkey.pem -out $TLS/fullchain.pem >/dev/null 2>&1
    chown root:scalelite $TLS/*.pem; chmod 0640 $TLS/*.pem; }
HOOK=/usr/share/doc/scalelite/examples/certbot-deploy-hook
# A renewal as certbot does it: a root-only lineage, then the packaged deploy hook (its reload
# is the unit's ExecReload, run below, since there is no systemctl here).
renew_cert() { local live=$TMP/letsencrypt/live/deb-test; mkdir -p "$live"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
        -keyout "$live/privkey.pem" -out "$live/fullchain.pem" >/dev/null 2>&1
    chmod 0600 "$live/privkey.pem"
    RENEWED_LINEAGE=$live SCALELITE_TLS_DOMAIN=deb-test SCALELITE_RELOAD_COMMAND=true "$HOOK"; }
new_cert deb-test-cert-1
sed -i 's/^LOADBALANCER_SECRET=$/LOADBALANCER_SECRET=deb-test-secret-0123456789/' "$ENVFILE"
cat >>"$ENVFILE" <<EOF
PORT=$PORT
SCALELITE_METRICS_LISTEN=127.0.0.1:$MPORT
BUILD_NUMBER=deb-test-build-1
SCALELITE_TLS_CERT=$TLS/fullchain.pem
SCALELITE_TLS_KEY=$TLS/privkey.pem
SCALELITE_TLS_LISTEN=127.0.0.1:$TPORT
EOF
for l in "${PRE[@]}"; do echo "        \$ $l"; done
PRE_OK=1; for l in "${PRE[@]}"; do as_unit "$l" >>"$TMP/pre.log" 2>&1 || PRE_OK=; done
if [ -n "$PRE_OK" ]; then pass "ExecStartPre (--test) as scalelite"; else fail "ExecStartPre (--test) as scalelite"; fi
sed 's/^/        /' "$TMP/pre.log"
# Runs "$@" with PORT=notaport appended to the EnvironmentFile, then restores it.
with_bad_port() { local r; cp "$ENVFILE" "$TMP/env.bak"; echo PORT=notaport >>"$ENVFILE"
    "$@"; r=$?; cp "$TMP/env.bak" "$ENVFILE"; return $r; }
check "ExecStartPre refuses an invalid env (PORT=notaport appended)" not with_bad_port as_unit "${PRE[0]}"
echo "        \$ $START"
T0=$(date +%s.%N)
if as_unit "$START" >"$TMP/serve.log" 2>&1; then pass "ExecStart (-d) returns 0 after forking ($(since "$T0") s)"
else fail "ExecStart (-d) returns 0 after forking"; fi
if wait_for 10 pid_file_alive; then MAINPID=$(read_pid); PIDS+=("$MAINPID"); pass "PIDFile $PIDFILE names a live process ($MAINPID)"
else fail "PIDFile $PIDFILE names a live process"; fi
HC=
for _ in $(seq 1 60); do
    HC=$(curl -s --max-time 2 "$BASE/health_check" 2>/dev/null); [ "$HC" = "success" ] && break; sleep 0.5
done
if [ "$HC" = "success" ]; then pass "GET /health_check = success"; else fail "GET /health_check = success (got '$HC')"; fi
check "daemon runs as user scalelite" test "$(ps -o user= -p "${MAINPID:-0}" 2>/dev/null | tr -d ' ')" = "scalelite"
SIGNED=$(printf 'getMeetings%s' deb-test-secret-0123456789 | sha256sum | cut -d' ' -f1)
check "secret from $ENVFILE accepted (getMeetings SUCCESS)" bash -c \
    "curl -s '$BASE/bigbluebutton/api/getMeetings?checksum=$SIGNED' | grep -q SUCCESS"
check "index shows BUILD_NUMBER deb-test-build-1" bash -c "curl -s $BASE/bigbluebutton/api | grep -q '<build>deb-test-build-1</build>'"
serves_cert() { openssl s_client -connect "127.0.0.1:$TPORT" </dev/null 2>/dev/null \
    | openssl x509 -noout -subject 2>/dev/null | grep -q "$1"; }
check "TLS listener serves deb-test-cert-1" serves_cert deb-test-cert-1
check "pid file and state under /var/lib/scalelite, owned by scalelite" bash -c \
    "test -n \"\$(find /var/lib/scalelite -mindepth 1 -user scalelite)\" && test \"\$(stat -c %U $PIDFILE)\" = scalelite"

echo "== 6. reload under load: new config (BUILD_NUMBER), renewed certificate, zero failed requests"
OLD=$MAINPID
LOG_LINES_BEFORE=$(wc -l <"$LOG_FILE" 2>/dev/null || echo 0)
sed -i 's/^BUILD_NUMBER=.*/BUILD_NUMBER=deb-test-build-2/' "$ENVFILE"
check "certbot deploy hook installs the renewed certificate" renew_cert deb-test-cert-2
check "hook leaves the key root:scalelite 0640" test "$(stat -c '%U:%G %a' $TLS/privkey.pem)" = "root:scalelite 640"
LOAD_SECS=12
if command -v wrk >/dev/null 2>&1; then
    wrk -t1 -c8 -d${LOAD_SECS}s "$BASE/bigbluebutton/api" >"$TMP/load.txt" 2>&1 & LOAD=$!
else  # curl loop: one line per request, "000" = connection failure
    (end=$(($(date +%s) + LOAD_SECS)); while [ "$(date +%s)" -lt $end ]; do
        curl -s -o /dev/null -w '%{http_code}\n' --max-time 5 "$BASE/bigbluebutton/api"; done) >"$TMP/load.txt" & LOAD=$!
fi
sleep 2
T_QUIT=
T_RELOAD=$(date +%s.%N)
if reload; then pass "ExecReload lines all succeed ($(since "$T_RELOAD") s)"; else fail "ExecReload lines all succeed"; fi
sed 's/^/    /' "$TMP/reload.log"
wait $LOAD
if command -v wrk >/dev/null 2>&1; then
    sed 's/^/        | /' "$TMP/load.txt"
    REQS=$(awk '/requests in/{print $1}' "$TMP/load.txt")
    ERRS=$(awk '/Socket errors/{gsub(",","");print $4+$6+$8+$10}' "$TMP/load.txt")
    NON2=$(awk '/Non-2xx or 3xx/{print $5}' "$TMP/load.txt")
else
    REQS=$(grep -c . "$TMP/load.txt"); ERRS=$(grep -c '^000$' "$TMP/load.txt"); NON2=$(grep -vc '^[23]' "$TMP/load.txt")
    echo "        $REQS requests, $ERRS connection failures, $NON2 non-2xx/3xx"
fi
check "load ran through the reload (${REQS:-0} requests)" test "${REQS:-0}" -gt 0
check "zero socket errors during the reload (got ${ERRS:-0})" test "${ERRS:-0}" -eq 0
check "zero non-2xx answers during the reload (got ${NON2:-0})" test "${NON2:-0}" -eq 0
new_main() { [ -n "$MAINPID" ] && [ "$MAINPID" != "$OLD" ] && alive "$MAINPID"; }
check "PIDFile now names a new live process ($OLD -> $MAINPID)" new_main
check "new process runs as user scalelite" test "$(ps -o user= -p "${MAINPID:-0}" 2>/dev/null | tr -d ' ')" = "scalelite"
if wait_for 20 not alive "$OLD"; then
    pass "old process $OLD exited $(since "${T_QUIT:-$T_RELOAD}") s after its SIGQUIT (< 20 s)"
else fail "old process $OLD exited within 20 s of its SIGQUIT"; fi
check "GET /health_check = success after the reload" bash -c "curl -s $BASE/health_check | grep -qx success"
check "reload applied the edited $ENVFILE (index shows deb-test-build-2)" bash -c \
    "curl -s $BASE/bigbluebutton/api | grep -q '<build>deb-test-build-2</build>'"
check "reload picked up the renewed certificate (serves deb-test-cert-2)" serves_cert deb-test-cert-2

echo "== 7. reload with an invalid configuration is refused, the service keeps running"
BEFORE=$MAINPID; : >"$TMP/reload.log"
check "ExecReload fails" not with_bad_port reload
check "the reload stopped at its first line (--test), before the SIGQUIT" test "${RELOAD_FAILED_AT:-}" = 1
sleep 1
same_main() { alive "$BEFORE" && [ "$(read_pid)" = "$BEFORE" ]; }
check "same main process still running ($BEFORE)" same_main
check "still serving (health_check)" bash -c "curl -s $BASE/health_check | grep -qx success"

echo "== 8. log file $LOG_FILE and logrotate"
if [ -z "$LOG_FILE" ]; then fail "unit sets SCALELITE_LOG_FILE"
elif [ ! -s "$LOG_FILE" ]; then
    fail "log file $LOG_FILE written by the daemon (missing or empty: is SCALELITE_LOG_FILE honoured by this binary?)"
else
    pass "log file $LOG_FILE written by the daemon ($(wc -l <"$LOG_FILE") lines)"
    check "log file owned by scalelite" test "$(stat -c %U "$LOG_FILE")" = scalelite
    check "log file grew during the reload ($LOG_LINES_BEFORE -> $(wc -l <"$LOG_FILE") lines)" \
        test "$(wc -l <"$LOG_FILE")" -gt "$LOG_LINES_BEFORE"
    check "log file has the old process's SIGQUIT hand-over" grep -q 'SIGQUIT' "$LOG_FILE"
    if command -v logrotate >/dev/null 2>&1; then
        if logrotate -f -s "$TMP/logrotate.state" /etc/logrotate.d/scalelite >"$TMP/logrotate.log" 2>&1; then
            pass "logrotate -f /etc/logrotate.d/scalelite"
        else sed 's/^/        /' "$TMP/logrotate.log"; fail "logrotate -f /etc/logrotate.d/scalelite"; fi
        check "rotated copy $LOG_FILE.1 has the lines" test -s "$LOG_FILE.1"
        for _ in $(seq 1 20); do curl -s -o /dev/null "$BASE/bigbluebutton/api"; done; sleep 1
        check "daemon keeps writing to the truncated $LOG_FILE" test -s "$LOG_FILE"
        check "no NUL bytes after copytruncate (file opened O_APPEND)" test "$(tr -cd '\000' <"$LOG_FILE" | wc -c)" -eq 0
    fi
fi
echo "        last lines of $LOG_FILE:"; tail -3 "$LOG_FILE" 2>/dev/null | cut -c1-160 | sed 's/^/        | /'

# systemctl stop with KillMode=control-group: SIGTERM to every process of the unit.
stop_unit() { local p; for p in "${PIDS[@]}"; do alive "$p" && kill -TERM "$p" 2>/dev/null; done; }
none_left() { local p; for p in "${PIDS[@]}"; do alive "$p" && return 1; done; return 0; }
port_free() { ! ss -ltnH "( sport = :$PORT )" | grep -q .; }
echo "== 9. stop (SIGTERM to the unit's processes, KillMode=control-group)"
T0=$(date +%s.%N)
stop_unit
if wait_for "$STOP_TIMEOUT" none_left; then
    pass "SIGTERM: exited in $(since "$T0") s (< TimeoutStopSec=$STOP_TIMEOUT s)"
else fail "SIGTERM: still running after $STOP_TIMEOUT s"; fi
check "pid file gone or stale" not pid_file_alive
check "port $PORT released" port_free
echo "        stderr (the journal's part; empty when the log goes to $LOG_FILE):"
tail -3 "$TMP/serve.log" | cut -c1-160 | sed 's/^/        | /'

echo "== 10. stop during a reload's overlap stops both processes in time"
if as_unit "$START" >>"$TMP/serve.log" 2>&1 && wait_for 10 pid_file_alive; then
    MAINPID=$(read_pid); PIDS+=("$MAINPID"); OLD=$MAINPID
    wait_for 10 bash -c "curl -s $BASE/health_check | grep -qx success"
    if reload && new_main; then
        T0=$(date +%s.%N)
        check "old ($OLD) and new ($MAINPID) processes both running" alive "$OLD"
        stop_unit
        if wait_for "$STOP_TIMEOUT" none_left; then
            pass "SIGTERM to both: all exited in $(since "$T0") s (< TimeoutStopSec=$STOP_TIMEOUT s)"
        else fail "SIGTERM to both: processes left after $STOP_TIMEOUT s"; fi
        check "port $PORT released" port_free
    else fail "reload for the overlap test (failed at line ${RELOAD_FAILED_AT:-?})"; stop_unit; fi
else fail "second start for the overlap test"; fi
rm -rf "$TLS"

echo "== 11. remove keeps data, purge removes it"
if dpkg -r scalelite >"$TMP/rm.log" 2>&1; then pass "dpkg -r"; else cat "$TMP/rm.log"; fail "dpkg -r"; fi
check "after remove: /usr/bin/scalelite gone" test ! -e /usr/bin/scalelite
check "after remove: /var/lib/scalelite kept" test -d /var/lib/scalelite
check "after remove: conffile /etc/default/scalelite kept" test -e /etc/default/scalelite
check "after remove: user kept" getent passwd scalelite
if dpkg --purge scalelite >"$TMP/purge.log" 2>&1; then pass "dpkg --purge"; else cat "$TMP/purge.log"; fail "dpkg --purge"; fi
for p in /var/lib/scalelite /var/log/scalelite /etc/scalelite /etc/default/scalelite /etc/logrotate.d/scalelite \
         $UNIT /etc/systemd/system/multi-user.target.wants/scalelite.service; do
    check "after purge: $p gone" test ! -e "$p" -a ! -L "$p"
done
check "after purge: user scalelite gone" bash -c '! getent passwd scalelite'
check "after purge: group scalelite gone" bash -c '! getent group scalelite'
check "after purge: package unknown to dpkg" bash -c "! dpkg -s scalelite"
summary
