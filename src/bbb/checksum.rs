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

    /// FIPS 180-4 known answers ("abc" and the empty message) through the Algorithm API, and
    /// BBB checksums of `action + query + secret` computed independently
    /// (`printf 'getMeetingsf830…' | sha1sum` and the like).
    #[test]
    fn known_vector() {
        let fips: [(Algorithm, &[u8], &str); 8] = [
            (
                Algorithm::Sha1,
                b"",
                "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            ),
            (
                Algorithm::Sha1,
                b"abc",
                "a9993e364706816aba3e25717850c26c9cd0d89d",
            ),
            (
                Algorithm::Sha256,
                b"",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            (
                Algorithm::Sha256,
                b"abc",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
            (
                Algorithm::Sha384,
                b"",
                "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da\
                 274edebfe76f65fbd51ad2f14898b95b",
            ),
            (
                Algorithm::Sha384,
                b"abc",
                "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
                 8086072ba1e7cc2358baeca134c825a7",
            ),
            (
                Algorithm::Sha512,
                b"",
                "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce\
                 47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
            ),
            (
                Algorithm::Sha512,
                b"abc",
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
                 2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            ),
        ];
        for (algo, msg, want) in fips {
            assert_eq!(algo.hex_digest(&[msg]), want, "{algo:?} of {msg:?}");
            // The same message split into parts digests the same.
            if let Some((a, b)) = msg.split_first() {
                assert_eq!(algo.hex_digest(&[&[*a], b]), want, "{algo:?} in parts");
            }
            assert_eq!(Algorithm::from_hex_len(want.len()), Some(algo));
        }

        // BBB checksums: hex(digest(action + query + secret)).
        let secret = "f830c18ee29c8531e0115c3da85db89b";
        assert_eq!(
            Algorithm::Sha1.hex_digest(&[b"getMeetings", b"", secret.as_bytes()]),
            "ad9b6158ec1c63ccb1a10422b4859c44e3a71a75"
        );
        assert_eq!(
            Algorithm::Sha1.hex_digest(&[b"getMeetingInfo", b"", b"test-2"]),
            "cbf00ea96fae6ff06c2cb311bbde8b26ad66d765"
        );
        assert_eq!(
            Algorithm::Sha384.hex_digest(&[b"end", b"meetingID=m1", b"s"]),
            "d86a4299a76f5b76f308eea2453e98bf60f119d6ba68f6723fd1f8376ed81835\
             9df300027b40e55bbc8b513099f9c5c9"
        );
        let join = "meetingID=random-9998743&fullName=Jane&password=mp";
        let join512 = "b841c8cab12f61cfaefa15f94f71fb9d3b6fdb177dc0a3257c2f97f787e40a13\
                       62d6af844733e57f2664ac982d5ce309c34ea8775bf7aa18cedcba6127a62ad8";
        assert_eq!(
            Algorithm::Sha512.hex_digest(&[b"join", join.as_bytes(), secret.as_bytes()]),
            join512
        );
        // The policy signs with its outgoing algorithm (SHA256) and verifies what it signed.
        let sum = policy().sign("create", "a=1", "x");
        assert_eq!(
            sum,
            "ff99b1d21382e24b85fc79a83346b4727d7cc46380298d04006d783ab2d94d50"
        );
        let c = Checksum::new(
            vec![secret.into()],
            vec![Algorithm::Sha512],
            Algorithm::Sha256,
        );
        assert!(c.verify("join", join, join512));
        let sha1 = Checksum::new(vec![secret.into()], vec![Algorithm::Sha1], Algorithm::Sha1);
        assert!(sha1.verify(
            "getMeetings",
            "",
            "ad9b6158ec1c63ccb1a10422b4859c44e3a71a75"
        ));
    }
}
