//! The request-shaping rules of the configuration: which checksum algorithms front-ends may use,
//! and the EXCLUDE / DEFAULT / OVERRIDE parameter lists of create and join.

use super::env::Env;
use super::{file, ParamPolicy};
use crate::bbb::{Algorithm, Checksum};

/// The checksum policy: the secrets (LOADBALANCER_SECRET first, then LOADBALANCER_SECRETS: the
/// order matters to Scalelite; the file's `secrets` only when neither is set) and algorithms.
pub(super) fn checksum(
    env: &Env,
    file_secrets: Option<Vec<String>>,
    file_algorithms: Option<Vec<String>>,
    errors: &mut Vec<String>,
) -> Checksum {
    let mut secrets = Vec::new();
    if env.get("LOADBALANCER_SECRET").is_some() || env.get("LOADBALANCER_SECRETS").is_some() {
        if let Some(s) = env.value("LOADBALANCER_SECRET") {
            secrets.push(s.to_string());
        }
        if let Some(list) = env.get("LOADBALANCER_SECRETS") {
            secrets.extend(list.split(':').filter(|s| !s.is_empty()).map(String::from));
        }
    } else {
        secrets = file_secrets.unwrap_or_default();
    }
    if secrets.is_empty() {
        errors.push("no secret: set LOADBALANCER_SECRET (or `secrets` in the config file)".into());
    }
    let (allowed, outgoing) = checksum_algorithms(env, file_algorithms, errors);
    Checksum::new(secrets, allowed, outgoing)
}

/// Allowed incoming algorithms and the outgoing one (the strongest allowed; SHA256 when unset).
fn checksum_algorithms(
    env: &Env,
    file: Option<Vec<String>>,
    errors: &mut Vec<String>,
) -> (Vec<Algorithm>, Algorithm) {
    let names: Option<Vec<String>> = env
        .value("LOADBALANCER_CHECKSUM_ALGORITHM")
        .map(|v| v.split(':').map(String::from).collect())
        .or(file);
    let Some(names) = names else {
        let all = vec![
            Algorithm::Sha1,
            Algorithm::Sha256,
            Algorithm::Sha384,
            Algorithm::Sha512,
        ];
        return (all, Algorithm::Sha256);
    };
    let mut allowed = Vec::new();
    for n in &names {
        match Algorithm::from_name(n.trim()) {
            Some(a) => allowed.push(a),
            None => errors.push(format!(
                "LOADBALANCER_CHECKSUM_ALGORITHM: unknown algorithm '{n}' (use SHA1, SHA256, SHA384, SHA512)"
            )),
        }
    }
    let outgoing = allowed.iter().copied().max().unwrap_or(Algorithm::Sha256);
    (allowed, outgoing)
}

/// Create's or join's parameter rules: the environment's lists win over the file's.
pub(super) fn param_policy(
    call: &str,
    file: Option<file::ParamRules>,
    env: &Env,
    errors: &mut Vec<String>,
) -> ParamPolicy {
    let file = file.unwrap_or_default();
    let from_map =
        |m: Option<serde_yaml::Mapping>, errors: &mut Vec<String>| -> Vec<(String, String)> {
            m.unwrap_or_default()
                .into_iter()
                .filter_map(|(k, v)| match (yaml_scalar(&k), yaml_scalar(&v)) {
                    (Some(k), Some(v)) => Some((k, v)),
                    _ => {
                        errors.push(format!(
                            "meetings.{}: parameters must be scalars",
                            call.to_lowercase()
                        ));
                        None
                    }
                })
                .collect()
        };
    let file_defaults = from_map(file.defaults, errors);
    let file_overrides = from_map(file.overrides, errors);
    ParamPolicy {
        exclude: env
            .list(&format!("{call}_EXCLUDE_PARAMS"))
            .or(file.exclude)
            .unwrap_or_default(),
        defaults: env
            .pairs(&format!("DEFAULT_{call}_PARAMS"), errors)
            .unwrap_or(file_defaults),
        overrides: env
            .pairs(&format!("OVERRIDE_{call}_PARAMS"), errors)
            .unwrap_or(file_overrides),
    }
}

fn yaml_scalar(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
