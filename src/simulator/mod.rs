//! An in-process fake BigBlueButton server, so integration tests and benches can drive the load balancer end to end.
//!
//! The simulator speaks the BBB API over real HTTP/1.1 (keep-alive included) on a loopback port,
//! verifies checksums like BBB does, keeps a small meeting table and records every request, so a
//! test can both steer the "server" (modes, participants, meetings ended behind the LB's back) and
//! assert on what the load balancer actually sent to it.

mod api;
mod checksum;
mod server;
#[cfg(test)]
mod test_http;
#[cfg(test)]
mod tests_api;
#[cfg(test)]
mod tests_server;
mod xml;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use parking_lot::Mutex;

pub use checksum::{parse_params, sign, verify_checksum, ChecksumAlgo};

/// How the simulator answers requests; switched at run time to exercise the LB's failure handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Behave like a healthy BBB server.
    #[default]
    Normal,
    /// Answer every request with a well-formed `FAILED` XML response.
    Fail,
    /// Read the request, then never answer (until `stop()`), to exercise timeouts.
    Hang,
    /// Answer HTTP 200 with an HTML page instead of XML.
    Garbage,
    /// Answer with this HTTP status and a small HTML body.
    HttpError(u16),
    /// Answer with this HTTP status and a BBB `SUCCESS` envelope (nothing done): a server whose
    /// status says it failed although its body looks like BBB's.
    HttpErrorXml(u16),
    /// Read the request, then reset the connection (RST) without answering.
    Reset,
}

/// A meeting as the simulated server knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimMeeting {
    pub meeting_id: String,
    pub name: String,
    pub moderator_pw: String,
    pub attendee_pw: String,
    pub voice_bridge: String,
    pub participants: u32,
    pub moderators: u32,
    pub videos: u32,
    pub is_breakout: bool,
    pub create_time_ms: u64,
    pub metadata: Vec<(String, String)>,
}

/// One request as it reached the simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// API action (`create`, `join`, ...); empty for the index call; the path (without the
    /// leading `/`) for requests outside `/bigbluebutton/api/`.
    pub action: String,
    pub raw_query: String,
    pub params: Vec<(String, Option<String>)>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    pub checksum_ok: bool,
}

impl RecordedRequest {
    /// First value of a query parameter (`None` if absent or given without `=`).
    pub fn param(&self, key: &str) -> Option<&str> {
        api::param(&self.params, key)
    }
}

/// Mutable state shared by the handle and the connection tasks.
pub(crate) struct State {
    pub(crate) secret: String,
    pub(crate) addr: SocketAddr,
    pub(crate) inner: Mutex<Inner>,
}

pub(crate) struct Inner {
    pub(crate) mode: Mode,
    pub(crate) version: String,
    /// Meetings by ID; the sequence number keeps getMeetings in creation order like BBB.
    pub(crate) meetings: HashMap<String, (u64, SimMeeting)>,
    pub(crate) next_seq: u64,
    pub(crate) requests: Vec<RecordedRequest>,
    pub(crate) record: bool,
    /// Time spent on every answer before it is sent, like a real BBB server's processing time
    /// (zero: answer at once).
    pub(crate) service_time: std::time::Duration,
}

impl Inner {
    pub(crate) fn insert_meeting(&mut self, m: SimMeeting) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.meetings.insert(m.meeting_id.clone(), (seq, m));
    }

    pub(crate) fn meeting_mut(&mut self, id: &str) -> Option<&mut SimMeeting> {
        self.meetings.get_mut(id).map(|(_, m)| m)
    }

    pub(crate) fn sorted_meetings(&self) -> Vec<SimMeeting> {
        let mut v: Vec<&(u64, SimMeeting)> = self.meetings.values().collect();
        v.sort_by_key(|(seq, _)| *seq);
        v.into_iter().map(|(_, m)| m.clone()).collect()
    }
}

struct Shared {
    state: Arc<State>,
    /// The running accept loop, if any; dropping it (last handle gone) also shuts the server down.
    running: Mutex<Option<server::Running>>,
}

/// Handle to a running simulator; cheap to clone, all clones control the same server.
#[derive(Clone)]
pub struct BbbSimulator {
    shared: Arc<Shared>,
}

impl BbbSimulator {
    /// Starts a simulator on an ephemeral loopback port.
    pub async fn start(secret: &str) -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), secret).await
    }

    /// Starts a simulator on a given address (SO_REUSEADDR, so a port freed by `stop()` can be reused at once).
    pub async fn start_on(addr: SocketAddr, secret: &str) -> std::io::Result<Self> {
        let listener = server::bind(addr)?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            secret: secret.to_string(),
            addr,
            inner: Mutex::new(Inner {
                mode: Mode::Normal,
                version: "3.0.0".to_string(),
                meetings: HashMap::new(),
                next_seq: 0,
                requests: Vec::new(),
                record: true,
                service_time: std::time::Duration::ZERO,
            }),
        });
        let running = server::spawn(listener, state.clone());
        Ok(Self {
            shared: Arc::new(Shared {
                state,
                running: Mutex::new(Some(running)),
            }),
        })
    }

    /// Starts serving again on the same address after `stop()`, keeping meetings, mode and requests.
    pub async fn restart(&self) -> std::io::Result<()> {
        self.stop().await;
        let listener = server::bind(self.shared.state.addr)?;
        let running = server::spawn(listener, self.shared.state.clone());
        *self.shared.running.lock() = Some(running);
        Ok(())
    }

    pub fn addr(&self) -> SocketAddr {
        self.shared.state.addr
    }

    /// Base API URL as the load balancer would have it configured.
    pub fn url(&self) -> String {
        format!("http://{}/bigbluebutton/api/", self.addr())
    }

    pub fn secret(&self) -> String {
        self.shared.state.secret.clone()
    }

    /// Full URL for `action` with `query` signed (SHA256) with this server's secret.
    pub fn signed_url(&self, action: &str, query: &str) -> String {
        let sum = sign(
            ChecksumAlgo::Sha256,
            action,
            query,
            &self.shared.state.secret,
        );
        if query.is_empty() {
            format!("{}{action}?checksum={sum}", self.url())
        } else {
            format!("{}{action}?{query}&checksum={sum}", self.url())
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        self.inner().mode = mode;
    }

    /// Delay every answer by `t`, as a real BBB server takes time to answer (load benches
    /// measure a proxy's overhead against it).
    pub fn set_service_time(&self, t: std::time::Duration) {
        self.inner().service_time = t;
    }

    pub fn mode(&self) -> Mode {
        self.inner().mode
    }

    /// Stops accepting and closes every open connection (also hung ones); returns once the port is free.
    pub async fn stop(&self) {
        let running = self.shared.running.lock().take();
        if let Some(r) = running {
            r.shutdown().await;
        }
    }

    pub fn meetings(&self) -> Vec<SimMeeting> {
        self.inner().sorted_meetings()
    }

    pub fn meeting(&self, id: &str) -> Option<SimMeeting> {
        self.inner().meetings.get(id).map(|(_, m)| m.clone())
    }

    /// A running meeting created behind the LB's back (or updates the counts of an existing one).
    pub fn add_meeting(&self, meeting_id: &str, participants: u32, moderators: u32) {
        let mut inner = self.inner();
        if let Some(m) = inner.meeting_mut(meeting_id) {
            m.participants = participants;
            m.moderators = moderators;
            return;
        }
        let mut m = api::new_meeting(meeting_id);
        m.participants = participants;
        m.moderators = moderators;
        inner.insert_meeting(m);
    }

    pub fn set_participants(&self, meeting_id: &str, participants: u32, moderators: u32) {
        if let Some(m) = self.inner().meeting_mut(meeting_id) {
            m.participants = participants;
            m.moderators = moderators;
        }
    }

    pub fn set_videos(&self, meeting_id: &str, videos: u32) {
        if let Some(m) = self.inner().meeting_mut(meeting_id) {
            m.videos = videos;
        }
    }

    pub fn set_meeting_metadata(&self, meeting_id: &str, key: &str, value: &str) {
        if let Some(m) = self.inner().meeting_mut(meeting_id) {
            match m.metadata.iter_mut().find(|(k, _)| k == key) {
                Some(entry) => entry.1 = value.to_string(),
                None => m.metadata.push((key.to_string(), value.to_string())),
            }
        }
    }

    /// As if the meeting ended on the BBB server itself.
    pub fn end_meeting(&self, meeting_id: &str) {
        self.inner().meetings.remove(meeting_id);
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner().requests.clone()
    }

    pub fn requests_for(&self, action: &str) -> Vec<RecordedRequest> {
        let inner = self.inner();
        inner
            .requests
            .iter()
            .filter(|r| r.action == action)
            .cloned()
            .collect()
    }

    pub fn clear_requests(&self) {
        self.inner().requests.clear();
    }

    /// Turns request recording off, so long benches don't accumulate memory.
    pub fn set_recording(&self, on: bool) {
        self.inner().record = on;
    }

    /// The bbbVersion revealed by the index call.
    pub fn set_version(&self, v: &str) {
        self.inner().version = v.to_string();
    }

    fn inner(&self) -> parking_lot::MutexGuard<'_, Inner> {
        self.shared.state.inner.lock()
    }
}

impl std::fmt::Debug for BbbSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BbbSimulator")
            .field("addr", &self.addr())
            .finish()
    }
}
