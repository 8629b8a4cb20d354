//! Configuration: the YAML file, Scalelite's environment variables on top, validated into one struct.

mod database;
mod env;
mod file;
mod limits;
mod log;
mod metrics;
mod redis;
mod rules;
mod tls;

pub use self::log::{log_settings, LogConfig, LogFormat};
pub use database::DatabaseConfig;
pub use env::Env;
pub use file::{FileConfig, LogSection, ServerSection};
pub use limits::LimitsSection;
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
}

impl Config {
    /// Read the file (if any), overlay the environment, validate. Every problem is listed.
    pub fn load(path: Option<&Path>, env: &Env) -> Result<Config, Vec<String>> {
        let file = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| vec![format!("{}: {e}", p.display())])?;
                serde_yaml::from_str::<FileConfig>(&text)
                    .map_err(|e| vec![format!("{}: {e}", p.display())])?
            }
            None => FileConfig::default(),
        };
        Self::build(file, env)
    }

    pub fn build(file: FileConfig, env: &Env) -> Result<Config, Vec<String>> {
        let mut errors = Vec::new();
        let listen_sec = file.listen.unwrap_or_default();
        let meetings = file.meetings.unwrap_or_default();
        let poller = file.poller.unwrap_or_default();

        let port = env
            .number::<u32>("PORT", &mut errors)
            .or(listen_sec.port)
            .unwrap_or(3000);
        if port == 0 || port > 65535 {
            errors.push(format!("port {port} is out of range"));
        }
        let mut address = listen_sec.address.unwrap_or_else(|| "0.0.0.0".into());
        let mut port = port;
        let mut listen_unix = None;
        // BIND is Scalelite's full bind URL and overrides PORT.
        if let Some(bind) = env.value("BIND") {
            if let Some(path) = bind.strip_prefix("unix://") {
                listen_unix = Some(path.to_string());
            } else {
                let hostport = bind.strip_prefix("tcp://").unwrap_or(bind);
                match hostport
                    .rsplit_once(':')
                    .map(|(h, p)| (h, p.parse::<u32>()))
                {
                    Some((h, Ok(p))) if p > 0 && p <= 65535 => {
                        address = h.trim_matches(|c| c == '[' || c == ']').to_string();
                        port = p;
                    }
                    _ => errors.push(format!(
                        "BIND: '{bind}' is not tcp://host:port or unix://path"
                    )),
                }
            }
        }

        // LOADBALANCER_SECRET first, then LOADBALANCER_SECRETS: the order matters to Scalelite.
        let mut secrets = Vec::new();
        if env.get("LOADBALANCER_SECRET").is_some() || env.get("LOADBALANCER_SECRETS").is_some() {
            if let Some(s) = env.value("LOADBALANCER_SECRET") {
                secrets.push(s.to_string());
            }
            if let Some(list) = env.get("LOADBALANCER_SECRETS") {
                secrets.extend(list.split(':').filter(|s| !s.is_empty()).map(String::from));
            }
        } else {
            secrets = file.secrets.unwrap_or_default();
        }
        if secrets.is_empty() {
            errors.push(
                "no secret: set LOADBALANCER_SECRET (or `secrets` in the config file)".into(),
            );
        }

        let (allowed, outgoing) =
            rules::checksum_algorithms(env, file.checksum_algorithms, &mut errors);

        let num = |key: &str, file_v: Option<i64>, default: i64, errors: &mut Vec<String>| {
            let v = env.number::<i64>(key, errors).or(file_v).unwrap_or(default);
            if v < 0 {
                errors.push(format!("{key}: must not be negative (got {v})"));
            }
            v.max(0) as u64
        };
        let secs = |key: &str, file_v: Option<f64>, default: f64, errors: &mut Vec<String>| {
            let v = env.number::<f64>(key, errors).or(file_v).unwrap_or(default);
            if !(v.is_finite() && v > 0.0) {
                errors.push(format!(
                    "{key}: must be a positive number of seconds (got {v})"
                ));
                return Duration::from_secs_f64(default);
            }
            Duration::from_secs_f64(v)
        };

        let voice_bridge_len = num(
            "VOICE_BRIDGE_LEN",
            meetings.voice_bridge_len,
            9,
            &mut errors,
        );
        if !(5..=16).contains(&voice_bridge_len) {
            errors.push(format!(
                "VOICE_BRIDGE_LEN: must be between 5 and 16 (got {voice_bridge_len})"
            ));
        }
        let healthy = num(
            "SERVER_HEALTHY_THRESHOLD",
            poller.healthy_threshold,
            1,
            &mut errors,
        );
        let unhealthy = num(
            "SERVER_UNHEALTHY_THRESHOLD",
            poller.unhealthy_threshold,
            2,
            &mut errors,
        );
        if healthy == 0 || unhealthy == 0 {
            errors.push(
                "SERVER_HEALTHY_THRESHOLD and SERVER_UNHEALTHY_THRESHOLD must be at least 1".into(),
            );
        }
        // POLLER_THREADS is Scalelite's pool size (one thread is its coordinator).
        let concurrency = match env.number::<i64>("POLLER_THREADS", &mut errors) {
            Some(t) => (t - 1).max(1) as u64,
            None => num("POLLER_CONCURRENCY", poller.concurrency, 64, &mut errors).max(1),
        };

        let create = rules::param_policy("CREATE", meetings.create, env, &mut errors);
        let join = rules::param_policy("JOIN", meetings.join, env, &mut errors);

        let servers = file.servers.unwrap_or_default();
        for (i, s) in servers.iter().enumerate() {
            if !(s.url.starts_with("http://") || s.url.starts_with("https://")) {
                errors.push(format!(
                    "servers[{i}]: url must start with http:// or https:// (got '{}')",
                    s.url
                ));
            }
            if s.secret.trim().is_empty() {
                errors.push(format!("servers[{i}]: secret is empty"));
            }
            if matches!(s.load_multiplier, Some(m) if m.is_nan() || m <= 0.0) {
                errors.push(format!("servers[{i}]: load_multiplier must be > 0"));
            }
        }

        let config = Config {
            listen: if address.contains(':') {
                format!("[{address}]:{port}")
            } else {
                format!("{address}:{port}")
            },
            listen_unix,
            threads: file.threads.unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(2)
            }),
            data_dir: PathBuf::from(
                env.value("SCALELITE_DATA_DIR")
                    .map(String::from)
                    .or(file.data_dir)
                    .unwrap_or_else(|| "data".into()),
            ),
            checksum: Checksum::new(secrets, allowed, outgoing),
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
            max_meeting_duration: num(
                "MAX_MEETING_DURATION",
                meetings.max_duration,
                0,
                &mut errors,
            ),
            meeting_ttl: Duration::from_secs(
                num(
                    "DEFAULT_MEETING_TTL",
                    meetings.default_ttl,
                    86_400,
                    &mut errors,
                )
                .max(1),
            ),
            voice_bridge_len: voice_bridge_len as usize,
            use_external_voice_bridge: env
                .flag("USE_EXTERNAL_VOICE_BRIDGE")
                .or(meetings.use_external_voice_bridge)
                .unwrap_or(false),
            get_meetings_api_disabled: env
                .flag("GET_MEETINGS_API_DISABLED")
                .or(meetings.get_meetings_api_disabled)
                .unwrap_or(false),
            create,
            join,
            poller: PollerConfig {
                interval: secs("POLL_INTERVAL", poller.interval, 60.0, &mut errors),
                concurrency: concurrency as usize,
                wait_timeout: secs(
                    "POLLER_WAIT_TIMEOUT",
                    poller.wait_timeout,
                    10.0,
                    &mut errors,
                ),
                healthy_threshold: healthy as u32,
                unhealthy_threshold: unhealthy as u32,
                load_min_user_count: num(
                    "LOAD_MIN_USER_COUNT",
                    poller.load_min_user_count,
                    15,
                    &mut errors,
                ),
                load_join_buffer: Duration::from_secs_f64(
                    60.0 * env
                        .number::<f64>("LOAD_JOIN_BUFFER_TIME", &mut errors)
                        .or(poller.load_join_buffer_time)
                        .unwrap_or(15.0)
                        .max(0.0),
                ),
            },
            timeouts: Timeouts {
                connect: secs("CONNECT_TIMEOUT", poller.connect_timeout, 5.0, &mut errors),
                response: secs(
                    "RESPONSE_TIMEOUT",
                    poller.response_timeout,
                    10.0,
                    &mut errors,
                ),
            },
            servers,
            redis_url: env.value("REDIS_URL").map(String::from),
            redis_namespace: env
                .value("REDIS_NAMESPACE")
                .map(String::from)
                .unwrap_or_else(|| "scalelite".into()),
            redis_ca: redis::ca_file(file.redis_ca_file, env, env.value("REDIS_URL"), &mut errors),
            tls: tls::tls_config(file.tls, env, &mut errors),
            upstream_ca_file: tls::ca_file(file.upstream_ca_file, env, &mut errors),
            metrics_listen: metrics::listen(file.metrics_listen, env, &mut errors),
            log: log_settings(file.log, env, "info", &mut errors),
            database: database::database(file.database_url, env, &mut errors),
            max_body_bytes: limits::max_body_bytes(file.limits, env, &mut errors),
        };
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests;
