//! A client for the Twilio REST dialect (Twilio, Somleng, `switchboard telsim`): the
//! [`Telephony`] port's adapter.
//!
//! - create: `POST {base}/2010-04-01/Accounts/{sid}/Calls.json` (`To`, `From`, `Url` + `Method`
//!   or `Twiml`, `StatusCallback`, `StatusCallbackMethod=POST`, `StatusCallbackEvent` for
//!   initiated/ringing/answered/completed);
//! - fetch: `GET …/Calls/{CallSid}.json`; hang up: `POST …/Calls/{CallSid}.json` `Status=completed`;
//! - list: `GET …/Calls.json?To=…&From=…&StartTime>=YYYY-MM-DD&PageSize=…`, following
//!   `next_page_uri` (bounded), for calls whose CallSid was never learnt;
//! - Basic auth with the account sid and the auth token;
//! - time-outs, connection failures, 429 (honouring `Retry-After`, bounded) and 5xx are retried
//!   with exponential backoff, then reported as [`TelephonyError::Transient`]; any other 4xx is
//!   [`TelephonyError::Permanent`] with Twilio's error `{code, message, more_info, status}`.
//!
//! A create is retried only after a 429 or a connection that was never made: after a time-out
//! or a 5xx the provider may have accepted it (the dialect has no idempotency key), so the error
//! is returned at once as transient, and the worker treats the call as "unknown" (it looks the
//! call up in the provider's list before erroring or retrying it).
use app::callouts::rules::calls::{ListedCall, ProviderStatus};
use app::ports::{BoxFuture, CallScript, CreateCall, FindCalls, ProviderCall, Telephony, TelephonyError};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;
use std::time::Duration;

/// The API version in every path.
pub const API_VERSION: &str = "2010-04-01";
/// Calls per page asked for when listing calls…
pub const PAGE_SIZE: u32 = 100;
/// …and at most this many pages followed.
pub const MAX_PAGES: u32 = 20;

/// How failed requests are retried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Retries after the first attempt.
    pub retries: u32,
    /// The first wait; doubled after each retry.
    pub initial: Duration,
    /// No wait is longer than this (a `Retry-After` included).
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            retries: 3,
            initial: Duration::from_millis(250),
            max: Duration::from_secs(10),
        }
    }
}

impl Backoff {
    /// The wait before retry number `retry` (0-based): initial × 2^retry, capped.
    pub fn delay(&self, retry: u32) -> Duration {
        self.initial.saturating_mul(1u32 << retry.min(16)).min(self.max)
    }
}

#[derive(Clone)]
pub struct TwilioConfig {
    /// E.g. `https://api.twilio.com` or `http://127.0.0.1:3900` (no trailing path).
    pub base_url: String,
    pub account_sid: String,
    /// Secret: never logged.
    pub auth_token: String,
    /// Time-out of one request.
    pub timeout: Duration,
    pub backoff: Backoff,
}

impl TwilioConfig {
    pub fn new(base_url: &str, account_sid: &str, auth_token: &str) -> TwilioConfig {
        TwilioConfig {
            base_url: base_url.trim_end_matches('/').to_string(),
            account_sid: account_sid.to_string(),
            auth_token: auth_token.to_string(),
            timeout: Duration::from_secs(10),
            backoff: Backoff::default(),
        }
    }
}

impl std::fmt::Debug for TwilioConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioConfig")
            .field("base_url", &self.base_url)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<set>")
            .field("timeout", &self.timeout)
            .field("backoff", &self.backoff)
            .finish()
    }
}

/// The client; cheap to clone (one connection pool).
#[derive(Clone, Debug)]
pub struct TwilioClient {
    http: reqwest::Client,
    cfg: TwilioConfig,
}

impl TwilioClient {
    pub fn new(cfg: TwilioConfig) -> Result<TwilioClient, TelephonyError> {
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(5)))
            .build()
            .map_err(|e| TelephonyError::Transient(format!("HTTP client: {e}")))?;
        Ok(TwilioClient { http, cfg })
    }

    pub fn config(&self) -> &TwilioConfig {
        &self.cfg
    }

    fn calls_url(&self) -> String {
        format!(
            "{}/{API_VERSION}/Accounts/{}/Calls.json",
            self.cfg.base_url, self.cfg.account_sid
        )
    }

    fn call_url(&self, sid: &str) -> String {
        format!(
            "{}/{API_VERSION}/Accounts/{}/Calls/{sid}.json",
            self.cfg.base_url, self.cfg.account_sid
        )
    }

    /// Sends the request `make` builds, retrying what may succeed later; returns the JSON body.
    async fn send(&self, what: &str, make: impl Fn() -> RequestBuilder) -> Result<Value, TelephonyError> {
        self.send_with(what, Repeat::Safe, make).await
    }

    /// [`send`](Self::send); with [`Repeat::OnlyUnsent`], only failures that prove the provider
    /// did nothing (429, no connection) are retried: a time-out or a 5xx may have placed a call.
    async fn send_with(
        &self,
        what: &str,
        repeat: Repeat,
        make: impl Fn() -> RequestBuilder,
    ) -> Result<Value, TelephonyError> {
        let mut retry = 0;
        loop {
            let req = make().basic_auth(&self.cfg.account_sid, Some(&self.cfg.auth_token));
            let (problem, wait) = match req.send().await {
                Ok(res) if res.status().is_success() => {
                    return res
                        .json::<Value>()
                        .await
                        .map_err(|e| TelephonyError::Transient(format!("{what}: unreadable answer: {e}")));
                }
                Ok(res) => {
                    let status = res.status();
                    let retry_after = retry_after(res.headers());
                    let body = res.text().await.unwrap_or_default();
                    let unsent = status == StatusCode::TOO_MANY_REQUESTS;
                    if unsent || status.is_server_error() {
                        if !unsent && repeat == Repeat::OnlyUnsent {
                            return Err(TelephonyError::Transient(format!(
                                "{what}: HTTP {status}: {}",
                                short(&body)
                            )));
                        }
                        let wait =
                            retry_after.map_or_else(|| self.cfg.backoff.delay(retry), |d| d.min(self.cfg.backoff.max));
                        (format!("{what}: HTTP {status}: {}", short(&body)), wait)
                    } else {
                        return Err(permanent(status, &body));
                    }
                }
                Err(e) if repeat == Repeat::OnlyUnsent && !e.is_connect() => {
                    return Err(TelephonyError::Transient(format!("{what}: {e}")));
                }
                Err(e) => (format!("{what}: {e}"), self.cfg.backoff.delay(retry)),
            };
            if retry >= self.cfg.backoff.retries {
                return Err(TelephonyError::Transient(problem));
            }
            tracing::debug!(retry, wait_ms = wait.as_millis() as u64, %problem, "retrying a provider request");
            tokio::time::sleep(wait).await;
            retry += 1;
        }
    }

    pub async fn create(&self, call: &CreateCall) -> Result<ProviderCall, TelephonyError> {
        let mut form: Vec<(&str, &str)> = vec![("To", &call.to), ("From", &call.from)];
        match &call.url_or_twiml {
            CallScript::Url { url, method } => {
                form.push(("Url", url));
                form.push(("Method", method));
            }
            CallScript::Twiml(twiml) => form.push(("Twiml", twiml)),
        }
        if let Some(cb) = &call.status_callback {
            form.push(("StatusCallback", cb));
            form.push(("StatusCallbackMethod", "POST"));
            for event in ["initiated", "ringing", "answered", "completed"] {
                form.push(("StatusCallbackEvent", event));
            }
        }
        let url = self.calls_url();
        // Never repeated once it may have reached the provider: the dialect has no idempotency
        // key, and a second create would ring the person twice. The worker looks the call up.
        let body = self
            .send_with("create call", Repeat::OnlyUnsent, || self.http.post(&url).form(&form))
            .await?;
        provider_call(&body)
    }

    pub async fn fetch(&self, sid: &str) -> Result<ProviderCall, TelephonyError> {
        let url = self.call_url(sid);
        let body = self.send("fetch call", || self.http.get(&url)).await?;
        provider_call(&body)
    }

    /// Every call matching `q` (all pages, at most [`MAX_PAGES`]), created at or after
    /// `q.created_after`: the dialect filters `StartTime>=` by day only.
    pub async fn find(&self, q: &FindCalls) -> Result<Vec<ListedCall>, TelephonyError> {
        let day = q.created_after.date_naive().format("%Y-%m-%d").to_string();
        let page_size = PAGE_SIZE.to_string();
        let mut query: Vec<(&str, &str)> = vec![("To", &q.to), ("StartTime>", &day), ("PageSize", &page_size)];
        if let Some(from) = &q.from {
            query.push(("From", from));
        }
        let first = reqwest::Url::parse_with_params(&self.calls_url(), &query)
            .map_err(|e| TelephonyError::Transient(format!("list calls: {e}")))?;
        let mut url = first.to_string();
        let mut found = Vec::new();
        for _ in 0..MAX_PAGES {
            let body = self.send("list calls", || self.http.get(&url)).await?;
            let page = listed_page(&body)?;
            found.extend(page.calls.into_iter().filter(|c| created_since(c, q.created_after)));
            match page.next_page_uri {
                Some(next) => url = format!("{}{next}", self.cfg.base_url),
                None => return Ok(found),
            }
        }
        tracing::warn!(to = %q.to, pages = MAX_PAGES, "listing calls: more pages than followed");
        Ok(found)
    }

    pub async fn end(&self, sid: &str) -> Result<ProviderCall, TelephonyError> {
        let url = self.call_url(sid);
        let body = self
            .send("hang up", || self.http.post(&url).form(&[("Status", "completed")]))
            .await?;
        provider_call(&body)
    }
}

impl Telephony for TwilioClient {
    fn create_call(&self, call: CreateCall) -> BoxFuture<'_, Result<ProviderCall, TelephonyError>> {
        Box::pin(async move { self.create(&call).await })
    }

    fn fetch_call<'a>(&'a self, sid: &'a str) -> BoxFuture<'a, Result<ProviderCall, TelephonyError>> {
        Box::pin(self.fetch(sid))
    }

    fn hang_up<'a>(&'a self, sid: &'a str) -> BoxFuture<'a, Result<ProviderCall, TelephonyError>> {
        Box::pin(self.end(sid))
    }

    fn find_calls<'a>(&'a self, query: &'a FindCalls) -> BoxFuture<'a, Result<Vec<ListedCall>, TelephonyError>> {
        Box::pin(self.find(query))
    }
}

/// One page of the list of calls.
struct ListedPage {
    calls: Vec<ListedCall>,
    /// The next page's path (with its query), if there is one.
    next_page_uri: Option<String>,
}

/// Created at or after `t`, or of unknown age (`date_created` has whole seconds: compared with
/// the second before `t`).
fn created_since(c: &ListedCall, t: chrono::DateTime<chrono::Utc>) -> bool {
    c.created_at.is_none_or(|at| at >= t - chrono::TimeDelta::seconds(1))
}

/// A page of `GET …/Calls.json`: `{calls: [call resource…], next_page_uri, page, page_size, …}`.
fn listed_page(body: &Value) -> Result<ListedPage, TelephonyError> {
    let items = body
        .get("calls")
        .and_then(Value::as_array)
        .ok_or_else(|| TelephonyError::Transient("list calls: an answer without `calls`".into()))?;
    let mut calls = Vec::with_capacity(items.len());
    for item in items {
        let pc = provider_call(item)?;
        let text = |k: &str| item.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        calls.push(ListedCall {
            sid: pc.sid,
            to: text("to"),
            from: text("from"),
            status: pc.status,
            duration_secs: pc.duration_secs,
            created_at: item
                .get("date_created")
                .and_then(Value::as_str)
                .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok())
                .map(|d| d.with_timezone(&chrono::Utc)),
        });
    }
    let next_page_uri = body
        .get("next_page_uri")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .map(str::to_string);
    Ok(ListedPage { calls, next_page_uri })
}

/// Which failed requests may be sent again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Repeat {
    /// Reads and hang-ups: any transient failure.
    Safe,
    /// Creates: only when the provider surely did nothing (429, connection not made).
    OnlyUnsent,
}

/// `Retry-After` in seconds or as an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    (at.with_timezone(&chrono::Utc) - chrono::Utc::now()).to_std().ok()
}

fn short(body: &str) -> String {
    let b = body.trim();
    match b.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &b[..i]),
        None => b.to_string(),
    }
}

/// A 4xx answer: Twilio's JSON error if it is one, else the body's text.
fn permanent(status: StatusCode, body: &str) -> TelephonyError {
    let json: Option<Value> = serde_json::from_str(body).ok();
    let code = json.as_ref().and_then(|v| v.get("code")).and_then(Value::as_i64);
    let message = json
        .as_ref()
        .and_then(|v| v.get("message"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| {
            let s = short(body);
            if s.is_empty() {
                status.canonical_reason().unwrap_or("refused").to_string()
            } else {
                s
            }
        });
    TelephonyError::Permanent {
        status: status.as_u16(),
        code,
        message,
    }
}

/// A call resource: `sid`, `status` and `duration` (a string of seconds in Twilio's JSON).
fn provider_call(body: &Value) -> Result<ProviderCall, TelephonyError> {
    let sid = body
        .get("sid")
        .and_then(Value::as_str)
        .ok_or_else(|| TelephonyError::Transient("call resource without a sid".into()))?;
    let raw = body.get("status").and_then(Value::as_str).unwrap_or_default();
    let status = ProviderStatus::parse(raw)
        .ok_or_else(|| TelephonyError::Transient(format!("call {sid}: unknown status '{raw}'")))?;
    let duration_secs = match body.get("duration") {
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(Value::Number(n)) => n.as_u64().map(|n| n as u32),
        _ => None,
    };
    Ok(ProviderCall {
        sid: sid.to_string(),
        status,
        duration_secs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let b = Backoff {
            retries: 5,
            initial: Duration::from_millis(100),
            max: Duration::from_millis(500),
        };
        let d: Vec<_> = (0..5).map(|i| b.delay(i).as_millis()).collect();
        assert_eq!(d, vec![100, 200, 400, 500, 500]);
        assert_eq!(b.delay(60), Duration::from_millis(500));
    }

    #[test]
    fn twilio_errors_become_permanent_errors() {
        let body = r#"{"code": 21211, "message": "Invalid 'To' Phone Number", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}"#;
        assert_eq!(
            permanent(StatusCode::BAD_REQUEST, body),
            TelephonyError::Permanent {
                status: 400,
                code: Some(21211),
                message: "Invalid 'To' Phone Number".into()
            }
        );
        assert_eq!(
            permanent(StatusCode::NOT_FOUND, ""),
            TelephonyError::Permanent {
                status: 404,
                code: None,
                message: "Not Found".into()
            }
        );
    }

    #[test]
    fn call_resources_are_read() {
        let c = provider_call(&json!({"sid": "CA1", "status": "completed", "duration": "17"})).unwrap();
        assert_eq!(
            (c.sid.as_str(), c.status, c.duration_secs),
            ("CA1", ProviderStatus::Completed, Some(17))
        );
        let c = provider_call(&json!({"sid": "CA2", "status": "queued", "duration": null})).unwrap();
        assert_eq!(c.duration_secs, None);
        assert!(provider_call(&json!({"status": "queued"})).is_err());
        assert!(provider_call(&json!({"sid": "CA3", "status": "exploded"})).is_err());
    }

    #[test]
    fn list_pages_are_read() {
        let page = listed_page(&json!({
            "calls": [
                {"sid": "CA1", "status": "ringing", "to": "+34600000001", "from": "+34930000000",
                 "date_created": "Thu, 03 Dec 2026 06:00:00 +0000", "duration": null},
                {"sid": "CA2", "status": "completed", "to": "+34600000001", "from": "+34930000000",
                 "date_created": "Thu, 03 Dec 2026 05:00:00 +0000", "duration": "12"}
            ],
            "next_page_uri": "/2010-04-01/Accounts/AC1/Calls.json?To=%2B34600000001&Page=1&PageSize=2",
            "page": 0, "page_size": 2
        }))
        .unwrap();
        assert_eq!(page.calls.len(), 2);
        assert_eq!(page.calls[1].duration_secs, Some(12));
        assert_eq!(page.calls[0].from, "+34930000000");
        assert_eq!(
            page.calls[0].created_at.unwrap().to_rfc3339(),
            "2026-12-03T06:00:00+00:00"
        );
        assert!(page.next_page_uri.unwrap().ends_with("PageSize=2"));
        let last = listed_page(&json!({"calls": [], "next_page_uri": null})).unwrap();
        assert!(last.calls.is_empty() && last.next_page_uri.is_none());
        assert!(listed_page(&json!({"nope": 1})).is_err());
    }

    #[test]
    fn retry_after_in_seconds_or_a_date() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        let later = (chrono::Utc::now() + chrono::TimeDelta::seconds(120)).to_rfc2822();
        h.insert("retry-after", later.parse().unwrap());
        let d = retry_after(&h).unwrap();
        assert!(d > Duration::from_secs(100) && d <= Duration::from_secs(120), "{d:?}");
    }
}
