//! The embedded store: all live state in process memory, journaled to a local SQLite file.

use super::persist::{self, Job, Op};
use super::voice_bridge::BridgePolicy;
use super::*;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot};

#[derive(Default)]
struct State {
    servers: HashMap<String, Server>,
    /// meeting id → (meeting, expiry in unix seconds)
    meetings: HashMap<String, (Meeting, i64)>,
    /// voice bridge → meeting id
    bridges: HashMap<String, String>,
}

/// In-memory state shared by every service of the process; each change is applied under one
/// lock (so it is atomic) and queued to the journal in the same order.
pub struct EmbeddedStore {
    state: Mutex<State>,
    journal: mpsc::UnboundedSender<Job>,
    ttl: Duration,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl EmbeddedStore {
    /// Open the state file (created when missing) and load what it holds.
    pub fn open(path: &Path, meeting_ttl: Duration) -> Result<EmbeddedStore, StoreError> {
        let (journal, loaded) = persist::spawn(path)?;
        let mut state = State::default();
        for s in loaded.servers {
            state.servers.insert(s.id.clone(), s);
        }
        for (m, expires) in loaded.meetings {
            state.bridges.insert(m.voice_bridge.clone(), m.id.clone());
            state.meetings.insert(m.id.clone(), (m, expires));
        }
        Ok(EmbeddedStore {
            state: Mutex::new(state),
            journal,
            ttl: meeting_ttl,
        })
    }

    /// Queue a journal write; the receiver resolves once it is on disk.
    fn record(&self, op: Op) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        if self.journal.send(Job { op, done: Some(tx) }).is_err() {
            log::error!("state journal is gone; change kept in memory only");
        }
        rx
    }

    async fn durable(rx: oneshot::Receiver<()>) -> StoreResult<()> {
        rx.await
            .map_err(|_| StoreError::Unavailable("state journal stopped".into()))
    }

    fn expiry(&self) -> i64 {
        now() + self.ttl.as_secs() as i64
    }
}

impl State {
    /// A meeting that has not expired (expired ones are dropped here, like a Redis TTL).
    fn live_meeting(&mut self, id: &str) -> Option<Meeting> {
        let (m, expires) = self.meetings.get(id)?;
        if *expires > now() {
            return Some(m.clone());
        }
        let bridge = m.voice_bridge.clone();
        self.meetings.remove(id);
        if self.bridges.get(&bridge).map(String::as_str) == Some(id) {
            self.bridges.remove(&bridge);
        }
        None
    }
}

#[async_trait]
impl Store for EmbeddedStore {
    async fn servers(&self) -> StoreResult<Vec<Server>> {
        Ok(self.state.lock().servers.values().cloned().collect())
    }

    async fn server(&self, id: &str) -> StoreResult<Option<Server>> {
        Ok(self.state.lock().servers.get(id).cloned())
    }

    async fn add_server(&self, mut server: Server) -> StoreResult<Server> {
        let rx = {
            let mut st = self.state.lock();
            if st.servers.contains_key(&server.id) {
                return Err(StoreError::ServerExists(server.id));
            }
            ServerChange::default().apply(&mut server);
            st.servers.insert(server.id.clone(), server.clone());
            self.record(Op::UpsertServer(Box::new(server.clone())))
        };
        Self::durable(rx).await?;
        Ok(server)
    }

    async fn update_server(&self, id: &str, change: ServerChange) -> StoreResult<Server> {
        let (server, rx) = {
            let mut st = self.state.lock();
            let s = st
                .servers
                .get_mut(id)
                .ok_or_else(|| StoreError::ServerNotFound(id.to_string()))?;
            change.apply(s);
            let s = s.clone();
            let rx = self.record(Op::UpsertServer(Box::new(s.clone())));
            (s, rx)
        };
        Self::durable(rx).await?;
        Ok(server)
    }

    async fn delete_server(&self, id: &str) -> StoreResult<()> {
        let rx = {
            let mut st = self.state.lock();
            if st.servers.remove(id).is_none() {
                return Err(StoreError::ServerNotFound(id.to_string()));
            }
            self.record(Op::DeleteServer(id.to_string()))
        };
        Self::durable(rx).await
    }

    async fn increment_load(&self, id: &str, amount: f64) -> StoreResult<Option<f64>> {
        // Loads are recomputed by every poll, so increments are not journaled.
        let mut st = self.state.lock();
        Ok(st.servers.get_mut(id).and_then(|s| {
            if !s.is_available() {
                return None;
            }
            let load = s.load.unwrap_or(0.0) + amount;
            s.load = Some(load);
            Some(load)
        }))
    }

    async fn meeting(&self, id: &str) -> StoreResult<Option<Meeting>> {
        Ok(self.state.lock().live_meeting(id))
    }

    async fn join(&self, meeting_id: &str) -> StoreResult<Option<Meeting>> {
        let mut st = self.state.lock();
        let Some(meeting) = st.live_meeting(meeting_id) else {
            return Ok(None);
        };
        if let Some(s) = st.servers.get_mut(&meeting.server_id) {
            if s.is_available() {
                s.load = Some(s.load.unwrap_or(0.0) + s.multiplier());
            }
        }
        Ok(Some(meeting))
    }

    async fn meetings(&self) -> StoreResult<Vec<Meeting>> {
        let mut st = self.state.lock();
        let ids: Vec<String> = st.meetings.keys().cloned().collect();
        Ok(ids.iter().filter_map(|id| st.live_meeting(id)).collect())
    }

    async fn create_or_find_meeting(
        &self,
        new: NewMeeting,
        bridges: &BridgePolicy,
    ) -> StoreResult<(Meeting, bool)> {
        let candidates = bridges.candidates(&new.id, new.requested_bridge.as_deref());
        let (meeting, rx) = {
            let mut st = self.state.lock();
            if let Some(existing) = st.live_meeting(&new.id) {
                let theirs = existing.tenant_id.as_deref().unwrap_or("");
                let ours = new.tenant_id.as_deref().unwrap_or("");
                if !theirs.is_empty() && theirs != ours {
                    return Err(StoreError::MeetingOfOtherTenant(new.id, ours.to_string()));
                }
                return Ok((existing, false));
            }
            let bridge = candidates
                .into_iter()
                .flatten()
                .find(|n| match st.bridges.get(n) {
                    None => true,
                    Some(owner) => owner == &new.id,
                })
                .ok_or_else(|| StoreError::VoiceBridgeExhausted(new.id.clone()))?;
            let meeting = Meeting {
                id: new.id,
                server_id: new.server_id,
                moderator_pw: new.moderator_pw,
                voice_bridge: bridge,
                tenant_id: new.tenant_id.filter(|t| !t.is_empty()),
            };
            let expires = self.expiry();
            st.bridges
                .insert(meeting.voice_bridge.clone(), meeting.id.clone());
            st.meetings
                .insert(meeting.id.clone(), (meeting.clone(), expires));
            let rx = self.record(Op::UpsertMeeting(Box::new(meeting.clone()), expires));
            (meeting, rx)
        };
        Self::durable(rx).await?;
        Ok((meeting, true))
    }

    async fn delete_meeting(&self, id: &str) -> StoreResult<()> {
        let rx = {
            let mut st = self.state.lock();
            let Some((m, _)) = st.meetings.remove(id) else {
                return Ok(());
            };
            if st.bridges.get(&m.voice_bridge).map(String::as_str) == Some(id) {
                st.bridges.remove(&m.voice_bridge);
            }
            self.record(Op::DeleteMeeting(id.to_string()))
        };
        Self::durable(rx).await
    }

    async fn lease(&self, _name: &str, _holder: &str, _ttl: Duration) -> StoreResult<bool> {
        // One process owns the embedded state: its jobs always hold their lease.
        Ok(true)
    }

    async fn release(&self, _name: &str, _holder: &str) -> StoreResult<()> {
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        if self.journal.is_closed() {
            return Err(StoreError::Unavailable("state journal stopped".into()));
        }
        Ok(())
    }

    async fn touch_meetings(&self, ids: &[String]) -> StoreResult<()> {
        let expires = self.expiry();
        let touched: Vec<String> = {
            let mut st = self.state.lock();
            ids.iter()
                .filter(|id| match st.meetings.get_mut(id.as_str()) {
                    Some(entry) => {
                        entry.1 = expires;
                        true
                    }
                    None => false,
                })
                .cloned()
                .collect()
        };
        if !touched.is_empty() {
            // Not awaited: a lost refresh only shortens a lifetime the next poll extends again.
            drop(self.record(Op::Expire(touched, expires)));
        }
        Ok(())
    }
}
