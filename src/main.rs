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
    /// Run simulated BBB servers (for trying the load balancer out and for load benches).
    Simulate {
        /// Address of each simulated server; repeat for more servers.
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: Vec<std::net::SocketAddr>,
        /// The simulated servers' shared secret.
        #[arg(long, default_value = "simulated-bbb-secret")]
        secret: String,
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
            let opt = pingora::server::configuration::Opt {
                upgrade,
                daemon,
                ..Default::default()
            };
            scalelite::app::run(cfg, opt)
        }
        Command::Simulate { listen, secret } => simulate(&listen, &secret),
    }
}

/// Start the simulators, print their URLs, run until interrupted.
fn simulate(listen: &[std::net::SocketAddr], secret: &str) -> ExitCode {
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("scalelite simulate: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async {
        let mut sims = Vec::new();
        for addr in listen {
            match scalelite::simulator::BbbSimulator::start_on(*addr, secret).await {
                Ok(sim) => {
                    println!("{} {}", sim.url(), sim.secret());
                    sim.set_recording(false);
                    sims.push(sim);
                }
                Err(e) => {
                    eprintln!("scalelite simulate: {addr}: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        let _ = tokio::signal::ctrl_c().await;
        for sim in &sims {
            sim.stop().await;
        }
        ExitCode::SUCCESS
    })
}
