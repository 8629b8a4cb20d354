//! The sections of the configuration that shape meetings and the poller, and the servers
//! declared in the file: each read from its file section with the environment on top.

use super::env::Env;
use super::file::{MeetingsSection, PollerSection, ServerSection};
use super::{rules, ParamPolicy, PollerConfig, Timeouts};
use std::time::Duration;

/// What the `meetings` section and its variables decide.
pub(super) struct Meetings {
    pub(super) max_duration: u64,
    pub(super) ttl: Duration,
    pub(super) voice_bridge_len: usize,
    pub(super) use_external_voice_bridge: bool,
    pub(super) get_meetings_api_disabled: bool,
    pub(super) create: ParamPolicy,
    pub(super) join: ParamPolicy,
}

pub(super) fn meetings(
    file: Option<MeetingsSection>,
    env: &Env,
    errors: &mut Vec<String>,
) -> Meetings {
    let file = file.unwrap_or_default();
    let voice_bridge_len = env.count("VOICE_BRIDGE_LEN", file.voice_bridge_len, 9, errors);
    if !(5..=16).contains(&voice_bridge_len) {
        errors.push(format!(
            "VOICE_BRIDGE_LEN: must be between 5 and 16 (got {voice_bridge_len})"
        ));
    }
    let ttl = env.count("DEFAULT_MEETING_TTL", file.default_ttl, 86_400, errors);
    Meetings {
        max_duration: env.count("MAX_MEETING_DURATION", file.max_duration, 0, errors),
        ttl: Duration::from_secs(ttl.max(1)),
        voice_bridge_len: voice_bridge_len as usize,
        use_external_voice_bridge: env
            .flag("USE_EXTERNAL_VOICE_BRIDGE")
            .or(file.use_external_voice_bridge)
            .unwrap_or(false),
        get_meetings_api_disabled: env
            .flag("GET_MEETINGS_API_DISABLED")
            .or(file.get_meetings_api_disabled)
            .unwrap_or(false),
        create: rules::param_policy("CREATE", file.create, env, errors),
        join: rules::param_policy("JOIN", file.join, env, errors),
    }
}

/// The `poller` section: the poller's settings and the timeouts of every call to BBB.
pub(super) fn poller(
    file: Option<PollerSection>,
    env: &Env,
    errors: &mut Vec<String>,
) -> (PollerConfig, Timeouts) {
    let file = file.unwrap_or_default();
    let healthy = env.count(
        "SERVER_HEALTHY_THRESHOLD",
        file.healthy_threshold,
        1,
        errors,
    );
    let unhealthy = env.count(
        "SERVER_UNHEALTHY_THRESHOLD",
        file.unhealthy_threshold,
        2,
        errors,
    );
    // They are u32 in the poller: a larger value must not wrap (2^32 + 1 would become 1).
    let threshold = 1..=u64::from(u32::MAX);
    if !threshold.contains(&healthy) || !threshold.contains(&unhealthy) {
        errors.push(format!(
            "SERVER_HEALTHY_THRESHOLD and SERVER_UNHEALTHY_THRESHOLD must be between 1 and {}",
            u32::MAX
        ));
    }
    // POLLER_THREADS is Scalelite's pool size (one thread is its coordinator).
    let concurrency = match env.number::<i64>("POLLER_THREADS", errors) {
        Some(t) => t.saturating_sub(1).max(1) as u64,
        None => env
            .count("POLLER_CONCURRENCY", file.concurrency, 64, errors)
            .max(1),
    };
    let join_buffer_minutes = env
        .number::<f64>("LOAD_JOIN_BUFFER_TIME", errors)
        .or(file.load_join_buffer_time)
        .unwrap_or(15.0)
        .max(0.0);
    // `from_secs_f64` would panic at 2^64 s and more (or `inf`).
    let load_join_buffer =
        Duration::try_from_secs_f64(60.0 * join_buffer_minutes).unwrap_or_else(|_| {
            errors.push(format!(
                "LOAD_JOIN_BUFFER_TIME: must be a number of minutes below 2^64 seconds (got {join_buffer_minutes})"
            ));
            Duration::from_secs(15 * 60)
        });
    let poller = PollerConfig {
        interval: env.seconds("POLL_INTERVAL", file.interval, 60.0, errors),
        concurrency: concurrency as usize,
        wait_timeout: env.seconds("POLLER_WAIT_TIMEOUT", file.wait_timeout, 10.0, errors),
        healthy_threshold: healthy as u32,
        unhealthy_threshold: unhealthy as u32,
        load_min_user_count: env.count("LOAD_MIN_USER_COUNT", file.load_min_user_count, 15, errors),
        load_join_buffer,
    };
    let timeouts = Timeouts {
        connect: env.seconds("CONNECT_TIMEOUT", file.connect_timeout, 5.0, errors),
        response: env.seconds("RESPONSE_TIMEOUT", file.response_timeout, 10.0, errors),
    };
    (poller, timeouts)
}

/// The servers declared in the file, checked.
pub(super) fn servers(
    file: Option<Vec<ServerSection>>,
    errors: &mut Vec<String>,
) -> Vec<ServerSection> {
    let servers = file.unwrap_or_default();
    for (i, s) in servers.iter().enumerate() {
        if !(s.url.starts_with("http://") || s.url.starts_with("https://")) {
            errors.push(format!(
                "servers[{i}]: url must start with http:// or https:// (got '{}')",
                s.url
            ));
        }
        if s.secret.trim().is_empty() {
            errors.push(format!("servers[{i}]: secret is empty"));
        }
        if matches!(s.load_multiplier, Some(m) if m.is_nan() || m <= 0.0) {
            errors.push(format!("servers[{i}]: load_multiplier must be > 0"));
        }
    }
    servers
}
