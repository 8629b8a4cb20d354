//! HTTP plumbing shared by the BBB API (gateway) and the admin API: reading a request (content
//! type, body, raw query, checksum) and writing an answer (`Reply`, `send`).

mod reply;
mod request;

pub(crate) use reply::{send, Reply, XML};
pub(crate) use request::{
    check_content_type, discard_body, has_body, is_xml, origin, raw_query, read_body, verify,
    BodyRule, Methods,
};
