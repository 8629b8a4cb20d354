//! Configuration: defaults, env overlay, validation.
use super::*;
use crate::bbb::Algorithm;

fn env(pairs: &[(&str, &str)]) -> Env {
    Env::from_pairs(pairs)
}

#[test]
fn env_wins_and_defaults_apply() {
    let c = Config::build(
        FileConfig::default(),
        &env(&[("LOADBALANCER_SECRET", "s"), ("PORT", "8080")]),
    )
    .unwrap();
    assert_eq!(c.listen, "0.0.0.0:8080");
    assert_eq!(c.checksum.outgoing(), Algorithm::Sha256);
    assert_eq!(c.voice_bridge_len, 9);
    assert_eq!(c.poller.unhealthy_threshold, 2);
}

#[test]
fn every_problem_is_listed() {
    let errs = Config::build(
        FileConfig::default(),
        &env(&[
            ("PORT", "x"),
            ("LOADBALANCER_CHECKSUM_ALGORITHM", "sha256"),
            ("DEFAULT_JOIN_PARAMS", "a"),
        ]),
    )
    .unwrap_err();
    assert_eq!(errs.len(), 4, "{errs:?}");
}

#[test]
fn strongest_listed_algorithm_signs() {
    let c = Config::build(
        FileConfig::default(),
        &env(&[
            ("LOADBALANCER_SECRET", "s"),
            ("LOADBALANCER_CHECKSUM_ALGORITHM", "SHA1:SHA512"),
        ]),
    )
    .unwrap();
    assert_eq!(c.checksum.outgoing(), Algorithm::Sha512);
}

#[test]
fn reduced_timeouts_match_scalelite() {
    let t = Timeouts {
        connect: Duration::from_secs(5),
        response: Duration::from_secs(10),
    }
    .reduced();
    assert_eq!(t.connect, Duration::from_secs(1));
    assert_eq!(t.response, Duration::from_secs(1));
}
