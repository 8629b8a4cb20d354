//! The poller: one getMeetings per server per interval gives health, load, statistics and the
//! live meeting list.

use super::load;
use super::registry::Registry;
use crate::bbb::client::{BbbClient, UpstreamError};
use crate::bbb::{xml, Params};
use crate::config::{PollerConfig, Timeouts};
use crate::store::voice_bridge::BridgePolicy;
use crate::store::{
    Meeting, NewMeeting, Server, ServerChange, ServerState, ServerStats, Store, StoreResult,
};
use parking_lot::Mutex;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::Semaphore;

/// A meeting missing from this many successful polls in a row is forgotten. One is not enough:
/// a meeting being created right now is stored before its BBB server knows it.
const MISSING_POLLS_TO_FORGET: u32 = 2;

/// Versions are asked for on the first successful poll and then every this many cycles.
const VERSION_EVERY: u64 = 10;

pub struct Poller {
    registry: Arc<Registry>,
    client: Arc<BbbClient>,
    cfg: PollerConfig,
    timeouts: Timeouts,
    bridges: BridgePolicy,
    /// meeting id → consecutive successful polls of its server that did not list it
    missing: Mutex<HashMap<String, u32>>,
    cycle: std::sync::atomic::AtomicU64,
}

/// End every meeting of a server (Scalelite's "panic"): forget each, then ask BBB to end it.
/// With `stop_on_error` the first failed `end` aborts (the admin API's behaviour).
pub async fn panic_server(
    store: &dyn Store,
    client: &BbbClient,
    registry: &Registry,
    server: &Server,
    timeouts: Timeouts,
    stop_on_error: bool,
) -> Result<usize, String> {
    let meetings: Vec<Meeting> = store
        .meetings()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|m| m.server_id == server.id)
        .collect();
    let ep = registry.endpoint(&server.url).await;
    for m in &meetings {
        store
            .delete_meeting(&m.id)
            .await
            .map_err(|e| e.to_string())?;
        let mut params = Params::new();
        params.insert("meetingID", &m.id);
        params.insert("password", &m.moderator_pw);
        let result = match &ep {
            Ok(ep) => client
                .api(ep, &server.secret, "end", &params, None, timeouts)
                .await
                .map(|_| ()),
            Err(e) => Err(UpstreamError::Transport(e.clone())),
        };
        if let Err(e) = result {
            log::warn!("could not end meeting {} on {}: {e}", m.id, server.id);
            if stop_on_error {
                return Err(e.to_string());
            }
        }
    }
    Ok(meetings.len())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Poller {
    pub fn new(
        registry: Arc<Registry>,
        client: Arc<BbbClient>,
        cfg: PollerConfig,
        timeouts: Timeouts,
        bridges: BridgePolicy,
    ) -> Self {
        Poller {
            registry,
            client,
            cfg,
            timeouts,
            bridges,
            missing: Mutex::new(HashMap::new()),
            cycle: Default::default(),
        }
    }

    /// Poll every server once, concurrently but bounded; then refresh the registry.
    pub async fn poll_all(self: &Arc<Self>) -> StoreResult<()> {
        let cycle = self
            .cycle
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let servers = self.registry.store().servers().await?;
        let meetings = self.registry.store().meetings().await?;
        let mut by_server: HashMap<String, Vec<Meeting>> = HashMap::new();
        for m in meetings {
            by_server.entry(m.server_id.clone()).or_default().push(m);
        }
        let gate = Arc::new(Semaphore::new(self.cfg.concurrency.max(1)));
        let mut jobs = tokio::task::JoinSet::new();
        for server in servers {
            let known = by_server.remove(&server.id).unwrap_or_default();
            let this = self.clone();
            let gate = gate.clone();
            jobs.spawn(async move {
                let _permit = gate.acquire_owned().await;
                this.poll_server(server, known, cycle).await;
            });
        }
        let bound = self
            .cfg
            .wait_timeout
            .max(self.timeouts.connect + self.timeouts.response)
            * 2;
        if tokio::time::timeout(bound, async { while jobs.join_next().await.is_some() {} })
            .await
            .is_err()
        {
            log::warn!("poll cycle exceeded {bound:?}; abandoning the slowest servers");
            jobs.abort_all();
        }
        self.registry.refresh().await
    }

    async fn poll_server(&self, server: Server, known: Vec<Meeting>, cycle: u64) {
        let answer = match self.registry.endpoint(&server.url).await {
            Ok(ep) => self
                .client
                .get_meetings(&ep, &server.secret, self.timeouts)
                .await
                .map(|ms| (ep, ms)),
            Err(e) => Err(UpstreamError::Transport(e)),
        };
        let result = match answer {
            Ok((ep, meetings)) => {
                let r = self.healthy(&server, &meetings, &known).await;
                if !server.online || cycle.is_multiple_of(VERSION_EVERY) {
                    self.poll_version(&server, &ep).await;
                }
                r
            }
            Err(e) => {
                log::info!("poll of server {} failed: {e}", server.id);
                self.unhealthy(&server).await
            }
        };
        if let Err(e) = result {
            log::error!("poll of server {}: store error: {e}", server.id);
        }
    }

    async fn healthy(
        &self,
        server: &Server,
        meetings: &[xml::MeetingSummary],
        known: &[Meeting],
    ) -> StoreResult<()> {
        let store = self.registry.store();
        let mut change = ServerChange::default();
        if !server.online {
            let healthy = server.healthy_counter + 1;
            if healthy < self.cfg.healthy_threshold {
                change.counters = Some((healthy, 0));
                store.update_server(&server.id, change).await?;
                return Ok(());
            }
            change.online = Some(true);
        }
        change.counters = Some((0, 0));
        let (total, stats) = load::compute(meetings, &self.cfg, now_ms());
        let load = total * server.multiplier();
        change.load = Some(Some(load));
        change.stats = Some(stats);
        if server.effective_state() == ServerState::Cordoned && load == 0.0 {
            change.state = Some(ServerState::Disabled);
        }
        store.update_server(&server.id, change).await?;
        self.sync_meetings(server, meetings, known).await
    }

    /// Forget meetings that stopped running, adopt running ones we did not know, and keep the
    /// records of running meetings from expiring.
    async fn sync_meetings(
        &self,
        server: &Server,
        running: &[xml::MeetingSummary],
        known: &[Meeting],
    ) -> StoreResult<()> {
        let store = self.registry.store();
        let running_ids: HashSet<&str> = running.iter().map(|m| m.meeting_id.as_str()).collect();
        let mut forget = Vec::new();
        {
            let mut missing = self.missing.lock();
            for m in known {
                if running_ids.contains(m.id.as_str()) {
                    missing.remove(&m.id);
                    continue;
                }
                let n = missing.entry(m.id.clone()).or_insert(0);
                *n += 1;
                if *n >= MISSING_POLLS_TO_FORGET {
                    missing.remove(&m.id);
                    forget.push(m.id.clone());
                }
            }
        }
        for id in forget {
            log::info!("meeting {id} ended on server {}; forgetting it", server.id);
            store.delete_meeting(&id).await?;
        }
        let known_ids: HashSet<&str> = known.iter().map(|m| m.id.as_str()).collect();
        for m in running
            .iter()
            .filter(|m| !m.is_breakout && !known_ids.contains(m.meeting_id.as_str()))
        {
            if store.meeting(&m.meeting_id).await?.is_some() {
                continue; // placed on another server; not ours to move
            }
            let adopt = NewMeeting {
                id: m.meeting_id.clone(),
                server_id: server.id.clone(),
                moderator_pw: m.moderator_pw.clone(),
                requested_bridge: Some(m.voice_bridge.clone()).filter(|v| !v.is_empty()),
                tenant_id: m.tenant_id.clone(),
            };
            let policy = BridgePolicy {
                use_external: true,
                ..self.bridges.clone()
            };
            match store.create_or_find_meeting(adopt, &policy).await {
                Ok(_) => log::info!(
                    "adopted running meeting {} on server {}",
                    m.meeting_id,
                    server.id
                ),
                Err(e) => log::warn!("could not adopt meeting {}: {e}", m.meeting_id),
            }
        }
        let alive: Vec<String> = running.iter().map(|m| m.meeting_id.clone()).collect();
        store.touch_meetings(&alive).await
    }

    async fn unhealthy(&self, server: &Server) -> StoreResult<()> {
        let store = self.registry.store();
        let mut change = ServerChange::default();
        if !server.online {
            change.counters = Some((0, 0));
            store.update_server(&server.id, change).await?;
            return Ok(());
        }
        let unhealthy = server.unhealthy_counter + 1;
        if unhealthy < self.cfg.unhealthy_threshold {
            change.counters = Some((0, unhealthy));
            store.update_server(&server.id, change).await?;
            return Ok(());
        }
        log::warn!(
            "server {} is offline; ending and forgetting its meetings",
            server.id
        );
        // Mark it offline first so no join is sent there while its meetings are ended.
        change.online = Some(false);
        change.load = Some(None);
        change.counters = Some((0, 0));
        change.stats = Some(ServerStats::default());
        let updated = store.update_server(&server.id, change).await?;
        self.registry.note(&updated);
        let _ = panic_server(
            store.as_ref(),
            &self.client,
            &self.registry,
            server,
            self.timeouts.reduced(),
            false,
        )
        .await;
        Ok(())
    }

    async fn poll_version(&self, server: &Server, ep: &crate::bbb::client::Endpoint) {
        let sum = self
            .client
            .algorithm()
            .hex_digest(&[server.secret.as_bytes()]);
        let path = format!("{}?checksum={sum}", ep.base_path);
        let Ok((_, body)) = self.client.raw(ep, &path, None, self.timeouts).await else {
            return;
        };
        let Some(env) = xml::parse_envelope(&body) else {
            return;
        };
        let version = env.field("bbbVersion").unwrap_or("").to_string();
        if server.bbb_version.as_deref() != Some(version.as_str()) {
            let change = ServerChange {
                bbb_version: Some(version),
                ..Default::default()
            };
            let _ = self
                .registry
                .store()
                .update_server(&server.id, change)
                .await;
        }
    }
}
