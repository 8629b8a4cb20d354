//! Scalelite's host authorisation (Rails' HostAuthorization with `URL_HOST`): when URL_HOST is
//! set, a request naming another host is refused with 403, except the health check.

use crate::web::Reply;
use bytes::Bytes;

/// Which `Host` values the gateway answers.
#[derive(Debug, Clone)]
pub(super) struct HostRule {
    /// URL_HOST, lower-cased (host names compare case-insensitively).
    host: String,
    /// With multitenancy, tenants are sub-domains of URL_HOST.
    subdomains: bool,
}

impl HostRule {
    /// `None` when URL_HOST is unset: every host is accepted.
    pub(super) fn new(url_host: Option<&str>, subdomains: bool) -> Option<HostRule> {
        let host = url_host?.trim().trim_end_matches('.').to_ascii_lowercase();
        (!host.is_empty()).then_some(HostRule { host, subdomains })
    }

    /// Whether a request may pass: its path mentions `health_check` (load balancers probe by
    /// address), or its Host — and its last X-Forwarded-Host, when a proxy set one — is allowed.
    pub(super) fn allows(&self, path: &str, host: Option<&[u8]>, forwarded: Option<&[u8]>) -> bool {
        if path.contains("health_check") {
            return true;
        }
        let host_ok = host.is_some_and(|h| self.allows_host(h));
        let forwarded_ok = forwarded.is_none_or(|f| {
            let last = f.rsplit(|&b| b == b',').next().unwrap_or(f);
            self.allows_host(last)
        });
        host_ok && forwarded_ok
    }

    fn allows_host(&self, raw: &[u8]) -> bool {
        let Ok(raw) = std::str::from_utf8(raw) else {
            return false;
        };
        let name = host_name(raw.trim())
            .trim_end_matches('.')
            .to_ascii_lowercase();
        if name == self.host {
            return true;
        }
        self.subdomains
            && name
                .strip_suffix(self.host.as_str())
                .is_some_and(|prefix| prefix.len() > 1 && prefix.ends_with('.'))
    }
}

/// The host part of a Host header value: without the port, IPv6 brackets kept.
fn host_name(value: &str) -> &str {
    if value.starts_with('[') {
        return value.find(']').map_or(value, |end| &value[..=end]);
    }
    match value.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => value,
    }
}

/// Rails' production answer to a blocked host: 403, an empty HTML page.
pub(super) fn blocked() -> Reply {
    Reply {
        status: 403,
        content_type: "text/html; charset=utf-8",
        body: Bytes::new(),
        location: None,
        server: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(subdomains: bool) -> HostRule {
        HostRule::new(Some("Scalelite.example.com"), subdomains).unwrap()
    }

    #[test]
    fn unset_or_blank_url_host_accepts_everything() {
        assert!(HostRule::new(None, false).is_none());
        assert!(HostRule::new(Some("  "), true).is_none());
    }

    #[test]
    fn exact_host_with_or_without_port_any_case() {
        let r = rule(false);
        let api = "/bigbluebutton/api/join";
        assert!(r.allows(api, Some(b"scalelite.example.com"), None));
        assert!(r.allows(api, Some(b"SCALELITE.example.com:443"), None));
        assert!(r.allows(api, Some(b"scalelite.example.com."), None));
        assert!(!r.allows(api, Some(b"10.0.0.5:3000"), None));
        assert!(!r.allows(api, Some(b"evil.com"), None));
        assert!(!r.allows(api, Some(b"tenant.scalelite.example.com"), None));
        assert!(!r.allows(api, Some(b"xscalelite.example.com"), None));
        assert!(!r.allows(api, None, None));
    }

    #[test]
    fn subdomains_only_with_multitenancy() {
        let r = rule(true);
        let api = "/bigbluebutton/api/create";
        assert!(r.allows(api, Some(b"tenant1.scalelite.example.com"), None));
        assert!(r.allows(api, Some(b"scalelite.example.com"), None));
        assert!(!r.allows(api, Some(b"xscalelite.example.com"), None));
        assert!(!r.allows(api, Some(b".scalelite.example.com"), None));
    }

    #[test]
    fn forwarded_host_must_pass_too_and_health_is_exempt() {
        let r = rule(false);
        let api = "/bigbluebutton/api";
        let host = Some(&b"scalelite.example.com"[..]);
        assert!(r.allows(api, host, Some(b"a.com, scalelite.example.com")));
        assert!(!r.allows(api, host, Some(b"scalelite.example.com, evil.com")));
        assert!(r.allows("/health_check", Some(b"10.0.0.5"), None));
        assert!(r.allows("/x/health_check/y", None, None));
    }

    #[test]
    fn ipv6_hosts() {
        let r = HostRule::new(Some("[::1]"), false).unwrap();
        assert!(r.allows("/", Some(b"[::1]:3000"), None));
        assert!(!r.allows("/", Some(b"[::2]:3000"), None));
    }
}
