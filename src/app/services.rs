//! The background services: the poller (one instance at a time, by lease) and the registry
//! refresher (so an admin change made through another instance is obeyed here within a second).

use crate::pool::poller::Poller;
use crate::state::{Shared, State};
use async_trait::async_trait;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;
use std::sync::Arc;
use std::time::Duration;

/// The lease that makes one instance the poller.
const POLLER_LEASE: &str = "poller";

/// How often other instances' changes are picked up (with a shared Redis).
const REFRESH_EVERY: Duration = Duration::from_secs(1);

/// Build this service's state, retrying while the store cannot be reached.
pub(super) async fn state_or_shutdown(
    shared: &Shared,
    who: &str,
    shutdown: &mut ShutdownWatch,
) -> Option<State> {
    loop {
        match shared.state().await {
            Ok(state) => return Some(state),
            Err(e) => {
                log::error!("{who} cannot start yet: {e}");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                    _ = shutdown.changed() => return None,
                }
            }
        }
    }
}

pub(super) struct PollerService {
    shared: Arc<Shared>,
}

impl PollerService {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        PollerService { shared }
    }
}

#[async_trait]
impl BackgroundService for PollerService {
    /// Runs for the life of the process: poll every POLL_INTERVAL while this instance holds
    /// the poller lease; other instances keep trying, so one takes over when the holder dies.
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let Some(state) = state_or_shutdown(&self.shared, "poller", &mut shutdown).await else {
            return;
        };
        let cfg = &state.config;
        let mut poller = Poller::new(
            state.registry.clone(),
            state.store.clone(),
            state.client.clone(),
            cfg.poller.clone(),
            cfg.timeouts,
            state.bridges.clone(),
        );
        let interval = cfg.poller.interval;
        let cycle_bound = cfg
            .poller
            .wait_timeout
            .max(cfg.timeouts.connect + cfg.timeouts.response)
            * 2;
        // Long enough to outlive a slow cycle; short enough that a dead holder is replaced
        // within a few intervals.
        let lease_ttl = interval * 3 + cycle_bound;
        let me = &self.shared.instance;
        let mut holding = false;
        loop {
            match state.store.lease(POLLER_LEASE, me, lease_ttl).await {
                Ok(true) => {
                    if !holding {
                        log::info!("this instance ({me}) now runs the poller");
                    }
                    holding = true;
                    if let Err(e) = poller.poll_all().await {
                        log::error!("poll cycle failed: {e}");
                    }
                }
                Ok(false) => {
                    if holding {
                        log::info!("another instance took over the poller");
                    }
                    holding = false;
                }
                Err(e) => log::error!("poller lease: {e}"),
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = self.shared.poll_now.notified() => {}
                _ = shutdown.changed() => {
                    if holding {
                        let _ = state.store.release(POLLER_LEASE, me).await;
                    }
                    return;
                }
            }
        }
    }
}

/// Watches for the start of a graceful shutdown (SIGTERM, or SIGQUIT for an upgrade).
pub(super) struct DrainService {
    shared: Arc<Shared>,
}

impl DrainService {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        DrainService { shared }
    }
}

#[async_trait]
impl BackgroundService for DrainService {
    /// Runs until the shutdown begins, then marks the process as draining. Pingora tells its
    /// services only after the grace period, so the signals themselves are watched too: the
    /// whole grace period is then spent moving clients over to the new process.
    async fn start(&self, mut shutdown: ShutdownWatch) {
        use tokio::signal::unix::{signal, SignalKind};
        let quit = signal(SignalKind::quit());
        let term = signal(SignalKind::terminate());
        match (quit, term) {
            (Ok(mut quit), Ok(mut term)) => {
                tokio::select! {
                    _ = shutdown.changed() => {}
                    _ = quit.recv() => {}
                    _ = term.recv() => {}
                }
            }
            _ => {
                let _ = shutdown.changed().await;
            }
        }
        self.shared
            .draining
            .store(true, std::sync::atomic::Ordering::Release);
        log::info!("shutting down: draining client connections");
    }
}

pub(super) struct RefreshService {
    shared: Arc<Shared>,
}

impl RefreshService {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        RefreshService { shared }
    }
}

#[async_trait]
impl BackgroundService for RefreshService {
    /// With a shared Redis, reload the servers every second. The embedded store has no other
    /// writer than this process, whose changes reach the registry directly.
    async fn start(&self, mut shutdown: ShutdownWatch) {
        if self.shared.config.redis_url.is_none() {
            return;
        }
        let Some(state) = state_or_shutdown(&self.shared, "registry refresh", &mut shutdown).await
        else {
            return;
        };
        loop {
            if let Err(e) = state.registry.refresh(state.store.as_ref()).await {
                log::warn!("registry refresh: {e}");
            }
            tokio::select! {
                _ = tokio::time::sleep(REFRESH_EVERY) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}
