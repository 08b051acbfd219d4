//! Ports: the outside world as the app and its workers see it. Adapters live in the `server`
//! crate and are chosen by configuration; every adapter has a simulator.
//!
//! The traits return boxed `Send` futures so that they can be used as `Arc<dyn Trait>`.
use crate::callouts::rules::calls::{ListedCall, ProviderStatus};
use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future (what `async fn` in a `dyn`-compatible trait returns).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a PBX request did not happen.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PbxError {
    /// The PBX answered and refused (not there, already there, no such queue, …).
    #[error(transparent)]
    Refused(#[from] crate::queue::rules::ami::Refusal),
    /// The PBX could not be reached, or did not answer in time: try again later.
    #[error("the PBX is unavailable: {0}")]
    Unavailable(String),
}

/// A member to put in a queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueMemberSpec {
    pub queue: String,
    /// From the interface template, e.g. `PJSIP/202`.
    pub interface: String,
    pub member_name: String,
    pub paused: bool,
    pub reason: Option<String>,
}

/// What the PBX tells its subscribers.
#[derive(Clone, Debug, PartialEq)]
pub enum PbxNews {
    /// (Re)connected and logged in; a reconciling snapshot follows.
    Connected,
    /// The connection is gone; the adapter reconnects with backoff.
    Disconnected(String),
    /// The queues as the PBX sees them after a (re)connect: what to reconcile against.
    Snapshot(crate::queue::rules::ami::QueueSnapshot),
    Event(crate::queue::rules::ami::Event),
}

/// A PBX with queues (Asterisk over AMI, or pbxsim).
pub trait Pbx: Send + Sync {
    fn add_member(&self, member: QueueMemberSpec) -> BoxFuture<'_, Result<(), PbxError>>;
    fn remove_member<'a>(&'a self, queue: &'a str, interface: &'a str) -> BoxFuture<'a, Result<(), PbxError>>;
    /// Pauses or resumes a member; `queue: None` in every queue it is in.
    fn pause<'a>(
        &'a self,
        queue: Option<&'a str>,
        interface: &'a str,
        paused: bool,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), PbxError>>;
    /// Members and waiting callers of one queue, or of all.
    fn queue_status<'a>(
        &'a self,
        queue: Option<&'a str>,
    ) -> BoxFuture<'a, Result<crate::queue::rules::ami::QueueSnapshot, PbxError>>;
    /// The PBX's news from now on.
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<PbxNews>;
}

/// What the provider plays when the call is answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallScript {
    /// The provider fetches instructions (TwiML) from this URL with this method (`GET`/`POST`).
    Url { url: String, method: String },
    /// Inline TwiML.
    Twiml(String),
}

/// A call to place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateCall {
    /// E.164.
    pub to: String,
    /// The caller id, E.164.
    pub from: String,
    pub url_or_twiml: CallScript,
    /// Where the provider posts status callbacks (with `POST`).
    pub status_callback: Option<String>,
}

/// Which calls to list (Twilio's `GET …/Calls.json?To=…&From=…&StartTime>=…`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindCalls {
    pub to: String,
    pub from: Option<String>,
    /// Calls created at or after this (the provider may only filter by day: the adapter drops
    /// earlier ones).
    pub created_after: chrono::DateTime<chrono::Utc>,
}

/// A call as the provider knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderCall {
    /// The CallSid.
    pub sid: String,
    pub status: ProviderStatus,
    /// Talk time in seconds, once the call is over.
    pub duration_secs: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TelephonyError {
    /// The provider refused the request (a 4xx other than 429): retrying it will not help. It is
    /// recorded on the call.
    #[error("the provider refused the request (HTTP {status}, code {code:?}): {message}")]
    Permanent {
        status: u16,
        /// The provider's error code (Twilio's `code`, e.g. 21211), if it gave one.
        code: Option<i64>,
        message: String,
    },
    /// The provider could not be reached or kept failing (time-outs, 429, 5xx) after the
    /// client's retries: try again later.
    #[error("the provider is unavailable: {0}")]
    Transient(String),
}

impl TelephonyError {
    pub fn is_permanent(&self) -> bool {
        matches!(self, TelephonyError::Permanent { .. })
    }
}

/// A telephony provider that speaks the Twilio REST dialect (Twilio, Somleng, the simulator).
pub trait Telephony: Send + Sync {
    /// Places a call; the provider answers with its CallSid and (usually) `queued`.
    fn create_call(&self, call: CreateCall) -> BoxFuture<'_, Result<ProviderCall, TelephonyError>>;
    /// The call's current state (for polling when callbacks do not come).
    fn fetch_call<'a>(&'a self, sid: &'a str) -> BoxFuture<'a, Result<ProviderCall, TelephonyError>>;
    /// Ends the call (`Status=completed`): a queued or ringing call is canceled, a call in
    /// progress is hung up.
    fn hang_up<'a>(&'a self, sid: &'a str) -> BoxFuture<'a, Result<ProviderCall, TelephonyError>>;
    /// The provider's calls matching the query, every page of them (to find a call whose
    /// CallSid we never learnt).
    fn find_calls<'a>(&'a self, query: &'a FindCalls) -> BoxFuture<'a, Result<Vec<ListedCall>, TelephonyError>>;
}

/// Why a chat message was not posted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChatError {
    /// The chat answered with an error status.
    #[error("the chat answered {status}: {body}")]
    Rejected { status: u16, body: String },
    /// The chat could not be reached or did not answer in time.
    #[error("the chat is unavailable: {0}")]
    Unavailable(String),
}

/// The team chat: an incoming webhook (Google Chat, Slack, Mattermost, Rocket.Chat) or the
/// built-in chat simulator.
pub trait Chat: Send + Sync {
    fn post<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<(), ChatError>>;
}

/// What the simulators started in-process received (the Simulators page); each part is
/// `NotRunning` when the real counterpart is configured.
pub trait Simulators: Send + Sync {
    fn chat(&self) -> BoxFuture<'_, crate::chat::SimPart<Vec<crate::chat::SimChatMessage>>>;
    fn calls(&self) -> BoxFuture<'_, crate::chat::SimPart<Vec<crate::chat::SimCall>>>;
    fn pbx(&self) -> BoxFuture<'_, crate::chat::SimPart<Vec<crate::chat::SimQueue>>>;
}

/// Why the outside CRM gave no usable answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CrmError {
    #[error("the CRM did not answer in time")]
    TimedOut,
    #[error("the CRM could not be reached: {0}")]
    Unreachable(String),
    /// An error status (401/403: the token was refused).
    #[error("the CRM answered {status}")]
    Refused { status: u16 },
    #[error("the CRM's answer could not be read: {0}")]
    Unreadable(String),
}

/// The outside CRM: an HTTP lookup by a caller's number (E.164), or by a text searched.
pub trait Crm: Send + Sync {
    fn look_up<'a>(
        &'a self,
        phone: Option<&'a str>,
        query: &'a str,
    ) -> BoxFuture<'a, Result<crate::desk::rules::crm::Read, CrmError>>;
}
