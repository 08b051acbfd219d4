//! Ports: the outside world as the app and its workers see it. Adapters live in the `server`
//! crate and are chosen by configuration; every adapter has a simulator.
//!
//! The traits return boxed `Send` futures so that they can be used as `Arc<dyn Trait>`.
use crate::callouts::rules::calls::{ListedCall, ProviderStatus};
use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future (what `async fn` in a `dyn`-compatible trait returns).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

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
