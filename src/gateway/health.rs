//! The answers that need no BBB call and no checksum: the API index and the health check.

use crate::state::State;
use crate::web::Reply;
use std::time::Duration;

/// `GET /bigbluebutton/api`: BBB's version envelope (and BUILD_NUMBER when set).
pub(super) fn index(state: &State) -> Reply {
    let mut fields = vec![("version", "2.0")];
    if let Some(build) = state.config.build_number.as_deref() {
        fields.push(("build", build));
    }
    Reply::xml(crate::bbb::xml::success(&fields))
}

/// How long the store may take to answer the health check (the database bounds its own ping).
const HEALTH_STORE_TIMEOUT: Duration = Duration::from_millis(2500);

/// 200 `success` when the store and the database both answer; 503 naming every failing part
/// otherwise (Scalelite answers 200 even then, which load balancers cannot act on).
pub(super) async fn health(state: &State) -> Reply {
    let store = async {
        match tokio::time::timeout(HEALTH_STORE_TIMEOUT, state.store.ping()).await {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(format!("store: {e}")),
            Err(_) => Some(format!(
                "store: no answer within {} s",
                HEALTH_STORE_TIMEOUT.as_secs_f64()
            )),
        }
    };
    let database = async {
        state
            .database
            .ping()
            .await
            .err()
            .map(|e| format!("database: {e}"))
    };
    let (store, database) = tokio::join!(store, database);
    let failures: Vec<String> = [store, database].into_iter().flatten().collect();
    if failures.is_empty() {
        return Reply::text(200, "success");
    }
    log::warn!("health check failed: {}", failures.join("; "));
    Reply::text(
        503,
        &format!("Health Check Failure: {}", failures.join("; ")),
    )
}
