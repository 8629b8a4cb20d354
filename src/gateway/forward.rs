//! Meeting-scoped calls proxied to the owning BBB server (getMeetingInfo, isMeetingRunning,
//! insertDocument and any other call carrying a meetingID, e.g. BBB 3.x sendChatMessage).

use super::actions::Forwarded;
use super::call::{ApiCall, Step};
use crate::bbb::client::signed_path;
use crate::bbb::endpoint::Endpoint;
use crate::bbb::{xml, ApiError, Params, Timeouts};
use crate::state::State;
use crate::web::Reply;
use bytes::Bytes;
use pingora::upstreams::peer::HttpPeer;
use pingora_http::RequestHeader;

/// How to send one call to its BBB server.
pub(super) struct Forward {
    endpoint: Endpoint,
    timeouts: Timeouts,
    path_and_query: String,
    /// The `internalError` text when the server cannot be reached.
    pub failure: &'static str,
    /// The owning server (for the access log).
    pub server_id: String,
    /// The client's XML body streams through as a POST.
    post_body: bool,
}

/// Where the call goes and how it is signed, or the answer when it need not go anywhere.
pub(crate) async fn prepare(
    state: &State,
    call: ApiCall,
    forwarded: Forwarded,
) -> Result<Step, ApiError> {
    let Some(meeting_id) = call.params.present("meetingID") else {
        return Err(match forwarded {
            Forwarded::MeetingIdOnly => ApiError::MissingMeetingId,
            Forwarded::AllParams => ApiError::UnsupportedRequest,
        });
    };
    // An unknown meeting is simply not running; no need to ask anyone.
    let not_running = || {
        let body = xml::success(&[("running", "false")]);
        Ok(Step::Reply(Reply::xml(body)))
    };
    let meeting = match state.meeting(meeting_id).await {
        Err(ApiError::MeetingNotFound) if call.action == "isMeetingRunning" => {
            return not_running();
        }
        other => other?,
    };
    // A meeting whose server record was deleted is as good as gone (Scalelite crashes, Q26):
    // not running for isMeetingRunning, notFound for every other call.
    let Some(server) = state.server(&meeting.server_id).await? else {
        if call.action == "isMeetingRunning" {
            return not_running();
        }
        return Err(ApiError::MeetingNotFound);
    };
    let failure = if call.action == "insertDocument" {
        "Unable to insert document on server."
    } else {
        "Unable to access meeting on server."
    };
    let endpoint = state
        .client
        .endpoint(&server.url)
        .await
        .map_err(|_| ApiError::internal(failure))?;
    let params = match forwarded {
        Forwarded::MeetingIdOnly => {
            let mut p = Params::new();
            p.insert("meetingID", meeting_id);
            p
        }
        Forwarded::AllParams => super::params::forwarded(&call.params, &Default::default(), &[]),
    };
    let path_and_query = signed_path(
        &endpoint.base_path,
        &call.action,
        &params,
        &server.secret,
        state.client.algorithm(),
    );
    let timeouts = state.timeouts_for(&server);
    Ok(Step::Forward(Box::new(Forward {
        endpoint,
        timeouts,
        path_and_query,
        failure,
        server_id: server.id.clone(),
        post_body: call.streams_body,
    })))
}

impl Forward {
    /// The owning server's host (and port), the `server` label of upstream metrics.
    pub(super) fn authority(&self) -> &str {
        &self.endpoint.authority
    }

    pub(super) fn peer(&self) -> HttpPeer {
        self.endpoint.peer(self.timeouts)
    }

    /// The upstream request: our path and checksum, the server's Host, the body as BBB wants it.
    pub(super) fn rewrite(&self, req: &mut RequestHeader) -> pingora::Result<()> {
        let uri: http::Uri = self.path_and_query.parse().map_err(|_| {
            pingora::Error::explain(pingora::ErrorType::InternalError, "bad upstream uri")
        })?;
        req.set_uri(uri);
        req.insert_header(http::header::HOST, self.endpoint.authority.as_str())?;
        // We read the answer before passing it on; a compressed one could not be checked.
        req.remove_header(&http::header::ACCEPT_ENCODING);
        req.remove_header(&http::header::EXPECT);
        req.remove_header(&http::header::COOKIE);
        req.remove_header(&http::header::AUTHORIZATION);
        if self.post_body {
            req.set_method(http::Method::POST);
            req.insert_header(http::header::CONTENT_TYPE, "application/xml")?;
        } else {
            // Parameters that came in a form body are now in the query: the upstream call is a GET.
            // The body was already read, so say so: without a length Pingora would frame the
            // request as chunked and BBB would wait for a body that never comes.
            let had_body = req.headers.contains_key(http::header::CONTENT_LENGTH)
                || req.headers.contains_key(http::header::TRANSFER_ENCODING);
            req.set_method(http::Method::GET);
            req.remove_header(&http::header::CONTENT_TYPE);
            req.remove_header(&http::header::TRANSFER_ENCODING);
            if had_body {
                req.insert_header(http::header::CONTENT_LENGTH, "0")?;
            }
        }
        Ok(())
    }
}

/// What the client gets for a BBB answer: verbatim if it is a SUCCESS, BBB's error as
/// Scalelite renders it if FAILED, `internalError` if it is not a BBB answer at all, and
/// `internalError` with `failure` for a SUCCESS sent with an HTTP 5xx (the server failed,
/// whatever its body says; as BbbClient classifies it).
pub(super) fn check_answer(raw: Bytes, status: u16, failure: &str) -> Bytes {
    match xml::parse_envelope(&raw) {
        Some(env) if env.is_success() && status >= 500 => {
            ApiError::internal(failure).to_xml().into()
        }
        Some(env) if env.is_success() => raw,
        Some(env) => ApiError::Upstream {
            key: env.message_key.unwrap_or_default(),
            message: env.message.unwrap_or_default(),
        }
        .to_xml()
        .into(),
        None => ApiError::internal("Response did not include returncode")
            .to_xml()
            .into(),
    }
}
