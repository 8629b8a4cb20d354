//! The Lua scripts that make each store operation one atomic step in Redis (Scalelite's layout).
//!
//! Every script takes the key prefix (`<namespace>:`) as `ARGV[1]` and builds key names itself,
//! because some keys (a server's hash, its counters, a voice bridge owner's meeting) are only
//! known inside the script. This needs a standalone Redis (or a primary/replica pair), not a
//! Redis Cluster — the same as Scalelite, whose transactions span these keys too.

use ::redis::Script;
use std::sync::LazyLock;

/// Shared Lua helpers: reading a server's raw slots (see `codec`) and fingerprinting them.
macro_rules! server_lua {
    () => {
        r#"
-- Scalelite keeps the poller's hysteresis counters in a hash named by the bare server id.
-- Ids that would land on one of Scalelite's own keys get no counters at all.
local RESERVED = {servers = 1, server_enabled = 1, server_load = 1, cordoned_server_load = 1,
  meetings = 1, voice_bridges = 1, tenants = 1, voice_bridges_gc_cursor = 1}
local function counters_key(ns, id)
  if RESERVED[id] or string.find(id, ':', 1, true) then return nil end
  return ns .. id
end

local FIELDS = {'url', 'secret', 'tag', 'online', 'load_multiplier', 'state', 'meetings',
  'users', 'largest_meeting', 'videos', 'bbb_version'}

-- Slots 1-11: the hash fields above; 12: hash exists; 13: member of servers; 14: member of
-- server_enabled; 15: server_load score; 16: cordoned_server_load score; 17-18: counters.
-- Missing values are false.
local function read_server(ns, id)
  local key = ns .. 'server:' .. id
  local r = redis.call('HMGET', key, unpack(FIELDS))
  r[12] = tostring(redis.call('EXISTS', key))
  r[13] = tostring(redis.call('SISMEMBER', ns .. 'servers', id))
  r[14] = tostring(redis.call('SISMEMBER', ns .. 'server_enabled', id))
  r[15] = redis.call('ZSCORE', ns .. 'server_load', id)
  r[16] = redis.call('ZSCORE', ns .. 'cordoned_server_load', id)
  r[17] = false
  r[18] = false
  local ck = counters_key(ns, id)
  if ck then
    local c = redis.call('HMGET', ck, 'healthy_counter', 'unhealthy_counter')
    r[17] = c[1]
    r[18] = c[2]
  end
  return r
end

-- An unambiguous string of all slots: equal fingerprints mean nothing changed in between.
local function fingerprint(r)
  local parts = {}
  for i = 1, 18 do
    local v = r[i]
    if v then parts[i] = #v .. ':' .. v else parts[i] = '-' end
  end
  return table.concat(parts, '|')
end
"#
    };
}

/// ARGV: prefix, id. Returns the fingerprint followed by the 18 slots.
pub(super) static READ_SERVER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        server_lua!(),
        r#"
local r = read_server(ARGV[1], ARGV[2])
return {fingerprint(r), unpack(r)}
"#
    ))
});

/// ARGV: prefix. Returns `{id, slot…}` for every member of `servers` whose hash exists.
pub(super) static SERVERS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        server_lua!(),
        r#"
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', ARGV[1] .. 'servers')) do
  local r = read_server(ARGV[1], id)
  if r[12] == '1' then out[#out + 1] = {id, unpack(r)} end
end
return out
"#
    ))
});

/// Store a whole server record, computed in Rust from the record read before (compare-and-set).
///
/// ARGV: prefix, id, expected fingerprint (`''` = add: the server must not exist), member of
/// server_enabled (`'1'`/`'0'`), server_load score (`''` = none), cordoned_server_load score
/// (`''` = none), healthy and unhealthy counters (`''` = leave), the number n of hash fields to
/// set, n field/value pairs, then the hash fields to delete.
/// Returns `{'ok'}`, `{'exists'}` (add), or `{'conflict', fingerprint, slot…}` (the record
/// changed since it was read: the caller recomputes from the current slots and retries).
pub(super) static SAVE_SERVER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        server_lua!(),
        r#"
local ns, id = ARGV[1], ARGV[2]
local r = read_server(ns, id)
local ck = counters_key(ns, id)
if ARGV[3] == '' then
  if r[12] == '1' or r[13] == '1' then return {'exists'} end
  -- Scalelite leaves the counters of a deleted server behind; a new server starts afresh.
  if ck then redis.call('DEL', ck) end
else
  local fp = fingerprint(r)
  if fp ~= ARGV[3] then return {'conflict', fp, unpack(r)} end
end
local key = ns .. 'server:' .. id
local n = tonumber(ARGV[9])
if n > 0 then redis.call('HSET', key, unpack(ARGV, 10, 9 + 2 * n)) end
if #ARGV >= 10 + 2 * n then redis.call('HDEL', key, unpack(ARGV, 10 + 2 * n)) end
redis.call('SADD', ns .. 'servers', id)
if ARGV[4] == '1' then
  redis.call('SADD', ns .. 'server_enabled', id)
else
  redis.call('SREM', ns .. 'server_enabled', id)
end
if ARGV[5] ~= '' then
  redis.call('ZADD', ns .. 'server_load', ARGV[5], id)
else
  redis.call('ZREM', ns .. 'server_load', id)
end
if ARGV[6] ~= '' then
  redis.call('ZADD', ns .. 'cordoned_server_load', ARGV[6], id)
else
  redis.call('ZREM', ns .. 'cordoned_server_load', id)
end
if ck and ARGV[7] ~= '' then
  redis.call('HSET', ck, 'healthy_counter', ARGV[7], 'unhealthy_counter', ARGV[8])
end
return {'ok'}
"#
    ))
});

/// ARGV: prefix, id. Deletes the hash, the counters and every index entry; returns 0 when the
/// server was unknown (neither a hash nor a member of `servers`).
pub(super) static DELETE_SERVER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        server_lua!(),
        r#"
local ns, id = ARGV[1], ARGV[2]
local key = ns .. 'server:' .. id
if redis.call('EXISTS', key) == 0 and redis.call('SISMEMBER', ns .. 'servers', id) == 0 then
  return 0
end
redis.call('DEL', key)
local ck = counters_key(ns, id)
if ck then redis.call('DEL', ck) end
redis.call('SREM', ns .. 'servers', id)
redis.call('SREM', ns .. 'server_enabled', id)
redis.call('ZREM', ns .. 'server_load', id)
redis.call('ZREM', ns .. 'cordoned_server_load', id)
return 1
"#
    ))
});

/// The meeting fields, in the order the scripts return them after the id.
macro_rules! meeting_lua {
    () => {
        r#"
local function read_meeting(ns, id)
  return redis.call('HMGET', ns .. 'meeting:' .. id,
    'server_id', 'moderator_pw', 'voice_bridge', 'tenant_id')
end
"#
    };
}

/// The join hot path. ARGV: prefix, meeting id. Returns false when the meeting is unknown (or
/// expired), else `{server_id, moderator_pw, voice_bridge, tenant_id}` after adding the server's
/// load multiplier (1 when absent, malformed or 0) to its `server_load` score, if it has one.
pub(super) static JOIN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        meeting_lua!(),
        r#"
local ns = ARGV[1]
local m = read_meeting(ns, ARGV[2])
if not m[1] then return false end
if redis.call('ZSCORE', ns .. 'server_load', m[1]) then
  local s = redis.call('HGET', ns .. 'server:' .. m[1], 'load_multiplier')
  local by = '1'
  -- Plain decimals only (as Rust parses them): no hex, no blanks, no inf/nan.
  if s and string.match(s, '^[+-]?%d*%.?%d*[eE]?[+-]?%d*$') then
    local v = tonumber(s)
    if v and v == v and v ~= 0 and v ~= math.huge and v ~= -math.huge then by = s end
  end
  redis.call('ZINCRBY', ns .. 'server_load', by, m[1])
end
return m
"#
    ))
});

/// ARGV: prefix, meeting id, server id, moderator password, tenant id (`''` = none), TTL in
/// seconds, then the voice bridge candidates in order (`''` = a candidate that uses up a try).
/// An existing meeting is returned as `{'found', …}` (or `{'tenant'}` when it belongs to another
/// tenant); otherwise the first free candidate is reserved — free meaning unowned, owned by this
/// meeting id, or owned by a meeting whose record expired — and the meeting stored with its TTL:
/// `{'created', server_id, moderator_pw, voice_bridge, tenant_id}`; `{'exhausted'}` when none is.
pub(super) static CREATE_OR_FIND_MEETING: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        meeting_lua!(),
        r#"
local ns, id = ARGV[1], ARGV[2]
local m = read_meeting(ns, id)
if m[1] then
  local theirs = m[4] or ''
  if theirs ~= '' and theirs ~= ARGV[5] then return {'tenant'} end
  return {'found', m[1], m[2] or '', m[3] or '', theirs}
end
local bridges = ns .. 'voice_bridges'
for i = 7, #ARGV do
  local n = ARGV[i]
  if n ~= '' then
    local owner = redis.call('HGET', bridges, n)
    if (not owner) or owner == id or redis.call('EXISTS', ns .. 'meeting:' .. owner) == 0 then
      local key = ns .. 'meeting:' .. id
      redis.call('HSET', bridges, n, id)
      redis.call('HSET', key, 'server_id', ARGV[3], 'moderator_pw', ARGV[4],
        'voice_bridge', n, 'tenant_id', ARGV[5])
      redis.call('EXPIRE', key, ARGV[6])
      redis.call('SADD', ns .. 'meetings', id)
      return {'created', ARGV[3], ARGV[4], n, ARGV[5]}
    end
  end
end
return {'exhausted'}
"#
    ))
});

/// ARGV: prefix, meeting id. Forgets the meeting; its voice bridge only if still its own.
pub(super) static DELETE_MEETING: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local ns, id = ARGV[1], ARGV[2]
local key = ns .. 'meeting:' .. id
local vb = redis.call('HGET', key, 'voice_bridge')
redis.call('DEL', key)
redis.call('SREM', ns .. 'meetings', id)
if vb and redis.call('HGET', ns .. 'voice_bridges', vb) == id then
  redis.call('HDEL', ns .. 'voice_bridges', vb)
end
return 1
"#,
    )
});

/// ARGV: prefix, how many `voice_bridges` entries to inspect. Returns `{id, server_id,
/// moderator_pw, voice_bridge, tenant_id}` for every live meeting; removes `meetings` entries
/// whose record expired (Scalelite never does), and sweeps one page of `voice_bridges` (cursor
/// kept in `voice_bridges_gc_cursor`), dropping numbers whose meeting record is gone.
pub(super) static MEETINGS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        meeting_lua!(),
        r#"
local ns = ARGV[1]
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', ns .. 'meetings')) do
  local m = read_meeting(ns, id)
  if m[1] then
    out[#out + 1] = {id, m[1], m[2] or '', m[3] or '', m[4] or ''}
  else
    redis.call('SREM', ns .. 'meetings', id)
  end
end
local ck = ns .. 'voice_bridges_gc_cursor'
local page = redis.call('HSCAN', ns .. 'voice_bridges', redis.call('GET', ck) or '0',
  'COUNT', ARGV[2])
local entries = page[2]
for i = 1, #entries, 2 do
  if redis.call('EXISTS', ns .. 'meeting:' .. entries[i + 1]) == 0 then
    redis.call('HDEL', ns .. 'voice_bridges', entries[i])
  end
end
if page[1] == '0' then redis.call('DEL', ck) else redis.call('SET', ck, page[1]) end
return out
"#
    ))
});

/// KEYS: meeting hashes; ARGV: TTL in seconds. Refreshes the TTL of those that exist.
pub(super) static TOUCH_MEETINGS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
for _, key in ipairs(KEYS) do redis.call('EXPIRE', key, ARGV[1]) end
return 1
"#,
    )
});

/// KEYS: the lease; ARGV: holder, TTL in ms. Take it when free, renew it when already ours.
pub(super) static LEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"#,
    )
});

/// KEYS: the lease; ARGV: holder. Deletes it only when `holder` holds it.
pub(super) static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"#,
    )
});
