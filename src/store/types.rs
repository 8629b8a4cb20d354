//! The records the store keeps: a BBB `Server` and a `Meeting`'s placement.

use serde::{Deserialize, Serialize};

/// Whether a server takes new meetings, only its existing ones, or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServerState {
    Enabled,
    Cordoned,
    Disabled,
}

impl ServerState {
    pub fn as_str(self) -> &'static str {
        match self {
            ServerState::Enabled => "enabled",
            ServerState::Cordoned => "cordoned",
            ServerState::Disabled => "disabled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "enabled" => ServerState::Enabled,
            "cordoned" => ServerState::Cordoned,
            "disabled" => ServerState::Disabled,
            _ => return None,
        })
    }
}

/// Poller statistics of one server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerStats {
    pub meetings: u64,
    pub users: u64,
    pub largest_meeting: u64,
    pub videos: u64,
}

/// A BBB server of the pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Server {
    pub id: String,
    pub url: String,
    pub secret: String,
    pub tag: Option<String>,
    /// `None` on legacy servers, whose state is given by `enabled` alone.
    pub state: Option<ServerState>,
    /// The legacy enabled flag (membership of Scalelite's `server_enabled` set).
    pub enabled: bool,
    /// Known only for enabled and cordoned servers that the poller has seen online.
    pub load: Option<f64>,
    /// The decimal as stored (`"1.5"`); `None` means never set (1.0).
    pub load_multiplier: Option<String>,
    pub online: bool,
    pub stats: ServerStats,
    pub bbb_version: Option<String>,
    pub healthy_counter: u32,
    pub unhealthy_counter: u32,
}

impl Server {
    /// A new server as Scalelite's addServer makes it: no state, not enabled, offline.
    pub fn new(id: String, url: String, secret: String) -> Self {
        Server {
            id,
            url,
            secret,
            tag: None,
            state: None,
            enabled: false,
            load: None,
            load_multiplier: None,
            online: false,
            stats: ServerStats::default(),
            bbb_version: None,
            healthy_counter: 0,
            unhealthy_counter: 0,
        }
    }

    pub fn effective_state(&self) -> ServerState {
        match self.state {
            Some(s) => s,
            None if self.enabled => ServerState::Enabled,
            None => ServerState::Disabled,
        }
    }

    pub fn multiplier(&self) -> f64 {
        self.load_multiplier
            .as_deref()
            .and_then(|m| m.parse::<f64>().ok())
            .filter(|m| *m != 0.0 && m.is_finite())
            .unwrap_or(1.0)
    }

    /// Takes new meetings: enabled with a known load (Scalelite's `server_load` membership).
    pub fn is_available(&self) -> bool {
        self.effective_state() == ServerState::Enabled && self.load.is_some()
    }

    /// Accepts joins: online and not disabled.
    pub fn accepts_joins(&self) -> bool {
        self.online && self.effective_state() != ServerState::Disabled
    }

    /// Ensure the URL ends with `/`, so actions resolve relative to it.
    pub fn base_url(&self) -> String {
        if self.url.ends_with('/') {
            self.url.clone()
        } else {
            format!("{}/", self.url)
        }
    }
}

/// Normalise a load multiplier the way Scalelite prints a decimal: `2` → `"2.0"`, `1.50` → `"1.5"`.
pub fn format_decimal(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

/// A change to a server; `None` fields are left as they are.
#[derive(Debug, Clone, Default)]
pub struct ServerChange {
    pub url: Option<String>,
    pub secret: Option<String>,
    /// `Some(None)` removes the tag.
    pub tag: Option<Option<String>>,
    pub load_multiplier: Option<String>,
    pub state: Option<ServerState>,
    pub online: Option<bool>,
    /// `Some(None)` forgets the load.
    pub load: Option<Option<f64>>,
    pub stats: Option<ServerStats>,
    pub counters: Option<(u32, u32)>,
    pub bbb_version: Option<String>,
}

impl ServerChange {
    /// Apply with Scalelite's save rules: a state change carries a known load across (enabled
    /// ↔ cordoned), and a disabled server never keeps a load.
    pub fn apply(self, s: &mut Server) {
        if let Some(v) = self.url {
            s.url = v;
        }
        if let Some(v) = self.secret {
            s.secret = v;
        }
        if let Some(v) = self.tag {
            s.tag = v.filter(|t| !t.is_empty());
        }
        if let Some(v) = self.load_multiplier {
            s.load_multiplier = Some(v);
        }
        if let Some(v) = self.state {
            s.state = Some(v);
            s.enabled = v == ServerState::Enabled;
        }
        if let Some(v) = self.online {
            s.online = v;
        }
        if let Some(v) = self.load {
            s.load = v;
        }
        if let Some(v) = self.stats {
            s.stats = v;
        }
        if let Some((h, u)) = self.counters {
            s.healthy_counter = h;
            s.unhealthy_counter = u;
        }
        if let Some(v) = self.bbb_version {
            s.bbb_version = Some(v);
        }
        if s.effective_state() == ServerState::Disabled {
            s.load = None;
        }
    }
}

/// Where a meeting runs, and what Scalelite remembers about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    pub id: String,
    pub server_id: String,
    pub moderator_pw: String,
    pub voice_bridge: String,
    pub tenant_id: Option<String>,
}

/// The input of create-or-find.
#[derive(Debug, Clone)]
pub struct NewMeeting {
    pub id: String,
    pub server_id: String,
    pub moderator_pw: String,
    /// The client's `voiceBridge`, tried first when external voice bridges are allowed.
    pub requested_bridge: Option<String>,
    pub tenant_id: Option<String>,
}
