//! The connection to Redis: one multiplexed connection that reconnects by itself after errors,
//! replaced by a fresh one when a call timed out (a peer that stopped answering without closing
//! the connection is not waited on again).
//!
//! `rediss://` connects over TLS (rustls with ring, as Pingora's TLS), verifying the server
//! against the system's CA certificates or, when given, a PEM bundle of private roots. A failed
//! handshake is an ordinary connection error: the store is unavailable until one succeeds.

use crate::store::{StoreError, StoreResult};
use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{Client, ConnectionAddr, RedisError, TlsCertificates};
use parking_lot::Mutex;
use std::time::Duration;

pub(super) fn unavailable(e: RedisError) -> StoreError {
    StoreError::Unavailable(format!("redis: {e}"))
}

pub(super) struct Conn {
    client: Client,
    timeout: Duration,
    /// The connection in use and how many times it was replaced.
    current: Mutex<(u64, ConnectionManager)>,
}

impl Conn {
    /// Parse `url`; the connection itself is made on first use. `ca` (PEM) replaces the system
    /// roots for a `rediss://` URL.
    pub(super) fn open(url: &str, ca: Option<&[u8]>, timeout: Duration) -> StoreResult<Conn> {
        let client = match ca {
            Some(pem) => Client::build_with_tls(
                url,
                TlsCertificates {
                    client_tls: None,
                    root_cert: Some(pem.to_vec()),
                },
            ),
            None => Client::open(url),
        }
        .map_err(unavailable)?;
        if matches!(
            client.get_connection_info().addr(),
            ConnectionAddr::TcpTls { .. }
        ) {
            // The client builds its rustls config from the process-wide provider: make sure it
            // is ring (Pingora installs the same one; whoever comes second is refused, harmlessly).
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let manager = Self::manager(&client, timeout)?;
        Ok(Conn {
            client,
            timeout,
            current: Mutex::new((0, manager)),
        })
    }

    fn manager(client: &Client, timeout: Duration) -> StoreResult<ConnectionManager> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout / 2))
            // Longer than the bound of a store call, so that bound decides (see `reset`).
            .set_response_timeout(Some(timeout + Duration::from_millis(500)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        ConnectionManager::new_lazy_with_config(client.clone(), config).map_err(unavailable)
    }

    /// The connection to send a command on (a cheap handle).
    pub(super) fn get(&self) -> ConnectionManager {
        self.current.lock().1.clone()
    }

    pub(super) fn generation(&self) -> u64 {
        self.current.lock().0
    }

    /// A call that started on connection `generation` got no answer in time: unless another
    /// call replaced it already, drop that connection and use a new one from now on.
    pub(super) fn reset(&self, generation: u64) {
        let mut current = self.current.lock();
        if current.0 != generation {
            return;
        }
        match Self::manager(&self.client, self.timeout) {
            Ok(fresh) => {
                log::warn!("redis: no answer within {:?}; reconnecting", self.timeout);
                *current = (generation + 1, fresh);
            }
            Err(e) => log::error!("redis: cannot reconnect: {e}"),
        }
    }
}
