//! Assembling the program: the shared state, the Pingora server and its services.

use crate::bbb::client::BbbClient;
use crate::bbb::ApiError;
use crate::config::Config;
use crate::gateway::Gateway;
use crate::pool::poller::Poller;
use crate::pool::{Placement, Registry};
use crate::store::voice_bridge::BridgePolicy;
use crate::store::{EmbeddedStore, Server, ServerChange, ServerState, Store, StoreError};
use async_trait::async_trait;
use pingora::server::configuration::{Opt, ServerConf};
use pingora::server::{Server as PingoraServer, ShutdownWatch};
use pingora::services::background::{background_service, BackgroundService};
use std::sync::Arc;
use tokio::sync::OnceCell;

/// What every service shares. The store is opened on first use, inside a running service:
/// Pingora may fork (daemon mode) before services start, and threads do not survive a fork.
pub struct Shared {
    pub config: Arc<Config>,
    registry: OnceCell<Arc<Registry>>,
    /// Wakes the poller early (a server was added or enabled: poll it now, not in a minute).
    poll_now: Arc<tokio::sync::Notify>,
}

/// What a request handler needs. Built once per service (its BBB client's connection pool
/// belongs to that service's runtime).
pub struct State {
    pub config: Arc<Config>,
    pub registry: Arc<Registry>,
    pub placement: Placement,
    pub client: Arc<BbbClient>,
    pub bridges: BridgePolicy,
    pub poll_now: Arc<tokio::sync::Notify>,
}

impl State {
    /// The meeting, or `notFound` as every meeting call answers for an unknown one.
    pub async fn meeting(&self, id: &str) -> Result<crate::store::Meeting, ApiError> {
        self.registry
            .store()
            .meeting(id)
            .await
            .map_err(self.store_error())?
            .ok_or(ApiError::MeetingNotFound)
    }

    /// Timeouts for calls to this server: Scalelite's reduced ones when it is marked offline.
    pub fn timeouts_for(&self, server: &Server) -> crate::config::Timeouts {
        if server.online {
            self.config.timeouts
        } else {
            self.config.timeouts.reduced()
        }
    }

    pub fn store_error(&self) -> impl Fn(StoreError) -> ApiError {
        |e| {
            log::error!("store: {e}");
            ApiError::Internal(e.to_string())
        }
    }
}

impl Shared {
    pub fn new(config: Config) -> Arc<Shared> {
        Arc::new(Shared {
            config: Arc::new(config),
            registry: OnceCell::new(),
            poll_now: Default::default(),
        })
    }

    /// The registry over the opened store (opened and seeded on first call).
    pub async fn registry(&self) -> Result<Arc<Registry>, String> {
        self.registry
            .get_or_try_init(|| async {
                let path = self.config.data_dir.join("state.db");
                let ttl = self.config.meeting_ttl;
                let store = tokio::task::spawn_blocking(move || EmbeddedStore::open(&path, ttl))
                    .await
                    .map_err(|e| e.to_string())??;
                let store: Arc<dyn Store> = Arc::new(store);
                seed_servers(store.as_ref(), &self.config)
                    .await
                    .map_err(|e| e.to_string())?;
                let registry = Arc::new(Registry::new(store));
                registry.refresh().await.map_err(|e| e.to_string())?;
                Ok(registry)
            })
            .await
            .cloned()
    }

    pub async fn state(&self) -> Result<State, String> {
        Ok(State {
            config: self.config.clone(),
            registry: self.registry().await?,
            placement: Placement::new(),
            client: Arc::new(BbbClient::new(self.config.checksum.outgoing())),
            bridges: BridgePolicy {
                len: self.config.voice_bridge_len,
                use_external: self.config.use_external_voice_bridge,
            },
            poll_now: self.poll_now.clone(),
        })
    }
}

/// Servers declared in the config file: added when missing (enabled unless `enabled: false`),
/// URL, secret, tag and multiplier kept in line with the file on every start.
async fn seed_servers(store: &dyn Store, config: &Config) -> Result<(), StoreError> {
    for seed in &config.servers {
        let id = match &seed.id {
            Some(id) => id.clone(),
            None => url::Url::parse(&seed.url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
                .unwrap_or_else(|| seed.url.clone()),
        };
        let change = ServerChange {
            url: Some(seed.url.clone()),
            secret: Some(seed.secret.clone()),
            tag: Some(seed.tag.clone()),
            load_multiplier: seed.load_multiplier.map(crate::store::format_decimal),
            ..Default::default()
        };
        if store.server(&id).await?.is_none() {
            let mut server = Server::new(id.clone(), seed.url.clone(), seed.secret.clone());
            if seed.enabled.unwrap_or(true) {
                server.state = Some(ServerState::Enabled);
                server.enabled = true;
            }
            store.add_server(server).await?;
        }
        store.update_server(&id, change).await?;
    }
    Ok(())
}

/// The poller as a Pingora background service: poll, sleep POLL_INTERVAL, until shutdown.
struct PollerService {
    shared: Arc<Shared>,
}

#[async_trait]
impl BackgroundService for PollerService {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let mut poller = loop {
            match self.shared.state().await {
                Ok(state) => {
                    let cfg = &state.config;
                    break Poller::new(
                        state.registry.clone(),
                        state.client,
                        cfg.poller.clone(),
                        cfg.timeouts,
                        state.bridges.clone(),
                    );
                }
                Err(e) => {
                    log::error!("poller cannot start: {e}");
                    tokio::select! {
                        _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
                        _ = shutdown.changed() => return,
                    }
                }
            }
        };
        let interval = self.shared.config.poller.interval;
        loop {
            if let Err(e) = poller.poll_all().await {
                log::error!("poll cycle failed: {e}");
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = self.shared.poll_now.notified() => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}

/// Build the Pingora server with the gateway and the poller, then run until told to stop.
pub fn run(config: Config, opt: Opt) -> ! {
    let conf = ServerConf {
        threads: config.threads,
        grace_period_seconds: Some(5),
        graceful_shutdown_timeout_seconds: Some(5),
        ..Default::default()
    };
    let mut server = PingoraServer::new_with_opt_and_conf(opt, conf);
    server.bootstrap();
    let listen = config.listen.clone();
    let config_unix = config.listen_unix.clone();
    let threads = config.threads;
    let shared = Shared::new(config);
    let mut proxy =
        pingora::proxy::http_proxy_service(&server.configuration, Gateway::new(shared.clone()));
    proxy.threads = Some(threads);
    match &config_unix {
        Some(path) => proxy.add_uds(path, None),
        None => proxy.add_tcp(&listen),
    }
    server.add_service(proxy);
    server.add_service(background_service("poller", PollerService { shared }));
    log::info!("scalelite listening on {listen}");
    server.run_forever()
}
