//! Property tests of the query-string parser, its encoder and the textual checksum removal.

use super::*;
use proptest::prelude::*;

/// Query-like text: the separators, `+`, `%` with zero to two hex digits (so truncated and
/// invalid-UTF-8 escapes such as `%FF` or `%C3` alone), and arbitrary characters.
fn query_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("&".to_string()),
        Just("&&".to_string()),
        Just("=".to_string()),
        Just("+".to_string()),
        Just("%".to_string()),
        "%[0-9A-Fa-f]",
        "%[0-9A-Fa-f]{2}",
        "%[89A-Fa-f][0-9A-Fa-f]",
        "[a-z]{1,4}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..64).prop_map(|v| v.concat())
}

/// Params as a caller builds them: arbitrary keys and values, with or without `=`. A bare empty
/// key is left out: `encode` writes it as nothing, and `parse` never yields one (it drops the
/// empty pieces of `a&&b`), so it is outside the round trip's domain.
fn params() -> impl Strategy<Value = Params> {
    prop::collection::vec((".{0,12}", prop::option::of(".{0,12}")), 0..12).prop_map(|pairs| {
        pairs
            .into_iter()
            .filter(|(k, v)| !(k.is_empty() && v.is_none()))
            .collect()
    })
}

/// The independent decoder: `form_urlencoded` (the `url` crate's), lossy UTF-8 as ours. It
/// splits at `=`, so a literal `=` (which decodes to itself) is given to it as `%3D`.
fn oracle(text: &str) -> String {
    let text = text.replace('=', "%3D");
    form_urlencoded::parse(text.as_bytes())
        .next()
        .map(|(k, _)| k.into_owned())
        .unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parse_never_panics_and_keys_are_unique(raw in query_text()) {
        let p = Params::parse(&raw);
        let mut keys: Vec<&str> = p.iter().map(|(k, _)| k).collect();
        let n = keys.len();
        keys.sort_unstable();
        keys.dedup();
        prop_assert_eq!(keys.len(), n);
    }

    #[test]
    fn parse_never_panics_on_arbitrary_text(raw in any::<String>()) {
        let _ = Params::parse(&raw);
        let _ = strip_checksum(&raw, "");
        let _ = strip_checksum(&raw, &raw);
    }

    /// Each key decodes as `form_urlencoded` decodes it; the last occurrence's value wins;
    /// `key` without `=` is present without a value.
    #[test]
    fn parse_agrees_with_form_urlencoded(raw in query_text()) {
        let p = Params::parse(&raw);
        let mut expected: Vec<(String, Option<String>)> = Vec::new();
        for piece in raw.split('&').filter(|s| !s.is_empty()) {
            let (k, v) = match piece.split_once('=') {
                Some((k, v)) => (oracle(k), Some(oracle(v))),
                None => (oracle(piece), None),
            };
            match expected.iter_mut().find(|(ek, _)| *ek == k) {
                Some(slot) => slot.1 = v,
                None => expected.push((k, v)),
            }
        }
        let got: Vec<(String, Option<String>)> = p
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(String::from)))
            .collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn encode_then_parse_round_trips(p in params()) {
        let encoded = p.encode();
        // www-form: only the unreserved set, `+`, `%XX`, and the separators.
        prop_assert!(encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"*-._+%&=".contains(&b)));
        prop_assert_eq!(Params::parse(&encoded), p);
    }

    /// Whatever came in, what we pass on (`encode`) reads back as the same parameters.
    #[test]
    fn parse_encode_parse_is_stable(raw in query_text()) {
        let p = Params::parse(&raw);
        prop_assert_eq!(Params::parse(&p.encode()), p);
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Huge inputs: up to 20,000 parameters (some repeated), values up to 64 KiB of escapes.
    #[test]
    fn huge_queries_parse(
        n in 1usize..20_000,
        distinct in 1usize..20_000,
        unit in "[a-z%0-9+&=]{1,8}",
        repeat in 0usize..8192,
    ) {
        let value = unit.repeat(repeat);
        let raw: String = (0..n).map(|i| format!("k{}=v&", i % distinct)).collect();
        let p = Params::parse(&raw);
        prop_assert_eq!(p.len(), n.min(distinct));
        let long = format!("{value}&b={value}&a=1");
        let p = Params::parse(&long);
        prop_assert_eq!(p.get("a"), Some("1"));
        prop_assert_eq!(Params::parse(&p.encode()), p);
    }
}

/// A `&`-separated piece that is not a checksum parameter (it may contain `=`, be empty, or
/// look like one: `xchecksum=`, `Checksum=`, bare `checksum`).
fn other_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[^&]{0,10}",
        "[a-z]{0,3}=[^&]{0,6}",
        Just(String::new()),
        Just("checksum".to_string()),
        Just("xchecksum=1".to_string()),
        Just("Checksum=1".to_string()),
        Just("a=checksum=1".to_string()),
    ]
    .prop_filter("not a checksum parameter", |s| !s.starts_with("checksum="))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// `strip_checksum` drops exactly the `&`-separated pieces `checksum=<the checked value>`
    /// (all of them, wherever they are) and keeps every other piece byte for byte, in order —
    /// another `checksum=` piece too (Scalelite removes only the value it checks).
    #[test]
    fn strip_checksum_removes_exactly_the_checksum_pieces(
        pieces in prop::collection::vec(
            prop_oneof![
                3 => other_piece().prop_map(|s| (false, s)),
                1 => Just((true, "checksum=c0ffee".to_string())),
                1 => "[^&]{0,20}"
                    .prop_filter("another value", |v| v != "c0ffee")
                    .prop_map(|v| (false, format!("checksum={v}"))),
            ],
            0..10,
        )
    ) {
        let value = "c0ffee";
        let raw = pieces.iter().map(|(_, s)| s.as_str()).collect::<Vec<_>>().join("&");
        let kept = pieces
            .iter()
            .filter(|(is_sum, _)| !is_sum)
            .map(|(_, s)| s.as_str())
            .collect::<Vec<_>>()
            .join("&");
        let stripped = strip_checksum(&raw, value);
        if pieces.iter().any(|(is_sum, _)| *is_sum) {
            prop_assert_eq!(stripped.as_ref(), kept.as_str());
        } else {
            // Nothing to remove: the very same text (a piece may still contain `checksum=`).
            prop_assert_eq!(stripped.as_ref(), raw.as_str());
        }
        let again = strip_checksum(&stripped, value).into_owned();
        prop_assert_eq!(again.as_str(), stripped.as_ref());
    }
}
/// Many distinct keys (a form body may hold a million): parsing and merging stay linear. The
/// quadratic version took about a minute here in a debug build; this takes well under a second.
#[test]
fn many_distinct_keys_parse_and_merge() {
    let n = 50_000;
    let raw: String = (0..n).map(|i| format!("k{i}=v&")).collect();
    let mut p = Params::parse(&raw);
    assert_eq!(p.len(), n);
    assert_eq!(p.get("k49999"), Some("v"));
    let later: String = (0..n).map(|i| format!("k{}=w&", i + n / 2)).collect();
    p.merge(Params::parse(&later));
    assert_eq!(p.len(), n + n / 2);
    assert_eq!((p.get("k0"), p.get("k30000")), (Some("v"), Some("w")));
    assert_eq!(p.iter().nth(n).map(|(k, _)| k), Some("k50000"));
}
