//! BBB checksums: verifying what front-ends send and signing what we send to BBB servers.

use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// A digest algorithm BBB accepts for its `checksum` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Algorithm {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    /// The upper-case name used in `LOADBALANCER_CHECKSUM_ALGORITHM`.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha384 => "SHA384",
            Algorithm::Sha512 => "SHA512",
        }
    }

    /// Parse an upper-case name; Scalelite compares case-sensitively, so `sha256` is unknown.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "SHA1" => Algorithm::Sha1,
            "SHA256" => Algorithm::Sha256,
            "SHA384" => Algorithm::Sha384,
            "SHA512" => Algorithm::Sha512,
            _ => return None,
        })
    }

    /// The algorithm a hex checksum of this length was made with.
    pub fn from_hex_len(len: usize) -> Option<Self> {
        Some(match len {
            40 => Algorithm::Sha1,
            64 => Algorithm::Sha256,
            96 => Algorithm::Sha384,
            128 => Algorithm::Sha512,
            _ => return None,
        })
    }

    /// Lower-case hex digest of the concatenated parts (no intermediate string is built).
    pub fn hex_digest(self, parts: &[&[u8]]) -> String {
        fn run<D: Digest>(parts: &[&[u8]]) -> String {
            let mut d = D::new();
            for p in parts {
                d.update(p);
            }
            lower_hex(&d.finalize())
        }
        match self {
            Algorithm::Sha1 => run::<Sha1>(parts),
            Algorithm::Sha256 => run::<Sha256>(parts),
            Algorithm::Sha384 => run::<Sha384>(parts),
            Algorithm::Sha512 => run::<Sha512>(parts),
        }
    }
}

/// Lower-case hex by table: `hex::encode` goes through a char iterator, which showed up in the
/// profile of every request (a checksum is computed twice per proxied call).
fn lower_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// The checksum policy of this load balancer: which secrets and algorithms front-ends may use,
/// and which algorithm we sign upstream calls with.
#[derive(Debug, Clone)]
pub struct Checksum {
    secrets: Vec<String>,
    allowed: Vec<Algorithm>,
    outgoing: Algorithm,
}

impl Checksum {
    pub fn new(secrets: Vec<String>, allowed: Vec<Algorithm>, outgoing: Algorithm) -> Self {
        Self {
            secrets,
            allowed,
            outgoing,
        }
    }

    pub fn secrets(&self) -> &[String] {
        &self.secrets
    }

    pub fn outgoing(&self) -> Algorithm {
        self.outgoing
    }

    /// Verify `checksum` over `action + query` (the raw query with the checksum already removed)
    /// against every configured secret. Constant time per comparison.
    pub fn verify(&self, action: &str, query: &str, checksum: &str) -> bool {
        verify_with(&self.secrets, &self.allowed, action, query, checksum)
    }

    /// Sign an upstream call: the hex checksum of `action + query + secret`.
    pub fn sign(&self, action: &str, query: &str, secret: &str) -> String {
        self.outgoing
            .hex_digest(&[action.as_bytes(), query.as_bytes(), secret.as_bytes()])
    }
}

/// Verify against an explicit secret list (tenants bring their own secrets).
pub fn verify_with(
    secrets: &[String],
    allowed: &[Algorithm],
    action: &str,
    query: &str,
    checksum: &str,
) -> bool {
    let Some(algo) = Algorithm::from_hex_len(checksum.len()) else {
        return false;
    };
    if !allowed.contains(&algo) {
        return false;
    }
    let mut ok = false;
    for secret in secrets {
        let expected = algo.hex_digest(&[action.as_bytes(), query.as_bytes(), secret.as_bytes()]);
        ok |= constant_time_eq(expected.as_bytes(), checksum.as_bytes());
    }
    ok
}

/// Compare without an early exit, so the time taken says nothing about where a guess went wrong.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_hex_matches_the_hex_crate_for_every_byte() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(lower_hex(&all), hex::encode(&all));
        assert_eq!(
            Algorithm::Sha1.hex_digest(&[b"abc"]),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }

    fn policy() -> Checksum {
        Checksum::new(
            vec!["s1".into(), "s2".into()],
            vec![
                Algorithm::Sha1,
                Algorithm::Sha256,
                Algorithm::Sha384,
                Algorithm::Sha512,
            ],
            Algorithm::Sha256,
        )
    }

    #[test]
    fn every_algorithm_and_secret_verifies() {
        let c = policy();
        for algo in [
            Algorithm::Sha1,
            Algorithm::Sha256,
            Algorithm::Sha384,
            Algorithm::Sha512,
        ] {
            for secret in ["s1", "s2"] {
                let sum = algo.hex_digest(&[b"join", b"meetingID=a", secret.as_bytes()]);
                assert!(c.verify("join", "meetingID=a", &sum), "{algo:?}");
                assert!(!c.verify("join", "meetingID=b", &sum));
                assert!(!c.verify("join", "meetingID=a", &sum.to_uppercase()));
            }
        }
    }

    #[test]
    fn disallowed_algorithm_is_refused() {
        let c = Checksum::new(vec!["s".into()], vec![Algorithm::Sha256], Algorithm::Sha256);
        let sha1 = Algorithm::Sha1.hex_digest(&[b"end", b"", b"s"]);
        assert!(!c.verify("end", "", &sha1));
        assert!(!c.verify("end", "", "xyz"));
    }

    #[test]
    fn known_vector() {
        // sha1("getMeetingInfo" + "test-2")
        let sum = Algorithm::Sha1.hex_digest(&[b"getMeetingInfo", b"", b"test-2"]);
        assert_eq!(sum.len(), 40);
        assert_eq!(policy().sign("create", "a=1", "x").len(), 64);
    }
}
