//! The Redis store: Scalelite's key layout (behaviour doc §4), each trait method one atomic
//! step (a single command or a Lua script), every call bounded by a timeout.

mod codec;
mod conn;
mod scripts;

use super::voice_bridge::BridgePolicy;
use super::*;
use ::redis::{FromRedisValue, Script, ScriptInvocation};
use codec::Plan;
use conn::{unavailable, Conn};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// The longest any store call may take before it fails with `Unavailable`.
pub(super) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
/// How often `update_server` recomputes a record that changed under it before giving up.
const MAX_UPDATE_TRIES: usize = 64;
/// `voice_bridges` entries inspected for stale numbers per `meetings()` call.
const BRIDGE_SWEEP: &str = "200";

/// Live state in a (possibly shared, possibly Scalelite's own) Redis. Cheap to clone.
#[derive(Clone)]
pub struct RedisStore {
    conn: Arc<Conn>,
    /// `<namespace>:`
    prefix: String,
    ttl: Duration,
    timeout: Duration,
}

fn bad_reply(what: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("redis: unexpected reply: {what}"))
}

/// The outcome of `scripts::SAVE_SERVER`.
enum Saved {
    Ok,
    Exists,
    /// The record changed since it was read: its new fingerprint and slots.
    Conflict(String, Vec<Option<String>>),
}

impl RedisStore {
    /// A store on the Redis at `url` (`redis://[[user]:password@]host[:port][/db]`, or
    /// `rediss://…` for TLS verified against the system roots), with every key under
    /// `<namespace>:`. The connection is made on first use and re-made after failures, so this
    /// fails only for a malformed URL; while Redis is unreachable each call fails with
    /// `StoreError::Unavailable`. Must be called inside the tokio runtime that will use the
    /// store (the connection's background tasks run there).
    pub async fn connect(
        url: &str,
        namespace: &str,
        meeting_ttl: Duration,
    ) -> Result<RedisStore, StoreError> {
        Self::connect_with_ca(url, None, namespace, meeting_ttl).await
    }

    /// As `connect`; a `rediss://` server is verified against the PEM roots `ca` when given
    /// (a private CA) instead of the system's. With `ca`, `url` must be `rediss://`.
    pub async fn connect_with_ca(
        url: &str,
        ca: Option<&[u8]>,
        namespace: &str,
        meeting_ttl: Duration,
    ) -> Result<RedisStore, StoreError> {
        let conn = Arc::new(Conn::open(url, ca, DEFAULT_TIMEOUT)?);
        let prefix = if namespace.is_empty() {
            String::new()
        } else {
            format!("{namespace}:")
        };
        Ok(RedisStore {
            conn,
            prefix,
            ttl: meeting_ttl,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn ttl_secs(&self) -> u64 {
        self.ttl.as_secs().max(1)
    }

    /// Run one store call within the timeout; after a timeout the connection is replaced.
    async fn bounded<T>(&self, call: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        let generation = self.conn.generation();
        match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result,
            Err(_) => {
                self.conn.reset(generation);
                Err(StoreError::Unavailable(format!(
                    "redis: no answer within {:?}",
                    self.timeout
                )))
            }
        }
    }

    /// EVALSHA `script` (loading it first when Redis does not know it) with the key prefix as
    /// `ARGV[1]` followed by `args`.
    async fn eval<T: FromRedisValue>(&self, script: &Script, args: &[&str]) -> StoreResult<T> {
        let mut call = script.prepare_invoke();
        call.arg(&self.prefix);
        for a in args {
            call.arg(*a);
        }
        self.invoke(&call).await
    }

    /// Run a prepared script invocation (EVALSHA, loading the script when Redis lost it).
    async fn invoke<T: FromRedisValue>(&self, call: &ScriptInvocation<'_>) -> StoreResult<T> {
        let mut conn = self.conn.get();
        call.invoke_async(&mut conn).await.map_err(unavailable)
    }

    async fn query<T: FromRedisValue>(&self, cmd: &::redis::Cmd) -> StoreResult<T> {
        let mut conn = self.conn.get();
        cmd.query_async(&mut conn).await.map_err(unavailable)
    }

    /// The fingerprint and slots of a server (see `scripts::READ_SERVER`).
    async fn read_server(&self, id: &str) -> StoreResult<(String, Vec<Option<String>>)> {
        let mut reply: Vec<Option<String>> = self.eval(&scripts::READ_SERVER, &[id]).await?;
        if reply.len() != codec::SLOTS + 1 {
            return Err(bad_reply(format!("{} slots for server {id}", reply.len())));
        }
        let fingerprint = reply.remove(0).unwrap_or_default();
        Ok((fingerprint, reply))
    }

    /// Store `plan` for server `id` if its fingerprint is still `expected` (`""`: add).
    async fn save(&self, id: &str, expected: &str, plan: &Plan) -> StoreResult<Saved> {
        let score = |l: Option<f64>| l.map(|v| v.to_string()).unwrap_or_default();
        let (healthy, unhealthy) = plan
            .counters
            .map(|(h, u)| (h.to_string(), u.to_string()))
            .unwrap_or_default();
        let mut args: Vec<String> = vec![
            id.to_string(),
            expected.to_string(),
            if plan.enabled { "1" } else { "0" }.to_string(),
            score(plan.load),
            score(plan.cordoned_load),
            healthy,
            unhealthy,
            plan.hset.len().to_string(),
        ];
        for (field, value) in &plan.hset {
            args.push(field.to_string());
            args.push(value.clone());
        }
        args.extend(plan.hdel.iter().map(|f| f.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut reply: Vec<Option<String>> = self.eval(&scripts::SAVE_SERVER, &args).await?;
        match reply.first().cloned().flatten().as_deref() {
            Some("ok") => Ok(Saved::Ok),
            Some("exists") => Ok(Saved::Exists),
            Some("conflict") if reply.len() == codec::SLOTS + 2 => {
                let slots = reply.split_off(2);
                Ok(Saved::Conflict(reply[1].clone().unwrap_or_default(), slots))
            }
            other => Err(bad_reply(format!("{other:?} from saving server {id}"))),
        }
    }
}

#[async_trait]
impl Store for RedisStore {
    async fn servers(&self) -> StoreResult<Vec<Server>> {
        self.bounded(async {
            let rows: Vec<Vec<Option<String>>> = self.eval(&scripts::SERVERS, &[]).await?;
            rows.iter()
                .map(|row| {
                    let id = row.first().cloned().flatten().unwrap_or_default();
                    codec::decode_server(&id, row.get(1..).unwrap_or_default()).map_err(bad_reply)
                })
                .collect()
        })
        .await
    }

    async fn server(&self, id: &str) -> StoreResult<Option<Server>> {
        self.bounded(async {
            let (_, slots) = self.read_server(id).await?;
            if !codec::exists(&slots) {
                return Ok(None);
            }
            codec::decode_server(id, &slots)
                .map(Some)
                .map_err(bad_reply)
        })
        .await
    }

    async fn add_server(&self, mut server: Server) -> StoreResult<Server> {
        ServerChange::default().apply(&mut server);
        codec::normalise(&mut server);
        let plan = codec::plan(None, &server);
        match self.bounded(self.save(&server.id, "", &plan)).await? {
            Saved::Ok => Ok(server),
            Saved::Exists => Err(StoreError::ServerExists(server.id)),
            Saved::Conflict(..) => Err(bad_reply("conflict while adding a server")),
        }
    }

    async fn update_server(&self, id: &str, change: ServerChange) -> StoreResult<Server> {
        self.bounded(async {
            let (mut fingerprint, mut slots) = self.read_server(id).await?;
            for _ in 0..MAX_UPDATE_TRIES {
                if !codec::exists(&slots) {
                    return Err(StoreError::ServerNotFound(id.to_string()));
                }
                let old = codec::decode_server(id, &slots).map_err(bad_reply)?;
                let mut new = old.clone();
                change.clone().apply(&mut new);
                codec::normalise(&mut new);
                let plan = codec::plan(Some(&old), &new);
                match self.save(id, &fingerprint, &plan).await? {
                    Saved::Ok => return Ok(new),
                    Saved::Conflict(f, s) => (fingerprint, slots) = (f, s),
                    Saved::Exists => return Err(bad_reply("exists while updating a server")),
                }
            }
            Err(StoreError::Unavailable(format!(
                "redis: server {id} kept changing; update abandoned after {MAX_UPDATE_TRIES} tries"
            )))
        })
        .await
    }

    async fn delete_server(&self, id: &str) -> StoreResult<()> {
        let found: i64 = self
            .bounded(self.eval(&scripts::DELETE_SERVER, &[id]))
            .await?;
        match found {
            0 => Err(StoreError::ServerNotFound(id.to_string())),
            _ => Ok(()),
        }
    }

    async fn increment_load(&self, id: &str, amount: f64) -> StoreResult<Option<f64>> {
        // Membership of server_load is "available for new meetings"; XX never adds a member.
        let mut cmd = ::redis::cmd("ZADD");
        cmd.arg(self.key("server_load"))
            .arg("XX")
            .arg("INCR")
            .arg(amount.to_string())
            .arg(id);
        self.bounded(self.query(&cmd)).await
    }

    async fn meeting(&self, id: &str) -> StoreResult<Option<Meeting>> {
        let mut cmd = ::redis::cmd("HMGET");
        cmd.arg(self.key(&format!("meeting:{id}"))).arg(&[
            "server_id",
            "moderator_pw",
            "voice_bridge",
            "tenant_id",
        ]);
        let fields: Vec<Option<String>> = self.bounded(self.query(&cmd)).await?;
        Ok(codec::decode_meeting(id, &fields))
    }

    async fn join(&self, meeting_id: &str) -> StoreResult<Option<Meeting>> {
        let fields: Option<Vec<Option<String>>> = self
            .bounded(self.eval(&scripts::JOIN, &[meeting_id]))
            .await?;
        Ok(fields.and_then(|f| codec::decode_meeting(meeting_id, &f)))
    }

    async fn meetings(&self) -> StoreResult<Vec<Meeting>> {
        let rows: Vec<Vec<Option<String>>> = self
            .bounded(self.eval(&scripts::MEETINGS, &[BRIDGE_SWEEP]))
            .await?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                let id = row.first().cloned().flatten()?;
                codec::decode_meeting(&id, row.get(1..).unwrap_or_default())
            })
            .collect())
    }

    async fn create_or_find_meeting(
        &self,
        new: NewMeeting,
        bridges: &BridgePolicy,
    ) -> StoreResult<(Meeting, bool)> {
        let candidates = bridges.candidates(&new.id, new.requested_bridge.as_deref());
        let tenant = new.tenant_id.clone().unwrap_or_default();
        let mut args: Vec<String> = vec![
            new.id.clone(),
            new.server_id.clone(),
            new.moderator_pw.clone(),
            tenant.clone(),
            self.ttl_secs().to_string(),
        ];
        args.extend(candidates.into_iter().map(Option::unwrap_or_default));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let reply: Vec<Option<String>> = self
            .bounded(self.eval(&scripts::CREATE_OR_FIND_MEETING, &args))
            .await?;
        let status = reply.first().cloned().flatten().unwrap_or_default();
        let meeting = || {
            codec::decode_meeting(&new.id, reply.get(1..).unwrap_or_default())
                .ok_or_else(|| bad_reply(format!("no server for meeting {}", new.id)))
        };
        match status.as_str() {
            "found" => Ok((meeting()?, false)),
            "created" => Ok((meeting()?, true)),
            "tenant" => Err(StoreError::MeetingOfOtherTenant(new.id, tenant)),
            "exhausted" => Err(StoreError::VoiceBridgeExhausted(new.id)),
            other => Err(bad_reply(format!("{other:?} from create-or-find"))),
        }
    }

    async fn delete_meeting(&self, id: &str) -> StoreResult<()> {
        let _: i64 = self
            .bounded(self.eval(&scripts::DELETE_MEETING, &[id]))
            .await?;
        Ok(())
    }

    async fn touch_meetings(&self, ids: &[String]) -> StoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut call = scripts::TOUCH_MEETINGS.prepare_invoke();
        for id in ids {
            call.key(self.key(&format!("meeting:{id}")));
        }
        call.arg(self.ttl_secs());
        let _: i64 = self.bounded(self.invoke(&call)).await?;
        Ok(())
    }

    async fn lease(&self, name: &str, holder: &str, ttl: Duration) -> StoreResult<bool> {
        let ms = ttl.as_millis().clamp(1, i64::MAX as u128) as i64;
        let mut call = scripts::LEASE.prepare_invoke();
        call.key(self.key(&format!("lease:{name}")))
            .arg(holder)
            .arg(ms);
        let granted: i64 = self.bounded(self.invoke(&call)).await?;
        Ok(granted == 1)
    }

    async fn release(&self, name: &str, holder: &str) -> StoreResult<()> {
        let mut call = scripts::RELEASE.prepare_invoke();
        call.key(self.key(&format!("lease:{name}"))).arg(holder);
        let _: i64 = self.bounded(self.invoke(&call)).await?;
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        let _: String = self.bounded(self.query(&::redis::cmd("PING"))).await?;
        Ok(())
    }
}
