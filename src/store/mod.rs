//! Live state (servers, loads, meetings, voice bridges) behind one trait, with Scalelite's semantics.

mod embedded;
mod metered;
mod persist;
mod redis;
mod types;
pub mod voice_bridge;
pub use redis::RedisStore;

pub use embedded::EmbeddedStore;
pub use metered::MeteredStore;
pub use persist::JournalError;
pub use types::*;

use async_trait::async_trait;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("Couldn't find server with id={0}")]
    ServerNotFound(String),
    #[error("Server already exists with id '{0}'")]
    ServerExists(String),
    #[error("Failed to allocate conference number for meeting {0} after 10 tries")]
    VoiceBridgeExhausted(String),
    #[error("Couldn't find Meeting with id={0} and tenant_id={1}")]
    MeetingOfOtherTenant(String, String),
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The embedded store's state file could not be opened or loaded.
    #[error("{0}")]
    Journal(#[from] persist::JournalError),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The live state of the load balancer. Every method is one atomic step, so several gateway
/// instances (or the poller and the gateway) never half-apply a change.
#[async_trait]
pub trait Store: Send + Sync {
    /// Every server, in no particular order.
    async fn servers(&self) -> StoreResult<Vec<Server>>;
    async fn server(&self, id: &str) -> StoreResult<Option<Server>>;
    /// Add a new server; fails when the id is taken.
    async fn add_server(&self, server: Server) -> StoreResult<Server>;
    /// Apply a change with Scalelite's save rules (state transitions carry or drop the load).
    async fn update_server(&self, id: &str, change: ServerChange) -> StoreResult<Server>;
    /// Remove the server record (its meetings are left, as Scalelite does).
    async fn delete_server(&self, id: &str) -> StoreResult<()>;
    /// Add to the load of a server that is available for new meetings; no-op otherwise.
    async fn increment_load(&self, id: &str, amount: f64) -> StoreResult<Option<f64>>;

    async fn meeting(&self, id: &str) -> StoreResult<Option<Meeting>>;
    /// The join hot path in one step: find the meeting and add `1 × load_multiplier` to its
    /// server's load when that server is available for new meetings (no-op otherwise).
    async fn join(&self, meeting_id: &str) -> StoreResult<Option<Meeting>>;
    async fn meetings(&self) -> StoreResult<Vec<Meeting>>;
    /// Find the meeting, or create it on `new.server_id` with a freshly allocated voice bridge.
    /// Returns the stored meeting and whether this call created it.
    async fn create_or_find_meeting(
        &self,
        new: NewMeeting,
        bridges: &voice_bridge::BridgePolicy,
    ) -> StoreResult<(Meeting, bool)>;
    /// Forget a meeting and release its voice bridge.
    async fn delete_meeting(&self, id: &str) -> StoreResult<()>;
    /// Keep running meetings alive (their records expire after the meeting TTL otherwise).
    async fn touch_meetings(&self, ids: &[String]) -> StoreResult<()>;

    /// Take or renew the lease `name` for `ttl`: granted when it is free, expired or already
    /// `holder`'s. Singleton jobs (the poller) run only while their instance holds the lease.
    async fn lease(&self, name: &str, holder: &str, ttl: std::time::Duration) -> StoreResult<bool>;
    /// Give a lease up (on shutdown), so another instance takes over at once.
    async fn release(&self, name: &str, holder: &str) -> StoreResult<()>;
    /// One round trip, for the health check.
    async fn ping(&self) -> StoreResult<()>;
}
