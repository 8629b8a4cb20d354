//! Scalelite's environment variables, read on top of the file so `/etc/default/scalelite` keeps working.

use std::collections::HashMap;
use std::time::Duration;

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

    /// A count: the variable, else the file's value, else `default`; negative is an error.
    pub(super) fn count(
        &self,
        key: &str,
        file: Option<i64>,
        default: i64,
        errors: &mut Vec<String>,
    ) -> u64 {
        let v = self.number::<i64>(key, errors).or(file).unwrap_or(default);
        if v < 0 {
            errors.push(format!("{key}: must not be negative (got {v})"));
        }
        v.max(0) as u64
    }

    /// A duration in seconds (fractions allowed): the variable, else the file's value, else
    /// `default`; anything but a positive number is an error.
    pub(super) fn seconds(
        &self,
        key: &str,
        file: Option<f64>,
        default: f64,
        errors: &mut Vec<String>,
    ) -> Duration {
        let v = self.number::<f64>(key, errors).or(file).unwrap_or(default);
        // A Duration holds less than 2^64 s: beyond, `from_secs_f64` would panic.
        if !(v > 0.0 && Duration::try_from_secs_f64(v).is_ok()) {
            errors.push(format!(
                "{key}: must be a positive number of seconds below 2^64 (got {v})"
            ));
            return Duration::from_secs_f64(default);
        }
        Duration::from_secs_f64(v)
    }
}
