//! The importer service: imports the tarballs of the recording spool, on one instance at a time
//! (the `importer` lease, as the poller's). It wakes when a file lands in the spool (inotify,
//! through the notify crate) and rescans every RECORDING_IMPORT_POLL_INTERVAL anyway (a share
//! mounted from elsewhere may not report its changes). A graceful shutdown lets the tarball
//! being imported finish.

use super::services::state_or_shutdown;
use crate::recordings::{Importer, Outcome, Spool};
use crate::state::Shared;
use async_trait::async_trait;
use notify::Watcher;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;
use std::sync::Arc;
use std::time::Duration;

const IMPORTER_LEASE: &str = "importer";

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
        // Renewed before every tarball, so it outlives the longest single import by far.
        let lease_ttl = interval * 3 + Duration::from_secs(600);
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
                            importer.import(tarball).await
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
