//! The CA bundle for a `rediss://` REDIS_URL whose server certificate a private CA signed.
//!
//! The file is read and parsed here, at configuration load, the way the Redis client will use
//! it (every PEM `CERTIFICATE` block a trust anchor), so a missing or garbled bundle stops
//! `serve --test` instead of leaving every instance with a store that never connects.

use super::env::Env;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;
use std::sync::Arc;

/// The roots Redis's certificate is verified against instead of the system's.
#[derive(Clone, PartialEq)]
pub struct RedisCa {
    pub path: String,
    /// The file's PEM text, handed to the Redis client as is.
    pub pem: Arc<[u8]>,
}

impl std::fmt::Debug for RedisCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCa").field("path", &self.path).finish()
    }
}

/// SCALELITE_REDIS_CA_FILE or `redis_ca_file`, read and checked; it only applies to a
/// `rediss://` `redis_url`.
pub(super) fn ca_file(
    file: Option<String>,
    env: &Env,
    redis_url: Option<&str>,
    errors: &mut Vec<String>,
) -> Option<RedisCa> {
    let path = env
        .value("SCALELITE_REDIS_CA_FILE")
        .map(String::from)
        .or(file)?;
    if let Some(url) = redis_url.filter(|u| !u.trim_start().starts_with("rediss://")) {
        // A CA with a plain connection would be silently unused: say so instead.
        let scheme = url.split("://").next().unwrap_or(url);
        errors.push(format!(
            "redis CA file {path}: REDIS_URL must be rediss:// (TLS) to use it (got {scheme}://)"
        ));
    }
    match read(&path) {
        Ok(pem) => Some(RedisCa {
            path,
            pem: pem.into(),
        }),
        Err(e) => {
            errors.push(format!("redis CA file {path}: {e}"));
            None
        }
    }
}

/// Why a CA file cannot be used.
#[derive(Debug, thiserror::Error)]
enum CaError {
    #[error("{0}")]
    Read(#[from] std::io::Error),
    #[error("not a valid PEM file ({0})")]
    Malformed(rustls::pki_types::pem::Error),
    #[error("unusable CA certificate ({0})")]
    Unusable(rustls::Error),
    #[error("no certificate found (expected a PEM CERTIFICATE block)")]
    Empty,
}

/// The file's bytes once every certificate in it is a usable trust anchor (at least one).
fn read(path: &str) -> Result<Vec<u8>, CaError> {
    let pem = std::fs::read(path)?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        roots
            .add(cert.map_err(CaError::Malformed)?)
            .map_err(CaError::Unusable)?;
    }
    if roots.is_empty() {
        return Err(CaError::Empty);
    }
    Ok(pem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs)
    }

    #[test]
    fn unset_is_none_without_errors() {
        let mut errors = Vec::new();
        assert!(ca_file(None, &env(&[]), Some("rediss://h:1"), &mut errors).is_none());
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn missing_and_garbage_files_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "not a certificate\n").unwrap();
        let broken = dir.path().join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let missing = dir.path().join("missing.pem");
        for path in [&garbage, &broken, &missing] {
            let path = path.display().to_string();
            let mut errors = Vec::new();
            let e = env(&[("SCALELITE_REDIS_CA_FILE", &path)]);
            assert!(ca_file(None, &e, Some("rediss://h:1"), &mut errors).is_none());
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert!(errors[0].starts_with(&format!("redis CA file {path}: ")));
        }
    }

    #[test]
    fn a_plain_redis_url_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing.pem").display().to_string();
        let mut errors = Vec::new();
        ca_file(Some(path), &env(&[]), Some("redis://h:1"), &mut errors);
        assert!(
            errors.iter().any(|e| e.contains("must be rediss://")),
            "{errors:?}"
        );
    }
}
