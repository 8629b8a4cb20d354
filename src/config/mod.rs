//! Configuration: the YAML file, Scalelite's environment variables on top, validated into one struct.

mod database;
mod env;
mod file;
mod limits;
mod listen;
mod log;
mod metrics;
mod recordings;
mod redis;
mod rules;
mod sections;
mod tls;

pub use self::log::{log_settings, LogConfig, LogFormat};
pub use database::DatabaseConfig;
pub use env::Env;
pub use file::{FileConfig, LogSection, ServerSection};
pub use limits::LimitsSection;
pub use recordings::{RecordingsConfig, RecordingsSection};
pub use redis::RedisCa;
pub use tls::TlsConfig;

use crate::bbb::Checksum;
pub use crate::bbb::Timeouts;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Parameter rules for one call (create or join), in Scalelite's precedence order.
#[derive(Debug, Clone, Default)]
pub struct ParamPolicy {
    pub exclude: Vec<String>,
    pub defaults: Vec<(String, String)>,
    pub overrides: Vec<(String, String)>,
}

/// Everything the poller needs to know.
#[derive(Debug, Clone)]
pub struct PollerConfig {
    pub interval: Duration,
    pub concurrency: usize,
    pub wait_timeout: Duration,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
    pub load_min_user_count: u64,
    pub load_join_buffer: Duration,
}

/// The one configuration struct the program reads.
#[derive(Debug, Clone)]
pub struct Config {
    /// `address:port` of the API listener.
    pub listen: String,
    /// A Unix socket path instead of `listen` (Scalelite's `BIND=unix://…`).
    pub listen_unix: Option<String>,
    pub threads: usize,
    pub data_dir: PathBuf,
    pub checksum: Checksum,
    pub build_number: Option<String>,
    pub url_host: Option<String>,
    /// MULTITENANCY_ENABLED is exactly `true`: tenants' sub-domains of URL_HOST are accepted
    /// hosts (Scalelite compares this flag case-sensitively for its host list).
    pub url_host_subdomains: bool,
    pub server_id_is_hostname: bool,
    pub max_meeting_duration: u64,
    pub meeting_ttl: Duration,
    pub voice_bridge_len: usize,
    pub use_external_voice_bridge: bool,
    pub get_meetings_api_disabled: bool,
    pub create: ParamPolicy,
    pub join: ParamPolicy,
    pub poller: PollerConfig,
    pub timeouts: Timeouts,
    pub servers: Vec<ServerSection>,
    pub redis_url: Option<String>,
    /// Key prefix in Redis (REDIS_NAMESPACE; Scalelite's production default).
    pub redis_namespace: String,
    /// Roots for a `rediss://` Redis signed by a private CA (system roots otherwise).
    pub redis_ca: Option<RedisCa>,
    /// TLS termination, when configured.
    pub tls: Option<TlsConfig>,
    /// CA bundle for `https://` BBB servers (system roots otherwise).
    pub upstream_ca_file: Option<String>,
    /// The Prometheus listener (`None` when disabled).
    pub metrics_listen: Option<String>,
    /// Log level, format and destination.
    pub log: LogConfig,
    /// The recordings database (DATABASE_URL; a SQLite file in the data dir by default).
    pub database: DatabaseConfig,
    /// Largest BBB API request body the gateway reads (SCALELITE_MAX_BODY_BYTES).
    pub max_body_bytes: usize,
    /// The recordings half: directories, import switches, upload limit (RECORDING_*).
    pub recordings: RecordingsConfig,
}

impl Config {
    /// Read the file (if any), overlay the environment, validate. Every problem is listed.
    pub fn load(path: Option<&Path>, env: &Env) -> Result<Config, ConfigError> {
        let file = match path {
            Some(p) => {
                let problem =
                    |e: &dyn std::fmt::Display| ConfigError(vec![format!("{}: {e}", p.display())]);
                let text = std::fs::read_to_string(p).map_err(|e| problem(&e))?;
                serde_yaml::from_str::<FileConfig>(&text).map_err(|e| problem(&e))?
            }
            None => FileConfig::default(),
        };
        Self::build(file, env)
    }

    /// The configuration of a file's contents with the environment on top: one function per
    /// section, every problem of every section listed.
    pub fn build(file: FileConfig, env: &Env) -> Result<Config, ConfigError> {
        let mut errors = Vec::new();
        let e = &mut errors;
        let listen = listen::listen(file.listen, env, e);
        let meetings = sections::meetings(file.meetings, env, e);
        let (poller, timeouts) = sections::poller(file.poller, env, e);
        let data_dir = PathBuf::from(
            env.value("SCALELITE_DATA_DIR")
                .map(String::from)
                .or(file.data_dir)
                .unwrap_or_else(|| "data".into()),
        );
        let recordings = recordings::recordings(file.recordings, env, &data_dir, e);
        let config = Config {
            listen: listen.tcp,
            listen_unix: listen.unix,
            threads: file.threads.unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(2)
            }),
            data_dir,
            checksum: rules::checksum(env, file.secrets, file.checksum_algorithms, e),
            build_number: env
                .value("BUILD_NUMBER")
                .map(String::from)
                .or(file.build_number),
            url_host: env.value("URL_HOST").map(String::from).or(file.url_host),
            url_host_subdomains: env.get("MULTITENANCY_ENABLED") == Some("true"),
            server_id_is_hostname: env
                .flag("SERVER_ID_IS_HOSTNAME")
                .or(file.server_id_is_hostname)
                .unwrap_or(false),
            max_meeting_duration: meetings.max_duration,
            meeting_ttl: meetings.ttl,
            voice_bridge_len: meetings.voice_bridge_len,
            use_external_voice_bridge: meetings.use_external_voice_bridge,
            get_meetings_api_disabled: meetings.get_meetings_api_disabled,
            create: meetings.create,
            join: meetings.join,
            poller,
            timeouts,
            servers: sections::servers(file.servers, e),
            redis_url: env.value("REDIS_URL").map(String::from),
            redis_namespace: env
                .value("REDIS_NAMESPACE")
                .map(String::from)
                .unwrap_or_else(|| "scalelite".into()),
            redis_ca: redis::ca_file(file.redis_ca_file, env, env.value("REDIS_URL"), e),
            tls: tls::tls_config(file.tls, env, e),
            upstream_ca_file: tls::ca_file(file.upstream_ca_file, env, e),
            metrics_listen: metrics::listen(file.metrics_listen, env, e),
            log: log_settings(file.log, env, "info", e),
            database: database::database(file.database_url, env, e),
            max_body_bytes: limits::max_body_bytes(file.limits, env, e),
            recordings,
        };
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError(errors))
        }
    }
}

/// Every problem found in a configuration, one message each (naming the key or variable).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError(pub Vec<String>);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

impl std::error::Error for ConfigError {}

impl std::ops::Deref for ConfigError {
    type Target = [String];
    fn deref(&self) -> &[String] {
        &self.0
    }
}

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;
