//! The `scalelite` binary: parse the command line, load the configuration, run the gateway,
//! the simulators, or one of the operator commands (`servers`, `status`, `meetings`, `poll`:
//! Scalelite's rake tasks; `recordings`: the recording commands), run against a running
//! instance; see `scalelite::cli`).

use clap::{Args, Parser, Subcommand};
use scalelite::cli::{self, meetings, poll, servers, status, sync, Target};
use std::path::PathBuf;
use std::process::ExitCode;

/// jemalloc instead of glibc's malloc: a proxied call allocates and frees dozens of small
/// buffers across worker threads, and glibc's arenas spent ~14 % of the gateway's CPU on it
/// (perf); with jemalloc the forwarded call costs ~20 % less CPU (benches/load.sh).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
        /// Milliseconds every answer takes, like a real BBB server's processing time.
        #[arg(long, default_value_t = 0.0)]
        service_time_ms: f64,
    },
    /// Manage the BBB servers of a running instance (Scalelite's `rake servers:*`); lists them
    /// without a sub-command.
    Servers {
        #[command(flatten)]
        target: Connect,
        #[command(subcommand)]
        command: Option<ServersCommand>,
    },
    /// Table of the servers: state, meetings, users, load, version, tag (`rake status`).
    Status {
        #[command(flatten)]
        target: Connect,
        /// Print JSON instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// List or end the meetings of a running instance (`rake meetings:*`); lists them without
    /// a sub-command.
    Meetings {
        #[command(flatten)]
        target: Connect,
        #[command(subcommand)]
        command: Option<MeetingsCommand>,
    },
    /// List, import, publish, unpublish, delete and check the recordings of a running instance.
    Recordings {
        #[command(flatten)]
        target: Connect,
        #[command(subcommand)]
        command: cli::recordings::RecordingsCommand,
    },
    /// Ask a running instance to poll its servers now.
    Poll {
        #[command(flatten)]
        target: Connect,
    },
}

/// Where the operator commands find the running instance.
#[derive(Args)]
struct Connect {
    /// The instance's base URL [default: http://127.0.0.1:<PORT from the config>].
    #[arg(long, global = true, env = "SCALELITE_URL")]
    url: Option<String>,
    /// YAML configuration file, for the secret and the port (the environment wins over it).
    #[arg(short, long, global = true, env = "SCALELITE_CONFIG")]
    config: Option<PathBuf>,
}

impl Connect {
    fn target(&self) -> Target {
        Target {
            config: self.config.clone(),
            url: self.url.clone(),
        }
    }
}

#[derive(Subcommand)]
enum ServersCommand {
    /// List every server.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Add a server (it starts disabled).
    Add {
        /// The server's API URL, e.g. https://bbb1.example.com/bigbluebutton/api
        /// (its own id: `--url` is the instance's).
        #[arg(id = "server_url", value_name = "URL")]
        url: String,
        /// The server's BBB secret.
        secret: String,
        #[arg(long, allow_hyphen_values = true)]
        load_multiplier: Option<String>,
        #[arg(long)]
        tag: Option<String>,
    },
    /// Remove a server (its meetings are left as they are).
    Remove { id: String },
    /// Let a server take new meetings.
    Enable { id: String },
    /// Stop new meetings on a server; its running meetings go on.
    Cordon { id: String },
    /// Disable a server; with load, after confirmation, its meetings are ended.
    Disable {
        id: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// End every meeting of a server and disable it.
    Panic {
        id: String,
        /// Leave the server's state as it is.
        #[arg(long)]
        keep_state: bool,
        /// Only forget the meetings; do not send `end` to BBB.
        #[arg(long)]
        skip_end_calls: bool,
    },
    /// Change a server's secret, load multiplier or tag (`--tag ""` removes the tag).
    Update {
        id: String,
        #[arg(long)]
        secret: Option<String>,
        #[arg(long, allow_hyphen_values = true)]
        load_multiplier: Option<String>,
        #[arg(long)]
        tag: Option<String>,
    },
    /// Make the server list match a YAML file (`-` for stdin).
    Sync {
        file: String,
        /// What happens to servers missing from the file: keep, cordon or force.
        #[arg(long, default_value = "cordon")]
        mode: String,
        /// Show what would change; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the server list as a YAML file for `servers sync`.
    Yaml {
        /// Add state, load, BBB version and online status.
        #[arg(long)]
        verbose: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum MeetingsCommand {
    /// List meetings (all, or the given ids) with their server.
    List {
        ids: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// End meetings (all, or the given ids), after confirmation.
    End {
        ids: Vec<String>,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `serve` sets its logs up from its configuration, once loaded; the operator commands
    // print their own output, so only their warnings go to the log (on stderr).
    match cli.command {
        Command::Serve { .. } => {}
        Command::Simulate { .. } => scalelite::logging::init_command("info"),
        _ => scalelite::logging::init_command("warn"),
    }
    match cli.command {
        Command::Serve {
            config,
            test,
            daemon,
            upgrade,
        } => {
            let cfg = match scalelite::cli::load_config(config.as_deref()) {
                Ok(c) => c,
                Err(code) => return code,
            };
            if test {
                // Find out before the start whether the log file can be written.
                if let Some(path) = &cfg.log.file {
                    if let Err(e) = scalelite::logging::check_file(path) {
                        eprintln!("scalelite: invalid configuration:\n  - {e}");
                        return ExitCode::from(2);
                    }
                }
                println!(
                    "scalelite: configuration OK (listen {}, {} declared servers)",
                    cfg.listen,
                    cfg.servers.len()
                );
                return ExitCode::SUCCESS;
            }
            if let Err(e) = scalelite::logging::init(&cfg.log) {
                eprintln!("scalelite: {e}");
                return ExitCode::from(2);
            }
            let opt = pingora::server::configuration::Opt {
                upgrade,
                daemon,
                ..Default::default()
            };
            scalelite::app::run(cfg, opt)
        }
        Command::Simulate {
            listen,
            secret,
            service_time_ms,
        } => simulate(&listen, &secret, service_time_ms),
        Command::Servers { target, command } => run_servers(&target.target(), command),
        Command::Status { target, json } => cli::run(&target.target(), |admin| async move {
            status::status(&admin, json).await
        }),
        Command::Meetings { target, command } => {
            let command = command.unwrap_or(MeetingsCommand::List {
                ids: Vec::new(),
                json: false,
            });
            cli::run(&target.target(), |admin| async move {
                match command {
                    MeetingsCommand::List { ids, json } => meetings::list(&admin, &ids, json).await,
                    MeetingsCommand::End { ids, yes } => meetings::end(&admin, &ids, yes).await,
                }
            })
        }
        Command::Recordings { target, command } => cli::run_recordings(&target.target(), command),
        Command::Poll { target } => {
            cli::run(
                &target.target(),
                |admin| async move { poll::poll(&admin).await },
            )
        }
    }
}

fn run_servers(target: &Target, command: Option<ServersCommand>) -> ExitCode {
    use ServersCommand as S;
    let command = command.unwrap_or(S::List { json: false });
    cli::run(target, |admin| async move {
        let a = &admin;
        match command {
            S::List { json } => servers::list(a, json).await,
            S::Add {
                url,
                secret,
                load_multiplier,
                tag,
            } => servers::add(a, &url, &secret, load_multiplier.as_deref(), tag.as_deref()).await,
            S::Remove { id } => servers::remove(a, &id).await,
            S::Enable { id } => servers::enable(a, &id).await,
            S::Cordon { id } => servers::cordon(a, &id).await,
            S::Disable { id, yes } => servers::disable(a, &id, yes).await,
            S::Panic {
                id,
                keep_state,
                skip_end_calls,
            } => servers::panic(a, &id, keep_state, skip_end_calls).await,
            S::Update {
                id,
                secret,
                load_multiplier,
                tag,
            } => {
                let (s, m, t) = (
                    secret.as_deref(),
                    load_multiplier.as_deref(),
                    tag.as_deref(),
                );
                servers::update_server(a, &id, s, m, t).await
            }
            S::Sync {
                file,
                mode,
                dry_run,
            } => sync::sync(a, &file, &mode, dry_run).await,
            S::Yaml { verbose, json } => servers::yaml(a, verbose, json).await,
        }
    })
}

/// Start the simulators, print their URLs, run until interrupted.
fn simulate(listen: &[std::net::SocketAddr], secret: &str, service_time_ms: f64) -> ExitCode {
    let Ok(service_time) = std::time::Duration::try_from_secs_f64(service_time_ms / 1000.0) else {
        eprintln!(
            "scalelite simulate: --service-time-ms must be a positive number of milliseconds"
        );
        return ExitCode::FAILURE;
    };
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
                    sim.set_service_time(service_time);
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
