//! A store wrapper that times every operation and counts failures for the metrics.

use super::voice_bridge::BridgePolicy;
use super::*;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Any store, measured: `scalelite_store_operation_duration_seconds` and
/// `scalelite_store_errors_total` by operation.
pub struct MeteredStore(pub Arc<dyn Store>);

async fn timed<T>(op: &str, f: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
    let started = Instant::now();
    let r = f.await;
    crate::metrics::store(op, started.elapsed(), r.is_ok());
    r
}

#[async_trait]
impl Store for MeteredStore {
    async fn servers(&self) -> StoreResult<Vec<Server>> {
        timed("servers", self.0.servers()).await
    }
    async fn server(&self, id: &str) -> StoreResult<Option<Server>> {
        timed("server", self.0.server(id)).await
    }
    async fn add_server(&self, server: Server) -> StoreResult<Server> {
        timed("add_server", self.0.add_server(server)).await
    }
    async fn update_server(&self, id: &str, change: ServerChange) -> StoreResult<Server> {
        timed("update_server", self.0.update_server(id, change)).await
    }
    async fn delete_server(&self, id: &str) -> StoreResult<()> {
        timed("delete_server", self.0.delete_server(id)).await
    }
    async fn increment_load(&self, id: &str, amount: f64) -> StoreResult<Option<f64>> {
        timed("increment_load", self.0.increment_load(id, amount)).await
    }
    async fn meeting(&self, id: &str) -> StoreResult<Option<Meeting>> {
        timed("meeting", self.0.meeting(id)).await
    }
    async fn join(&self, meeting_id: &str) -> StoreResult<Option<Meeting>> {
        timed("join", self.0.join(meeting_id)).await
    }
    async fn meetings(&self) -> StoreResult<Vec<Meeting>> {
        timed("meetings", self.0.meetings()).await
    }
    async fn create_or_find_meeting(
        &self,
        new: NewMeeting,
        bridges: &BridgePolicy,
    ) -> StoreResult<(Meeting, bool)> {
        timed(
            "create_or_find_meeting",
            self.0.create_or_find_meeting(new, bridges),
        )
        .await
    }
    async fn delete_meeting(&self, id: &str) -> StoreResult<()> {
        timed("delete_meeting", self.0.delete_meeting(id)).await
    }
    async fn touch_meetings(&self, ids: &[String]) -> StoreResult<()> {
        timed("touch_meetings", self.0.touch_meetings(ids)).await
    }
    async fn lease(&self, name: &str, holder: &str, ttl: Duration) -> StoreResult<bool> {
        timed("lease", self.0.lease(name, holder, ttl)).await
    }
    async fn release(&self, name: &str, holder: &str) -> StoreResult<()> {
        timed("release", self.0.release(name, holder)).await
    }
    async fn ping(&self) -> StoreResult<()> {
        timed("ping", self.0.ping()).await
    }
}
