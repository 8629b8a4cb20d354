# Sourced by benches/recordings.sh: loading the recordings straight into the schema, the SQL floor
# of each case (the statements src/recordings/index.rs and filter.rs send, in one read
# transaction), and the import run. Uses that script's variables (count, meetings, courses,
# offset, nurls, secs, conns, work, base, pid).
#
# Recording i (1..count): record_id rec-<i>, meeting room-<i % meetings>, starttime 2024-01-01 +
# i minutes (so the order, newest first, is i descending), published; metadata meetingId,
# meetingName, bbb-origin, isBreakout, course (course-<i % courses>); formats presentation, video.

pg_load() { # url
  psql -q -v ON_ERROR_STOP=1 "$1" >/dev/null <<EOF
INSERT INTO recordings (id, record_id, meeting_id, name, published, participants, state, starttime,
                        endtime, protected)
SELECT i, 'rec-' || i, 'room-' || (i % $meetings), 'Lecture ' || i, true, i % 50, 'published',
       TIMESTAMP '2024-01-01' + i * INTERVAL '1 minute',
       TIMESTAMP '2024-01-01' + (i + 30) * INTERVAL '1 minute', false
FROM generate_series(1, $count) i;
INSERT INTO metadata (id, recording_id, key, value)
SELECT (i - 1) * 5 + k, i, (ARRAY['meetingId', 'meetingName', 'bbb-origin', 'isBreakout', 'course'])[k],
       CASE k WHEN 1 THEN 'room-' || (i % $meetings) WHEN 2 THEN 'Lecture ' || i
              WHEN 3 THEN 'Greenlight' WHEN 4 THEN 'false' ELSE 'course-' || (i % $courses) END
FROM generate_series(1, $count) i CROSS JOIN generate_series(1, 5) k;
INSERT INTO playback_formats (id, recording_id, format, url, length, processing_time)
SELECT (i - 1) * 2 + k, i, (ARRAY['presentation', 'video'])[k],
       'https://bbb.example.com/playback/' || (ARRAY['presentation/2.3', 'video'])[k] || '/rec-' || i,
       10 + k, 1000
FROM generate_series(1, $count) i CROSS JOIN generate_series(1, 2) k;
SELECT setval(pg_get_serial_sequence('recordings', 'id'), $count),
       setval(pg_get_serial_sequence('metadata', 'id'), $count * 5),
       setval(pg_get_serial_sequence('playback_formats', 'id'), $count * 2);
VACUUM ANALYZE recordings;
VACUUM ANALYZE metadata;
VACUUM ANALYZE playback_formats;
EOF
}

sqlite_load() { # file
  python3 - "$1" "$count" "$meetings" "$courses" <<'EOF'
import sqlite3, sys
path, n, meetings, courses = sys.argv[1], *map(int, sys.argv[2:])
db = sqlite3.connect(path, isolation_level=None, timeout=30)
db.execute("BEGIN IMMEDIATE")
seq = f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) "
ts = "strftime('%Y-%m-%d %H:%M:%f', 1704067200 + {} * 60, 'unixepoch')"
db.execute(seq + f"""INSERT INTO recordings (id, record_id, meeting_id, name, published, participants,
    state, starttime, endtime, protected)
  SELECT i, 'rec-' || i, 'room-' || (i % {meetings}), 'Lecture ' || i, 1, i % 50, 'published',
         {ts.format('i')}, {ts.format('(i + 30)')}, 0 FROM s""")
db.execute(seq + f"""INSERT INTO metadata (id, recording_id, key, value)
  SELECT (i - 1) * 5 + k, i,
         CASE k WHEN 1 THEN 'meetingId' WHEN 2 THEN 'meetingName' WHEN 3 THEN 'bbb-origin'
                WHEN 4 THEN 'isBreakout' ELSE 'course' END,
         CASE k WHEN 1 THEN 'room-' || (i % {meetings}) WHEN 2 THEN 'Lecture ' || i
                WHEN 3 THEN 'Greenlight' WHEN 4 THEN 'false' ELSE 'course-' || (i % {courses}) END
  FROM s, (SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5)""")
db.execute(seq + """INSERT INTO playback_formats (id, recording_id, format, url, length, processing_time)
  SELECT (i - 1) * 2 + k, i, CASE k WHEN 1 THEN 'presentation' ELSE 'video' END,
         'https://bbb.example.com/playback/' || CASE k WHEN 1 THEN 'presentation/2.3' ELSE 'video' END
           || '/rec-' || i, 10 + k, 1000
  FROM s, (SELECT 1 AS k UNION ALL SELECT 2)""")
db.execute("COMMIT")
db.execute("ANALYZE")
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
EOF
}

# The PostgreSQL statements of index.rs (text as it builds them; pgbench binds the :variables as
# parameters like sqlx). The ids of the follow-up queries are those the page returns, computed
# from the data's layout.
pg_script() { # case → pgbench script
  local cols="r.id, r.record_id, r.meeting_id, r.name, r.published, r.protected, r.state, floor(EXTRACT(EPOCH FROM r.starttime) * 1000)::bigint, floor(EXTRACT(EPOCH FROM r.endtime) * 1000)::bigint, r.participants"
  local order="ORDER BY r.starttime DESC NULLS LAST, r.record_id"
  local states="r.state IN ('published', 'unpublished')"
  local ids
  case $1 in
  meeting)
    printf '\\set m random(1, %d)\n' $((meetings - 1))
    for j in 1 2 3 4; do printf '\\set r%d :m + %d\n' $j $((j * meetings)); done
    ids="ARRAY[:m, :r1, :r2, :r3, :r4]::bigint[]"
    printf 'BEGIN;\nSET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY;\n'
    echo "SELECT $cols FROM recordings r WHERE $states AND r.meeting_id IN ('room-' || :m) $order;"
    ;;
  meta)
    printf '\\set c random(1, %d)\n' $((courses - 1))
    for j in 1 2 3; do printf '\\set r%d :c + %d\n' $j $((j * courses)); done
    ids="ARRAY[:c, :r1, :r2, :r3]::bigint[]"
    printf 'BEGIN;\nSET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY;\n'
    echo "SELECT $cols FROM recordings r WHERE $states AND r.id IN (SELECT recording_id FROM metadata WHERE (key = 'course' AND value IN ('course-' || :c))) $order;"
    ;;
  page)
    printf '\\set o %d + random(0, %d)\n\\set lim 100\n' "$offset" $((nurls - 1))
    ids="ARRAY(SELECT generate_series($count - :o - 99, $count - :o)::bigint)"
    printf 'BEGIN;\nSET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY;\n'
    echo "SELECT count(*) FROM recordings r WHERE $states;"
    echo "SELECT $cols FROM recordings r WHERE r.id IN (SELECT r.id FROM recordings r WHERE $states $order LIMIT :lim OFFSET :o) $order;"
    ;;
  esac
  echo "SELECT recording_id, key, value FROM metadata WHERE recording_id = ANY($ids) ORDER BY recording_id, id;"
  echo "SELECT id, recording_id, format, url, length, processing_time FROM playback_formats WHERE recording_id = ANY($ids) ORDER BY recording_id, format, id;"
  echo "SELECT playback_format_id, width, height, alt, url, sequence FROM thumbnails WHERE playback_format_id = ANY(ARRAY(SELECT 2 * i - k FROM unnest($ids) i CROSS JOIN (VALUES (0), (1)) v(k))) ORDER BY playback_format_id, sequence, id;"
  echo "COMMIT;"
}

pg_floor() { # url case → "p50 p99" (ms) of one getRecordings' statements
  pg_script "$2" >"$work/$2.pgbench"
  rm -f "$work"/pgb_"$2".*
  (cd "$work" && pgbench -n -M prepared -c "$conns" -j "$conns" -T "$secs" -l --log-prefix="pgb_$2" \
    -f "$2.pgbench" "$1" >"$work/pgbench_$2.log" 2>&1) || die "pgbench $2 failed: $(tail -5 "$work/pgbench_$2.log")"
  cat "$work"/pgb_"$2".* | awk '{print $3}' | percentiles
}

# The SQLite statements of index.rs, run the way it runs them (the ids of the follow-up queries
# from the page's rows), timed per getRecordings; `conns` processes for `secs` seconds.
sqlite_floor() { # file case → "p50 p99" (ms)
  local i
  for ((i = 0; i < conns; i++)); do
    python3 - "$1" "$2" "$secs" "$meetings" "$courses" "$offset" "$nurls" "$i" >"$work/floor.$i" <<'EOF' &
import json, random, sqlite3, sys, time
path, case, secs, meetings, courses, offset, nurls, seed = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
db = sqlite3.connect(path, isolation_level=None)
def ms(c):
    return (f"(CAST(strftime('%s', {c}) AS INTEGER) * 1000 "
            f"+ CAST(substr(strftime('%f', {c}), 4) AS INTEGER))")
cols = (f"r.id, r.record_id, r.meeting_id, r.name, r.published, r.protected, r.state, "
        f"{ms('r.starttime')}, {ms('r.endtime')}, r.participants")
order = "ORDER BY r.starttime DESC, r.record_id"
states = "r.state IN ($1, $2)"
rnd = random.Random(seed)
def args(*vs):
    return {str(i + 1): v for i, v in enumerate(vs)}
out = []
end = time.monotonic() + secs
while time.monotonic() < end:
    t = time.perf_counter()
    db.execute("BEGIN")
    if case == "meeting":
        rows = db.execute(f"SELECT {cols} FROM recordings r WHERE {states} AND r.meeting_id IN ($3) {order}",
                          args("published", "unpublished", f"room-{rnd.randrange(1, meetings)}")).fetchall()
    elif case == "meta":
        rows = db.execute(f"SELECT {cols} FROM recordings r WHERE {states} AND r.id IN (SELECT recording_id "
                          f"FROM metadata WHERE (key = $3 AND value IN ($4))) {order}",
                          args("published", "unpublished", "course", f"course-{rnd.randrange(1, courses)}")).fetchall()
    else:
        db.execute(f"SELECT count(*) FROM recordings r WHERE {states}", args("published", "unpublished")).fetchone()
        rows = db.execute(f"SELECT {cols} FROM recordings r WHERE r.id IN (SELECT r.id FROM recordings r "
                          f"WHERE {states} {order} LIMIT COALESCE($3, -1) OFFSET $4) {order}",
                          args("published", "unpublished", 100, offset + rnd.randrange(nurls))).fetchall()
    ids = json.dumps([r[0] for r in rows])
    db.execute("SELECT recording_id, key, value FROM metadata WHERE recording_id IN "
               "(SELECT value FROM json_each($1)) ORDER BY recording_id, id", args(ids)).fetchall()
    fs = db.execute("SELECT id, recording_id, format, url, length, processing_time FROM playback_formats "
                    "WHERE recording_id IN (SELECT value FROM json_each($1)) ORDER BY recording_id, format, id",
                    args(ids)).fetchall()
    db.execute("SELECT playback_format_id, width, height, alt, url, sequence FROM thumbnails WHERE "
               "playback_format_id IN (SELECT value FROM json_each($1)) ORDER BY playback_format_id, sequence, id",
               args(json.dumps([f[0] for f in fs]))).fetchall()
    db.execute("COMMIT")
    out.append(int((time.perf_counter() - t) * 1e6))
print("\n".join(map(str, out)))
EOF
  done
  wait
  cat "$work"/floor.* | percentiles
  rm -f "$work"/floor.*
}

# Small tarballs (metadata.xml and one file, as tests/it/recordings.rs) moved into the spool at
# once; timed until the spool has none left and getRecordings lists them all.
import_run() { # db → "tarballs seconds"
  local spool=$work/$1/recordings/spool stage=$work/stage-$1 q t0 t1 total
  mkdir -p "$spool" "$stage"
  python3 - "$stage" "$imports" "$1" <<'EOF'
import io, sys, tarfile
stage, n, db = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for k in range(n):
    rid = f"imp-{db}-{k}"
    start = 1600000000000 + k * 1000
    meta = (f'<?xml version="1.0"?>\n<recording>\n  <id>{rid}</id>\n  <state>published</state>\n'
            f'  <published>true</published>\n  <start_time>{start}</start_time>\n'
            f'  <end_time>{start + 600000}</end_time>\n  <participants>3</participants>\n  <meta>\n'
            f'    <meetingId>import-room</meetingId>\n    <meetingName>Import {k}</meetingName>\n'
            f'  </meta>\n  <playback>\n    <format>presentation</format>\n'
            f'    <link>https://bbb.example.com/playback/presentation/2.3/{rid}</link>\n'
            f'    <duration>600000</duration>\n  </playback>\n</recording>\n').encode()
    with tarfile.open(f"{stage}/{rid}.tar", "w") as t:
        for name, data in ((f"presentation/{rid}/metadata.xml", meta), (f"presentation/{rid}/slides.svg", b"<svg/>")):
            i = tarfile.TarInfo(name)
            i.size, i.mode = len(data), 0o644
            t.addfile(i, io.BytesIO(data))
EOF
  q=$(signed "meetingID=import-room&limit=1")
  t0=$(date +%s.%N)
  find "$stage" -name '*.tar' -exec mv -t "$spool" {} +
  for _ in $(seq 6000); do
    if ! compgen -G "$spool/*.tar" >/dev/null; then
      total=$(curl -sf "$base$q" | sed -n 's/.*<totalElements>\([0-9]*\)<.*/\1/p')
      [[ ${total:-0} == "$imports" ]] && break
    fi
    sleep 0.05
  done
  t1=$(date +%s.%N)
  [[ ${total:-0} == "$imports" ]] || die "$1: import did not finish (${total:-0} of $imports listed)"
  compgen -G "$spool/failed/*" >/dev/null && die "$1: tarballs failed: $(ls "$spool/failed" | head)"
  rm -rf "$stage"
  awk -v n="$imports" -v a="$t0" -v b="$t1" 'BEGIN{printf "%d %.3f\n", n, b - a}'
}
