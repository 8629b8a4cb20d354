//! How a BBB server appears to pingora-load-balancing: a `Backend` that only names the server.

use pingora_load_balancing::Backend;
use sha2::{Digest, Sha256};
use std::net::{Ipv6Addr, SocketAddr};

/// The `ext` of our backends: the server id. The server's identity (URL, secret, tag, state)
/// lives in the registry.
#[derive(Debug, Clone)]
struct ServerRef(String);

/// A backend for a server id. Nothing connects to its address: a digest of the id keeps
/// backends distinct (two servers may share a host) and stable across refreshes.
pub fn backend(id: &str) -> Backend {
    let digest: [u8; 32] = Sha256::digest(id.as_bytes()).into();
    let mut octets = [0u8; 16];
    octets.copy_from_slice(&digest[..16]);
    let addr = SocketAddr::from((Ipv6Addr::from(octets), 0));
    let mut b = Backend {
        addr: pingora::protocols::l4::socket::SocketAddr::Inet(addr),
        weight: 1,
        ext: http::Extensions::new(),
    };
    b.ext.insert(ServerRef(id.to_string()));
    b
}

/// The server id a backend stands for.
pub fn server_id(b: &Backend) -> Option<&str> {
    b.ext.get::<ServerRef>().map(|r| r.0.as_str())
}
