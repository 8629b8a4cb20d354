//! Logs: one tracing subscriber for the whole process, text or JSON lines, on stderr or appended
//! to a file. The `log` records of Pingora and other crates (and of our own `log::` calls) are
//! bridged into it, and every line is scrubbed of `checksum=` values before it is written:
//! Pingora's own error lines quote the request path with its query.

mod json;

use crate::config::{log_settings, Env, LogConfig, LogFormat};
use std::borrow::Cow;
use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("log level '{filter}': {source}")]
    Level {
        filter: String,
        source: tracing_subscriber::filter::ParseError,
    },
    #[error("log file {}: {source}", path.display())]
    File { path: PathBuf, source: io::Error },
    #[error("log file {}: directory {} does not exist", path.display(), dir.display())]
    NoDirectory { path: PathBuf, dir: PathBuf },
    #[error("logging: {0}")]
    Install(#[from] tracing_subscriber::util::TryInitError),
}

/// Install the global subscriber (and the `log` bridge). Fails when the filter is invalid, the
/// file cannot be opened, or logging was already set up.
pub fn init(settings: &LogConfig) -> Result<(), LogError> {
    let filter = EnvFilter::builder()
        .parse(&settings.filter)
        .map_err(|source| LogError::Level {
            filter: settings.filter.clone(),
            source,
        })?;
    let (sink, ansi) = match &settings.file {
        Some(path) => (Sink::File(Arc::new(open_file(path)?)), false),
        None => (
            Sink::Stderr,
            settings.format == LogFormat::Text && io::stderr().is_terminal(),
        ),
    };
    let writer = Scrubbed(sink);
    let registry = tracing_subscriber::registry().with(filter);
    let installed = match settings.format {
        LogFormat::Text => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(ansi)
                    .with_writer(writer),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .event_format(json::JsonLines)
                    .with_writer(writer),
            )
            .try_init(),
    };
    Ok(installed?)
}

/// Logging for the commands other than `serve`: `default_level` (or SCALELITE_LOG_LEVEL,
/// RUST_LOG) and SCALELITE_LOG_FORMAT, always on stderr: an operator's command reports to
/// the operator's terminal, not to the service's log file.
pub fn init_command(default_level: &str) {
    let mut errors = Vec::new();
    let mut settings = log_settings(None, &Env::from_process(), default_level, &mut errors);
    if !errors.is_empty() {
        // The command reports these itself when it loads its configuration.
        settings = LogConfig::stderr(default_level);
    }
    settings.file = None;
    if let Err(e) = init(&settings) {
        eprintln!("scalelite: {e}");
    }
}

/// Open (or create) the log file for appending: every write lands at the end, so logrotate's
/// `copytruncate` cannot leave a hole, and several writers (Pingora's daemon stderr) do not
/// overwrite each other.
pub fn open_file(path: &Path) -> Result<File, LogError> {
    OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|source| file_error(path, source))
}

fn file_error(path: &Path, source: io::Error) -> LogError {
    LogError::File {
        path: path.to_path_buf(),
        source,
    }
}

/// What `serve --test` checks: the file can be appended to, or its directory exists. It does
/// not create the file, so a check run as root cannot leave a file the service cannot open.
pub fn check_file(path: &Path) -> Result<(), LogError> {
    if path.exists() {
        return OpenOptions::new()
            .append(true)
            .open(path)
            .map(drop)
            .map_err(|source| file_error(path, source));
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if dir.is_dir() {
        Ok(())
    } else {
        Err(LogError::NoDirectory {
            path: path.to_path_buf(),
            dir: dir.to_path_buf(),
        })
    }
}

/// Where the lines go.
enum Sink {
    Stderr,
    File(Arc<File>),
}

/// A [`MakeWriter`] that scrubs checksums from each line before it reaches the sink.
struct Scrubbed(Sink);

impl<'a> MakeWriter<'a> for Scrubbed {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> LineWriter<'a> {
        LineWriter(&self.0)
    }
}

/// The formatter hands over one complete line per `write`; it goes out in one `write_all`,
/// so lines of concurrent requests do not interleave.
struct LineWriter<'a>(&'a Sink);

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let line = scrub(buf);
        match self.0 {
            Sink::Stderr => io::stderr().lock().write_all(&line)?,
            Sink::File(file) => (&**file).write_all(&line)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.0 {
            Sink::Stderr => io::stderr().flush(),
            Sink::File(file) => (&**file).flush(),
        }
    }
}

const KEY: &[u8] = b"checksum=";
const REDACTED: &[u8] = b"[redacted]";

/// `line` with the value after every `checksum=` (any case) replaced by `[redacted]`. The value
/// ends at a query, quote, JSON-escape or space delimiter, so the line's own syntax survives.
pub fn scrub(line: &[u8]) -> Cow<'_, [u8]> {
    let Some(first) = find_key(line, 0) else {
        return Cow::Borrowed(line);
    };
    let mut out = Vec::with_capacity(line.len());
    let mut copied = 0;
    let mut next = Some(first);
    while let Some(at) = next {
        let value = at + KEY.len();
        out.extend_from_slice(&line[copied..value]);
        out.extend_from_slice(REDACTED);
        copied = line[value..]
            .iter()
            .position(|&b| ends_value(b))
            .map_or(line.len(), |p| value + p);
        next = find_key(line, copied);
    }
    out.extend_from_slice(&line[copied..]);
    Cow::Owned(out)
}

fn find_key(line: &[u8], from: usize) -> Option<usize> {
    line.get(from..)?
        .windows(KEY.len())
        .position(|w| w.eq_ignore_ascii_case(KEY))
        .map(|p| from + p)
}

fn ends_value(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'&' | b'"' | b'\'' | b'\\' | b',' | b';' | b'<' | b'>' | b')' | b']' | b'}'
        )
}

#[cfg(test)]
mod tests {
    use super::scrub;

    fn s(line: &str) -> String {
        String::from_utf8(scrub(line.as_bytes()).into_owned()).unwrap()
    }

    #[test]
    fn lines_without_checksums_are_untouched() {
        let line = "INFO scalelite::access: call=\"api\" meetingID=\"m1\"\n";
        assert!(matches!(
            scrub(line.as_bytes()),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn every_checksum_value_is_redacted() {
        assert_eq!(
            s("Fail to proxy: GET /bigbluebutton/api/getMeetingInfo?meetingID=m1&checksum=abc123, Host: x\n"),
            "Fail to proxy: GET /bigbluebutton/api/getMeetingInfo?meetingID=m1&checksum=[redacted], Host: x\n"
        );
        assert_eq!(
            s("a?CHECKSUM=1&b=2 c?checksum=3\n"),
            "a?CHECKSUM=[redacted]&b=2 c?checksum=[redacted]\n"
        );
        assert_eq!(s("x checksum=abc"), "x checksum=[redacted]");
    }

    #[test]
    fn json_lines_stay_json() {
        let line = r#"{"message":"GET /api/end?checksum=ab\"cd&x=1","level":"ERROR"}"#;
        let out = s(line);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["message"], "GET /api/end?checksum=[redacted]\"cd&x=1");
        assert!(!out.contains("ab"));
    }
}
