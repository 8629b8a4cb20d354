//! The tenant calls of the admin API. Tenants arrive with multitenancy; until then every tenant
//! call answers what Scalelite answers while multitenancy is disabled.

use super::AdminCall;
use crate::state::State;
use crate::web::Reply;
use serde_json::json;

pub(super) async fn disabled(_state: &State, _call: &AdminCall) -> Result<Reply, Reply> {
    Ok(Reply::json(
        412,
        &json!({ "message": "Multitenancy is disabled" }),
    ))
}
