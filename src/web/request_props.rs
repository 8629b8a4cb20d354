//! Property tests of checksum verification: what a front-end signs with the secret verifies,
//! for every algorithm; any single-byte change of the signed query (checksum included) does not.

use super::*;
use crate::bbb::checksum::verify_with;
use crate::bbb::{Algorithm, Checksum};
use proptest::prelude::*;

const ALL: [Algorithm; 4] = [
    Algorithm::Sha1,
    Algorithm::Sha256,
    Algorithm::Sha384,
    Algorithm::Sha512,
];

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop::sample::select(ALL.to_vec())
}

/// A query as a front-end sends it (without its checksum): raw printable ASCII, or parameters
/// with arbitrary Unicode keys and values, www-form encoded.
fn query() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,48}",
        prop::collection::vec(("[^&]{1,8}", ".{0,12}"), 0..6).prop_map(|pairs| {
            let mut p = Params::new();
            for (k, v) in pairs {
                p.insert(&k, &v);
            }
            p.encode()
        }),
    ]
    .prop_filter("no checksum parameter of its own", |q| {
        !q.split('&').any(|p| p.starts_with("checksum="))
    })
}

/// The whole raw query of a signed call: the checksum first or last.
fn signed(query: &str, sum: &str, first: bool) -> String {
    match (first, query.is_empty()) {
        (_, true) => format!("checksum={sum}"),
        (true, false) => format!("checksum={sum}&{query}"),
        (false, false) => format!("{query}&checksum={sum}"),
    }
}

fn check(policy: &Checksum, action: &str, raw: &str) -> Result<(), ApiError> {
    verify(policy, action, raw, &Params::parse(raw))
}

/// A single-byte change of `s` at `at % len`: another printable ASCII byte in its place, the
/// byte removed, or a byte inserted before it. `s` must be ASCII.
fn mutate(s: &str, at: usize, byte: u8, kind: u8) -> String {
    let mut b = s.as_bytes().to_vec();
    let i = at % b.len();
    match kind % 3 {
        0 => {
            let mut r = b' ' + byte % 95;
            if r == b[i] {
                r = if r == b'~' { b' ' } else { r + 1 };
            }
            b[i] = r;
        }
        1 => {
            b.remove(i);
        }
        _ => b.insert(i, b' ' + byte % 95),
    }
    String::from_utf8(b).expect("ASCII in, ASCII out")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_signed_query_verifies_and_any_single_byte_change_does_not(
        algo in algorithm(),
        secrets in prop::collection::vec("[ -~]{1,24}", 1..4),
        which in any::<prop::sample::Index>(),
        action in "[a-zA-Z]{0,16}",
        query in query(),
        first in any::<bool>(),
        at in any::<usize>(),
        byte in any::<u8>(),
        kind in any::<u8>(),
    ) {
        let policy = Checksum::new(secrets.clone(), ALL.to_vec(), Algorithm::Sha256);
        let secret = which.get(&secrets);
        let sum = algo.hex_digest(&[action.as_bytes(), query.as_bytes(), secret.as_bytes()]);
        let raw = signed(&query, &sum, first);
        prop_assert_eq!(check(&policy, &action, &raw), Ok(()));

        // The checksum may also come from the form body: only the query is hashed.
        let mut body = Params::parse(&query);
        body.insert("checksum", &sum);
        prop_assert_eq!(verify(&policy, &action, &query, &body), Ok(()));

        // Any single-byte change anywhere: in the query, in `checksum=`, in the sum.
        let changed = mutate(&raw, at, byte, kind);
        prop_assert_eq!(check(&policy, &action, &changed), Err(ApiError::Checksum), "{}", changed);

        // A change of the sum alone (the query untouched).
        let bad_sum = mutate(&sum, at, byte, kind);
        prop_assert_eq!(
            check(&policy, &action, &signed(&query, &bad_sum, first)),
            Err(ApiError::Checksum)
        );

        // Another action, or the algorithm not allowed.
        let other = format!("{action}x");
        prop_assert_eq!(check(&policy, &other, &raw), Err(ApiError::Checksum));
        let others: Vec<Algorithm> = ALL.into_iter().filter(|a| *a != algo).collect();
        let strict = Checksum::new(secrets, others, Algorithm::Sha256);
        prop_assert_eq!(check(&strict, &action, &raw), Err(ApiError::Checksum));
    }

    /// What we sign upstream (`Checksum::sign`, the outgoing algorithm) verifies.
    #[test]
    fn what_we_sign_verifies(
        algo in algorithm(),
        secret in ".{1,24}",
        action in "[a-zA-Z]{0,16}",
        query in query(),
    ) {
        let policy = Checksum::new(vec![secret.clone()], vec![algo], algo);
        let sum = policy.sign(&action, &query, &secret);
        prop_assert_eq!(Algorithm::from_hex_len(sum.len()), Some(algo));
        prop_assert_eq!(Algorithm::from_name(algo.name()), Some(algo));
        prop_assert!(policy.verify(&action, &query, &sum));
        prop_assert!(!policy.verify(&action, &query, &sum.to_uppercase())
            || !sum.bytes().any(|b| b.is_ascii_alphabetic()));
    }

    /// Arbitrary checksums (any length, multi-byte characters) and queries never panic.
    #[test]
    fn arbitrary_checksums_never_panic(
        query in any::<String>(),
        sum in prop_oneof![any::<String>(), "[0-9a-f\u{e9}]{38,130}"],
    ) {
        prop_assert!(!verify_with(&["s".into()], &ALL, "create", &query, &sum));
        let mut params = Params::parse(&query);
        params.insert("checksum", &sum);
        let _ = verify(
            &Checksum::new(vec!["s".into()], ALL.to_vec(), Algorithm::Sha1),
            "create",
            &query,
            &params,
        );
    }
}
