//! TLS settings: the certificate the gateway serves (e.g. Let's Encrypt's) and the CA bundle
//! it trusts for `https://` BBB servers.

use super::env::Env;
use super::file::TlsSection;
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

/// TLS from the file's `tls:` section and SCALELITE_TLS_CERT / _KEY / _LISTEN /
/// _REDIRECT_HTTP; `None` unless a certificate is given.
pub fn tls_config(
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
    readable(&cert, "tls certificate", errors);
    readable(&key, "tls key", errors);
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
pub fn ca_file(file: Option<String>, env: &Env, errors: &mut Vec<String>) -> Option<String> {
    let path = env
        .value("SCALELITE_UPSTREAM_CA_FILE")
        .map(String::from)
        .or(file)?;
    readable(&path, "upstream CA file", errors);
    Some(path)
}
