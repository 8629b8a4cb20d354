//! The `scalelite` command-line tools for operators: Scalelite's rake tasks for servers,
//! status, meetings and poll (behaviour doc §10.1–§10.4), and the recording commands
//! (`recordings`: list, import, publish, unpublish, delete, check; how each reaches the
//! instance is in its header), one module per command family.
//!
//! Design decision: the CLI never opens the store itself. It talks to a running instance's
//! admin API (`--url`, default `http://127.0.0.1:<PORT>` with PORT from the config file and
//! the environment, default 3000) and signs its calls with the first LOADBALANCER secret
//! (config via `--config`/SCALELITE_CONFIG and the environment, read with `Config::load`).
//! Reason: with the embedded store the running process owns the state in memory, so a CLI
//! writing the store directly would be overwritten; with Redis, going through an instance
//! keeps one code path and lets it update its registry and wake its poller at once.
//! The calls the rake tasks need beyond Scalelite's admin API live in `crate::admin::cli_api`.
//!
//! Exit status: 0 on success, 1 for the failures the rake tasks report (`ERROR: …` on stderr),
//! 2 for an unusable configuration (clap's usage errors exit with 2 as well).

mod client;
mod import;
pub mod meetings;
pub mod poll;
pub mod recordings;
mod recordings_xml;
pub mod servers;
pub mod status;
pub mod sync;

pub use client::{Admin, Answer};

use crate::config::{Config, Env};
use std::future::Future;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

/// Which instance to talk to, from the command line.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// The configuration file (for the secret and the port).
    pub config: Option<PathBuf>,
    /// The instance's base URL; derived from the configuration when absent.
    pub url: Option<String>,
}

/// A failed command: the line printed to stderr (exit status 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Failure(pub String);

impl Failure {
    pub fn new(line: impl Into<String>) -> Self {
        Failure(line.into())
    }
}

pub type Outcome = Result<(), Failure>;

/// Scalelite's message for an unknown server id.
pub fn no_server(id: &str) -> Failure {
    Failure(format!("ERROR: No server found with id: {id}"))
}

/// Load the configuration, then run `command` against the instance on a small runtime.
pub fn run<F, Fut>(target: &Target, command: F) -> ExitCode
where
    F: FnOnce(Admin) -> Fut,
    Fut: Future<Output = Outcome>,
{
    run_with_config(target, |admin, _| command(admin))
}

/// `scalelite recordings …` (see `recordings`): `import` also needs the configuration's spool.
pub fn run_recordings(target: &Target, command: recordings::RecordingsCommand) -> ExitCode {
    run_with_config(target, |admin, config| async move {
        recordings::run(&admin, &config, command).await
    })
}

/// [`run`], the command also given the configuration.
fn run_with_config<F, Fut>(target: &Target, command: F) -> ExitCode
where
    F: FnOnce(Admin, Config) -> Fut,
    Fut: Future<Output = Outcome>,
{
    let config = match load_config(target.config.as_deref()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let outcome = match base_url(target, &config) {
        Ok(url) => {
            let admin = Admin::new(url, &config);
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt.block_on(command(admin, config)),
                Err(e) => Err(Failure(format!("ERROR: {e}"))),
            }
        }
        Err(f) => Err(f),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(line)) => {
            eprintln!("{line}");
            ExitCode::FAILURE
        }
    }
}

/// `--url`, or the instance's own listener seen from this host.
fn base_url(target: &Target, config: &Config) -> Result<String, Failure> {
    if let Some(url) = &target.url {
        return Ok(url.clone());
    }
    if config.listen_unix.is_some() {
        return Err(Failure::new(
            "ERROR: the instance listens on a Unix socket; give its HTTP address with --url",
        ));
    }
    let (host, port) = config
        .listen
        .rsplit_once(':')
        .unwrap_or(("0.0.0.0", "3000"));
    let host = host.trim_matches(|c| c == '[' || c == ']');
    let host = match host {
        "" | "0.0.0.0" | "::" => "127.0.0.1".to_string(),
        h if h.contains(':') => format!("[{h}]"),
        h => h.to_string(),
    };
    Ok(format!("http://{host}:{port}"))
}

/// Read one line from stdin; true when it is `yes` (any case), as the rake tasks ask.
pub fn confirmed() -> bool {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).is_ok() && line.trim().eq_ignore_ascii_case("yes")
}

/// Print a value as pretty JSON (the `--json` form of every listing).
pub fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// A JSON number or decimal string as Scalelite prints a float (`21.0`, `1.5`).
pub fn decimal(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Number(n) => n.as_f64().map(crate::store::format_decimal),
        serde_json::Value::String(s) => s
            .parse::<f64>()
            .ok()
            .map(crate::store::format_decimal)
            .or_else(|| Some(s.clone())),
        _ => None,
    }
}

/// Load the configuration (file + environment) or print every problem; exit code 2 then.
pub fn load_config(path: Option<&std::path::Path>) -> Result<Config, ExitCode> {
    Config::load(path, &Env::from_process()).map_err(|problems| {
        eprintln!("scalelite: invalid configuration:");
        for p in problems.iter() {
            eprintln!("  - {p}");
        }
        ExitCode::from(2)
    })
}
