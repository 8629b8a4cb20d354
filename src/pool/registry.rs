//! The registry: the in-memory view of the servers that request paths read. A refresh also
//! resolves the endpoints of new server URLs, so DNS is resolved here, never on a request path.
//! Plain data, shared by every service of the process; each service reads the store through
//! its own connection.

use crate::bbb::endpoint::Endpoints;
use crate::metrics::ServerGauges;
use crate::store::{Server, Store, StoreResult};
use parking_lot::RwLock;
use std::collections::HashMap;
use std::sync::Arc;

pub struct Registry {
    servers: RwLock<HashMap<String, Server>>,
    endpoints: Arc<Endpoints>,
}

impl Registry {
    pub fn new(endpoints: Arc<Endpoints>) -> Self {
        Registry {
            servers: RwLock::default(),
            endpoints,
        }
    }

    /// Reload the servers from the store and resolve endpoints of new URLs.
    pub async fn refresh(&self, store: &dyn Store) -> StoreResult<()> {
        let servers = store.servers().await?;
        for s in &servers {
            if !self.endpoints.contains(&s.url) {
                // A server whose host does not resolve stays without an endpoint; the poller
                // then finds it unreachable and keeps it offline.
                let _ = self.endpoints.get(&s.url).await;
            }
        }
        crate::metrics::servers(servers.iter().map(|s| ServerGauges {
            id: &s.id,
            online: s.online,
            state: s.effective_state().as_str(),
            load: s.load,
            meetings: s.stats.meetings,
            users: s.stats.users,
            videos: s.stats.videos,
            largest_meeting: s.stats.largest_meeting,
        }));
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
}
