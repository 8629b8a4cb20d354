//! Helpers for the Redis store tests (store_redis*.rs): the Redis at REDIS_URL (default
//! redis://127.0.0.1:6379), a fresh namespace per test whose keys are deleted at the end, raw
//! commands on it, and the meetings and server changes those tests build.

use scalelite::store::voice_bridge::BridgePolicy;
use scalelite::store::*;
use std::collections::HashMap;
use std::time::Duration;

pub use crate::common::redis_url;

/// A `RedisStore` on `namespace` with a meeting TTL of `ttl_secs`.
pub async fn open(namespace: &str, ttl_secs: u64) -> RedisStore {
    let ttl = Duration::from_secs(ttl_secs);
    RedisStore::connect(&redis_url(), namespace, ttl)
        .await
        .expect("connect to REDIS_URL")
}

/// A fresh namespace with a plain connection for raw commands; its keys go when it is dropped
/// (also when the test fails).
pub struct Ns {
    pub name: String,
    raw: redis::Connection,
}

impl Ns {
    pub fn new() -> Ns {
        let name = format!("scalelite_test_{}", uuid::Uuid::new_v4().simple());
        let client = redis::Client::open(redis_url()).unwrap();
        let raw = client.get_connection().expect("a Redis at REDIS_URL");
        Ns { name, raw }
    }

    pub async fn store(&self, ttl_secs: u64) -> RedisStore {
        open(&self.name, ttl_secs).await
    }

    /// Run `"CMD key arg…"` (split on blanks, `''` = empty) on `<namespace>:key`.
    pub fn run<T: redis::FromRedisValue>(&mut self, line: &str) -> T {
        let mut words = line
            .split_whitespace()
            .map(|w| if w == "''" { "" } else { w });
        let mut c = redis::cmd(words.next().unwrap());
        c.arg(format!("{}:{}", self.name, words.next().unwrap()));
        c.arg(words.collect::<Vec<_>>());
        c.query(&mut self.raw)
            .unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    pub fn hash(&mut self, key: &str) -> HashMap<String, String> {
        self.run(&format!("HGETALL {key}"))
    }

    pub fn score(&mut self, set: &str, id: &str) -> Option<f64> {
        self.run(&format!("ZSCORE {set} {id}"))
    }

    pub fn member(&mut self, set: &str, id: &str) -> bool {
        self.run(&format!("SISMEMBER {set} {id}"))
    }
}

/// The suite's Redis backend: every store opened on it shares the namespace.
impl super::Backend for Ns {
    fn new() -> Ns {
        Ns::new()
    }

    async fn open(&self, ttl_secs: u64) -> super::DynStore {
        std::sync::Arc::new(self.store(ttl_secs).await)
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        use redis::Commands;
        let pattern = format!("{}:*", self.name);
        let keys: Vec<String> = match self.raw.scan_match(&pattern) {
            Ok(keys) => keys.filter_map(Result::ok).collect(),
            Err(_) => return,
        };
        if !keys.is_empty() {
            let _: redis::RedisResult<()> = self.raw.del(keys);
        }
    }
}

/// `"field=value …"` as a hash (`''` = empty).
pub fn fields(pairs: &str) -> HashMap<String, String> {
    let pair = |p: &str| {
        p.replace("''", "")
            .split_once('=')
            .map(|(k, v)| (k.into(), v.into()))
    };
    pairs.split_whitespace().filter_map(pair).collect()
}

pub const POLICY: BridgePolicy = BridgePolicy {
    len: 9,
    use_external: false,
};

pub fn new_meeting(id: &str, server: &str, pw: &str, tenant: Option<&str>) -> NewMeeting {
    NewMeeting {
        id: id.into(),
        server_id: server.into(),
        moderator_pw: pw.into(),
        requested_bridge: None,
        tenant_id: tenant.map(String::from),
    }
}

pub fn change(state: Option<ServerState>, online: Option<bool>) -> ServerChange {
    ServerChange {
        state,
        online,
        ..Default::default()
    }
}
