//! Query strings as BBB and Rails see them: ordered parameters, www-form encoding, checksum removal.

use std::borrow::Cow;
use std::collections::HashMap;

/// An ordered list of request parameters. BBB signs the exact query string, so order and the
/// difference between `key` (no value) and `key=` (empty value) are kept.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(Vec<(String, Option<String>)>);

impl Params {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// Parse an `application/x-www-form-urlencoded` string (a URL query or a form body).
    pub fn parse(raw: &str) -> Self {
        let mut out = Params::new();
        out.set_many(raw.split('&').filter(|p| !p.is_empty()).map(
            |pair| match pair.split_once('=') {
                Some((k, v)) => (decode(k).into_owned(), Some(decode(v).into_owned())),
                None => (decode(pair).into_owned(), None),
            },
        ));
        out
    }

    /// Merge `other` into self: later values win (Rails' params merging), keeping first position.
    pub fn merge(&mut self, other: Params) {
        self.set_many(other.0);
    }

    /// Value of `key`; `None` when absent or sent without `=`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.as_deref())
    }

    /// Value of `key` when it is present and not blank (Rails' `present?`).
    pub fn present(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.trim().is_empty())
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    /// `set` each pair in turn, in linear time: past a few parameters the keys are looked up in
    /// an index, not by scanning (an 8 MiB form body holds a million parameters; scanning made
    /// parsing it quadratic, minutes of CPU per request, before the checksum is even checked).
    fn set_many(&mut self, pairs: impl IntoIterator<Item = (String, Option<String>)>) {
        const SCAN: usize = 16;
        let mut index: Option<HashMap<String, usize>> = None;
        for (k, v) in pairs {
            if index.is_none() && self.0.len() >= SCAN {
                index = Some(
                    self.0
                        .iter()
                        .enumerate()
                        .map(|(i, (k, _))| (k.clone(), i))
                        .collect(),
                );
            }
            let found = match &index {
                Some(index) => index.get(&k).copied(),
                None => self.0.iter().position(|(x, _)| *x == k),
            };
            match found {
                Some(i) => self.0[i].1 = v,
                None => {
                    if let Some(index) = index.as_mut() {
                        index.insert(k.clone(), self.0.len());
                    }
                    self.0.push((k, v));
                }
            }
        }
    }

    /// Replace the value in place, or append when the key is new.
    pub fn set(&mut self, key: &str, value: Option<String>) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key.to_string(), value)),
        }
    }

    pub fn insert(&mut self, key: &str, value: &str) {
        self.set(key, Some(value.to_string()));
    }

    /// Put `key` before every existing parameter (or replace it in place).
    pub fn prepend(&mut self, key: &str, value: &str) {
        if self.contains(key) {
            self.insert(key, value);
        } else {
            self.0.insert(0, (key.to_string(), Some(value.to_string())));
        }
    }

    pub fn remove(&mut self, key: &str) {
        self.0.retain(|(k, _)| k != key);
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_deref()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Encode as `application/x-www-form-urlencoded` (space → `+`, `*-._` kept, the rest `%XX`),
    /// a value-less key as a bare `key`, the way Scalelite builds upstream URLs.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(self.0.len() * 24);
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            encode_into(&mut out, k);
            if let Some(v) = v {
                out.push('=');
                encode_into(&mut out, v);
            }
        }
        out
    }
}

impl FromIterator<(String, Option<String>)> for Params {
    fn from_iter<I: IntoIterator<Item = (String, Option<String>)>>(iter: I) -> Self {
        let mut p = Params::new();
        p.set_many(iter);
        p
    }
}

fn decode(s: &str) -> Cow<'_, str> {
    if !s.contains(['+', '%']) {
        return Cow::Borrowed(s);
    }
    let spaced = s.replace('+', " ");
    Cow::Owned(
        percent_encoding::percent_decode_str(&spaced)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

fn encode_into(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
        }
    }
}

/// Remove the checksum that is being checked (`value`, the last `checksum` parameter) textually
/// from a raw query string, exactly as received: the checksum covers everything else byte for
/// byte. Like Scalelite, only `checksum=<value>` goes: another `checksum=` parameter stays in
/// the hashed string, so `checksum=<wrong>&checksum=<right>` does not verify.
pub fn strip_checksum<'a>(raw: &'a str, value: &str) -> Cow<'a, str> {
    if !raw.contains("checksum=") {
        return Cow::Borrowed(raw);
    }
    let kept: Vec<&str> = raw
        .split('&')
        .filter(|p| p.strip_prefix("checksum=") != Some(value))
        .collect();
    Cow::Owned(kept.join("&"))
}

#[cfg(test)]
#[path = "query_props.rs"]
mod props;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_keeps_order_and_bare_keys() {
        let p = Params::parse("meetingID=a+b&password&name=x%26y&meetingID=c");
        assert_eq!(p.get("meetingID"), Some("c"));
        assert_eq!(p.get("password"), None);
        assert!(p.contains("password"));
        assert_eq!(p.get("name"), Some("x&y"));
        assert_eq!(p.encode(), "meetingID=c&password&name=x%26y");
    }

    #[test]
    fn encode_is_www_form() {
        let mut p = Params::new();
        p.insert("fullName", "Jane Doe ü~");
        assert_eq!(p.encode(), "fullName=Jane+Doe+%C3%BC%7E");
    }

    #[test]
    fn strip_checksum_is_textual() {
        assert_eq!(strip_checksum("a=1&checksum=abc&b=2", "abc"), "a=1&b=2");
        assert_eq!(strip_checksum("checksum=abc&b=2", "abc"), "b=2");
        assert_eq!(strip_checksum("a=1&checksum=abc", "abc"), "a=1");
        assert_eq!(strip_checksum("checksum=abc", "abc"), "");
        assert_eq!(strip_checksum("xchecksum=1", "1"), "xchecksum=1");
        // Only the checked value goes; another checksum stays in the hashed string.
        assert_eq!(
            strip_checksum("checksum=bad&a=1&checksum=abc", "abc"),
            "checksum=bad&a=1"
        );
    }
}
