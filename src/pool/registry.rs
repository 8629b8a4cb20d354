//! The registry: the in-memory view of the servers that request paths read, and their
//! resolved endpoints (DNS is resolved here, never on a request path). Plain data, shared by
//! every service of the process; each service reads the store through its own connection.

use crate::bbb::client::Endpoint;
use crate::store::{Server, Store, StoreResult};
use parking_lot::RwLock;
use std::collections::HashMap;

#[derive(Default)]
pub struct Registry {
    servers: RwLock<HashMap<String, Server>>,
    endpoints: RwLock<HashMap<String, Endpoint>>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reload the servers from the store and resolve endpoints of new URLs.
    pub async fn refresh(&self, store: &dyn Store) -> StoreResult<()> {
        let servers = store.servers().await?;
        for s in &servers {
            if !self.endpoints.read().contains_key(&s.url) {
                // A server whose host does not resolve stays without an endpoint; the poller
                // then finds it unreachable and keeps it offline.
                let _ = self.resolve(&s.url).await;
            }
        }
        crate::metrics::servers(&servers);
        let map = servers.into_iter().map(|s| (s.id.clone(), s)).collect();
        *self.servers.write() = map;
        Ok(())
    }

    /// The server as of the last refresh.
    pub fn server(&self, id: &str) -> Option<Server> {
        self.servers.read().get(id).cloned()
    }

    /// Record a server we just changed, so this instance sees it before the next refresh.
    pub fn note(&self, server: &Server) {
        self.servers
            .write()
            .insert(server.id.clone(), server.clone());
    }

    pub fn forget(&self, id: &str) {
        self.servers.write().remove(id);
    }

    /// The endpoint of a server URL, resolving it now only if it was never resolved.
    pub async fn endpoint(&self, url: &str) -> Result<Endpoint, String> {
        if let Some(ep) = self.endpoints.read().get(url) {
            return Ok(ep.clone());
        }
        self.resolve(url).await
    }

    /// The endpoint if it is already known (for synchronous request phases).
    pub fn cached_endpoint(&self, url: &str) -> Option<Endpoint> {
        self.endpoints.read().get(url).cloned()
    }

    async fn resolve(&self, url: &str) -> Result<Endpoint, String> {
        let ep = Endpoint::resolve(url).await?;
        self.endpoints.write().insert(url.to_string(), ep.clone());
        Ok(ep)
    }
}
