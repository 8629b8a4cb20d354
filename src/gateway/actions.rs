//! The table of BBB API calls. Each entry says how a call is routed (methods), what body it
//! accepts, whether it is signed, and how it is answered. Routing, the content-type rules, the
//! dispatch and the "only meetingID is forwarded" rule all read it: adding a call is one entry
//! here plus one handler file.

use super::call::{ApiCall, Step};
use super::{create, join, meetings, recordings};
use crate::bbb::{xml, ApiError};
use crate::state::State;
use crate::web::{BodyRule, Methods, Reply};
use futures_util::future::BoxFuture;

/// A handler the gateway runs itself.
pub(crate) type Handler = for<'a> fn(&'a State, ApiCall) -> BoxFuture<'a, Result<Step, ApiError>>;

/// Runs once the parameters are known and before the checksum is verified; `Some` is the answer.
pub(crate) type Precheck = fn(&State, &ApiCall) -> Option<Result<Step, ApiError>>;

/// How a call is answered.
pub(crate) enum Answer {
    /// By the gateway itself (store, placement, the pool of servers).
    Here(Handler),
    /// From the recordings index.
    Recordings(Handler),
    /// Proxied by Pingora to the BBB server that owns the meeting, re-signed with its secret.
    Meeting(Forwarded),
}

/// What a proxied call sends upstream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Forwarded {
    /// Only the meetingID, as Scalelite sends its proxied calls (missing: missingParamMeetingID).
    MeetingIdOnly,
    /// Every parameter the client sent (calls Scalelite does not know, e.g. BBB 3.x's).
    AllParams,
}

/// One BBB API call.
pub(crate) struct Action {
    /// The path segment after `/bigbluebutton/api/` (empty for calls not in the table).
    pub(crate) name: &'static str,
    pub(crate) methods: Methods,
    /// Media types accepted in a non-empty POST body.
    pub(crate) body: BodyRule,
    /// Whether the call must carry a valid checksum.
    pub(crate) checksum: bool,
    pub(crate) precheck: Option<Precheck>,
    pub(crate) answer: Answer,
}

impl Action {
    /// Whether an XML body streams to the meeting's server unread (a body we answer ourselves
    /// is read, e.g. create's pre-uploaded slides).
    pub(crate) fn streams_xml(&self) -> bool {
        matches!(self.answer, Answer::Meeting(_))
    }
}

/// `async fn(&State, ApiCall) -> Result<Reply, ApiError>` as a table handler.
macro_rules! handler {
    ($f:path) => {
        |state, call| Box::pin(async move { $f(state, call).await.map(Step::Reply) })
    };
}

const fn call(name: &'static str, methods: Methods, body: BodyRule, answer: Answer) -> Action {
    Action {
        name,
        methods,
        body,
        checksum: true,
        precheck: None,
        answer,
    }
}

use BodyRule::{Any, Form, FormOrXml, Xml};
use Forwarded::MeetingIdOnly;
use Methods::{Get, GetOrPost, Post};

/// Every BBB API call Scalelite knows.
const ACTIONS: &[Action] = &[
    call(
        "create",
        GetOrPost,
        FormOrXml,
        Answer::Here(handler!(create::create)),
    ),
    call("join", Get, Any, Answer::Here(handler!(join::join))),
    call(
        "end",
        GetOrPost,
        Form,
        Answer::Here(handler!(meetings::end)),
    ),
    Action {
        precheck: Some(get_meetings_disabled),
        ..call(
            "getMeetings",
            GetOrPost,
            Form,
            Answer::Here(handler!(meetings::get_meetings)),
        )
    },
    call(
        "getMeetingInfo",
        GetOrPost,
        Form,
        Answer::Meeting(MeetingIdOnly),
    ),
    call(
        "isMeetingRunning",
        GetOrPost,
        Form,
        Answer::Meeting(MeetingIdOnly),
    ),
    call("insertDocument", Post, Xml, Answer::Meeting(MeetingIdOnly)),
    call(
        "getRecordings",
        GetOrPost,
        Form,
        Answer::Recordings(handler!(recordings::get_recordings)),
    ),
    call(
        "publishRecordings",
        Get,
        Any,
        Answer::Recordings(handler!(recordings::publish_recordings)),
    ),
    call(
        "updateRecordings",
        GetOrPost,
        Form,
        Answer::Recordings(handler!(recordings::update_recordings)),
    ),
    call(
        "deleteRecordings",
        Get,
        Any,
        Answer::Recordings(handler!(recordings::delete_recordings)),
    ),
];

/// Any other call: forwarded with all its parameters to the server of the meeting it names
/// (e.g. BBB 3.x's sendChatMessage). Without a meetingID it is Scalelite's catch-all.
const OTHER: Action = Action {
    precheck: Some(needs_meeting_id),
    ..call(
        "",
        GetOrPost,
        FormOrXml,
        Answer::Meeting(Forwarded::AllParams),
    )
};

/// The table entry of a call (`OTHER` for a call not in the table).
pub(crate) fn find(name: &str) -> &'static Action {
    ACTIONS.iter().find(|a| a.name == name).unwrap_or(&OTHER)
}

/// GET_MEETINGS_API_DISABLED: getMeetings answers "no meetings" before anything is checked.
fn get_meetings_disabled(state: &State, _call: &ApiCall) -> Option<Result<Step, ApiError>> {
    state
        .config
        .get_meetings_api_disabled
        .then(|| Ok(Step::Reply(Reply::xml(xml::no_meetings()))))
}

/// An unknown call without a meetingID is Scalelite's catch-all: `unsupportedRequest`, signed
/// or not (Scalelite routes before it checks the checksum).
fn needs_meeting_id(_state: &State, call: &ApiCall) -> Option<Result<Step, ApiError>> {
    call.params
        .present("meetingID")
        .is_none()
        .then_some(Err(ApiError::UnsupportedRequest))
}
