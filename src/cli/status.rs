//! `scalelite status`: Scalelite's `rake status` table — every server sorted by hostname with
//! its state, poller statistics, load, BBB version and tag — laid out as Tabulo's borderless
//! table: one space of padding each side of every cell, headers centred (an odd extra space
//! goes left), numbers right-aligned, text left-aligned, columns as wide as their content.
//! Trailing blanks are trimmed from each line.

use super::{decimal, print_json, servers, Admin, Outcome};
use serde_json::{json, Value};

const HEADERS: [&str; 10] = [
    "HOSTNAME",
    "STATE",
    "STATUS",
    "MEETINGS",
    "USERS",
    "LARGEST MEETING",
    "VIDEOS",
    "LOAD",
    "BBB VERSION",
    "TAG",
];
/// Columns holding numbers (right-aligned).
const NUMERIC: [bool; 10] = [
    false, false, false, true, true, true, true, true, false, false,
];

/// One status row per server, as JSON (the `--json` form).
pub fn rows(servers: &[Value]) -> Vec<Value> {
    let mut rows: Vec<Value> = servers
        .iter()
        .map(|s| {
            let url = s["url"].as_str().unwrap_or("");
            let hostname = url::Url::parse(url)
                .ok()
                .and_then(|u| u.host_str().map(String::from))
                .unwrap_or_default();
            let stats = &s["stats"];
            json!({
                "hostname": hostname,
                "state": s["state"],
                "status": s["online"],
                "meetings": stats["meetings"],
                "users": stats["users"],
                "largest_meeting": stats["largest_meeting"],
                "videos": stats["videos"],
                "load": s["load"].as_f64(),
                "bbb_version": s["bbb_version"],
                "tag": s["tag"],
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        let key = |v: &Value| v["hostname"].as_str().unwrap_or("").to_string();
        key(a).cmp(&key(b))
    });
    rows
}

fn cells(row: &Value) -> Vec<String> {
    let keys = [
        "hostname",
        "state",
        "status",
        "meetings",
        "users",
        "largest_meeting",
        "videos",
        "load",
        "bbb_version",
        "tag",
    ];
    keys.iter()
        .map(|k| match &row[*k] {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            v if *k == "load" => decimal(v).unwrap_or_default(),
            v => v.to_string(),
        })
        .collect()
}

/// The table, header line first.
pub fn table(rows: &[Value]) -> String {
    let body: Vec<Vec<String>> = rows.iter().map(cells).collect();
    let width = |i: usize| {
        body.iter()
            .map(|r| r[i].chars().count())
            .chain([HEADERS[i].len()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..HEADERS.len()).map(width).collect();
    let mut out = String::new();
    let mut line = |cells: Vec<String>, header: bool| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = widths[i] - c.chars().count();
            let left = if header {
                pad - pad / 2
            } else if NUMERIC[i] {
                pad
            } else {
                0
            };
            l.push(' ');
            l.push_str(&" ".repeat(left));
            l.push_str(c);
            l.push_str(&" ".repeat(pad - left));
            l.push(' ');
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(HEADERS.iter().map(|h| h.to_string()).collect(), true);
    for r in body {
        line(r, false);
    }
    out
}

/// `status`: the table after a blank line, as the rake task prints it.
pub async fn status(admin: &Admin, as_json: bool) -> Outcome {
    let rows = rows(&servers::all(admin).await?);
    if as_json {
        print_json(&Value::Array(rows));
        return Ok(());
    }
    print!("\n{}", table(&rows));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_tabulo() {
        let servers = [json!({
            "url": "https://bbb1.example.com/bigbluebutton/api", "state": "cordoned",
            "online": "online", "load": 25.0, "bbb_version": "3.0.0", "tag": "",
            "stats": { "meetings": 12, "users": 25, "largest_meeting": 7, "videos": 15 }
        })];
        let t = table(&rows(&servers));
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines[0],
            "     HOSTNAME        STATE   STATUS  MEETINGS  USERS  LARGEST MEETING  VIDEOS  LOAD  BBB VERSION  TAG"
        );
        assert_eq!(
            lines[1],
            " bbb1.example.com  cordoned  online        12     25                7      15  25.0  3.0.0"
        );
    }
}
