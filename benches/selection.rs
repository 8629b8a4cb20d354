//! Placement cost: choosing a server for a new meeting over 10, 100 and 1,000 servers with
//! tags, through the pingora-load-balancing selector. Baseline (same run): a plain scan for
//! the least-loaded server.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench may stop on a broken set-up

use criterion::{black_box, criterion_group, Criterion};
use scalelite::pool::{Placement, TagSpec};
use scalelite::store::{Server, ServerState};
use std::time::Instant;

fn pool(n: usize) -> Vec<Server> {
    (0..n)
        .map(|i| {
            let mut s = Server::new(
                format!("bbb{i:04}"),
                format!("https://bbb{i}.example.com/bigbluebutton/api/"),
                "s".into(),
            );
            s.state = Some(ServerState::Enabled);
            s.enabled = true;
            s.online = true;
            s.load = Some(((i * 7919) % 211) as f64);
            // A third of the pool is tagged, in two tags.
            s.tag = match i % 6 {
                0 => Some("gpu".into()),
                3 => Some("eu".into()),
                _ => None,
            };
            s
        })
        .collect()
}

/// The floor for what placement returns: the available servers of the wanted tags, ranked by
/// load (the whole order, since create falls back to the next server when one fails).
fn baseline(servers: &[Server]) -> Vec<String> {
    let mut v: Vec<&Server> = servers
        .iter()
        .filter(|s| s.is_available() && matches!(s.tag.as_deref(), Some("gpu") | Some("eu")))
        .collect();
    v.sort_by(|a, b| {
        a.load
            .unwrap_or(0.0)
            .total_cmp(&b.load.unwrap_or(0.0))
            .then_with(|| a.id.cmp(&b.id))
    });
    v.into_iter().map(|s| s.id.clone()).collect()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut g = c.benchmark_group("selection");
    for n in [10, 100, 1000] {
        let servers = pool(n);
        let placement = Placement::new();
        for spec in ["", "gpu;eu", "gpu!"] {
            let tag = TagSpec::parse(spec);
            g.bench_function(format!("{n}/tag={spec:?}"), |b| {
                b.iter(|| rt.block_on(placement.order(black_box(&servers), &tag)))
            });
        }
        g.bench_function(format!("{n}/baseline-sort"), |b| {
            b.iter(|| baseline(black_box(&servers)))
        });
    }
    g.finish();
}

fn ratios() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    println!("\nselection ratios (same run):");
    for n in [10usize, 100, 1000] {
        let servers = pool(n);
        let placement = Placement::new();
        let tag = TagSpec::parse("gpu;eu");
        let iters = 200_000 / n as u32;
        let t = Instant::now();
        for _ in 0..iters {
            black_box(baseline(black_box(&servers)));
        }
        let base = t.elapsed();
        let t = Instant::now();
        for _ in 0..iters {
            let _ = black_box(rt.block_on(placement.order(black_box(&servers), &tag)));
        }
        let ours = t.elapsed();
        println!(
            "  {n:>5} servers: placement {:>9.2} µs  baseline sort {:>8.2} µs  ratio {:.1}",
            ours.as_secs_f64() * 1e6 / iters as f64,
            base.as_secs_f64() * 1e6 / iters as f64,
            ours.as_secs_f64() / base.as_secs_f64()
        );
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    // `cargo test --all-targets` runs benches once as a smoke test; ratios only when benchmarking.
    if std::env::args().any(|a| a == "--bench") {
        ratios();
    }
    Criterion::default().configure_from_args().final_summary();
}
