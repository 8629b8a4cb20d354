//! `scalelite meetings …`: Scalelite's `rake meetings` / `meetings:list` and `meetings:end`
//! tasks over the admin API (getMeetingList, endMeetings).
//!
//! Differences from the rake tasks: ids are separate arguments (not `:`-joined); `list` reads
//! the load balancer's own records instead of asking each BBB server (getMeetingInfo), and
//! an unknown id is reported as `ERROR: No meeting found with id: <id>` (exit 1) where the
//! rake task aborted with a stack trace; `end` with an unknown id changes nothing.

use super::{print_json, Admin, Failure, Outcome};
use serde_json::{json, Value};

fn no_meeting(id: &str) -> Failure {
    Failure(format!("ERROR: No meeting found with id: {id}"))
}

/// `meetings list [IDS…]`: the meetings the load balancer knows, with their server.
pub async fn list(admin: &Admin, ids: &[String], as_json: bool) -> Outcome {
    let answer = admin.get("getMeetingList", &[]).await?;
    let Value::Array(all) = answer.body.clone() else {
        return Err(Failure(format!("ERROR: {}", answer.error_text())));
    };
    let mut selected = Vec::new();
    if ids.is_empty() {
        selected = all;
    } else {
        for id in ids {
            match all.iter().find(|m| m["id"].as_str() == Some(id.as_str())) {
                Some(m) => selected.push(m.clone()),
                None => return Err(no_meeting(id)),
            }
        }
    }
    if as_json {
        print_json(&Value::Array(selected));
        return Ok(());
    }
    if selected.is_empty() {
        eprintln!("No meetings to display");
    }
    let text = |m: &Value, k: &str| m[k].as_str().unwrap_or("").to_string();
    for m in &selected {
        println!("\nMeetingID: {}", text(m, "id"));
        println!("\tServer ID: {}", text(m, "server_id"));
        println!("\tServer Url: {}", text(m, "server_url"));
    }
    Ok(())
}

/// `meetings end [IDS…]`: after a `yes` (or `--yes`), forget the meetings (all when no id is
/// given) and end them on their BBB servers with the stored moderator password.
pub async fn end(admin: &Admin, ids: &[String], yes: bool) -> Outcome {
    if !yes {
        println!("WARNING: You are trying to clear active meetings.");
        println!("If you still wish to continue please enter `yes`");
    }
    if yes || super::confirmed() {
        let body = if ids.is_empty() {
            json!({})
        } else {
            json!({ "ids": ids })
        };
        let answer = admin.post("endMeetings", &body).await?;
        if answer.status == 404 {
            let missing = answer.error_text();
            let id = missing
                .strip_prefix("Couldn't find meeting with id=")
                .unwrap_or(&missing);
            return Err(no_meeting(id));
        }
        if !answer.ok() {
            return Err(Failure(format!("ERROR: {}", answer.error_text())));
        }
        let meetings = answer.body["meetings"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if meetings.is_empty() {
            eprintln!("No meetings to clear");
        }
        for m in &meetings {
            let id = m["id"].as_str().unwrap_or("");
            match m["error"].as_str() {
                None => eprintln!("Clearing Meeting id={id}"),
                Some(e) => eprintln!("WARNING: Could not end meeting id={id}: {e}"),
            }
        }
    }
    println!("OK");
    Ok(())
}
