#!/bin/bash
# Builds the scalelite .deb and proves it installs, starts and purges cleanly on this Debian
# machine WITHOUT a running systemd: the unit's ExecStartPre/ExecStart are run the way the
# unit would (user scalelite, Environment= then /etc/default/scalelite, WorkingDirectory).
# Needs root (dpkg -i). DESTRUCTIVE: installs and purges the package; use a disposable machine.
# Usage: packaging/test-deb.sh [path/to/scalelite.deb]   (no argument: build it with cargo deb)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
UNIT=/lib/systemd/system/scalelite.service
PASSED=(); FAILED=()
pass() { PASSED+=("$1"); echo "  ok    $1"; }
fail() { FAILED+=("$1"); echo "  FAIL  $1"; }
check() { local name=$1; shift; if "$@" >/dev/null 2>&1; then pass "$name"; else fail "$name"; fi; }
summary() {
    echo
    echo "==== test-deb summary: ${#PASSED[@]} passed, ${#FAILED[@]} failed ===="
    for f in "${FAILED[@]+"${FAILED[@]}"}"; do echo "  FAILED: $f"; done
    if [ ${#FAILED[@]} -eq 0 ]; then echo "PASS"; exit 0; else echo "FAIL"; exit 1; fi
}
[ "$(id -u)" -eq 0 ] || { echo "run as root (dpkg -i)"; exit 2; }
TMP=$(mktemp -d /tmp/scalelite-deb-test.XXXXXX); chmod 755 "$TMP"
SRV_PID=
cleanup() { [ -n "$SRV_PID" ] && kill -KILL "$SRV_PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

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
for f in /usr/bin/scalelite /etc/scalelite/scalelite.yaml /etc/default/scalelite $UNIT; do
    check "dpkg -L lists $f" grep -qx "$f" <<<"$LIST"
done
CONFF=$(dpkg-query -W -f='${Conffiles}\n' scalelite)
echo "$CONFF" | sed 's/^/        /'
check "conffile /etc/scalelite/scalelite.yaml" grep -q '^ /etc/scalelite/scalelite.yaml ' <<<"$CONFF"
check "conffile /etc/default/scalelite" grep -q '^ /etc/default/scalelite ' <<<"$CONFF"
check "no other conffile" test "$(grep -c . <<<"$CONFF")" -eq 2
check "/usr/bin/scalelite root:root 755" test "$(stat -c '%U:%G %a' /usr/bin/scalelite)" = "root:root 755"
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

echo "== 4. unit file"
for d in 'User=scalelite' 'EnvironmentFile=-/etc/default/scalelite' 'StateDirectory=scalelite' \
         'Restart=on-failure' 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'PrivateTmp=yes' \
         'AmbientCapabilities=CAP_NET_BIND_SERVICE' 'ExecStartPre=/usr/bin/scalelite serve .* --test'; do
    check "unit: $d" grep -Eqx "$d" $UNIT
done
check "unit: ReadWritePaths has /var/lib/scalelite" grep -Eq '^ReadWritePaths=.*/var/lib/scalelite' $UNIT
STOP_TIMEOUT=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s\?$/\1/p' $UNIT); STOP_TIMEOUT=${STOP_TIMEOUT:-90}
check "unit: TimeoutStopSec=$STOP_TIMEOUT > 10 s drain" test "$STOP_TIMEOUT" -gt 10
check "unit: no ExecReload (upgrade = restart)" bash -c "! grep -q '^ExecReload=' $UNIT"
if command -v systemd-analyze >/dev/null 2>&1; then
    if systemd-analyze verify $UNIT >"$TMP/verify.log" 2>&1 && ! grep -q 'scalelite.service' "$TMP/verify.log"; then
        pass "systemd-analyze verify $UNIT"
    else
        sed 's/^/        /' "$TMP/verify.log"; fail "systemd-analyze verify $UNIT"
    fi
else
    echo "  skip  systemd-analyze not installed (apt-get install systemd)"
fi

echo "== 5. ExecStartPre / ExecStart as the unit runs them (no systemd)"
PORT=3000
port_busy() { ss -ltnH "( sport = :$1 )" 2>/dev/null | grep -q .; }
while port_busy $PORT; do PORT=$((PORT + 1)); done
MPORT=19464; while port_busy $MPORT; do MPORT=$((MPORT + 1)); done
echo "        port $PORT, metrics 127.0.0.1:$MPORT"
# A temporary copy of /etc/default/scalelite with a test secret filled in.
sed 's/^LOADBALANCER_SECRET=$/LOADBALANCER_SECRET=deb-test-secret-0123456789/' /etc/default/scalelite >"$TMP/env"
printf 'PORT=%s\nSCALELITE_METRICS_LISTEN=127.0.0.1:%s\n' "$PORT" "$MPORT" >>"$TMP/env"
# Environment: Environment= lines of the unit, then the EnvironmentFile (which wins).
ENVV=(PATH=/usr/local/bin:/usr/bin:/bin HOME=/var/lib/scalelite USER=scalelite LOGNAME=scalelite)
while IFS= read -r l; do ENVV+=("$l"); done < <(sed -n 's/^Environment=//p' $UNIT)
while IFS= read -r l; do ENVV+=("$l"); done < <(grep -E '^[A-Za-z_][A-Za-z0-9_]*=' "$TMP/env")
WD=$(sed -n 's/^WorkingDirectory=//p' $UNIT); WD=${WD:-/}
PRE=$(sed -n 's/^ExecStartPre=//p' $UNIT); START=$(sed -n 's/^ExecStart=//p' $UNIT)
as_unit() { cd "$WD" && exec setpriv --reuid=scalelite --regid=scalelite --init-groups \
    env -i "${ENVV[@]}" "$@"; }
echo "        \$ $PRE"
if (as_unit $PRE) >"$TMP/pre.log" 2>&1; then pass "ExecStartPre (--test) as scalelite"; else fail "ExecStartPre (--test) as scalelite"; fi
sed 's/^/        /' "$TMP/pre.log"
check "ExecStartPre refuses the unedited /etc/default/scalelite (empty secret)" bash -c \
    "! (cd $WD && setpriv --reuid=scalelite --regid=scalelite --init-groups env -i SCALELITE_DATA_DIR=/var/lib/scalelite \$(grep -E '^[A-Za-z_]+=' /etc/default/scalelite) $PRE)"
# Without the secret the placeholder in the yaml would be used; prove the env file is read:
check "ExecStartPre refuses an invalid env (PORT=notaport)" bash -c "! (cd $WD && setpriv --reuid=scalelite --regid=scalelite --init-groups env -i ${ENVV[*]} PORT=notaport $PRE)"
echo "        \$ $START &"
(as_unit $START) >"$TMP/serve.log" 2>&1 &
SRV_PID=$!
HC=
for _ in $(seq 1 60); do
    HC=$(curl -s --max-time 2 "http://127.0.0.1:$PORT/health_check" 2>/dev/null)
    [ "$HC" = "success" ] && break
    kill -0 $SRV_PID 2>/dev/null || break
    sleep 0.5
done
if [ "$HC" = "success" ]; then pass "GET /health_check = success"; else fail "GET /health_check = success (got '$HC')"; fi
check "process runs as user scalelite" test "$(ps -o user= -p $SRV_PID 2>/dev/null | tr -d ' ')" = "scalelite"
SIGNED=$(printf 'getMeetings%s' deb-test-secret-0123456789 | sha256sum | cut -d' ' -f1)
check "test secret from env copy accepted (getMeetings SUCCESS)" bash -c \
    "curl -s 'http://127.0.0.1:$PORT/bigbluebutton/api/getMeetings?checksum=$SIGNED' | grep -q SUCCESS"
check "state written under /var/lib/scalelite, owned by scalelite" bash -c \
    "test -n \"\$(find /var/lib/scalelite -mindepth 1 -user scalelite)\""
T0=$(date +%s.%N)
kill -TERM $SRV_PID 2>/dev/null
STOPPED=
while [ "$(echo "$(date +%s.%N) - $T0 < $STOP_TIMEOUT" | bc)" = 1 ]; do
    kill -0 $SRV_PID 2>/dev/null || { STOPPED=1; break; }
    sleep 0.2
done
ELAPSED=$(printf '%.1f' "$(echo "$(date +%s.%N) - $T0" | bc)")
if [ -n "$STOPPED" ]; then
    wait $SRV_PID; RC=$?; SRV_PID=
    pass "SIGTERM: exited in ${ELAPSED} s (< TimeoutStopSec=${STOP_TIMEOUT} s), exit code $RC"
    check "SIGTERM exit is clean for systemd (code 0)" test "$RC" -eq 0
else
    fail "SIGTERM: still running after ${STOP_TIMEOUT} s"
fi
echo "        last log lines:"; tail -4 "$TMP/serve.log" | sed 's/^/        | /'

echo "== 6. remove keeps data, purge removes it"
if dpkg -r scalelite >"$TMP/rm.log" 2>&1; then pass "dpkg -r"; else cat "$TMP/rm.log"; fail "dpkg -r"; fi
check "after remove: /usr/bin/scalelite gone" test ! -e /usr/bin/scalelite
check "after remove: /var/lib/scalelite kept" test -d /var/lib/scalelite
check "after remove: conffile /etc/default/scalelite kept" test -e /etc/default/scalelite
check "after remove: user kept" getent passwd scalelite
if dpkg --purge scalelite >"$TMP/purge.log" 2>&1; then pass "dpkg --purge"; else cat "$TMP/purge.log"; fail "dpkg --purge"; fi
for p in /var/lib/scalelite /var/log/scalelite /etc/scalelite /etc/default/scalelite $UNIT \
         /etc/systemd/system/multi-user.target.wants/scalelite.service; do
    check "after purge: $p gone" test ! -e "$p" -a ! -L "$p"
done
check "after purge: user scalelite gone" bash -c '! getent passwd scalelite'
check "after purge: group scalelite gone" bash -c '! getent group scalelite'
check "after purge: package unknown to dpkg" bash -c "! dpkg -s scalelite"
summary
