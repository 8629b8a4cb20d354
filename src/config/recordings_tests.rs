//! The recordings section: defaults under the data dir, the environment over the file, and
//! invalid values refused by name.
use super::*;

fn parse(
    file: Option<RecordingsSection>,
    pairs: &[(&str, &str)],
) -> (RecordingsConfig, Vec<String>) {
    let mut errors = Vec::new();
    let c = recordings(
        file,
        &Env::from_pairs(pairs),
        Path::new("/srv/data"),
        &mut errors,
    );
    (c, errors)
}

#[test]
fn defaults_live_under_the_data_dir() {
    let (c, errors) = parse(None, &[]);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(!c.disabled && !c.import_unpublished && !c.protected);
    assert!(!c.get_recordings_api_filtered);
    assert!(c.importer, "an instance imports unless told not to");
    assert_eq!(c.spool_dir, PathBuf::from("/srv/data/recordings/spool"));
    assert_eq!(c.work_dir, PathBuf::from("/srv/data/recordings/work"));
    assert_eq!(
        c.publish_dir,
        PathBuf::from("/srv/data/recordings/published")
    );
    assert_eq!(
        c.unpublish_dir,
        PathBuf::from("/srv/data/recordings/unpublished")
    );
    assert_eq!(
        c.playback_formats,
        [
            "presentation",
            "video",
            "screenshare",
            "podcast",
            "notes",
            "capture"
        ]
    );
    assert_eq!(c.protected_token_timeout, Duration::from_secs(60 * 60));
    assert_eq!(c.protected_timeout, Duration::from_secs(360 * 60));
    assert_eq!(c.import_poll_interval, Duration::from_secs(60));
    assert_eq!(c.upload_max_bytes, 20 << 30);
}

#[test]
fn relative_dirs_are_made_absolute() {
    let mut errors = Vec::new();
    let c = recordings(
        None,
        &Env::from_pairs(&[("RECORDING_SPOOL_DIR", "spool-here")]),
        Path::new("data"),
        &mut errors,
    );
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(c.spool_dir, cwd.join("spool-here"));
    assert_eq!(c.work_dir, cwd.join("data/recordings/work"));
}

fn file() -> RecordingsSection {
    RecordingsSection {
        disabled: Some(true),
        spool_dir: Some("/file/spool".into()),
        work_dir: Some("/file/work".into()),
        publish_dir: Some("/file/pub".into()),
        unpublish_dir: Some("/file/unpub".into()),
        import_unpublished: Some(true),
        playback_formats: Some(vec!["presentation".into(), "video".into()]),
        get_recordings_api_filtered: Some(true),
        protected_enabled: Some(true),
        protected_token_timeout: Some(5.0),
        protected_timeout: Some(10.0),
        import_poll_interval: Some(2.5),
        upload_max_bytes: Some(1000),
        importer: Some(false),
    }
}

#[test]
fn the_file_applies_and_the_environment_wins() {
    let (c, errors) = parse(Some(file()), &[]);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(c.disabled && c.import_unpublished && c.protected && c.get_recordings_api_filtered);
    assert_eq!(c.spool_dir, PathBuf::from("/file/spool"));
    assert_eq!(c.playback_formats, ["presentation", "video"]);
    assert_eq!(c.protected_token_timeout, Duration::from_secs(300));
    assert_eq!(c.import_poll_interval, Duration::from_millis(2500));
    assert_eq!(c.upload_max_bytes, 1000);
    assert!(!c.importer);

    let (c, errors) = parse(
        Some(file()),
        &[
            ("RECORDING_DISABLED", "FALSE"),
            ("RECORDING_SPOOL_DIR", "/var/bigbluebutton/spool"),
            (
                "RECORDING_WORK_DIR",
                "/var/bigbluebutton/recording/scalelite",
            ),
            ("RECORDING_PUBLISH_DIR", "/var/bigbluebutton/published"),
            ("RECORDING_UNPUBLISH_DIR", "/var/bigbluebutton/unpublished"),
            ("RECORDING_IMPORT_UNPUBLISHED", "no"),
            ("RECORDING_PLAYBACK_FORMATS", "podcast::notes:podcast"),
            ("GET_RECORDINGS_API_FILTERED", "false"),
            ("PROTECTED_RECORDINGS_ENABLED", "false"),
            ("PROTECTED_RECORDINGS_TOKEN_TIMEOUT", "1"),
            ("PROTECTED_RECORDINGS_TIMEOUT", "2"),
            ("RECORDING_IMPORT_POLL_INTERVAL", "30"),
            ("RECORDING_UPLOAD_MAX_BYTES", "2048"),
            ("SCALELITE_RECORDING_IMPORTER", "true"),
        ],
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert!(!c.disabled && !c.import_unpublished && !c.protected);
    assert!(c.importer);
    assert!(!c.get_recordings_api_filtered);
    assert_eq!(c.spool_dir, PathBuf::from("/var/bigbluebutton/spool"));
    assert_eq!(
        c.work_dir,
        PathBuf::from("/var/bigbluebutton/recording/scalelite")
    );
    assert_eq!(c.publish_dir, PathBuf::from("/var/bigbluebutton/published"));
    assert_eq!(
        c.unpublish_dir,
        PathBuf::from("/var/bigbluebutton/unpublished")
    );
    // Blank entries dropped, duplicates once.
    assert_eq!(c.playback_formats, ["podcast", "notes"]);
    assert_eq!(c.protected_token_timeout, Duration::from_secs(60));
    assert_eq!(c.protected_timeout, Duration::from_secs(120));
    assert_eq!(c.import_poll_interval, Duration::from_secs(30));
    assert_eq!(c.upload_max_bytes, 2048);
}

#[test]
fn blank_variables_leave_the_file_and_defaults() {
    let (c, errors) = parse(
        Some(file()),
        &[
            ("RECORDING_SPOOL_DIR", " "),
            ("RECORDING_UPLOAD_MAX_BYTES", ""),
        ],
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(c.spool_dir, PathBuf::from("/file/spool"));
    assert_eq!(c.upload_max_bytes, 1000);
}

#[test]
fn invalid_values_are_named() {
    for (key, bad) in [
        ("RECORDING_UPLOAD_MAX_BYTES", "0"),
        ("RECORDING_UPLOAD_MAX_BYTES", "-5"),
        ("RECORDING_UPLOAD_MAX_BYTES", "20GB"),
        ("RECORDING_IMPORT_POLL_INTERVAL", "0"),
        ("RECORDING_IMPORT_POLL_INTERVAL", "often"),
        ("PROTECTED_RECORDINGS_TOKEN_TIMEOUT", "-1"),
        ("PROTECTED_RECORDINGS_TIMEOUT", "inf"),
        ("PROTECTED_RECORDINGS_TIMEOUT", "x"),
        ("RECORDING_PLAYBACK_FORMATS", "presentation:../etc"),
        ("RECORDING_PLAYBACK_FORMATS", "a b"),
    ] {
        let (_, errors) = parse(None, &[(key, bad)]);
        assert_eq!(errors.len(), 1, "{key}={bad}: {errors:?}");
        assert!(errors[0].contains(key), "{key}={bad}: {errors:?}");
    }
    let (_, errors) = parse(
        None,
        &[
            ("RECORDING_SPOOL_DIR", "/x"),
            ("RECORDING_PUBLISH_DIR", "/x"),
        ],
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("RECORDING_SPOOL_DIR") && errors[0].contains("RECORDING_PUBLISH_DIR"),
        "{errors:?}"
    );
    let mut section = file();
    section.upload_max_bytes = Some(0);
    section.playback_formats = Some(vec!["ok".into(), "not/ok".into()]);
    let (_, errors) = parse(Some(section), &[]);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("recordings.playback_formats")),
        "{errors:?}"
    );
}

/// The whole configuration: the section is read, and its problems are listed with the others.
#[test]
fn config_build_reads_the_section() {
    let env = Env::from_pairs(&[
        ("LOADBALANCER_SECRET", "s"),
        ("SCALELITE_DATA_DIR", "/d"),
        ("RECORDING_IMPORT_POLL_INTERVAL", "5"),
    ]);
    let c = crate::config::Config::build(crate::config::FileConfig::default(), &env).unwrap();
    assert_eq!(c.recordings.spool_dir, PathBuf::from("/d/recordings/spool"));
    assert_eq!(c.recordings.import_poll_interval, Duration::from_secs(5));
    let yaml = "recordings:\n  spool_dir: /y/spool\n  upload_max_bytes: -1\n";
    let file: crate::config::FileConfig = serde_yaml::from_str(yaml).unwrap();
    let errors = crate::config::Config::build(file, &env).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(serde_yaml::from_str::<crate::config::FileConfig>("recordings:\n  nope: 1\n").is_err());
}

mod props {
    use super::*;
    use proptest::prelude::*;

    const VARS: &[&str] = &[
        "RECORDING_DISABLED",
        "RECORDING_SPOOL_DIR",
        "RECORDING_WORK_DIR",
        "RECORDING_PUBLISH_DIR",
        "RECORDING_UNPUBLISH_DIR",
        "RECORDING_IMPORT_UNPUBLISHED",
        "RECORDING_PLAYBACK_FORMATS",
        "GET_RECORDINGS_API_FILTERED",
        "PROTECTED_RECORDINGS_ENABLED",
        "PROTECTED_RECORDINGS_TOKEN_TIMEOUT",
        "PROTECTED_RECORDINGS_TIMEOUT",
        "RECORDING_IMPORT_POLL_INTERVAL",
        "RECORDING_UPLOAD_MAX_BYTES",
    ];

    proptest! {
        /// Any values: a configuration or problems naming the variable, never a panic.
        #[test]
        fn any_values_give_a_config_or_named_problems(
            vars in prop::collection::vec(
                (
                    prop::sample::select(VARS),
                    prop_oneof![
                        any::<String>(),
                        "[-+]?[0-9]{1,22}([.][0-9]{1,4})?([eE][-+]?[0-9]{1,3})?",
                        Just("inf".to_string()),
                        Just("NaN".to_string()),
                        "[a-z:/._ -]{0,16}",
                    ],
                ),
                0..8,
            ),
        ) {
            let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (_, errors) = parse(None, &pairs);
            for e in &errors {
                prop_assert!(VARS.iter().any(|v| e.contains(v)), "{}", e);
            }
        }

        /// A positive byte count lands as given.
        #[test]
        fn upload_limits_land(n in 1i64..=i64::MAX) {
            let text = n.to_string();
            let (c, errors) = parse(None, &[("RECORDING_UPLOAD_MAX_BYTES", text.as_str())]);
            prop_assert!(errors.is_empty(), "{:?}", errors);
            prop_assert_eq!(c.upload_max_bytes, n as u64);
        }
    }
}
