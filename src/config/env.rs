//! Scalelite's environment variables, read on top of the file so `/etc/default/scalelite` keeps working.

use std::collections::HashMap;

/// A snapshot of the environment (a map, so tests can pass their own).
pub struct Env(pub HashMap<String, String>);

impl Env {
    pub fn from_process() -> Self {
        Env(std::env::vars().collect())
    }

    /// An environment of exactly these variables (tests).
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Env(pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect())
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// A variable that is set and not blank.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.trim().is_empty())
    }

    /// Scalelite's boolean: `true` in any case means true, anything else false.
    pub fn flag(&self, key: &str) -> Option<bool> {
        self.get(key).map(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    /// A number, or an error message naming the variable.
    pub fn number<T: std::str::FromStr>(&self, key: &str, errors: &mut Vec<String>) -> Option<T> {
        let raw = self.value(key)?;
        match raw.trim().parse() {
            Ok(v) => Some(v),
            Err(_) => {
                errors.push(format!("{key}: '{raw}' is not a valid number"));
                None
            }
        }
    }

    /// A comma list (`a,b`), blanks dropped.
    pub fn list(&self, key: &str) -> Option<Vec<String>> {
        self.get(key).map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
    }

    /// A `k=v,k2=v2` list; an entry without `=` is an error (Scalelite refuses to boot on it).
    pub fn pairs(&self, key: &str, errors: &mut Vec<String>) -> Option<Vec<(String, String)>> {
        let raw = self.get(key)?;
        let mut out = Vec::new();
        for entry in raw.split(',').filter(|e| !e.trim().is_empty()) {
            match entry.split_once('=') {
                Some((k, v)) => out.push((k.trim().to_string(), v.to_string())),
                None => errors.push(format!("{key}: entry '{entry}' has no '='")),
            }
        }
        Some(out)
    }
}
