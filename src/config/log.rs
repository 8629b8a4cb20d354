//! Log settings: the level (or `RUST_LOG`), text or JSON lines, stderr or an append-only file.

use super::env::Env;
use super::file::LogSection;
use std::path::PathBuf;
use tracing_subscriber::filter::LevelFilter;

/// How each log line is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// `timestamp LEVEL target: message key="value" …`, for people.
    #[default]
    Text,
    /// One JSON object per line, event fields at the top level, for log shippers.
    Json,
}

/// Where logs go and how much of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// An EnvFilter directive: `RUST_LOG` when set, the configured level otherwise.
    pub filter: String,
    pub format: LogFormat,
    /// Append to this file instead of writing to stderr.
    pub file: Option<PathBuf>,
}

impl LogConfig {
    /// Text on stderr at `level`: what runs before (or without) a configuration.
    pub fn stderr(level: &str) -> LogConfig {
        LogConfig {
            filter: level.to_string(),
            format: LogFormat::Text,
            file: None,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig::stderr("info")
    }
}

/// The environment (SCALELITE_LOG_LEVEL, SCALELITE_LOG_FORMAT, SCALELITE_LOG_FILE, RUST_LOG)
/// over the file's `log` section, over `default_level`, text and stderr. Problems are pushed
/// to `errors`, named after the variable or key they came from.
pub fn log_settings(
    file: Option<LogSection>,
    env: &Env,
    default_level: &str,
    errors: &mut Vec<String>,
) -> LogConfig {
    let file = file.unwrap_or_default();
    // Blank values count as unset, in the file as in the environment.
    let pick =
        |var: &'static str, key: &'static str, from_file: Option<String>| match env.value(var) {
            Some(v) => Some((var, v.trim().to_string())),
            None => from_file
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .map(|v| (key, v)),
        };
    let format = match pick("SCALELITE_LOG_FORMAT", "log.format", file.format) {
        None => LogFormat::Text,
        Some((_, v)) if v.eq_ignore_ascii_case("text") => LogFormat::Text,
        Some((_, v)) if v.eq_ignore_ascii_case("json") => LogFormat::Json,
        Some((name, v)) => {
            errors.push(format!(
                "{name}: '{v}' is not a log format (use text or json)"
            ));
            LogFormat::Text
        }
    };
    let mut filter = match pick("SCALELITE_LOG_LEVEL", "log.level", file.level) {
        Some((name, v)) if !is_level(&v) => {
            errors.push(format!(
                "{name}: '{v}' is not a log level (trace, debug, info, warn, error, off; \
                 or target=level pairs, comma-separated)"
            ));
            default_level.to_string()
        }
        Some((_, v)) => v,
        None => default_level.to_string(),
    };
    // RUST_LOG is a full EnvFilter directive and wins over the level, as it always has.
    if let Some(directive) = env.value("RUST_LOG") {
        match tracing_subscriber::EnvFilter::builder().parse(directive) {
            Ok(_) => filter = directive.trim().to_string(),
            Err(e) => errors.push(format!(
                "RUST_LOG: '{directive}' is not a valid filter: {e}"
            )),
        }
    }
    let file = pick("SCALELITE_LOG_FILE", "log.file", file.file).map(|(_, v)| PathBuf::from(v));
    LogConfig {
        filter,
        format,
        file,
    }
}

/// `info`, or `warn,scalelite::access=info`: levels, optionally per target.
fn is_level(value: &str) -> bool {
    value.split(',').map(str::trim).all(|item| {
        let (target, level) = match item.rsplit_once('=') {
            Some((t, l)) => (Some(t.trim()), l.trim()),
            None => (None, item),
        };
        target != Some("") && level.parse::<LevelFilter>().is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)], file: LogSection) -> (LogConfig, Vec<String>) {
        let env = Env(pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect());
        let mut errors = Vec::new();
        let c = log_settings(Some(file), &env, "info", &mut errors);
        (c, errors)
    }

    fn section(level: &str, format: &str, file: &str) -> LogSection {
        LogSection {
            level: Some(level.into()),
            format: Some(format.into()),
            file: Some(file.into()),
        }
    }

    #[test]
    fn defaults_are_info_text_on_stderr() {
        let (c, errors) = settings(&[], LogSection::default());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(c, LogConfig::default());
    }

    #[test]
    fn the_file_applies_and_the_environment_wins() {
        let (c, _) = settings(&[], section("warn", "JSON", "/var/log/x.log"));
        assert_eq!(c.filter, "warn");
        assert_eq!(c.format, LogFormat::Json);
        assert_eq!(c.file, Some(PathBuf::from("/var/log/x.log")));
        let (c, errors) = settings(
            &[
                ("SCALELITE_LOG_LEVEL", "debug,pingora_core=warn"),
                ("SCALELITE_LOG_FORMAT", "text"),
                ("SCALELITE_LOG_FILE", "/tmp/y.log"),
            ],
            section("warn", "json", "/var/log/x.log"),
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(c.filter, "debug,pingora_core=warn");
        assert_eq!(c.format, LogFormat::Text);
        assert_eq!(c.file, Some(PathBuf::from("/tmp/y.log")));
    }

    #[test]
    fn rust_log_wins_over_the_level() {
        let (c, errors) = settings(
            &[("RUST_LOG", "warn,scalelite::access=info")],
            section("debug", "text", ""),
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(c.filter, "warn,scalelite::access=info");
        assert_eq!(c.file, None, "a blank file is no file");
    }

    #[test]
    fn bad_values_are_named() {
        let (_, errors) = settings(
            &[("SCALELITE_LOG_FORMAT", "xml")],
            section("verbose", "json", ""),
        );
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].starts_with("SCALELITE_LOG_FORMAT: 'xml'"),
            "{errors:?}"
        );
        assert!(errors[1].starts_with("log.level: 'verbose'"), "{errors:?}");
        let (_, errors) = settings(&[("SCALELITE_LOG_LEVEL", "=info")], LogSection::default());
        assert_eq!(errors.len(), 1, "{errors:?}");
    }
}
