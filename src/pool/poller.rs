//! The poller: every POLL_INTERVAL, one getMeetings per server (see `probe`), run as a
//! pingora-load-balancing health-check pass over the servers of the store.

use super::probe::{Check, Probe, Round, Targets};
use super::registry::Registry;
use crate::bbb::client::{BbbClient, UpstreamError};
use crate::bbb::Params;
use crate::config::{PollerConfig, Timeouts};
use crate::store::voice_bridge::BridgePolicy;
use crate::store::{Meeting, Server, Store, StoreResult};
use pingora_load_balancing::Backends;
use std::collections::HashMap;
use std::sync::Arc;

pub struct Poller {
    probe: Arc<Probe>,
    backends: Backends,
    cycle: u64,
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

impl Poller {
    pub fn new(
        registry: Arc<Registry>,
        store: Arc<dyn Store>,
        client: Arc<BbbClient>,
        cfg: PollerConfig,
        timeouts: Timeouts,
        bridges: BridgePolicy,
    ) -> Self {
        let probe = Arc::new(Probe::new(registry, store, client, cfg, timeouts, bridges));
        let mut backends = Backends::new(Box::new(Targets(probe.clone())));
        backends.set_health_check(Box::new(Check(probe.clone())));
        Poller {
            probe,
            backends,
            cycle: 0,
        }
    }

    /// Poll every server once, concurrently but bounded; then refresh the registry.
    pub async fn poll_all(&mut self) -> StoreResult<()> {
        let started = std::time::Instant::now();
        let store = self.probe.store.clone();
        let servers = store.servers().await?;
        let mut known: HashMap<String, Vec<Meeting>> = HashMap::new();
        for m in store.meetings().await? {
            known.entry(m.server_id.clone()).or_default().push(m);
        }
        *self.probe.round.lock() = Round {
            cycle: self.cycle,
            servers: servers.into_iter().map(|s| (s.id.clone(), s)).collect(),
            known,
        };
        self.cycle += 1;
        if let Err(e) = self.backends.update(|_| {}).await {
            log::error!("poller: discovery failed: {e}");
        }
        let (cfg, t) = (&self.probe.cfg, self.probe.timeouts);
        let bound = cfg.wait_timeout.max(t.connect + t.response) * 2;
        // Dropping the pass on time-out aborts the checks still running.
        if tokio::time::timeout(bound, self.backends.run_health_check(true))
            .await
            .is_err()
        {
            log::warn!("poll cycle exceeded {bound:?}; abandoning the slowest servers");
        }
        crate::metrics::poll_cycle(started.elapsed());
        self.probe.registry.refresh(self.probe.store.as_ref()).await
    }
}
