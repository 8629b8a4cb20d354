//! Assembling the program: the Pingora server with the gateway and its background services.

mod importer;
mod services;

use crate::config::Config;
use crate::gateway::Gateway;
use crate::state::Shared;
use pingora::server::configuration::{Opt, ServerConf};
use pingora::server::Server as PingoraServer;
use pingora::services::background::background_service;

/// Build the Pingora server with the gateway, the poller and the registry refresher, then run
/// until told to stop.
pub fn run(config: Config, opt: Opt) -> ! {
    let conf = ServerConf {
        threads: config.threads,
        grace_period_seconds: Some(5),
        graceful_shutdown_timeout_seconds: Some(5),
        ca_file: config.upstream_ca_file.clone(),
        // Per data dir, so instances on one host do not take over each other's sockets.
        upgrade_sock: config.data_dir.join("upgrade.sock").display().to_string(),
        pid_file: config.data_dir.join("scalelite.pid").display().to_string(),
        // In daemon mode (-d) stderr (panics, early errors) goes to the log file too.
        error_log: config.log.file.as_ref().map(|p| p.display().to_string()),
        ..Default::default()
    };
    if let Err(e) = std::fs::create_dir_all(&config.data_dir) {
        eprintln!("scalelite: data dir {}: {e}", config.data_dir.display());
        std::process::exit(2);
    }
    let mut server = PingoraServer::new_with_opt_and_conf(opt, conf);
    server.bootstrap();
    let listen = config.listen.clone();
    let listen_unix = config.listen_unix.clone();
    let tls = config.tls.clone();
    let metrics_listen = config.metrics_listen.clone();
    let threads = config.threads;
    let shared = Shared::new(config);
    let gateway = Gateway::new(shared.clone());
    let mut proxy = pingora::proxy::http_proxy_service(&server.configuration, gateway);
    proxy.threads = Some(threads);
    match &listen_unix {
        Some(path) => proxy.add_uds(path, None),
        None => proxy.add_tcp(&listen),
    }
    if let Some(tls) = &tls {
        if let Err(e) = proxy.add_tls(&tls.listen, &tls.cert, &tls.key) {
            eprintln!("scalelite: cannot serve TLS on {}: {e}", tls.listen);
            std::process::exit(2);
        }
        log::info!("scalelite listening with TLS on {}", tls.listen);
    }
    server.add_service(proxy);
    if let Some(addr) = &metrics_listen {
        let mut metrics = pingora_prometheus::prometheus_http_service();
        metrics.add_tcp(addr);
        server.add_service(metrics);
        // Registers the metrics (and the build info) before the first scrape.
        let _ = crate::metrics::get();
        crate::metrics::imports::register();
        log::info!("metrics on http://{addr}/metrics");
    }
    let poller = services::PollerService::new(shared.clone());
    server.add_service(background_service("poller", poller));
    let drain = services::DrainService::new(shared.clone());
    server.add_service(background_service("drain", drain));
    let importer = importer::ImporterService::new(shared.clone());
    server.add_service(background_service("recording importer", importer));
    let refresher = services::RefreshService::new(shared);
    server.add_service(background_service("registry refresh", refresher));
    log::info!("scalelite listening on {listen}");
    server.run_forever()
}
