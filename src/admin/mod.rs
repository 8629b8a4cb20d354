//! Scalelite's admin API (`/scalelite/api/*`): JSON in and out, authenticated with the
//! load balancer's checksum; its auth errors are BBB XML envelopes (quirk Q21, reproduced).

mod cli_api;
mod servers;
pub mod sync;

use crate::app::State;
use crate::bbb::{ApiError, Params};
use crate::gateway::request::{self, BodyRule};
use crate::gateway::respond::Reply;
use pingora_proxy::Session;
use serde_json::{json, Value};

/// An admin call's input: query parameters and the JSON body.
pub struct AdminCall {
    pub params: Params,
    pub body: Option<serde_json::Map<String, Value>>,
}

impl AdminCall {
    /// A top-level value (query or JSON), as a string.
    pub fn value(&self, key: &str) -> Option<String> {
        if let Some(v) = self.body.as_ref().and_then(|b| b.get(key)) {
            return json_string(v);
        }
        self.params.get(key).map(String::from)
    }

    /// The `name` object (`server`, `tenant`); Rails wraps a body without it into it.
    /// Rails also builds it from `name[key]=value` query parameters.
    pub fn object(&self, name: &str) -> Option<serde_json::Map<String, Value>> {
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
pub fn json_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub fn error(status: u16, message: &str) -> Reply {
    Reply::json(status, &json!({ "error": message }))
}

pub async fn handle(state: &State, session: &mut Session, action: &str) -> Reply {
    match authenticate(state, session, action).await {
        Ok(call) => servers::dispatch(state, action, call).await,
        Err(reply) => reply,
    }
}

async fn authenticate(
    state: &State,
    session: &mut Session,
    action: &str,
) -> Result<AdminCall, Reply> {
    request::check_content_type(session, BodyRule::Json).map_err(Reply::from)?;
    let raw_query = request::raw_query(session);
    let params = Params::parse(&raw_query);
    let mut body = None;
    // Rails reads a JSON body whatever the method (a GET may carry `{"id": …}`).
    if request::has_body(session) {
        let bytes = request::read_body(session, 1024 * 1024)
            .await
            .map_err(Reply::from)?;
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
    request::verify(&state.config.checksum, action, &raw_query, &all).map_err(Reply::from)?;
    Ok(AdminCall { params, body })
}

/// Parameter-missing, as Rails reports it when no object could be derived at all.
pub fn param_missing(name: &str) -> ApiError {
    ApiError::Internal(format!("param is missing or the value is empty: {name}"))
}
