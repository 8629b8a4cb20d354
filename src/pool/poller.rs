//! The poller: every POLL_INTERVAL, one getMeetings per server (see `probe`), run as a
//! pingora-load-balancing health-check pass over the servers of the store.

use super::probe::{Check, Probe, Round, Targets};
use super::registry::Registry;
use crate::bbb::client::BbbClient;
use crate::config::{PollerConfig, Timeouts};
use crate::store::voice_bridge::BridgePolicy;
use crate::store::{Meeting, Store, StoreResult};
use pingora_load_balancing::Backends;
use std::collections::HashMap;
use std::sync::Arc;

pub struct Poller {
    probe: Arc<Probe>,
    backends: Backends,
    cycle: u64,
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
