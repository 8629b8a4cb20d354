//! Scalelite's "panic" of a server: every meeting on it ended and forgotten. Used by the admin
//! API's panicServer and by the poller when a server goes offline.

use crate::bbb::client::{BbbClient, UpstreamError};
use crate::bbb::{Params, Target};
use crate::store::{Meeting, Server, Store, StoreError};

/// Why a panic stopped before every meeting was ended.
#[derive(Debug, thiserror::Error)]
pub enum PanicError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    End(#[from] UpstreamError),
}

/// End every meeting of a server: forget each, then ask BBB to end it. With `stop_on_error`
/// the first failed `end` aborts (the admin API's behaviour); otherwise it is logged.
pub async fn panic_server(
    store: &dyn Store,
    client: &BbbClient,
    target: Target<'_>,
    server: &Server,
    stop_on_error: bool,
) -> Result<usize, PanicError> {
    let meetings: Vec<Meeting> = store
        .meetings()
        .await?
        .into_iter()
        .filter(|m| m.server_id == server.id)
        .collect();
    for m in &meetings {
        store.delete_meeting(&m.id).await?;
        let mut params = Params::new();
        params.insert("meetingID", &m.id);
        params.insert("password", &m.moderator_pw);
        if let Err(e) = client.call(target, "end", &params, None).await {
            log::warn!("could not end meeting {} on {}: {e}", m.id, server.id);
            if stop_on_error {
                return Err(e.into());
            }
        }
    }
    Ok(meetings.len())
}
