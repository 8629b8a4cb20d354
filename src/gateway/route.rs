//! Routing a request by path and method, as Scalelite's route table does: the BBB API (methods
//! from the table of calls in `actions`), the admin API (methods from `admin`'s router), the
//! health check, and `unsupportedRequest` for everything else.

use super::actions;
use crate::admin;
use http::Method;

/// Where a request goes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Route {
    /// `/bigbluebutton/api`
    Index,
    /// `/bigbluebutton/api/<action>`
    Api(String),
    /// `/scalelite/api/<action>`
    Admin(String),
    /// `POST /scalelite/api/uploadRecording`: a BBB server's tarball, signed with its own
    /// secret (not an admin call: no JSON, no load balancer secret).
    Upload,
    /// `/health_check` and `/`
    Health,
    /// Everything else: `unsupportedRequest`.
    Unsupported,
}

impl Route {
    /// The family of the call, for the access log.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Route::Index => "index",
            Route::Api(_) => "api",
            Route::Admin(_) => "admin",
            Route::Upload => "upload",
            Route::Health => "health",
            Route::Unsupported => "unsupported",
        }
    }

    pub(crate) fn action(&self) -> Option<String> {
        match self {
            Route::Api(a) | Route::Admin(a) => Some(a.clone()),
            Route::Upload => Some("uploadRecording".into()),
            _ => None,
        }
    }
}

/// Route by path and method, the way Scalelite's route table does (first match wins).
pub(crate) fn route(method: &Method, path: &str) -> Route {
    let get_like = method == Method::GET || method == Method::HEAD;
    if path == "/" {
        return Route::Health;
    }
    if path == "/health_check" || path == "/health_check/" {
        return if get_like {
            Route::Health
        } else {
            Route::Unsupported
        };
    }
    if let Some(rest) = path.strip_prefix("/bigbluebutton/api") {
        let action = rest.trim_start_matches('/').trim_end_matches('/');
        if action.is_empty() && (rest.is_empty() || rest == "/") {
            return if get_like || method == Method::POST {
                Route::Index
            } else {
                Route::Unsupported
            };
        }
        // Only plain action names; `getMeetings.xml` or nested paths hit the catch-all.
        let plain = !action.is_empty()
            && action
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        return if plain && actions::find(action).methods.allows(method) {
            Route::Api(action.to_string())
        } else {
            Route::Unsupported
        };
    }
    if let Some(action) = path.strip_prefix("/scalelite/api/") {
        let action = action.trim_end_matches('/');
        if action == "uploadRecording" {
            return if method == Method::POST {
                Route::Upload
            } else {
                Route::Unsupported
            };
        }
        return if admin::accepts(action, method) {
            Route::Admin(action.to_string())
        } else {
            Route::Unsupported
        };
    }
    Route::Unsupported
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route(&Method::GET, "/bigbluebutton/api"), Route::Index);
        assert_eq!(route(&Method::POST, "/bigbluebutton/api/"), Route::Index);
        assert_eq!(
            route(&Method::GET, "/bigbluebutton/api/join"),
            Route::Api("join".into())
        );
        assert_eq!(
            route(&Method::POST, "/bigbluebutton/api/join"),
            Route::Unsupported
        );
        assert_eq!(
            route(&Method::GET, "/bigbluebutton/api/insertDocument"),
            Route::Unsupported
        );
        assert_eq!(
            route(&Method::GET, "/bigbluebutton/api/getMeetings.xml"),
            Route::Unsupported
        );
        assert_eq!(
            route(&Method::GET, "/bigbluebutton/api/create/"),
            Route::Api("create".into())
        );
        assert_eq!(
            route(&Method::PUT, "/bigbluebutton/api/create"),
            Route::Unsupported
        );
        assert_eq!(
            route(&Method::GET, "/scalelite/api/getServers"),
            Route::Admin("getServers".into())
        );
        assert_eq!(
            route(&Method::GET, "/scalelite/api/addServer"),
            Route::Unsupported
        );
        assert_eq!(
            route(&Method::POST, "/scalelite/api/uploadRecording"),
            Route::Upload
        );
        assert_eq!(
            route(&Method::GET, "/scalelite/api/uploadRecording"),
            Route::Unsupported
        );
        assert_eq!(route(&Method::GET, "/health_check"), Route::Health);
        assert_eq!(route(&Method::DELETE, "/"), Route::Health);
        assert_eq!(
            route(&Method::GET, "/playback/presentation/2.3/x"),
            Route::Unsupported
        );
    }
}
