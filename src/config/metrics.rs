//! Where the Prometheus endpoint listens: its own listener, on localhost by default.

use super::env::Env;

/// The default keeps metrics off the public interface.
const DEFAULT: &str = "127.0.0.1:9464";

/// SCALELITE_METRICS_LISTEN or `metrics_listen`; `off` (or empty) disables the endpoint.
pub(super) fn listen(file: Option<String>, env: &Env, errors: &mut Vec<String>) -> Option<String> {
    let value = env
        .get("SCALELITE_METRICS_LISTEN")
        .map(String::from)
        .or(file)
        .unwrap_or_else(|| DEFAULT.into());
    let value = value.trim();
    if value.is_empty() || value.eq_ignore_ascii_case("off") {
        return None;
    }
    if value
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse::<u16>().ok())
        .is_none()
    {
        errors.push(format!(
            "metrics listen: '{value}' is not address:port (or off)"
        ));
        return None;
    }
    Some(value.to_string())
}
