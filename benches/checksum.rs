//! Checksum cost on the join hot path: verify the client's checksum, then re-sign the query for
//! the BBB server. Baseline (same run): one bare digest of the same bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench may stop on a broken set-up

use criterion::{black_box, criterion_group, Criterion};
use scalelite::bbb::query::strip_checksum;
use scalelite::bbb::{Algorithm, Checksum, Params};
use std::time::Instant;

const SECRET: &str = "f830c18ee29c8531e0115c3da85db89b";
const ALGOS: [Algorithm; 4] = [
    Algorithm::Sha1,
    Algorithm::Sha256,
    Algorithm::Sha384,
    Algorithm::Sha512,
];

/// A join query as Greenlight sends it.
fn join_query(algo: Algorithm) -> String {
    let q = "fullName=Jane+M%C3%BCller&meetingID=c2f1a8d6e0b94e0f8b6f3a1d2e4c5b7a9d8e7f6a-1700000000&password=ap8K2xQz&role=VIEWER&userID=gl-abcdefghijkl&createTime=1700000000123&avatarURL=https%3A%2F%2Fgl.example.com%2Favatars%2F42.png&userdata-bbb_skip_check_audio=true";
    let sum = algo.hex_digest(&[b"join", q.as_bytes(), SECRET.as_bytes()]);
    format!("{q}&checksum={sum}")
}

/// What the gateway does per join: parse, verify, rebuild the upstream query and sign it.
fn verify_and_resign(policy: &Checksum, raw: &str) -> String {
    let params = Params::parse(raw);
    let sum = params.get("checksum").unwrap_or("");
    assert!(policy.verify("join", &strip_checksum(raw, sum), sum));
    let mut out = params.clone();
    out.remove("checksum");
    let q = out.encode();
    policy.sign("join", &q, "server-secret-0123456789")
}

fn policy(algo: Algorithm) -> Checksum {
    Checksum::new(vec![SECRET.into()], ALGOS.to_vec(), algo)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("checksum");
    for algo in ALGOS {
        let raw = join_query(algo);
        let p = policy(algo);
        g.bench_function(format!("{}/verify+resign", algo.name()), |b| {
            b.iter(|| verify_and_resign(&p, black_box(&raw)))
        });
        g.bench_function(format!("{}/baseline-digest", algo.name()), |b| {
            b.iter(|| algo.hex_digest(&[b"join", black_box(raw.as_bytes()), SECRET.as_bytes()]))
        });
    }
    g.finish();
}

/// Ratios measured in this run: verify+re-sign against one bare digest of the same query.
fn ratios() {
    const N: u32 = 20_000;
    println!("\nchecksum ratios (same run, {N} iterations each):");
    for algo in ALGOS {
        let raw = join_query(algo);
        let p = policy(algo);
        let t = Instant::now();
        for _ in 0..N {
            black_box(algo.hex_digest(&[b"join", black_box(raw.as_bytes()), SECRET.as_bytes()]));
        }
        let base = t.elapsed();
        let t = Instant::now();
        for _ in 0..N {
            black_box(verify_and_resign(&p, black_box(&raw)));
        }
        let ours = t.elapsed();
        println!(
            "  {:<6} verify+resign {:>7.2} µs  baseline digest {:>7.2} µs  ratio {:.2}",
            algo.name(),
            ours.as_secs_f64() * 1e6 / N as f64,
            base.as_secs_f64() * 1e6 / N as f64,
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
