//! `scalelite servers …`: Scalelite's `rake servers*` tasks (list, add, update, remove, enable,
//! cordon, disable, panic, yaml) over the admin API; `sync` is in `sync.rs`.
//!
//! Differences from the rake tasks: `disable` (after `yes`) and `panic` set the state to
//! disabled *before* clearing the meetings, so no new meeting lands on the server meanwhile;
//! `yaml` writes string keys (Ruby wrote `:servers:` symbols, which `sync` could not read back)
//! and 1.0 for a never-set load multiplier (Scalelite wrote 0.0).

use super::{decimal, no_server, print_json, Admin, Answer, Failure, Outcome};
use crate::admin::sync::ruby_decimal;
use crate::store::format_decimal;
use serde_json::{json, Map, Value};

/// Every server with its statistics (`getStatus`), sorted by id.
pub async fn all(admin: &Admin) -> Result<Vec<Value>, Failure> {
    let answer = admin.get("getStatus", &[]).await?;
    match answer.body {
        Value::Array(list) if answer.ok() => Ok(list),
        _ => Err(Failure(format!("ERROR: {}", answer.error_text()))),
    }
}

/// One server, or Scalelite's "No server found" failure.
async fn info(admin: &Admin, id: &str) -> Result<Value, Failure> {
    let answer = admin.get("getServerInfo", &[("id", id)]).await?;
    checked(answer, id)
}

fn checked(answer: Answer, id: &str) -> Result<Value, Failure> {
    match answer.status {
        404 => Err(no_server(id)),
        _ if answer.ok() => Ok(answer.body),
        _ => Err(Failure(format!("ERROR: {}", answer.error_text()))),
    }
}

async fn update(admin: &Admin, id: &str, server: Value) -> Result<Value, Failure> {
    let answer = admin
        .post("updateServer", &json!({ "id": id, "server": server }))
        .await?;
    checked(answer, id)
}

fn text<'a>(s: &'a Value, key: &str) -> &'a str {
    s[key].as_str().unwrap_or("")
}

/// `servers`: every server, as the rake task prints it.
pub async fn list(admin: &Admin, as_json: bool) -> Outcome {
    let servers = all(admin).await?;
    if as_json {
        print_json(&Value::Array(servers));
        return Ok(());
    }
    if servers.is_empty() {
        eprintln!("No servers are configured");
    }
    for s in &servers {
        println!("id: {}", text(s, "id"));
        println!("\turl: {}", text(s, "url"));
        println!("\tsecret: {}", text(s, "secret"));
        println!("\t{}", text(s, "state"));
        println!(
            "\tload: {}",
            decimal(&s["load"]).unwrap_or_else(|| "unavailable".into())
        );
        println!(
            "\tload multiplier: {}",
            decimal(&s["load_multiplier"]).unwrap_or_else(|| "1.0".into())
        );
        println!("\tbbb version: {}", text(s, "bbb_version"));
        println!("\ttag: {}", text(s, "tag"));
        println!("\t{}", text(s, "online"));
    }
    Ok(())
}

/// A load multiplier argument as the rake tasks read it: unreadable or zero becomes 1.0.
fn multiplier(raw: &str) -> String {
    let m = ruby_decimal(raw);
    if m == 0.0 || !m.is_finite() {
        println!("WARNING! Load-multiplier was not readable or 0, so it is now 1");
        return "1.0".into();
    }
    format_decimal(m)
}

/// `servers add URL SECRET`: a new server, disabled until enabled.
pub async fn add(
    admin: &Admin,
    url: &str,
    secret: &str,
    lm: Option<&str>,
    tag: Option<&str>,
) -> Outcome {
    if url.is_empty() || secret.is_empty() {
        return Err(Failure::new(
            "Error: Please input at least a URL and a secret!",
        ));
    }
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(Failure::new(
            "Error: Server URL must start with http:// or https://",
        ));
    }
    let mut server = json!({ "url": url, "secret": secret });
    server["load_multiplier"] = Value::from(lm.map(multiplier).unwrap_or_else(|| "1.0".into()));
    if let Some(t) = tag {
        server["tag"] = Value::from(t);
    }
    let answer = admin
        .post("addServer", &json!({ "server": server }))
        .await?;
    if !answer.ok() {
        return Err(Failure(format!("ERROR: {}", answer.error_text())));
    }
    println!("OK");
    println!("id: {}", text(&answer.body, "id"));
    Ok(())
}

/// `servers update ID`: secret, load multiplier and tag (`--tag ""` removes it).
pub async fn update_server(
    admin: &Admin,
    id: &str,
    secret: Option<&str>,
    lm: Option<&str>,
    tag: Option<&str>,
) -> Outcome {
    println!("Updating server {id}...");
    let mut change = Map::new();
    if let Some(s) = secret {
        change.insert("secret".into(), Value::from(s));
    }
    if let Some(m) = lm {
        change.insert("load_multiplier".into(), Value::from(multiplier(m)));
    }
    if let Some(t) = tag {
        change.insert("tag".into(), Value::from(t));
    }
    update(admin, id, Value::Object(change)).await?;
    println!("OK");
    Ok(())
}

/// `servers remove ID`: the server record goes; its meetings are left as they are.
pub async fn remove(admin: &Admin, id: &str) -> Outcome {
    println!("Removing server {id}...");
    let answer = admin.post("deleteServer", &json!({ "id": id })).await?;
    checked(answer, id)?;
    println!("OK");
    Ok(())
}

/// `servers enable ID`.
pub async fn enable(admin: &Admin, id: &str) -> Outcome {
    println!("Enabling server {id}...");
    update(admin, id, json!({ "state": "enable" })).await?;
    println!("OK");
    Ok(())
}

/// `servers cordon ID`: no new meetings; running ones stay.
pub async fn cordon(admin: &Admin, id: &str) -> Outcome {
    println!("Cordoning server {id}...");
    match update(admin, id, json!({ "state": "cordon" })).await {
        Ok(_) => {
            println!("OK");
            Ok(())
        }
        Err(f) if f == no_server(id) => Err(f),
        Err(Failure(e)) => Err(Failure(format!(
            "ERROR: Failed to cordon server {id} - {}",
            e.trim_start_matches("ERROR: ")
        ))),
    }
}

/// Forget every meeting of the server and (unless `skip_end`) end it on BBB.
async fn clear(admin: &Admin, id: &str, skip_end: bool) -> Outcome {
    let body = json!({ "server_id": id, "skip_end": skip_end });
    let answer = admin.post("endMeetings", &body).await?;
    let answer = checked(answer, id)?;
    for m in answer["meetings"].as_array().into_iter().flatten() {
        let mid = text(m, "id");
        println!("Clearing Meeting id={mid}");
        if let Some(e) = m["error"].as_str() {
            eprintln!("WARNING: Could not end meeting id={mid}: {e}");
        }
    }
    Ok(())
}

/// `servers disable ID`: with load, ask (unless `--yes`) and then end its meetings too.
pub async fn disable(admin: &Admin, id: &str, yes: bool) -> Outcome {
    println!("Disabling server {id}...");
    let server = info(admin, id).await?;
    if server["load"].as_f64().unwrap_or(0.0) > 0.0 {
        if !yes {
            println!("WARNING: You are trying to disable a server with active load. You should use the cordon option if you do not want to clear all the meetings");
            println!("If you still wish to continue please enter `yes`");
        }
        if yes || super::confirmed() {
            update(admin, id, json!({ "state": "disable" })).await?;
            clear(admin, id, false).await?;
        }
    } else {
        update(admin, id, json!({ "state": "disable" })).await?;
    }
    println!("OK");
    Ok(())
}

/// `servers panic ID`: end (or with `skip_end_calls` only forget) every meeting of the server;
/// disable it unless `keep_state`.
pub async fn panic(admin: &Admin, id: &str, keep_state: bool, skip_end_calls: bool) -> Outcome {
    println!("Panicking server {id}...");
    info(admin, id).await?;
    let failed = |Failure(e): Failure| {
        Failure(format!(
            "ERROR: Failed to panic server {id} - {}",
            e.trim_start_matches("ERROR: ")
        ))
    };
    if !keep_state {
        update(admin, id, json!({ "state": "disable" }))
            .await
            .map_err(failed)?;
    }
    clear(admin, id, skip_end_calls).await.map_err(failed)?;
    println!("OK");
    Ok(())
}

/// The `servers yaml` document: what `servers sync` reads, plus live fields when verbose.
pub fn yaml_document(servers: &[Value], verbose: bool) -> Value {
    let mut map = Map::new();
    for s in servers {
        let lm = decimal(&s["load_multiplier"])
            .and_then(|m| m.parse::<f64>().ok())
            .unwrap_or(1.0);
        let mut entry = json!({
            "url": text(s, "url"),
            "secret": text(s, "secret"),
            "load_multiplier": lm,
            "tag": text(s, "tag"),
            "enabled": text(s, "state") == "enabled",
        });
        if verbose {
            entry["state"] = Value::from(text(s, "state"));
            entry["load"] = Value::from(s["load"].as_f64().unwrap_or(-1.0));
            entry["bbb_version"] = Value::from(text(s, "bbb_version"));
            entry["online"] = Value::from(text(s, "online") == "online");
        }
        map.insert(text(s, "id").to_string(), entry);
    }
    json!({ "servers": map })
}

/// `servers yaml`: the server list as a `servers sync` file.
pub async fn yaml(admin: &Admin, verbose: bool, as_json: bool) -> Outcome {
    let doc = yaml_document(&all(admin).await?, verbose);
    if as_json {
        print_json(&doc);
        return Ok(());
    }
    let text = serde_yaml::to_string(&doc).map_err(|e| Failure(format!("ERROR: {e}")))?;
    print!("---\n{text}");
    Ok(())
}
