//! `scalelite poll`: ask the running instance to poll its servers now (Scalelite's `rake
//! poll:all`, run by the instance's own poller rather than by the CLI). With several instances
//! on one Redis, only the instance holding the poller lease polls; ask that one (or wait for
//! the next cycle).

use super::{Admin, Failure, Outcome};
use serde_json::json;

pub async fn poll(admin: &Admin) -> Outcome {
    let answer = admin.post("pollNow", &json!({})).await?;
    if !answer.ok() {
        return Err(Failure(format!("ERROR: {}", answer.error_text())));
    }
    println!("OK");
    Ok(())
}
