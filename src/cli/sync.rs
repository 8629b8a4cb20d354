//! `scalelite servers sync FILE [--mode keep|cordon|force] [--dry-run]`: Scalelite's `rake
//! servers:sync`. The file (`-` for stdin) is a YAML document whose `servers` map gives each
//! server id its `url`, `secret`, `enabled`, `load_multiplier` and `tag`. The whole file is
//! validated here first, with Scalelite's messages (`crate::admin::sync::validate`), before
//! the instance is contacted; the instance then applies it (syncServers) and answers the
//! progress lines, which are printed to stdout (Scalelite wrote them to its log).

use super::{Admin, Failure, Outcome};
use crate::admin::sync::validate;
use serde_json::{json, Map, Value};
use std::io::Read;

/// A YAML value as JSON; keys that are not strings are written as YAML scalars.
pub fn yaml_to_json(v: serde_yaml::Value) -> Value {
    use serde_yaml::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or_else(|| Value::from(n.to_string()), Value::Number)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(seq) => Value::Array(seq.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match yaml_to_json(k) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                out.insert(key, yaml_to_json(v));
            }
            Value::Object(out)
        }
        Y::Tagged(t) => yaml_to_json(t.value),
    }
}

/// Read and check a sync file: the `servers` map, validated.
pub fn read(path: &str, mode: &str) -> Result<Value, Failure> {
    let mut text = String::new();
    let read = if path == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|t| text = t)
    };
    read.map_err(|e| Failure(format!("ERROR: {path}: {e}")))?;
    let doc = serde_yaml::from_str::<serde_yaml::Value>(&text)
        .map(yaml_to_json)
        .map_err(|e| Failure(format!("ERROR: Invalid YAML document ({e})")))?;
    let Value::Object(mut doc) = doc else {
        return Err(Failure::new("ERROR: Invalid YAML document"));
    };
    let servers = doc.remove("servers").unwrap_or(Value::Null);
    validate(&servers, mode).map_err(|e| Failure(format!("ERROR: {e}")))?;
    Ok(servers)
}

pub async fn sync(admin: &Admin, path: &str, mode: &str, dry_run: bool) -> Outcome {
    if path.is_empty() {
        return Err(Failure::new("ERROR: Missing 'path' parameter"));
    }
    let servers = read(path, mode)?;
    let body = json!({ "servers": servers, "mode": mode, "dry_run": dry_run });
    let answer = admin.post("syncServers", &body).await?;
    for line in answer.body["log"].as_array().into_iter().flatten() {
        println!("{}", line.as_str().unwrap_or(""));
    }
    if !answer.ok() {
        return Err(Failure(format!("ERROR: {}", answer.error_text())));
    }
    if dry_run {
        println!("Dry run: nothing was changed");
    }
    Ok(())
}
