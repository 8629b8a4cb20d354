//! Placement of new meetings: Scalelite's tag rules and least-load order, as a
//! pingora-load-balancing `BackendSelection` over the live loads of the pool.

use super::backend::{backend, server_id};
use crate::store::Server;
use parking_lot::RwLock;
use pingora_load_balancing::discovery::ServiceDiscovery;
use pingora_load_balancing::selection::{BackendIter, BackendSelection};
use pingora_load_balancing::{Backend, Backends, LoadBalancer};
use std::borrow::Borrow;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlacementError {
    #[error("Could not find any available servers.")]
    NoServers,
    #[error("There is no available server with the required tag={0}.")]
    TagUnavailable(String),
}

/// A `meta_server-tag` value: `a;b` (preferred tags), `a;b!` (required), `none` = untagged.
#[derive(Debug, Clone, PartialEq)]
pub struct TagSpec {
    pub tags: Vec<String>,
    pub required: bool,
}

impl TagSpec {
    pub fn parse(spec: &str) -> TagSpec {
        let spec = spec.trim();
        let (body, bang) = match spec.strip_suffix('!') {
            Some(rest) => (rest, true),
            None => (spec, false),
        };
        let tags: Vec<String> = body
            .split(';')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect();
        TagSpec {
            required: bang && !tags.is_empty(),
            tags,
        }
    }
}

/// What placement knows of one available server.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: String,
    pub tag: Option<String>,
    pub load: f64,
}

/// Order candidates as Scalelite's `find_available` does: with tags, servers carrying one of
/// them (by load); without a match (or without tags) untagged servers only, unless required.
pub fn rank<C: Borrow<Candidate>>(
    candidates: &[C],
    spec: &TagSpec,
) -> Result<Vec<usize>, PlacementError> {
    if candidates.is_empty() {
        return Err(PlacementError::NoServers);
    }
    let get = |i: usize| candidates[i].borrow();
    let by_load = |mut v: Vec<usize>| {
        v.sort_by(|&a, &b| {
            let (a, b) = (get(a), get(b));
            a.load.total_cmp(&b.load).then_with(|| a.id.cmp(&b.id))
        });
        v
    };
    if !spec.tags.is_empty() {
        let hits: Vec<usize> = (0..candidates.len())
            .filter(|&i| {
                let tag = get(i).tag.as_deref().unwrap_or("none");
                spec.tags.iter().any(|t| t == tag)
            })
            .collect();
        if !hits.is_empty() {
            return Ok(by_load(hits));
        }
        if spec.required {
            return Err(PlacementError::TagUnavailable(spec.tags.join(";")));
        }
    }
    let untagged: Vec<usize> = (0..candidates.len())
        .filter(|&i| get(i).tag.is_none())
        .collect();
    if untagged.is_empty() {
        return Err(PlacementError::NoServers);
    }
    Ok(by_load(untagged))
}

/// The live view placement reads at selection time: server id → (tag, load).
pub type LoadBoard = Arc<RwLock<Vec<Candidate>>>;

/// Discovery of the available servers: each becomes a `Backend` naming the server.
pub struct PoolDiscovery {
    board: LoadBoard,
}

#[async_trait::async_trait]
impl ServiceDiscovery for PoolDiscovery {
    async fn discover(&self) -> pingora::Result<(BTreeSet<Backend>, HashMap<u64, bool>)> {
        let set = self.board.read().iter().map(|c| backend(&c.id)).collect();
        Ok((set, HashMap::new()))
    }
}

/// Least-loaded selection with tag rules. The key passed to `iter` is the tag spec.
pub struct LeastLoaded {
    backends: Vec<Backend>,
    board: LoadBoard,
}

impl BackendSelection for LeastLoaded {
    type Iter = RankedIter;
    type Config = LoadBoard;

    fn build_with_config(backends: &BTreeSet<Backend>, board: &LoadBoard) -> Self {
        LeastLoaded {
            backends: backends.iter().cloned().collect(),
            board: board.clone(),
        }
    }

    fn build(backends: &BTreeSet<Backend>) -> Self {
        Self::build_with_config(backends, &LoadBoard::default())
    }

    fn iter(self: &Arc<Self>, key: &[u8]) -> RankedIter {
        let order = self
            .ranked(&TagSpec::parse(&String::from_utf8_lossy(key)))
            .unwrap_or_default();
        RankedIter {
            selection: self.clone(),
            order,
            pos: 0,
        }
    }
}

impl LeastLoaded {
    /// Indexes of backends in placement order, reading the loads as they are now.
    fn ranked(&self, spec: &TagSpec) -> Result<Vec<usize>, PlacementError> {
        let board = self.board.read();
        let by_id: HashMap<&str, &Candidate> = board.iter().map(|c| (c.id.as_str(), c)).collect();
        let mut live: Vec<&Candidate> = Vec::with_capacity(self.backends.len());
        let mut backs: Vec<usize> = Vec::with_capacity(self.backends.len());
        for (i, b) in self.backends.iter().enumerate() {
            if let Some(c) = server_id(b).and_then(|id| by_id.get(id)) {
                live.push(c);
                backs.push(i);
            }
        }
        Ok(rank(&live, spec)?.into_iter().map(|i| backs[i]).collect())
    }
}

pub struct RankedIter {
    selection: Arc<LeastLoaded>,
    order: Vec<usize>,
    pos: usize,
}

impl BackendIter for RankedIter {
    fn next(&mut self) -> Option<&Backend> {
        let i = *self.order.get(self.pos)?;
        self.pos += 1;
        self.selection.backends.get(i)
    }
}

/// Placement over the pool: refreshed with the available servers, then asked for an order.
pub struct Placement {
    board: LoadBoard,
    lb: LoadBalancer<LeastLoaded>,
    /// The available server ids the selector was last built for. Held for a whole placement,
    /// so board, selector and selection always belong together.
    members: tokio::sync::Mutex<Option<u64>>,
}

impl Default for Placement {
    fn default() -> Self {
        Self::new()
    }
}

impl Placement {
    pub fn new() -> Self {
        let board = LoadBoard::default();
        let discovery = Box::new(PoolDiscovery {
            board: board.clone(),
        });
        let lb =
            LoadBalancer::from_backends_with_config(Backends::new(discovery), Some(board.clone()));
        Placement {
            board,
            lb,
            members: Default::default(),
        }
    }

    /// Server ids in the order to try for a new meeting, from the servers as they are now.
    pub async fn order(
        &self,
        servers: &[Server],
        spec: &TagSpec,
    ) -> Result<Vec<String>, PlacementError> {
        let candidates: Vec<Candidate> = servers
            .iter()
            .filter(|s| s.is_available())
            .map(|s| Candidate {
                id: s.id.clone(),
                tag: s.tag.clone(),
                load: s.load.unwrap_or(0.0),
            })
            .collect();
        if candidates.is_empty() {
            return Err(PlacementError::NoServers);
        }
        let ids = membership(&candidates);
        let mut members = self.members.lock().await;
        *self.board.write() = candidates;
        // Discovery and a selector rebuild only when the set of available servers changed;
        // loads and tags are read live from the board at selection time.
        if *members != Some(ids) {
            let _ = self.lb.update().await;
            *members = Some(ids);
        }
        let seen = std::cell::RefCell::new(Vec::new());
        // The accept callback sees every backend in selection order; refusing them all
        // walks the whole order in one pass.
        self.lb
            .select_with(&spec_key(spec), usize::MAX, |b, _ready| {
                if let Some(id) = server_id(b) {
                    seen.borrow_mut().push(id.to_string());
                }
                false
            });
        let out = seen.into_inner();
        if out.is_empty() {
            // The selector found no server: with servers available, a required tag no server
            // carries is the only reason it can have (see `rank`).
            return Err(if spec.required {
                PlacementError::TagUnavailable(spec.tags.join(";"))
            } else {
                PlacementError::NoServers
            });
        }
        Ok(out)
    }
}

/// An order-independent fingerprint of the set of available server ids.
fn membership(candidates: &[Candidate]) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    let h = BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default();
    candidates.iter().fold(candidates.len() as u64, |acc, c| {
        acc ^ h
            .hash_one(&c.id)
            .rotate_left(17)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
    })
}

fn spec_key(spec: &TagSpec) -> Vec<u8> {
    let mut s = spec.tags.join(";");
    if spec.required {
        s.push('!');
    }
    s.into_bytes()
}

#[cfg(test)]
mod tests;
