//! Running the real `scalelite` operator commands against a test gateway: the process gets
//! only the gateway's PORT and LOADBALANCER_SECRET (so the default `--url` is exercised),
//! optional stdin, and its exit code, stdout and stderr are returned.

use crate::common::{Gateway, SECRET};
use std::process::Stdio;
use tokio::io::AsyncWriteExt;

/// What one run of the CLI printed.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub out: String,
    pub err: String,
}

impl Run {
    /// Assert exit status 0 and return stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(
            self.code, 0,
            "exit code; stdout: {}\nstderr: {}",
            self.out, self.err
        );
        &self.out
    }

    /// Assert exit status 1 and exactly this line on stderr.
    pub fn fails_with(&self, line: &str) {
        assert_eq!(
            self.code, 1,
            "exit code; stdout: {}\nstderr: {}",
            self.out, self.err
        );
        assert_eq!(self.err.trim_end(), line, "stderr");
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.ok()).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.out))
    }
}

/// `scalelite <args>` against `gw`, with `stdin` as its input.
pub async fn run_with(gw: &Gateway, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Run {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_scalelite"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LOADBALANCER_SECRET", SECRET)
        .env("PORT", gw.port.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn scalelite");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.as_bytes())
        .await
        .expect("write stdin");
    drop(input);
    let out = child.wait_with_output().await.expect("scalelite ran");
    Run {
        code: out.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&out.stdout).into_owned(),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub async fn run(gw: &Gateway, args: &[&str]) -> Run {
    run_with(gw, args, &[], "").await
}

/// `servers add` of a simulator; returns the new server's id.
pub async fn add(gw: &Gateway, url: &str, secret: &str) -> String {
    let r = run(gw, &["servers", "add", url, secret]).await;
    let out = r.ok();
    let id = out
        .strip_prefix("OK\nid: ")
        .unwrap_or_else(|| panic!("unexpected add output: {out}"))
        .trim()
        .to_string();
    assert!(!id.is_empty());
    id
}
