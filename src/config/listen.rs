//! The `listen` section: address and port (PORT), or Scalelite's BIND (tcp:// or unix://).

use super::env::Env;
use super::file::ListenSection;

/// Where the API listens: `address:port`, or a Unix socket path.
pub(super) struct Listen {
    pub(super) tcp: String,
    pub(super) unix: Option<String>,
}

pub(super) fn listen(file: Option<ListenSection>, env: &Env, errors: &mut Vec<String>) -> Listen {
    let file = file.unwrap_or_default();
    let mut port = env
        .number::<u32>("PORT", errors)
        .or(file.port)
        .unwrap_or(3000);
    if port == 0 || port > 65535 {
        errors.push(format!("port {port} is out of range"));
    }
    let mut address = file.address.unwrap_or_else(|| "0.0.0.0".into());
    let mut unix = None;
    // BIND is Scalelite's full bind URL and overrides PORT.
    if let Some(bind) = env.value("BIND") {
        if let Some(path) = bind.strip_prefix("unix://") {
            unix = Some(path.to_string());
        } else {
            let hostport = bind.strip_prefix("tcp://").unwrap_or(bind);
            match hostport
                .rsplit_once(':')
                .map(|(h, p)| (h, p.parse::<u32>()))
            {
                Some((h, Ok(p))) if p > 0 && p <= 65535 => {
                    address = h.trim_matches(|c| c == '[' || c == ']').to_string();
                    port = p;
                }
                _ => errors.push(format!(
                    "BIND: '{bind}' is not tcp://host:port or unix://path"
                )),
            }
        }
    }
    let tcp = if address.contains(':') {
        format!("[{address}]:{port}")
    } else {
        format!("{address}:{port}")
    };
    Listen { tcp, unix }
}
