//! One poll of one server, as a pingora-load-balancing `HealthCheck`: its BBB getMeetings
//! gives health (with hysteresis kept in the store, so every instance agrees), load,
//! statistics and the live meeting list.

use super::backend::{backend, server_id};
use super::load;
use super::panic::panic_server;
use super::registry::Registry;
use crate::bbb::client::{BbbClient, UpstreamError};
use crate::bbb::xml;
use crate::bbb::Target;
use crate::config::{PollerConfig, Timeouts};
use crate::store::voice_bridge::BridgePolicy;
use crate::store::{
    Meeting, NewMeeting, Server, ServerChange, ServerState, ServerStats, Store, StoreResult,
};
use parking_lot::Mutex;
use pingora_load_balancing::discovery::ServiceDiscovery;
use pingora_load_balancing::health_check::HealthCheck;
use pingora_load_balancing::Backend;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::Semaphore;

/// A meeting missing from this many successful polls in a row is forgotten. One is not enough:
/// a meeting being created right now is stored before its BBB server knows it.
const MISSING_POLLS_TO_FORGET: u32 = 2;

/// Versions are asked for on the first successful poll and then every this many cycles.
const VERSION_EVERY: u64 = 10;

/// What one poll cycle works on: the servers and the meetings the store placed on each.
#[derive(Default)]
pub(super) struct Round {
    pub cycle: u64,
    pub servers: HashMap<String, Server>,
    pub known: HashMap<String, Vec<Meeting>>,
}

/// The poll of one server.
pub(super) struct Probe {
    pub registry: Arc<Registry>,
    pub store: Arc<dyn Store>,
    pub client: Arc<BbbClient>,
    pub cfg: PollerConfig,
    pub timeouts: Timeouts,
    pub bridges: BridgePolicy,
    pub round: Mutex<Round>,
    /// Bounds how many servers are polled at once.
    gate: Semaphore,
    /// meeting id → consecutive successful polls of its server that did not list it
    missing: Mutex<HashMap<String, u32>>,
}

/// Discovery for the poller: every server of the current round, whatever its state.
pub(super) struct Targets(pub Arc<Probe>);

#[async_trait::async_trait]
impl ServiceDiscovery for Targets {
    async fn discover(&self) -> pingora::Result<(BTreeSet<Backend>, HashMap<u64, bool>)> {
        let set = self
            .0
            .round
            .lock()
            .servers
            .keys()
            .map(|id| backend(id))
            .collect();
        Ok((set, HashMap::new()))
    }
}

/// The check Pingora runs per backend. Each check is one full poll; hysteresis is Scalelite's
/// (counters in the store), so Pingora's own threshold is one.
pub(super) struct Check(pub Arc<Probe>);

#[async_trait::async_trait]
impl HealthCheck for Check {
    async fn check(&self, target: &Backend) -> pingora::Result<()> {
        let Some(id) = server_id(target) else {
            return Ok(());
        };
        let (server, known, cycle) = {
            let mut round = self.0.round.lock();
            let known = round.known.remove(id).unwrap_or_default();
            (round.servers.get(id).cloned(), known, round.cycle)
        };
        let Some(server) = server else {
            return Ok(());
        };
        let _permit = self.0.gate.acquire().await;
        match self.0.poll_server(server, known, cycle).await {
            Ok(()) => Ok(()),
            Err(e) => pingora::Error::e_explain(pingora::ErrorType::ConnectError, e.to_string()),
        }
    }

    fn health_threshold(&self, _success: bool) -> usize {
        1
    }

    fn backend_summary(&self, target: &Backend) -> String {
        format!("BBB server {}", server_id(target).unwrap_or("?"))
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Probe {
    pub(super) fn new(
        registry: Arc<Registry>,
        store: Arc<dyn Store>,
        client: Arc<BbbClient>,
        cfg: PollerConfig,
        timeouts: Timeouts,
        bridges: BridgePolicy,
    ) -> Self {
        Probe {
            gate: Semaphore::new(cfg.concurrency.max(1)),
            registry,
            store,
            client,
            cfg,
            timeouts,
            bridges,
            round: Mutex::new(Round::default()),
            missing: Mutex::new(HashMap::new()),
        }
    }

    /// Poll one server and record what it says; `Err` when the server did not answer well.
    async fn poll_server(
        &self,
        server: Server,
        known: Vec<Meeting>,
        cycle: u64,
    ) -> Result<(), UpstreamError> {
        let answer = self.client.get_meetings(self.target(&server)).await;
        let (recorded, outcome) = match answer {
            Ok(meetings) => {
                let r = self.healthy(&server, &meetings, &known).await;
                if !server.online || cycle.is_multiple_of(VERSION_EVERY) {
                    self.poll_version(&server).await;
                }
                (r, Ok(()))
            }
            Err(e) => {
                log::info!("poll of server {} failed: {e}", server.id);
                (self.unhealthy(&server).await, Err(e))
            }
        };
        if let Err(e) = recorded {
            log::error!("poll of server {}: store error: {e}", server.id);
        }
        outcome
    }

    async fn healthy(
        &self,
        server: &Server,
        meetings: &[xml::MeetingSummary],
        known: &[Meeting],
    ) -> StoreResult<()> {
        let store = &self.store;
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
        let updated = store.update_server(&server.id, change).await?;
        // Visible to this instance's requests now, not at the end of the cycle.
        self.registry.note(&updated);
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
        let store = &self.store;
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
        let store = &self.store;
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
        // This instance's joins read the registry: it says offline before the store does, so
        // nobody who sees the server offline (the admin API reads the store) can still get a
        // join sent there through this instance. The store's answer replaces the guess.
        let mut offline = server.clone();
        change.clone().apply(&mut offline);
        self.registry.note(&offline);
        let updated = store.update_server(&server.id, change).await?;
        self.registry.note(&updated);
        let target = Target {
            timeouts: self.timeouts.reduced(),
            ..self.target(server)
        };
        let _ = panic_server(store.as_ref(), &self.client, target, server, false).await;
        Ok(())
    }

    /// A server as the poller calls it: with the full timeouts (it may be coming back).
    fn target<'a>(&self, server: &'a Server) -> Target<'a> {
        Target {
            url: &server.url,
            secret: &server.secret,
            timeouts: self.timeouts,
        }
    }

    async fn poll_version(&self, server: &Server) {
        let Ok(body) = self.client.index(self.target(server)).await else {
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
            let _ = self.store.update_server(&server.id, change).await;
        }
    }
}
