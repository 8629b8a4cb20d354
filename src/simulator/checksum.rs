//! BBB checksum verification and query-string parsing, done the way a real BBB server does it.
//!
//! The checksum covers the *raw* query string (minus the checksum param itself), so it is computed
//! on the undecoded text: a load balancer that re-encodes parameters would break it, and the
//! simulator has to notice exactly that.

use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// Digest algorithms BBB accepts, told apart by the checksum's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumAlgo {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl ChecksumAlgo {
    /// Algorithm implied by a hex checksum's length, as BBB decides it.
    pub fn from_len(len: usize) -> Option<Self> {
        match len {
            40 => Some(Self::Sha1),
            64 => Some(Self::Sha256),
            96 => Some(Self::Sha384),
            128 => Some(Self::Sha512),
            _ => None,
        }
    }
}

fn hex_digest<D: Digest>(parts: &[&str]) -> String {
    let mut d = D::new();
    for p in parts {
        d.update(p.as_bytes());
    }
    hex::encode(d.finalize())
}

/// Lower-case hex checksum of `action + query + secret`.
pub fn sign(algo: ChecksumAlgo, action: &str, query: &str, secret: &str) -> String {
    let parts = [action, query, secret];
    match algo {
        ChecksumAlgo::Sha1 => hex_digest::<Sha1>(&parts),
        ChecksumAlgo::Sha256 => hex_digest::<Sha256>(&parts),
        ChecksumAlgo::Sha384 => hex_digest::<Sha384>(&parts),
        ChecksumAlgo::Sha512 => hex_digest::<Sha512>(&parts),
    }
}

/// Splits the raw query into (checksum value, query with the checksum param removed textually).
///
/// Removing whole `&`-separated segments is the same as BBB's textual removal of
/// `&checksum=v` / `checksum=v&` / `checksum=v`, without its false matches on e.g. `xchecksum=`.
fn split_checksum(raw_query: &str) -> (Option<&str>, String) {
    let mut provided = None;
    let mut rest: Vec<&str> = Vec::new();
    for seg in raw_query.split('&') {
        match seg.strip_prefix("checksum=") {
            Some(v) => {
                if provided.is_none() {
                    provided = Some(v);
                }
            }
            None => rest.push(seg),
        }
    }
    (provided, rest.join("&"))
}

/// Whether the raw query carries a valid checksum for `action` under `secret`.
pub fn verify_checksum(action: &str, raw_query: &str, secret: &str) -> bool {
    let (provided, stripped) = split_checksum(raw_query);
    let Some(provided) = provided else {
        return false;
    };
    let Some(algo) = ChecksumAlgo::from_len(provided.len()) else {
        return false;
    };
    sign(algo, action, &stripped, secret) == provided
}

fn decode(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// Parses a query with x-www-form-urlencoded rules; a key without `=` gets `None`.
pub fn parse_params(raw_query: &str) -> Vec<(String, Option<String>)> {
    raw_query
        .split('&')
        .filter(|seg| !seg.is_empty())
        .map(|seg| match seg.split_once('=') {
            Some((k, v)) => (decode(k), Some(decode(v))),
            None => (decode(seg), None),
        })
        .collect()
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn strips_checksum_anywhere() {
        assert_eq!(split_checksum("checksum=ab"), (Some("ab"), String::new()));
        assert_eq!(
            split_checksum("checksum=ab&a=1"),
            (Some("ab"), "a=1".to_string())
        );
        assert_eq!(
            split_checksum("a=1&checksum=ab&b=2"),
            (Some("ab"), "a=1&b=2".to_string())
        );
        assert_eq!(split_checksum("xchecksum=1"), (None, "xchecksum=1".into()));
    }

    #[test]
    fn verifies_all_lengths() {
        for algo in [
            ChecksumAlgo::Sha1,
            ChecksumAlgo::Sha256,
            ChecksumAlgo::Sha384,
            ChecksumAlgo::Sha512,
        ] {
            let sum = sign(algo, "create", "meetingID=a+b", "s3cr3t");
            assert_eq!(ChecksumAlgo::from_len(sum.len()), Some(algo));
            let q = format!("meetingID=a+b&checksum={sum}");
            assert!(verify_checksum("create", &q, "s3cr3t"));
            assert!(!verify_checksum("create", &q, "other"));
            assert!(!verify_checksum("join", &q, "s3cr3t"));
        }
        assert!(!verify_checksum("create", "meetingID=a", "s"));
        assert!(!verify_checksum("create", "checksum=zz", "s"));
    }

    #[test]
    fn parses_form_encoding() {
        let p = parse_params("a=1+2&b&c=%C3%A9%26&&d=");
        assert_eq!(
            p,
            vec![
                ("a".into(), Some("1 2".into())),
                ("b".into(), None),
                ("c".into(), Some("é&".into())),
                ("d".into(), Some(String::new())),
            ]
        );
        // Invalid escapes and UTF-8 must not panic.
        let p = parse_params("x=%zz%ff&%=%");
        assert_eq!(p.len(), 2);
    }
}
