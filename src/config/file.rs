//! The YAML configuration file, as written by operators: every key optional, unknown keys refused.

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<ListenSection>,
    pub threads: Option<usize>,
    pub data_dir: Option<String>,
    pub secrets: Option<Vec<String>>,
    pub checksum_algorithms: Option<Vec<String>>,
    pub build_number: Option<String>,
    pub url_host: Option<String>,
    pub server_id_is_hostname: Option<bool>,
    pub meetings: Option<MeetingsSection>,
    pub poller: Option<PollerSection>,
    pub servers: Option<Vec<ServerSection>>,
    pub tls: Option<TlsSection>,
    /// Log level, format and file.
    pub log: Option<LogSection>,
    /// Where Prometheus scrapes `/metrics` (`off` disables it).
    pub metrics_listen: Option<String>,
    /// A CA bundle (PEM) for verifying `https://` BBB servers signed by a private CA.
    pub upstream_ca_file: Option<String>,
    /// A CA bundle (PEM) for verifying a `rediss://` REDIS_URL signed by a private CA.
    pub redis_ca_file: Option<String>,
    /// The recordings database: `postgres://…` or `sqlite://…` (DATABASE_URL wins).
    pub database_url: Option<String>,
    /// Request limits (the largest body the gateway reads).
    pub limits: Option<super::limits::LimitsSection>,
    /// The recordings half: directories, import switches, upload limit.
    pub recordings: Option<super::recordings::RecordingsSection>,
}

/// Logs: `level` (or target=level pairs), `format` (text or json), `file` (stderr when unset).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    pub level: Option<String>,
    pub format: Option<String>,
    pub file: Option<String>,
}

/// TLS termination on the gateway.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    pub listen: Option<String>,
    pub cert: Option<String>,
    pub key: Option<String>,
    pub redirect_http: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenSection {
    pub address: Option<String>,
    pub port: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeetingsSection {
    pub max_duration: Option<i64>,
    pub default_ttl: Option<i64>,
    pub voice_bridge_len: Option<i64>,
    pub use_external_voice_bridge: Option<bool>,
    pub get_meetings_api_disabled: Option<bool>,
    pub create: Option<ParamRules>,
    pub join: Option<ParamRules>,
}

/// Exclusions, defaults and overrides applied to the parameters of one call.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamRules {
    pub exclude: Option<Vec<String>>,
    pub defaults: Option<serde_yaml::Mapping>,
    pub overrides: Option<serde_yaml::Mapping>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollerSection {
    pub interval: Option<f64>,
    pub concurrency: Option<i64>,
    pub wait_timeout: Option<f64>,
    pub healthy_threshold: Option<i64>,
    pub unhealthy_threshold: Option<i64>,
    pub connect_timeout: Option<f64>,
    pub response_timeout: Option<f64>,
    pub load_min_user_count: Option<i64>,
    pub load_join_buffer_time: Option<f64>,
}

/// A BBB server declared in the file; seeded into the store at start-up.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    pub id: Option<String>,
    pub url: String,
    pub secret: String,
    pub tag: Option<String>,
    pub load_multiplier: Option<f64>,
    pub enabled: Option<bool>,
}
