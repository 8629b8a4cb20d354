//! Scalelite's Redis encoding of servers and meetings (behaviour doc §4.1, §4.2): the raw slots
//! the Lua scripts read → `Server`/`Meeting`, and a `Server` → the writes that store it.

use crate::store::{Meeting, Server, ServerState, ServerStats};

/// The slots of one server, as `scripts::read_server` returns them (missing = `None`).
pub(super) type Slots = [Option<String>];

/// Number of slots per server.
pub(super) const SLOTS: usize = 18;
const EXISTS: usize = 11;
const ENABLED_MEMBER: usize = 13;
const LOAD: usize = 14;
const CORDONED_LOAD: usize = 15;
const HEALTHY: usize = 16;
const UNHEALTHY: usize = 17;

/// Hash fields of `server:<id>`, in slot order.
const FIELDS: [&str; 11] = [
    "url",
    "secret",
    "tag",
    "online",
    "load_multiplier",
    "state",
    "meetings",
    "users",
    "largest_meeting",
    "videos",
    "bbb_version",
];

/// Whether the server's hash exists (a server without one does not exist, as in Scalelite).
pub(super) fn exists(slots: &Slots) -> bool {
    slots.get(EXISTS).and_then(|v| v.as_deref()) == Some("1")
}

fn text(slots: &Slots, i: usize) -> Option<&str> {
    slots.get(i).and_then(|v| v.as_deref())
}

fn number<T: std::str::FromStr + Default>(slots: &Slots, i: usize) -> T {
    text(slots, i)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_default()
}

fn score(slots: &Slots, i: usize) -> Option<f64> {
    text(slots, i).and_then(|v| v.parse().ok())
}

/// Read a server the way Scalelite does: with a `state`, the state decides and the load comes
/// from the state's sorted set; without one (legacy) `server_enabled` membership decides.
/// An unknown state reads as disabled (it takes no meetings).
/// A server hash that does not have the fields a server has.
#[derive(Debug, thiserror::Error)]
#[error("server {id}: {found} slots, expected {SLOTS}")]
pub(super) struct BadSlots {
    id: String,
    found: usize,
}

pub(super) fn decode_server(id: &str, slots: &Slots) -> Result<Server, BadSlots> {
    if slots.len() != SLOTS {
        return Err(BadSlots {
            id: id.to_string(),
            found: slots.len(),
        });
    }
    let non_empty = |i: usize| text(slots, i).filter(|v| !v.is_empty()).map(String::from);
    let state = non_empty(5).map(|s| ServerState::parse(&s).unwrap_or(ServerState::Disabled));
    let member = text(slots, ENABLED_MEMBER) == Some("1");
    let (enabled, load) = match state {
        Some(ServerState::Enabled) => (true, score(slots, LOAD)),
        Some(ServerState::Cordoned) => (false, score(slots, CORDONED_LOAD)),
        Some(ServerState::Disabled) => (false, None),
        None => (member, score(slots, LOAD).filter(|_| member)),
    };
    Ok(Server {
        id: id.to_string(),
        url: text(slots, 0).unwrap_or_default().to_string(),
        secret: text(slots, 1).unwrap_or_default().to_string(),
        tag: non_empty(2),
        state,
        enabled,
        load,
        load_multiplier: non_empty(4),
        online: text(slots, 3) == Some("true"),
        stats: ServerStats {
            meetings: number(slots, 6),
            users: number(slots, 7),
            largest_meeting: number(slots, 8),
            videos: number(slots, 9),
        },
        bbb_version: text(slots, 10).map(String::from),
        healthy_counter: number(slots, HEALTHY),
        unhealthy_counter: number(slots, UNHEALTHY),
    })
}

/// Bring a record to the form it reads back as: no empty tag or multiplier, the legacy flag
/// following an explicit state, no load on a disabled server (nor a NaN one).
pub(super) fn normalise(s: &mut Server) {
    s.tag = s.tag.take().filter(|t| !t.is_empty());
    s.load_multiplier = s.load_multiplier.take().filter(|m| !m.is_empty());
    if let Some(state) = s.state {
        s.enabled = state == ServerState::Enabled;
    }
    if s.effective_state() == ServerState::Disabled || s.load.is_some_and(f64::is_nan) {
        s.load = None;
    }
}

/// The hash fields of a record, encoded (`None` = field absent).
fn encode(s: &Server) -> [Option<String>; 11] {
    let n = |v: u64| Some(v.to_string());
    [
        Some(s.url.clone()),
        Some(s.secret.clone()),
        s.tag.clone(),
        Some(if s.online { "true" } else { "false" }.to_string()),
        s.load_multiplier.clone(),
        s.state.map(|st| st.as_str().to_string()),
        n(s.stats.meetings),
        n(s.stats.users),
        n(s.stats.largest_meeting),
        n(s.stats.videos),
        s.bbb_version.clone(),
    ]
}

/// What `scripts::SAVE_SERVER` writes for a record.
#[derive(Debug)]
pub(super) struct Plan {
    pub hset: Vec<(&'static str, String)>,
    pub hdel: Vec<&'static str>,
    pub enabled: bool,
    pub load: Option<f64>,
    pub cordoned_load: Option<f64>,
    pub counters: Option<(u32, u32)>,
}

/// The writes that turn `old` (`None`: nothing stored yet) into `new` with Scalelite's save
/// rules: url, secret and online always, other hash fields when they changed (so a new server's
/// hash holds what Scalelite's would: url, secret, online and what was set); the sets and
/// sorted sets from the new state (enabled → `server_enabled` + `server_load`; cordoned →
/// `cordoned_server_load`; disabled → neither; legacy → by the enabled flag).
pub(super) fn plan(old: Option<&Server>, new: &Server) -> Plan {
    let blank = Server::new(new.id.clone(), String::new(), String::new());
    let before = encode(old.unwrap_or(&blank));
    let mut plan = Plan {
        hset: Vec::new(),
        hdel: Vec::new(),
        enabled: new.effective_state() == ServerState::Enabled,
        load: None,
        cordoned_load: None,
        counters: None,
    };
    for (i, value) in encode(new).into_iter().enumerate() {
        let always = matches!(FIELDS[i], "url" | "secret" | "online");
        if !always && value == before[i] {
            continue;
        }
        match value {
            Some(v) => plan.hset.push((FIELDS[i], v)),
            None => plan.hdel.push(FIELDS[i]),
        }
    }
    if plan.enabled {
        plan.load = new.load;
    } else if new.state == Some(ServerState::Cordoned) {
        plan.cordoned_load = new.load;
    }
    let counters = (new.healthy_counter, new.unhealthy_counter);
    let was = old.map_or((0, 0), |o| (o.healthy_counter, o.unhealthy_counter));
    if counters != was {
        plan.counters = Some(counters);
    }
    plan
}

/// A meeting from `{server_id, moderator_pw, voice_bridge, tenant_id}` (missing = `""`);
/// `None` when there is no server id (no such meeting, or it expired).
pub(super) fn decode_meeting(id: &str, fields: &[Option<String>]) -> Option<Meeting> {
    let get = |i: usize| fields.get(i).cloned().flatten().unwrap_or_default();
    let server_id = fields.first().cloned().flatten()?;
    let tenant = get(3);
    Some(Meeting {
        id: id.to_string(),
        server_id,
        moderator_pw: get(1),
        voice_bridge: get(2),
        tenant_id: (!tenant.is_empty()).then_some(tenant),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(pairs: &[(usize, &str)]) -> Vec<Option<String>> {
        let mut s = vec![None; SLOTS];
        for (i, v) in pairs {
            s[*i] = Some(v.to_string());
        }
        s
    }

    #[test]
    fn reads_like_scalelite() {
        let legacy = slots(&[(0, "u"), (1, "s"), (11, "1"), (13, "1"), (14, "3")]);
        let s = decode_server("a", &legacy).unwrap();
        assert_eq!((s.state, s.enabled, s.load), (None, true, Some(3.0)));
        let off = slots(&[(0, "u"), (11, "1"), (14, "3")]);
        assert_eq!(decode_server("a", &off).unwrap().load, None);
        let cordoned = slots(&[(5, "cordoned"), (11, "1"), (13, "1"), (14, "3"), (15, "4")]);
        let s = decode_server("a", &cordoned).unwrap();
        assert_eq!((s.enabled, s.load), (false, Some(4.0)));
        let odd = slots(&[(2, ""), (4, ""), (5, "paused"), (14, "3")]);
        let s = decode_server("a", &odd).unwrap();
        assert_eq!((s.tag, s.load_multiplier), (None, None));
        assert_eq!((s.state, s.load), (Some(ServerState::Disabled), None));
        assert!(decode_server("a", &legacy[1..]).is_err());
    }

    #[test]
    fn a_new_server_writes_what_scalelite_writes() {
        let s = Server::new("a".into(), "u".into(), "s".into());
        let p = plan(None, &s);
        let fields: Vec<&str> = p.hset.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["url", "secret", "online"]);
        assert!(p.hdel.is_empty() && !p.enabled && p.load.is_none() && p.counters.is_none());
        let mut t = s.clone();
        t.tag = None;
        t.state = Some(ServerState::Cordoned);
        t.load = Some(2.0);
        let p = plan(Some(&s), &t);
        assert_eq!(p.hset.last(), Some(&("state", "cordoned".to_string())));
        assert_eq!((p.load, p.cordoned_load), (None, Some(2.0)));
    }
}
