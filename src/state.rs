//! The state request handlers share: what every service shares (`Shared`: config, registry, the
//! embedded store) and what each service builds for itself (`State`: its store connection,
//! database pool and BBB client).

use crate::bbb::client::BbbClient;
use crate::bbb::endpoint::Endpoints;
use crate::bbb::{ApiError, Target, Timeouts};
use crate::config::Config;
use crate::db::{Database, DbError};
use crate::pool::{Placement, Registry};
use crate::store::voice_bridge::BridgePolicy;
use crate::store::{
    EmbeddedStore, MeteredStore, RedisStore, Server, ServerChange, ServerState, Store, StoreError,
};
use std::sync::Arc;
use tokio::sync::OnceCell;

/// Why a service could not build its state yet (it retries).
#[derive(Debug, thiserror::Error)]
pub(crate) enum StartError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("database: {0}")]
    Database(#[from] DbError),
    #[error("{0}")]
    Task(String),
}

/// What every service shares. The store is opened on first use, inside a running service:
/// Pingora may fork (daemon mode) before services start, and threads do not survive a fork.
pub(crate) struct Shared {
    pub config: Arc<Config>,
    /// This process, as a lease holder among the instances sharing a Redis.
    pub instance: String,
    registry: OnceCell<Arc<Registry>>,
    /// Resolved server URLs, shared by the registry and every service's BBB client.
    endpoints: Arc<Endpoints>,
    /// The process-wide embedded store, when no REDIS_URL is configured.
    embedded: OnceCell<Arc<dyn Store>>,
    /// Wakes the poller early (a server was added or enabled: poll it now, not in a minute).
    pub poll_now: Arc<tokio::sync::Notify>,
    /// Set when a graceful shutdown or upgrade begins: answers then close their connection,
    /// so clients reconnect to the new process instead of losing a request at exit.
    pub draining: std::sync::atomic::AtomicBool,
}

/// What a request handler needs. Built once per service (its BBB client's connection pool
/// belongs to that service's runtime).
pub(crate) struct State {
    pub config: Arc<Config>,
    /// This service's handle on the store.
    pub store: Arc<dyn Store>,
    /// This service's pool on the recordings database (connects on first use).
    pub database: Database,
    pub registry: Arc<Registry>,
    pub placement: Placement,
    pub client: Arc<BbbClient>,
    pub bridges: BridgePolicy,
    pub poll_now: Arc<tokio::sync::Notify>,
}

impl State {
    /// The meeting, or `notFound` as every meeting call answers for an unknown one.
    pub(crate) async fn meeting(&self, id: &str) -> Result<crate::store::Meeting, ApiError> {
        self.store
            .meeting(id)
            .await
            .map_err(self.store_error())?
            .ok_or(ApiError::MeetingNotFound)
    }

    /// A server by id: from the registry, or from the store when this instance has not seen
    /// it yet (added through another instance less than a refresh ago).
    pub(crate) async fn server(&self, id: &str) -> Result<Option<Server>, ApiError> {
        if let Some(s) = self.registry.server(id) {
            return Ok(Some(s));
        }
        self.fresh_server(id).await
    }

    /// A server as the store has it now (and noted in the registry): for decisions the
    /// registry's snapshot, up to a refresh old, must not make alone.
    pub(crate) async fn fresh_server(&self, id: &str) -> Result<Option<Server>, ApiError> {
        let found = self.store.server(id).await.map_err(self.store_error())?;
        if let Some(s) = &found {
            self.registry.note(s);
        }
        Ok(found)
    }

    /// The server as a call to it needs it, with `timeouts_for` it.
    pub(crate) fn target<'a>(&self, server: &'a Server) -> Target<'a> {
        Target {
            url: &server.url,
            secret: &server.secret,
            timeouts: self.timeouts_for(server),
        }
    }

    /// Timeouts for calls to this server: Scalelite's reduced ones when it is marked offline.
    pub(crate) fn timeouts_for(&self, server: &Server) -> Timeouts {
        if server.online {
            self.config.timeouts
        } else {
            self.config.timeouts.reduced()
        }
    }

    pub(crate) fn store_error(&self) -> impl Fn(StoreError) -> ApiError {
        |e| {
            log::error!("store: {e}");
            ApiError::Internal(e.to_string())
        }
    }
}

impl Shared {
    pub(crate) fn new(config: Config) -> Arc<Shared> {
        Arc::new(Shared {
            config: Arc::new(config),
            instance: format!("{}:{}", hostname(), uuid::Uuid::new_v4()),
            registry: OnceCell::new(),
            endpoints: Arc::default(),
            embedded: OnceCell::new(),
            poll_now: Default::default(),
            draining: Default::default(),
        })
    }

    /// A store handle for the calling service: a Redis connection of its own (connections
    /// belong to the runtime that made them), or the process's embedded store.
    pub(crate) async fn store(&self) -> Result<Arc<dyn Store>, StartError> {
        let store = self.open_store().await?;
        Ok(Arc::new(MeteredStore(store)))
    }

    async fn open_store(&self) -> Result<Arc<dyn Store>, StartError> {
        let cfg = &self.config;
        if let Some(url) = &cfg.redis_url {
            let ca = cfg.redis_ca.as_ref().map(|ca| &ca.pem[..]);
            let store =
                RedisStore::connect_with_ca(url, ca, &cfg.redis_namespace, cfg.meeting_ttl).await?;
            return Ok(Arc::new(store));
        }
        self.embedded
            .get_or_try_init(|| async {
                let path = cfg.data_dir.join("state.db");
                let ttl = cfg.meeting_ttl;
                let store = tokio::task::spawn_blocking(move || EmbeddedStore::open(&path, ttl))
                    .await
                    .map_err(|e| StartError::Task(e.to_string()))??;
                Ok::<Arc<dyn Store>, StartError>(Arc::new(store))
            })
            .await
            .cloned()
    }

    /// The registry (seeded from the config file and loaded on first call).
    async fn registry(&self, store: &dyn Store) -> Result<Arc<Registry>, StartError> {
        self.registry
            .get_or_try_init(|| async {
                seed_servers(store, &self.config).await?;
                let registry = Arc::new(Registry::new(self.endpoints.clone()));
                registry.refresh(store).await?;
                Ok::<_, StartError>(registry)
            })
            .await
            .cloned()
    }

    pub(crate) async fn state(&self) -> Result<State, StartError> {
        let store = self.store().await?;
        // A pool of this service's runtime; nothing is connected yet, so a database that is
        // down does not keep the service from starting.
        let database = Database::lazy(&self.config.database, &self.config.data_dir)?;
        Ok(State {
            config: self.config.clone(),
            registry: self.registry(store.as_ref()).await?,
            store,
            database,
            placement: Placement::new(),
            client: Arc::new(BbbClient::new(
                self.config.checksum.outgoing(),
                self.config.upstream_ca_file.clone(),
                self.endpoints.clone(),
            )),
            bridges: BridgePolicy {
                len: self.config.voice_bridge_len,
                use_external: self.config.use_external_voice_bridge,
            },
            poll_now: self.poll_now.clone(),
        })
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "scalelite".into())
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
