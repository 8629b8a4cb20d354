//! TLS settings: the certificate the gateway serves (e.g. Let's Encrypt's) and the CA bundle
//! it trusts for `https://` BBB servers.
//!
//! The certificate chain and key are loaded here the way Pingora's rustls listener loads them
//! (same PEM parser, same `ring` provider, same key/certificate match), so a pair Pingora would
//! refuse is reported at configuration load: `serve --test` (the unit's ExecStartPre and
//! ExecReload) fails before a reload hands over to a process that would panic at start.

use super::env::Env;
use super::file::TlsSection;
use rustls::crypto::ring::default_provider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use rustls::InconsistentKeys;
use rustls_pemfile::Item;
use std::path::Path;

/// TLS termination on the gateway.
#[derive(Debug, Clone, PartialEq)]
pub struct TlsConfig {
    /// `address:port` of the HTTPS listener.
    pub listen: String,
    pub cert: String,
    pub key: String,
    /// Plain HTTP requests (other than the health check) are redirected to HTTPS.
    pub redirect_http: bool,
}

impl TlsConfig {
    /// The port of the HTTPS listener, for redirects.
    pub fn port(&self) -> u16 {
        self.listen
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse().ok())
            .unwrap_or(443)
    }
}

fn readable(path: &str, what: &str, errors: &mut Vec<String>) {
    if let Err(e) = std::fs::File::open(Path::new(path)) {
        errors.push(format!("{what} {path}: {e}"));
    }
}

/// Why a certificate or key file cannot be used; the text names the file.
#[derive(Debug, thiserror::Error)]
enum PemError {
    #[error("{what} {path}: {source}")]
    Read {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("{what} {path}: not a valid PEM file ({source})")]
    Malformed {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("tls certificate {0}: no certificate found (expected a PEM CERTIFICATE block)")]
    NoCertificate(String),
    #[error(
        "tls key {0}: no private key found (expected a PEM PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block)"
    )]
    NoKey(String),
}

/// The PEM items of `path`, or an error naming the file. A malformed PEM block anywhere fails,
/// as it does in Pingora (which reads the whole file with `rustls_pemfile::read_all`).
fn pem_items(path: &str, what: &'static str) -> Result<Vec<Item>, PemError> {
    let bytes = std::fs::read(Path::new(path)).map_err(|source| PemError::Read {
        what,
        path: path.to_string(),
        source,
    })?;
    rustls_pemfile::read_all(&mut bytes.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| PemError::Malformed {
            what,
            path: path.to_string(),
            source,
        })
}

/// The certificate chain of `path`: every `CERTIFICATE` block, the end-entity one first.
fn certificates(path: &str) -> Result<Vec<CertificateDer<'static>>, PemError> {
    let chain: Vec<_> = pem_items(path, "tls certificate")?
        .into_iter()
        .filter_map(|item| match item {
            Item::X509Certificate(c) => Some(c),
            _ => None,
        })
        .collect();
    if chain.is_empty() {
        return Err(PemError::NoCertificate(path.to_string()));
    }
    Ok(chain)
}

/// The first private key of `path` in an encoding Pingora accepts (PKCS#1, PKCS#8, SEC1).
fn private_key(path: &str) -> Result<PrivateKeyDer<'static>, PemError> {
    pem_items(path, "tls key")?
        .into_iter()
        .find_map(|item| match item {
            Item::Pkcs1Key(k) => Some(PrivateKeyDer::from(k)),
            Item::Pkcs8Key(k) => Some(PrivateKeyDer::from(k)),
            Item::Sec1Key(k) => Some(PrivateKeyDer::from(k)),
            _ => None,
        })
        .ok_or_else(|| PemError::NoKey(path.to_string()))
}

/// Loads the pair as Pingora will at start-up (`with_single_cert`, i.e.
/// `CertifiedKey::from_der` with the ring provider) and reports every problem it would hit.
fn check_pair(cert: &str, key: &str, errors: &mut Vec<String>) {
    let chain = certificates(cert)
        .map_err(|e| errors.push(e.to_string()))
        .ok();
    let key_der = private_key(key)
        .map_err(|e| errors.push(e.to_string()))
        .ok();
    let (Some(chain), Some(key_der)) = (chain, key_der) else {
        return;
    };
    let signing_key = match default_provider().key_provider.load_private_key(key_der) {
        Ok(k) => k,
        Err(e) => {
            errors.push(format!("tls key {key}: unusable private key ({e})"));
            return;
        }
    };
    match CertifiedKey::new(chain, signing_key).keys_match() {
        // Like rustls, a key that cannot tell its public half is not held against the pair.
        Ok(()) | Err(rustls::Error::InconsistentKeys(InconsistentKeys::Unknown)) => {}
        Err(rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) => errors.push(format!(
            "tls: certificate {cert} and key {key} do not match (the key belongs to another certificate)"
        )),
        Err(e) => errors.push(format!("tls certificate {cert}: unusable certificate ({e})")),
    }
}

/// TLS from the file's `tls:` section and SCALELITE_TLS_CERT / _KEY / _LISTEN /
/// _REDIRECT_HTTP; `None` unless a certificate is given.
pub(super) fn tls_config(
    file: Option<TlsSection>,
    env: &Env,
    errors: &mut Vec<String>,
) -> Option<TlsConfig> {
    let file = file.unwrap_or_default();
    let cert = env
        .value("SCALELITE_TLS_CERT")
        .map(String::from)
        .or(file.cert);
    let key = env
        .value("SCALELITE_TLS_KEY")
        .map(String::from)
        .or(file.key);
    let (cert, key) = match (cert, key) {
        (None, None) => return None,
        (Some(c), Some(k)) => (c, k),
        _ => {
            errors.push("tls: both a certificate and a key are needed".into());
            return None;
        }
    };
    check_pair(&cert, &key, errors);
    let listen = env
        .value("SCALELITE_TLS_LISTEN")
        .map(String::from)
        .or(file.listen)
        .unwrap_or_else(|| "0.0.0.0:443".into());
    if listen
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse::<u16>().ok())
        .is_none()
    {
        errors.push(format!("tls listen: '{listen}' is not address:port"));
    }
    Some(TlsConfig {
        listen,
        cert,
        key,
        redirect_http: env
            .flag("SCALELITE_TLS_REDIRECT_HTTP")
            .or(file.redirect_http)
            .unwrap_or(false),
    })
}

/// The CA bundle for upstream verification (SCALELITE_UPSTREAM_CA_FILE or `upstream_ca_file`).
pub(super) fn ca_file(file: Option<String>, env: &Env, errors: &mut Vec<String>) -> Option<String> {
    let path = env
        .value("SCALELITE_UPSTREAM_CA_FILE")
        .map(String::from)
        .or(file)?;
    readable(&path, "upstream CA file", errors);
    Some(path)
}
