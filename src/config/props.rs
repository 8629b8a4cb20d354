//! Property tests of the environment overlay: any value of any Scalelite variable gives a
//! Config or a list of problems (never a panic); valid numbers land in their field; invalid
//! values are refused with the variable named.

use super::*;
use crate::bbb::Algorithm;
use proptest::prelude::*;
use std::collections::HashMap;

/// Every variable the configuration reads.
const VARS: &[&str] = &[
    "BIND",
    "BUILD_NUMBER",
    "CONNECT_TIMEOUT",
    "CREATE_EXCLUDE_PARAMS",
    "DATABASE_URL",
    "DEFAULT_CREATE_PARAMS",
    "DEFAULT_JOIN_PARAMS",
    "DEFAULT_MEETING_TTL",
    "GET_MEETINGS_API_DISABLED",
    "JOIN_EXCLUDE_PARAMS",
    "LOADBALANCER_CHECKSUM_ALGORITHM",
    "LOADBALANCER_SECRET",
    "LOADBALANCER_SECRETS",
    "LOAD_JOIN_BUFFER_TIME",
    "LOAD_MIN_USER_COUNT",
    "MAX_MEETING_DURATION",
    "MULTITENANCY_ENABLED",
    "OVERRIDE_CREATE_PARAMS",
    "OVERRIDE_JOIN_PARAMS",
    "POLLER_CONCURRENCY",
    "POLLER_THREADS",
    "POLLER_WAIT_TIMEOUT",
    "POLL_INTERVAL",
    "PORT",
    "REDIS_NAMESPACE",
    "REDIS_URL",
    "RESPONSE_TIMEOUT",
    "RUST_LOG",
    "SCALELITE_DATA_DIR",
    "SCALELITE_LOG_FILE",
    "SCALELITE_LOG_FORMAT",
    "SCALELITE_LOG_LEVEL",
    "SCALELITE_METRICS_LISTEN",
    "SCALELITE_REDIS_CA_FILE",
    "SCALELITE_TLS_CERT",
    "SCALELITE_TLS_KEY",
    "SCALELITE_TLS_LISTEN",
    "SCALELITE_TLS_REDIRECT_HTTP",
    "SCALELITE_UPSTREAM_CA_FILE",
    "SERVER_HEALTHY_THRESHOLD",
    "SERVER_ID_IS_HOSTNAME",
    "SERVER_UNHEALTHY_THRESHOLD",
    "URL_HOST",
    "USE_EXTERNAL_VOICE_BRIDGE",
    "VOICE_BRIDGE_LEN",
];

/// Variables naming files the configuration opens: kept away from device and kernel files.
const PATHS: &[&str] = &[
    "SCALELITE_REDIS_CA_FILE",
    "SCALELITE_TLS_CERT",
    "SCALELITE_TLS_KEY",
    "SCALELITE_UPSTREAM_CA_FILE",
];

/// Values: arbitrary text, number-like text (signs, exponents, huge, `inf`, `NaN`, blanks),
/// and the shapes the list variables parse.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ ]?[-+]?[0-9]{1,25}([.][0-9]{0,6})?([eE][-+]?[0-9]{1,3})?[ ]?",
        Just("inf".to_string()),
        Just("-inf".to_string()),
        Just("NaN".to_string()),
        Just(String::new()),
        Just("  ".to_string()),
        "[A-Za-z0-9=:,/._ -]{0,24}",
        "(SHA1|SHA256|SHA384|SHA512|sha1|MD5)(:(SHA1|SHA256|SHA384|SHA512|))*",
        "((tcp|unix)://)?[a-z0-9.:\\[\\]]{0,12}(:[0-9]{0,6})?",
    ]
}

fn env_of(pairs: &[(&str, String)]) -> Env {
    Env(pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect::<HashMap<_, _>>())
}

fn build(pairs: &[(&str, String)]) -> Result<Config, Vec<String>> {
    Config::build(FileConfig::default(), &env_of(pairs)).map_err(|e| e.0)
}

/// A valid environment with `var` set to `value`.
fn with(var: &'static str, value: String) -> Result<Config, Vec<String>> {
    build(&[("LOADBALANCER_SECRET", "s".into()), (var, value)])
}

fn names(errors: &[String], var: &str) -> bool {
    errors.iter().any(|e| e.contains(var))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_values_give_a_config_or_problems(
        vars in prop::collection::vec((prop::sample::select(VARS), value()), 0..16),
        secret in any::<bool>(),
    ) {
        let mut pairs: Vec<(&str, String)> = vars
            .into_iter()
            .filter(|(k, v)| {
                !PATHS.contains(k) || !["/dev", "/proc", "/sys"].iter().any(|p| v.contains(p))
            })
            .collect();
        if secret {
            pairs.insert(0, ("LOADBALANCER_SECRET", "s".into()));
        }
        if let Err(errors) = build(&pairs) {
            prop_assert!(!errors.is_empty());
        }
    }

    #[test]
    fn integers_land_in_their_fields(
        port in 1u32..=65535,
        len in 5usize..=16,
        healthy in 1u64..=u64::from(u32::MAX),
        unhealthy in 1u64..=u64::from(u32::MAX),
        threads in any::<i64>(),
        concurrency in 1i64..=i64::MAX,
        duration in 0i64..=i64::MAX,
        ttl in 1i64..=i64::MAX,
        min_users in 0i64..=i64::MAX,
        pad in "[ \t]{0,2}",
    ) {
        let p = |n: String| format!("{pad}{n}{pad}");
        let c = build(&[
            ("LOADBALANCER_SECRET", "s".into()),
            ("PORT", p(port.to_string())),
            ("VOICE_BRIDGE_LEN", p(len.to_string())),
            ("SERVER_HEALTHY_THRESHOLD", p(healthy.to_string())),
            ("SERVER_UNHEALTHY_THRESHOLD", p(unhealthy.to_string())),
            ("POLLER_THREADS", p(threads.to_string())),
            ("MAX_MEETING_DURATION", p(duration.to_string())),
            ("DEFAULT_MEETING_TTL", p(ttl.to_string())),
            ("LOAD_MIN_USER_COUNT", p(min_users.to_string())),
        ]);
        prop_assert!(c.is_ok(), "{:?}", c.err());
        let c = c.unwrap();
        prop_assert_eq!(c.listen, format!("0.0.0.0:{port}"));
        prop_assert_eq!(c.voice_bridge_len, len);
        prop_assert_eq!(u64::from(c.poller.healthy_threshold), healthy);
        prop_assert_eq!(u64::from(c.poller.unhealthy_threshold), unhealthy);
        // POLLER_THREADS counts Scalelite's coordinator thread: one less polls, at least one.
        prop_assert_eq!(c.poller.concurrency as i128, (i128::from(threads) - 1).max(1));
        prop_assert_eq!(c.max_meeting_duration, duration as u64);
        prop_assert_eq!(c.meeting_ttl, Duration::from_secs(ttl as u64));
        prop_assert_eq!(c.poller.load_min_user_count, min_users as u64);

        let c = with("POLLER_CONCURRENCY", concurrency.to_string()).unwrap();
        prop_assert_eq!(c.poller.concurrency as i64, concurrency);
    }

    /// Seconds (and LOAD_JOIN_BUFFER_TIME's minutes) as written, to the nanosecond.
    #[test]
    fn durations_land_in_their_fields(
        interval in 1e-3f64..1e9,
        wait in 1e-3f64..1e9,
        connect in 1e-3f64..1e9,
        response in 1e-3f64..1e9,
        buffer in 0f64..1e9,
    ) {
        let c = build(&[
            ("LOADBALANCER_SECRET", "s".into()),
            ("POLL_INTERVAL", interval.to_string()),
            ("POLLER_WAIT_TIMEOUT", wait.to_string()),
            ("CONNECT_TIMEOUT", connect.to_string()),
            ("RESPONSE_TIMEOUT", response.to_string()),
            ("LOAD_JOIN_BUFFER_TIME", buffer.to_string()),
        ]);
        prop_assert!(c.is_ok(), "{:?}", c.err());
        let c = c.unwrap();
        prop_assert_eq!(c.poller.interval, Duration::from_secs_f64(interval));
        prop_assert_eq!(c.poller.wait_timeout, Duration::from_secs_f64(wait));
        prop_assert_eq!(c.timeouts.connect, Duration::from_secs_f64(connect));
        prop_assert_eq!(c.timeouts.response, Duration::from_secs_f64(response));
        prop_assert_eq!(c.poller.load_join_buffer, Duration::from_secs_f64(60.0 * buffer));
    }

    /// Lists: secrets, algorithms, excluded parameters, `k=v` pairs.
    #[test]
    fn lists_land_in_their_fields(
        secrets in prop::collection::vec("[^:]{1,12}", 1..4),
        algos in prop::sample::subsequence(vec!["SHA1", "SHA256", "SHA384", "SHA512"], 1..=4),
        exclude in prop::collection::vec("[A-Za-z0-9_-]{1,10}", 0..4),
        defaults in prop::collection::vec(("[A-Za-z0-9_-]{1,10}", "[^,]{0,10}"), 0..4),
    ) {
        let pairs = defaults
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",");
        let c = build(&[
            ("LOADBALANCER_SECRETS", secrets.join(":")),
            ("LOADBALANCER_CHECKSUM_ALGORITHM", algos.join(":")),
            ("JOIN_EXCLUDE_PARAMS", exclude.join(",")),
            ("OVERRIDE_CREATE_PARAMS", pairs),
        ]);
        prop_assert!(c.is_ok(), "{:?}", c.err());
        let c = c.unwrap();
        prop_assert_eq!(c.checksum.secrets(), &secrets[..]);
        let strongest = algos.iter().filter_map(|a| Algorithm::from_name(a)).max();
        prop_assert_eq!(Some(c.checksum.outgoing()), strongest);
        prop_assert_eq!(c.join.exclude, exclude);
        // Pairs: with an empty value list the entry is dropped (`filter` on blank entries).
        let expected: Vec<(String, String)> = defaults
            .into_iter()
            .filter(|(k, v)| !format!("{k}={v}").trim().is_empty())
            .collect();
        prop_assert_eq!(c.create.overrides, expected);
    }

    #[test]
    fn invalid_numbers_are_refused_by_name(
        word in "[A-Za-z_][A-Za-z0-9_]{0,8}".prop_filter("not a float word", |w| {
            w.parse::<f64>().is_err()
        }),
        negative in i64::MIN..0,
        fraction in "[0-9]{0,3}[.][0-9]{1,3}",
        var in prop::sample::select(vec![
            "PORT",
            "VOICE_BRIDGE_LEN",
            "SERVER_HEALTHY_THRESHOLD",
            "SERVER_UNHEALTHY_THRESHOLD",
            "POLLER_THREADS",
            "POLLER_CONCURRENCY",
            "MAX_MEETING_DURATION",
            "DEFAULT_MEETING_TTL",
            "LOAD_MIN_USER_COUNT",
            "POLL_INTERVAL",
            "POLLER_WAIT_TIMEOUT",
            "CONNECT_TIMEOUT",
            "RESPONSE_TIMEOUT",
            "LOAD_JOIN_BUFFER_TIME",
        ]),
    ) {
        let errors = with(var, word.clone()).unwrap_err();
        prop_assert!(names(&errors, var), "{}={}: {:?}", var, word, errors);
        let integer = !matches!(
            var,
            "POLL_INTERVAL" | "POLLER_WAIT_TIMEOUT" | "CONNECT_TIMEOUT" | "RESPONSE_TIMEOUT"
                | "LOAD_JOIN_BUFFER_TIME"
        );
        if integer {
            let errors = with(var, fraction.clone()).unwrap_err();
            prop_assert!(names(&errors, var), "{}={}: {:?}", var, fraction, errors);
        }
        // Negative: refused, except where Scalelite clamps (threads to one, buffer to zero).
        if !matches!(var, "POLLER_THREADS" | "LOAD_JOIN_BUFFER_TIME") {
            let errors = with(var, negative.to_string()).unwrap_err();
            prop_assert!(names(&errors, var), "{}={}: {:?}", var, negative, errors);
        }
    }

    #[test]
    fn invalid_values_are_refused_by_name(
        port in 65536u64..=u64::from(u32::MAX),
        len in prop_oneof![0i64..5, 17i64..=i64::MAX],
        algo in "[a-z0-9]{1,8}|SHA[0-9]{0,3}|sha(1|256|384|512)".prop_filter(
            "not an algorithm",
            |a| Algorithm::from_name(a.trim()).is_none() && !a.trim().is_empty(),
        ),
        entry in "[A-Za-z0-9_ ]{1,12}".prop_filter("not blank", |e| !e.trim().is_empty()),
        call in prop::sample::select(vec![
            "DEFAULT_CREATE_PARAMS",
            "DEFAULT_JOIN_PARAMS",
            "OVERRIDE_CREATE_PARAMS",
            "OVERRIDE_JOIN_PARAMS",
        ]),
        bind in "[a-z0-9.]{1,12}(:[a-z]{0,3}|:0|:[7-9][0-9]{4})?",
        format in "[a-z]{1,6}".prop_filter("not a format", |f| f != "text" && f != "json"),
        scheme in "[a-z]{1,8}".prop_filter("not a database", |s| {
            !matches!(s.as_str(), "postgres" | "postgresql" | "sqlite")
        }),
    ) {
        let errors = with("PORT", port.to_string()).unwrap_err();
        prop_assert!(
            errors.iter().any(|e| e.to_ascii_uppercase().contains("PORT")),
            "{:?}",
            errors
        );
        let errors = with("VOICE_BRIDGE_LEN", len.to_string()).unwrap_err();
        prop_assert!(names(&errors, "VOICE_BRIDGE_LEN"), "{:?}", errors);
        let errors = with("LOADBALANCER_CHECKSUM_ALGORITHM", format!("SHA256:{algo}")).unwrap_err();
        prop_assert!(names(&errors, "LOADBALANCER_CHECKSUM_ALGORITHM"), "{:?}", errors);
        let errors = with(call, format!("a=1,{entry}")).unwrap_err();
        prop_assert!(names(&errors, call), "{:?}", errors);
        let errors = with("BIND", bind.clone()).unwrap_err();
        prop_assert!(names(&errors, "BIND"), "{}: {:?}", bind, errors);
        let errors = with("SCALELITE_LOG_FORMAT", format).unwrap_err();
        prop_assert!(names(&errors, "SCALELITE_LOG_FORMAT"), "{:?}", errors);
        let errors = with("DATABASE_URL", format!("{scheme}://x/y")).unwrap_err();
        prop_assert!(names(&errors, "DATABASE_URL"), "{:?}", errors);
        let errors = build(&[("LOADBALANCER_SECRET", "  ".into())]).unwrap_err();
        prop_assert!(names(&errors, "LOADBALANCER_SECRET"), "{:?}", errors);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any integer: it lands in the field as given, or is refused by name (never truncated).
    #[test]
    fn any_integer_lands_or_is_refused(
        n in prop_oneof![
            Just(i64::MIN),
            Just(i64::MAX),
            Just(i64::from(u32::MAX) + 1),
            any::<i64>(),
            -3i64..70_000,
        ],
        var in prop::sample::select(vec![
            "PORT",
            "SERVER_HEALTHY_THRESHOLD",
            "SERVER_UNHEALTHY_THRESHOLD",
            "POLLER_THREADS",
            "POLLER_CONCURRENCY",
            "VOICE_BRIDGE_LEN",
        ]),
    ) {
        match with(var, n.to_string()) {
            Ok(c) => {
                let got = match var {
                    "PORT" => c.listen.rsplit_once(':').unwrap().1.parse::<i128>().unwrap(),
                    "SERVER_HEALTHY_THRESHOLD" => i128::from(c.poller.healthy_threshold),
                    "SERVER_UNHEALTHY_THRESHOLD" => i128::from(c.poller.unhealthy_threshold),
                    "POLLER_THREADS" => c.poller.concurrency as i128 + 1,
                    "POLLER_CONCURRENCY" => c.poller.concurrency as i128,
                    _ => c.voice_bridge_len as i128,
                };
                let expected = if var == "POLLER_THREADS" {
                    i128::from(n).max(2)
                } else {
                    i128::from(n)
                };
                prop_assert_eq!(got, expected, "{}={}", var, n);
            }
            Err(errors) => prop_assert!(
                errors.iter().any(|e| e.to_ascii_uppercase().contains(var)),
                "{}={}: {:?}",
                var,
                n,
                errors
            ),
        }
    }
}

/// The counterexamples the properties found (each panicked or wrapped before the fix).
#[test]
fn found_counterexamples_are_refused_or_kept_in_range() {
    for (var, value) in [
        ("POLLER_WAIT_TIMEOUT", "20000000000e9"),
        ("POLL_INTERVAL", "inf"),
        ("LOAD_JOIN_BUFFER_TIME", "310000000E9"),
        ("LOAD_JOIN_BUFFER_TIME", "inf"),
        ("SERVER_HEALTHY_THRESHOLD", "4294967297"),
        ("SERVER_UNHEALTHY_THRESHOLD", "9223372036854775807"),
    ] {
        let errors = with(var, value.into()).unwrap_err();
        assert!(names(&errors, var), "{var}={value}: {errors:?}");
    }
    // `t - 1` overflowed (a panic in debug builds).
    let c = with("POLLER_THREADS", i64::MIN.to_string()).unwrap();
    assert_eq!(c.poller.concurrency, 1);
}
