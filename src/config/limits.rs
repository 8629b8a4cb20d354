//! Limits on what clients send: the largest request body the gateway reads itself.

use super::env::Env;
use serde::Deserialize;

/// BBB accepts presentations of about 30 MB; pre-uploaded in create's XML they arrive
/// base64-encoded (4/3 larger, ~40 MB), so 48 MiB lets any presentation BBB takes through.
pub(super) const DEFAULT_MAX_BODY_BYTES: u64 = 48 * 1024 * 1024;

/// `limits:` in the YAML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    /// Largest request body in bytes (SCALELITE_MAX_BODY_BYTES wins).
    pub max_body_bytes: Option<u64>,
}

/// SCALELITE_MAX_BODY_BYTES or `limits.max_body_bytes`: the largest BBB API request body (create's
/// pre-uploaded slides, form posts) in bytes. Larger bodies are refused with HTTP 413.
pub(super) fn max_body_bytes(
    file: Option<LimitsSection>,
    env: &Env,
    errors: &mut Vec<String>,
) -> usize {
    let value = env
        .number::<u64>("SCALELITE_MAX_BODY_BYTES", errors)
        .or(file.and_then(|f| f.max_body_bytes))
        .unwrap_or(DEFAULT_MAX_BODY_BYTES);
    if value == 0 {
        errors.push("SCALELITE_MAX_BODY_BYTES: must be at least 1 byte".into());
        return DEFAULT_MAX_BODY_BYTES as usize;
    }
    usize::try_from(value).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_file_and_env() {
        let mut errors = Vec::new();
        let none = Env::from_pairs(&[]);
        assert_eq!(max_body_bytes(None, &none, &mut errors), 48 << 20);
        let file = || {
            Some(LimitsSection {
                max_body_bytes: Some(1000),
            })
        };
        assert_eq!(max_body_bytes(file(), &none, &mut errors), 1000);
        let env = Env::from_pairs(&[("SCALELITE_MAX_BODY_BYTES", "2000")]);
        assert_eq!(max_body_bytes(file(), &env, &mut errors), 2000);
        assert!(errors.is_empty(), "{errors:?}");
        for bad in ["0", "-1", "48MB"] {
            let env = Env::from_pairs(&[("SCALELITE_MAX_BODY_BYTES", bad)]);
            max_body_bytes(None, &env, &mut errors);
            assert_eq!(errors.len(), 1, "{bad}: {errors:?}");
            errors.clear();
        }
    }
}
