//! Scalelite's admin API (`/scalelite/api/*`): JSON in and out, authenticated with the
//! load balancer's checksum; its auth errors are BBB XML envelopes (quirk Q21, reproduced).

mod cli_api;
mod recordings;
mod servers;
pub(crate) mod sync;
mod tenants;

use crate::bbb::{ApiError, Params};
use crate::state::State;
use crate::web::{self, BodyRule, Methods, Reply};
use futures_util::future::BoxFuture;
use pingora_proxy::Session;
use serde_json::{json, Value};

/// The largest admin JSON body. Fixed and small: the largest admin call (syncServers with a
/// whole server list) is a few kB per server; BBB API bodies have their own setting.
const ADMIN_BODY_LIMIT: usize = 1024 * 1024;

/// An admin call's handler: the answer, or the error answer (both JSON, or a BBB envelope).
type Handler = for<'a> fn(&'a State, AdminCall) -> BoxFuture<'a, Result<Reply, Reply>>;

/// One admin call: its name, the methods its route accepts and its handler.
struct AdminAction {
    name: &'static str,
    methods: Methods,
    handler: Handler,
}

/// Wraps an `async fn(&State, &AdminCall) -> Result<Reply, Reply>` as a table handler.
macro_rules! handler {
    ($f:path) => {
        |state, call| Box::pin(async move { $f(state, &call).await })
    };
}

/// Every admin call: Scalelite's (servers, tenants), then the ones behind the `scalelite` CLI.
/// Adding a call is one entry here and one handler.
const ACTIONS: &[AdminAction] = &[
    AdminAction {
        name: "getServers",
        methods: Methods::Get,
        handler: handler!(servers::get_servers),
    },
    AdminAction {
        name: "getServerInfo",
        methods: Methods::Get,
        handler: handler!(servers::get_server_info),
    },
    AdminAction {
        name: "addServer",
        methods: Methods::Post,
        handler: handler!(servers::add_server),
    },
    AdminAction {
        name: "updateServer",
        methods: Methods::Post,
        handler: handler!(servers::update_server),
    },
    AdminAction {
        name: "deleteServer",
        methods: Methods::Post,
        handler: handler!(servers::delete_server),
    },
    AdminAction {
        name: "panicServer",
        methods: Methods::Post,
        handler: handler!(servers::panic),
    },
    AdminAction {
        name: "getTenants",
        methods: Methods::Get,
        handler: handler!(tenants::disabled),
    },
    AdminAction {
        name: "getTenantInfo",
        methods: Methods::Get,
        handler: handler!(tenants::disabled),
    },
    AdminAction {
        name: "addTenant",
        methods: Methods::Post,
        handler: handler!(tenants::disabled),
    },
    AdminAction {
        name: "updateTenant",
        methods: Methods::Post,
        handler: handler!(tenants::disabled),
    },
    AdminAction {
        name: "deleteTenant",
        methods: Methods::Post,
        handler: handler!(tenants::disabled),
    },
    // Not Scalelite's: the calls behind the `scalelite` CLI (cli_api.rs, sync.rs, recordings.rs).
    AdminAction {
        name: "getStatus",
        methods: Methods::Get,
        handler: handler!(cli_api::get_status),
    },
    AdminAction {
        name: "getMeetingList",
        methods: Methods::Get,
        handler: handler!(cli_api::get_meeting_list),
    },
    AdminAction {
        name: "endMeetings",
        methods: Methods::Post,
        handler: handler!(cli_api::end_meetings),
    },
    AdminAction {
        name: "pollNow",
        methods: Methods::Post,
        handler: handler!(cli_api::poll_now),
    },
    AdminAction {
        name: "syncServers",
        methods: Methods::Post,
        handler: handler!(sync::sync_servers),
    },
    AdminAction {
        name: "checkRecordings",
        methods: Methods::Post,
        handler: handler!(recordings::check_recordings),
    },
];

fn find(action: &str) -> Option<&'static AdminAction> {
    ACTIONS.iter().find(|a| a.name == action)
}

/// Whether `/scalelite/api/<action>` is routed for this method (otherwise: unsupportedRequest).
pub(crate) fn accepts(action: &str, method: &http::Method) -> bool {
    find(action).is_some_and(|a| a.methods.allows(method))
}

/// An admin call's input: query parameters and the JSON body.
pub(crate) struct AdminCall {
    pub params: Params,
    pub body: Option<serde_json::Map<String, Value>>,
}

impl AdminCall {
    /// A top-level value (query or JSON), as a string.
    pub(crate) fn value(&self, key: &str) -> Option<String> {
        if let Some(v) = self.body.as_ref().and_then(|b| b.get(key)) {
            return json_string(v);
        }
        self.params.get(key).map(String::from)
    }

    /// The `name` object (`server`, `tenant`); Rails wraps a body without it into it.
    /// Rails also builds it from `name[key]=value` query parameters.
    pub(crate) fn object(&self, name: &str) -> Option<serde_json::Map<String, Value>> {
        let Some(body) = self.body.as_ref() else {
            let prefix = format!("{name}[");
            let nested: serde_json::Map<String, Value> = self
                .params
                .iter()
                .filter_map(|(k, v)| {
                    let key = k.strip_prefix(&prefix)?.strip_suffix(']')?;
                    Some((key.to_string(), Value::from(v.unwrap_or(""))))
                })
                .collect();
            return (!nested.is_empty()).then_some(nested);
        };
        match body.get(name) {
            Some(Value::Object(o)) => Some(o.clone()),
            Some(_) => None,
            None => Some(body.clone()),
        }
    }
}

/// A JSON scalar as the string Rails would see.
pub(crate) fn json_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(crate) fn error(status: u16, message: &str) -> Reply {
    Reply::json(status, &json!({ "error": message }))
}

/// Answer an admin call: authenticate it (checksum), then run its handler.
pub(crate) async fn handle(state: &State, session: &mut Session, action: &str) -> Reply {
    let Some(entry) = find(action) else {
        return ApiError::UnsupportedRequest.into();
    };
    match authenticate(state, session, action).await {
        Ok(call) => (entry.handler)(state, call).await.unwrap_or_else(|r| r),
        Err(reply) => reply,
    }
}

async fn authenticate(
    state: &State,
    session: &mut Session,
    action: &str,
) -> Result<AdminCall, Reply> {
    web::check_content_type(session, BodyRule::Json).map_err(Reply::from)?;
    let raw_query = web::raw_query(session);
    let params = Params::parse(&raw_query);
    let mut body = None;
    // Rails reads a JSON body whatever the method (a GET may carry `{"id": …}`).
    if web::has_body(session) {
        let bytes = web::read_body(session, ADMIN_BODY_LIMIT)
            .await
            .map_err(|e| match e {
                // A JSON API answers JSON; the 413 closes the connection (web::send).
                ApiError::BodyTooLarge(_) => error(413, &e.message()),
                other => Reply::from(other),
            })?;
        if !bytes.iter().all(u8::is_ascii_whitespace) {
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(map)) => body = Some(map),
                _ => return Err(error(400, "The request body is not a JSON object")),
            }
        }
    }
    let mut all = params.clone();
    if let Some(sum) = body
        .as_ref()
        .and_then(|b| b.get("checksum"))
        .and_then(json_string)
    {
        all.insert("checksum", &sum);
    }
    web::verify(&state.config.checksum, action, &raw_query, &all).map_err(Reply::from)?;
    Ok(AdminCall { params, body })
}

/// Parameter-missing, as Rails reports it when no object could be derived at all.
pub(crate) fn param_missing(name: &str) -> ApiError {
    ApiError::Internal(format!("param is missing or the value is empty: {name}"))
}
