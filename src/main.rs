//! The `scalelite` binary: parse the command line, load the configuration, run.

use clap::{Parser, Subcommand};
use scalelite::config::{Config, Env};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "scalelite",
    version,
    about = "A Scalelite-compatible BigBlueButton load balancer on Pingora"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway and the poller.
    Serve {
        /// YAML configuration file (environment variables win over it).
        #[arg(short, long, env = "SCALELITE_CONFIG")]
        config: Option<PathBuf>,
        /// Validate the configuration and exit.
        #[arg(short, long)]
        test: bool,
        /// Run in the background (Pingora daemon mode).
        #[arg(short, long)]
        daemon: bool,
        /// Take over the listening sockets of a running instance (zero-downtime upgrade).
        #[arg(short, long)]
        upgrade: bool,
    },
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            config,
            test,
            daemon,
            upgrade,
        } => {
            let cfg = match Config::load(config.as_deref(), &Env::from_process()) {
                Ok(c) => c,
                Err(problems) => {
                    eprintln!("scalelite: invalid configuration:");
                    for p in problems {
                        eprintln!("  - {p}");
                    }
                    return ExitCode::from(2);
                }
            };
            if test {
                println!(
                    "scalelite: configuration OK (listen {}, {} declared servers)",
                    cfg.listen,
                    cfg.servers.len()
                );
                return ExitCode::SUCCESS;
            }
            if cfg.redis_url.is_some() {
                log::warn!("REDIS_URL is set, but the Redis store is not available yet: using the embedded store in {}", cfg.data_dir.display());
            }
            let opt = pingora::server::configuration::Opt {
                upgrade,
                daemon,
                ..Default::default()
            };
            scalelite::app::run(cfg, opt)
        }
    }
}
