//! One BBB API call from request to handler: its table entry, content type, body and
//! parameters, the checks that run before the checksum, the checksum, then its answer.

use super::actions::{self, Answer};
use super::form;
use super::forward::{self, Forward};
use crate::bbb::{ApiError, Params};
use crate::state::State;
use crate::web::{self, Reply};
use bytes::Bytes;
use pingora_proxy::Session;

/// A call parsed and authenticated, ready for its handler.
pub(crate) struct ApiCall {
    pub(crate) action: String,
    pub(crate) raw_query: String,
    pub(crate) params: Params,
    /// A body we did not read (insertDocument and other XML posts stream to the owner).
    pub(crate) streams_body: bool,
    /// A body we read that is forwarded as is (create's pre-uploaded slides).
    pub(crate) xml_body: Option<Bytes>,
    /// `scheme://host[:port]` as the client reached us (links in recording answers).
    pub(crate) origin: String,
}

/// What a call's handler decided.
pub(crate) enum Step {
    Reply(Reply),
    Forward(Box<Forward>),
}

/// Read, check and answer the call `name`. `meeting` is set to its meetingID (access log).
pub(crate) async fn answer(
    state: &State,
    session: &mut Session,
    name: String,
    meeting: &mut Option<String>,
    body_limit: usize,
) -> Result<Step, ApiError> {
    let action = actions::find(&name);
    let media_type = web::check_content_type(session, action.body)?;
    let raw_query = web::raw_query(session);
    let mut params = Params::parse(&raw_query);
    let post = session.req_header().method == http::Method::POST;
    let stream = post && web::is_xml(media_type.as_deref()) && action.streams_xml();
    let mut xml_body = None;
    if post && !stream {
        let body = web::read_body(session, body_limit).await?;
        if web::is_xml(media_type.as_deref()) {
            xml_body = Some(body).filter(|b| !b.is_empty());
        } else {
            let content_type = session
                .req_header()
                .headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            params.merge(form::params(media_type.as_deref(), content_type, body).await?);
        }
    }
    *meeting = params.present("meetingID").map(String::from);
    let call = ApiCall {
        action: name,
        raw_query,
        params,
        streams_body: stream,
        xml_body,
        origin: web::origin(session),
    };
    if let Some(early) = action.precheck.and_then(|check| check(state, &call)) {
        return early;
    }
    if action.checksum {
        web::verify(
            &state.config.checksum,
            &call.action,
            &call.raw_query,
            &call.params,
        )?;
    }
    match &action.answer {
        Answer::Here(handler) | Answer::Recordings(handler) => handler(state, call).await,
        Answer::Meeting(forwarded) => forward::prepare(state, call, *forwarded).await,
    }
}
