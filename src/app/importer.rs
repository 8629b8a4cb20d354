//! The importer service: imports the tarballs of the recording spool, on one instance at a time
//! (the `importer` lease, as the poller's). It wakes when a file lands in the spool (inotify,
//! through the notify crate) and rescans every RECORDING_IMPORT_POLL_INTERVAL anyway (a share
//! mounted from elsewhere may not report its changes). A graceful shutdown lets the tarball
//! being imported finish.

use super::services::state_or_shutdown;
use crate::recordings::{Importer, Outcome, Spool};
use crate::state::Shared;
use crate::store::Store;
use async_trait::async_trait;
use notify::Watcher;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;
use std::sync::Arc;
use std::time::Duration;

const IMPORTER_LEASE: &str = "importer";
/// What the importer lease lasts beyond three rescan intervals without a renewal.
const LEASE_MARGIN: Duration = Duration::from_secs(10);

pub(super) struct ImporterService {
    shared: Arc<Shared>,
}

impl ImporterService {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        ImporterService { shared }
    }
}

#[async_trait]
impl BackgroundService for ImporterService {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let cfg = self.shared.config.recordings.clone();
        if cfg.disabled || !cfg.importer {
            return;
        }
        let Some(state) = state_or_shutdown(&self.shared, "importer", &mut shutdown).await else {
            return;
        };
        if let Err(e) = std::fs::create_dir_all(&cfg.spool_dir) {
            log::error!("recording spool {}: {e}", cfg.spool_dir.display());
        }
        let spool = Spool::new(&cfg.spool_dir);
        let importer = Importer {
            db: state.database.clone(),
            work_dir: cfg.work_dir.clone(),
            publish_dir: cfg.publish_dir.clone(),
            unpublish_dir: cfg.unpublish_dir.clone(),
            import_unpublished: cfg.import_unpublished,
            protected: cfg.protected,
            limits: Default::default(),
        };
        // A new file in the spool wakes the loop at once; the channel holds one wake-up.
        let (wake, mut woken) = tokio::sync::mpsc::channel::<()>(1);
        let watcher = notify::recommended_watcher(move |_event| {
            let _ = wake.try_send(());
        })
        .and_then(|mut w| {
            w.watch(&cfg.spool_dir, notify::RecursiveMode::NonRecursive)
                .map(|()| w)
        });
        let _watcher = match watcher {
            Ok(w) => Some(w),
            Err(e) => {
                log::warn!("no inotify on the spool ({e}); rescanning every interval only");
                None
            }
        };
        let interval = cfg.import_poll_interval;
        // Short, so that when the holder dies another instance takes over within seconds; kept
        // alive during a long import by `renewing` (a lease that had to outlive the longest
        // import would stop all imports for that long after a crash).
        let lease_ttl = interval * 3 + LEASE_MARGIN;
        let me = self.shared.instance.clone();
        let store = state.store.clone();
        let mut swept = false;
        loop {
            let holding = matches!(store.lease(IMPORTER_LEASE, &me, lease_ttl).await, Ok(true));
            if holding && !swept {
                importer.sweep().await;
                swept = true;
            }
            if holding {
                let pass = spool
                    .pass(|tarball| {
                        let (store, me, importer) = (store.clone(), me.clone(), importer.clone());
                        async move {
                            // Another instance took over (this one stalled): leave it to them.
                            if !matches!(
                                store.lease(IMPORTER_LEASE, &me, lease_ttl).await,
                                Ok(true)
                            ) {
                                return Outcome::Transient("the importer lease moved".into());
                            }
                            renewing(&store, &me, lease_ttl, importer.import(tarball)).await
                        }
                    })
                    .await;
                match pass {
                    Ok(s) if s.imported + s.failed + s.retry > 0 => log::info!(
                        "spool pass: {} imported, {} failed, {} left for later",
                        s.imported,
                        s.failed,
                        s.retry
                    ),
                    Ok(_) => {}
                    Err(e) => log::error!("recording spool {}: {e}", cfg.spool_dir.display()),
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = woken.recv() => {
                    // Let a burst of events (a file being written) settle.
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                _ = shutdown.changed() => {
                    if holding {
                        let _ = store.release(IMPORTER_LEASE, &me).await;
                    }
                    return;
                }
            }
        }
    }
}

/// Runs `import`, renewing the importer lease every third of its TTL meanwhile, so that an
/// import longer than the TTL keeps it. Should a renewal fail (the store down, or this process
/// stalled so long that another instance took over), the import still runs to its end: its
/// rows and files are written atomically, so at worst the other instance imports the same
/// tarball again (an update of the same rows, the same files).
async fn renewing<F: std::future::Future<Output = Outcome>>(
    store: &Arc<dyn Store>,
    me: &str,
    ttl: Duration,
    import: F,
) -> Outcome {
    tokio::pin!(import);
    let mut beat = tokio::time::interval(ttl / 3);
    // The first tick is immediate; the lease was just renewed.
    beat.tick().await;
    loop {
        tokio::select! {
            outcome = &mut import => return outcome,
            _ = beat.tick() => {
                if !matches!(store.lease(IMPORTER_LEASE, me, ttl).await, Ok(true)) {
                    log::warn!("the importer lease could not be renewed during an import");
                }
            }
        }
    }
}
