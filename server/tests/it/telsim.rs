//! The telephony layer end to end over real HTTP, both ways: the Twilio-dialect client places
//! calls on `telsim`, which posts signed status callbacks to a small receiver here. No database.
use app::callouts::rules::calls::{CallStatus, Outcome, ProviderStatus, apply_provider_status};
use app::ports::{CallScript, CreateCall, ProviderCall, Telephony, TelephonyError};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::{any, post};
use axum::{Form, Json, Router};
use serde_json::{Value, json};
use server::telephony::signature;
use server::telephony::telsim::{self, Fate, Telsim, TelsimConfig};
use server::telephony::twilio::{Backoff, TwilioClient, TwilioConfig};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "test-auth-token";
/// Longest wait for anything a test expects to arrive; only a guard against hanging.
const HANG_GUARD: Duration = Duration::from_secs(15);

/// A request that reached the receiver: its parameters and whether its signature was valid.
#[derive(Debug, Clone)]
struct Received {
    params: HashMap<String, String>,
    pairs: Vec<(String, String)>,
    url: String,
    signature: String,
    valid: bool,
}

impl Received {
    fn get(&self, k: &str) -> &str {
        self.params.get(k).map(String::as_str).unwrap_or_default()
    }
}

#[derive(Clone)]
struct Sink {
    base: String,
    callbacks: mpsc::UnboundedSender<Received>,
    scripts: mpsc::UnboundedSender<Received>,
}

/// The receiving side (what Switchboard will be): `/cb` for status callbacks, `/twiml` for the
/// call script. Both check `X-Twilio-Signature` with the token.
struct Receiver {
    base: String,
    callbacks: mpsc::UnboundedReceiver<Received>,
    scripts: mpsc::UnboundedReceiver<Received>,
    by_sid: HashMap<String, Vec<Received>>,
}

fn signature_of(headers: &HeaderMap) -> String {
    headers
        .get(signature::HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn received(url: String, headers: &HeaderMap, pairs: Vec<(String, String)>) -> Received {
    let sig = signature_of(headers);
    let valid = signature::verify(TOKEN, &url, &pairs, &sig);
    Received {
        params: pairs.iter().cloned().collect(),
        pairs,
        url,
        signature: sig,
        valid,
    }
}

async fn on_callback(
    State(sink): State<Sink>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> StatusCode {
    let r = received(format!("{}/cb", sink.base), &headers, pairs);
    let valid = r.valid;
    let _ = sink.callbacks.send(r);
    if valid {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::FORBIDDEN
    }
}

async fn on_script(State(sink): State<Sink>, uri: Uri, headers: HeaderMap, body: String) -> impl IntoResponse {
    let pairs: Vec<(String, String)> = url_pairs(&body);
    let r = received(format!("{}{}", sink.base, uri), &headers, pairs);
    let _ = sink.scripts.send(r);
    (
        [("content-type", "text/xml")],
        "<Response><Say>Hello from the test</Say></Response>",
    )
}

fn url_pairs(body: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://x/?{body}"))
        .map(|u| u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
        .unwrap_or_default()
}

impl Receiver {
    async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (ctx, callbacks) = mpsc::unbounded_channel();
        let (stx, scripts) = mpsc::unbounded_channel();
        let sink = Sink {
            base: base.clone(),
            callbacks: ctx,
            scripts: stx,
        };
        let app = Router::new()
            .route("/cb", post(on_callback))
            .route("/twiml", any(on_script))
            .with_state(sink);
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver {
            base,
            callbacks,
            scripts,
            by_sid: HashMap::new(),
        }
    }

    fn callback_url(&self) -> String {
        format!("{}/cb", self.base)
    }

    async fn next(&mut self) -> Received {
        tokio::time::timeout(HANG_GUARD, self.callbacks.recv())
            .await
            .expect("a callback in time")
            .expect("receiver open")
    }

    /// Every callback of `sid` up to and including its final status.
    async fn until_final(&mut self, sid: &str) -> Vec<Received> {
        loop {
            if let Some(list) = self.by_sid.get(sid)
                && list
                    .last()
                    .is_some_and(|r| ProviderStatus::parse(r.get("CallStatus")).unwrap().is_final())
            {
                return list.clone();
            }
            let r = self.next().await;
            self.by_sid.entry(r.get("CallSid").to_string()).or_default().push(r);
        }
    }

    /// Waits until `sid` has reported `status`.
    async fn until_status(&mut self, sid: &str, status: &str) -> Vec<Received> {
        loop {
            if let Some(list) = self.by_sid.get(sid)
                && list.iter().any(|r| r.get("CallStatus") == status)
            {
                return list.clone();
            }
            let r = self.next().await;
            self.by_sid.entry(r.get("CallSid").to_string()).or_default().push(r);
        }
    }

    async fn next_script(&mut self) -> Received {
        tokio::time::timeout(HANG_GUARD, self.scripts.recv())
            .await
            .expect("the Url fetched in time")
            .expect("receiver open")
    }
}

async fn start_telsim(f: impl FnOnce(&mut TelsimConfig)) -> Telsim {
    let mut cfg = TelsimConfig::new(SID, TOKEN);
    cfg.speed = 100.0;
    f(&mut cfg);
    telsim::spawn(cfg).await.expect("telsim starts").1
}

fn fast_backoff() -> Backoff {
    Backoff {
        retries: 3,
        initial: Duration::from_millis(10),
        max: Duration::from_millis(100),
    }
}

fn client_for(base: &str, sid: &str, token: &str) -> Arc<dyn Telephony> {
    let mut cfg = TwilioConfig::new(base, sid, token);
    cfg.timeout = Duration::from_secs(5);
    cfg.backoff = fast_backoff();
    Arc::new(TwilioClient::new(cfg).expect("client"))
}

fn call_to(to: &str, rx: &Receiver) -> CreateCall {
    CreateCall {
        to: to.to_string(),
        from: "+34900000000".into(),
        url_or_twiml: CallScript::Url {
            url: format!("{}/twiml?callout=7", rx.base),
            method: "GET".into(),
        },
        status_callback: Some(rx.callback_url()),
    }
}

fn statuses(list: &[Received]) -> Vec<&str> {
    list.iter().map(|r| r.get("CallStatus")).collect()
}

/// Folds the callbacks through the domain rule, as the callback handler will.
fn final_call_status(list: &[Received]) -> CallStatus {
    list.iter().fold(CallStatus::RemotelyQueued, |s, r| {
        match apply_provider_status(s, ProviderStatus::parse(r.get("CallStatus")).unwrap()) {
            Outcome::Transition(next) => next,
            Outcome::NoChange => s,
        }
    })
}

async fn listing(telsim: &Telsim) -> Vec<Value> {
    let res = reqwest::Client::new()
        .get(format!("{}/telsim/calls", telsim.url()))
        .basic_auth(SID, Some(TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Vec<Value>>().await.unwrap()
}

#[tokio::test]
async fn an_answered_call_goes_queued_ringing_in_progress_completed() {
    let telsim = start_telsim(|_| {}).await;
    let mut rx = Receiver::start().await;
    let client = client_for(&telsim.url(), SID, TOKEN);
    let to = "+34612345670";
    let Fate::Answered { talk, .. } = telsim::fate(to) else {
        panic!("0 is answered")
    };

    let created = client.create_call(call_to(to, &rx)).await.expect("call created");
    assert!(
        created.sid.starts_with("CA") && created.sid.len() == 34,
        "{}",
        created.sid
    );
    assert_eq!(created.status, ProviderStatus::Queued);

    let got = rx.until_final(&created.sid).await;
    assert_eq!(statuses(&got), ["queued", "ringing", "in-progress", "completed"]);
    for (i, r) in got.iter().enumerate() {
        assert!(r.valid, "callback {i} signature");
        assert_eq!(r.get("SequenceNumber"), i.to_string());
        assert_eq!(r.get("AccountSid"), SID);
        assert_eq!(r.get("To"), to);
        assert_eq!(r.get("From"), "+34900000000");
        assert_eq!(r.get("Direction"), "outbound-api");
        assert_eq!(r.get("ApiVersion"), "2010-04-01");
        assert!(!r.get("Timestamp").is_empty());
    }
    assert_eq!(got[3].get("CallDuration"), talk.to_string());
    assert_eq!(final_call_status(&got), CallStatus::Completed);

    // The call's Url was fetched with its method (GET: the parameters in the query string,
    // after the URL's own), signed over the full URL.
    let script = rx.next_script().await;
    assert!(script.valid, "script fetch signature: {script:?}");
    assert!(
        script.url.starts_with(&format!("{}/twiml?callout=7&", rx.base)),
        "{}",
        script.url
    );
    let query: HashMap<String, String> = url_pairs(script.url.split_once('?').unwrap().1).into_iter().collect();
    assert_eq!(query["CallSid"], created.sid);
    assert_eq!(query["CallStatus"], "in-progress");
    assert!(script.pairs.is_empty());

    let fetched = client.fetch_call(&created.sid).await.expect("fetch");
    assert_eq!(
        fetched,
        ProviderCall {
            sid: created.sid.clone(),
            status: ProviderStatus::Completed,
            duration_secs: Some(talk),
        }
    );
}

#[tokio::test]
async fn busy_no_answer_and_failed() {
    let telsim = start_telsim(|_| {}).await;
    let mut rx = Receiver::start().await;
    let client = client_for(&telsim.url(), SID, TOKEN);
    let mut sids = Vec::new();
    for to in ["+34612345675", "+34612345676", "+34612345677"] {
        let mut call = call_to(to, &rx);
        call.url_or_twiml = CallScript::Twiml("<Response><Say>Hi</Say></Response>".into());
        sids.push(client.create_call(call).await.expect("created").sid);
    }
    let busy = rx.until_final(&sids[0]).await;
    let no_answer = rx.until_final(&sids[1]).await;
    let failed = rx.until_final(&sids[2]).await;
    assert_eq!(statuses(&busy), ["queued", "busy"]);
    assert_eq!(statuses(&no_answer), ["queued", "ringing", "no-answer"]);
    assert_eq!(statuses(&failed), ["queued", "failed"]);
    for r in busy.iter().chain(&no_answer).chain(&failed) {
        assert!(r.valid);
    }
    assert_eq!(busy[1].get("CallDuration"), "0");
    assert_eq!(final_call_status(&busy), CallStatus::Busy);
    assert_eq!(final_call_status(&no_answer), CallStatus::NotAnswered);
    assert_eq!(final_call_status(&failed), CallStatus::Failed);
    // Twiml: nothing to fetch.
    assert!(rx.scripts.try_recv().is_err());
}

#[tokio::test]
async fn refused_numbers_bad_requests_and_bad_credentials() {
    let telsim = start_telsim(|_| {}).await;
    let rx = Receiver::start().await;
    let client = client_for(&telsim.url(), SID, TOKEN);

    // Fate 9: refused at create, permanently.
    match client.create_call(call_to("+34612345679", &rx)).await {
        Err(TelephonyError::Permanent {
            status: 400,
            code: Some(21215),
            message,
        }) => {
            assert!(message.contains("+34612345679"), "{message}")
        }
        other => panic!("expected a 21215 refusal, got {other:?}"),
    }
    // Not E.164.
    match client.create_call(call_to("612 345 670", &rx)).await {
        Err(TelephonyError::Permanent { status: 400, code, .. }) => assert_eq!(code, Some(21211)),
        other => panic!("expected 21211, got {other:?}"),
    }
    // Missing fields (a raw request: the client always sends them).
    let raw = reqwest::Client::new();
    let calls_url = format!("{}/2010-04-01/Accounts/{SID}/Calls.json", telsim.url());
    for (form, code) in [
        (vec![("From", "+34900000000"), ("Url", "http://x/")], 21201),
        (vec![("To", "+34612345670"), ("Url", "http://x/")], 21213),
        (vec![("To", "+34612345670"), ("From", "+34900000000")], 21205),
    ] {
        let res = raw
            .post(&calls_url)
            .basic_auth(SID, Some(TOKEN))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["code"], code, "{body}");
        assert_eq!(body["status"], 400);
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }

    // Wrong token, wrong account: 401, never retried, permanent.
    for (sid, token) in [(SID, "wrong-token"), ("AC_other", TOKEN)] {
        match client_for(&telsim.url(), sid, token)
            .create_call(call_to("+34612345670", &rx))
            .await
        {
            Err(TelephonyError::Permanent { status: 401, code, .. }) => assert_eq!(code, Some(20003)),
            other => panic!("expected 401, got {other:?}"),
        }
    }
    let res = raw.get(format!("{}/telsim/calls", telsim.url())).send().await.unwrap();
    assert_eq!(res.status(), 401);
    // Nothing refused was placed.
    assert!(listing(&telsim).await.is_empty());
    // Unknown call.
    match client.fetch_call("CA00000000000000000000000000000000").await {
        Err(TelephonyError::Permanent { status: 404, .. }) => {}
        other => panic!("expected 404, got {other:?}"),
    }
}

#[tokio::test]
async fn fetch_and_hang_up() {
    // Slow enough that the test acts while a call rings or talks (no-answer after 10 s, talk
    // at least 2.5 s); the test itself never sleeps.
    let telsim = start_telsim(|c| c.speed = 2.0).await;
    let mut rx = Receiver::start().await;
    let client = client_for(&telsim.url(), SID, TOKEN);

    // Ringing → canceled.
    let ringing = client.create_call(call_to("+34612345676", &rx)).await.unwrap();
    rx.until_status(&ringing.sid, "ringing").await;
    let fetched = client.fetch_call(&ringing.sid).await.unwrap();
    assert_eq!(fetched.status, ProviderStatus::Ringing);
    let ended = client.hang_up(&ringing.sid).await.unwrap();
    assert_eq!(ended.status, ProviderStatus::Canceled);
    let got = rx.until_final(&ringing.sid).await;
    assert_eq!(statuses(&got), ["queued", "ringing", "canceled"]);
    assert_eq!(final_call_status(&got), CallStatus::Canceled);

    // In progress → completed, with the time talked so far.
    let talking = client.create_call(call_to("+34612345671", &rx)).await.unwrap();
    rx.until_status(&talking.sid, "in-progress").await;
    let ended = client.hang_up(&talking.sid).await.unwrap();
    assert_eq!(ended.status, ProviderStatus::Completed);
    assert!(ended.duration_secs.is_some_and(|d| d <= 2), "{ended:?}");
    let got = rx.until_final(&talking.sid).await;
    assert_eq!(statuses(&got), ["queued", "ringing", "in-progress", "completed"]);

    // Hanging up a call that is over changes nothing.
    let again = client.hang_up(&ringing.sid).await.unwrap();
    assert_eq!(again.status, ProviderStatus::Canceled);
    let listed = listing(&telsim).await;
    let events = |sid: &str| {
        listed.iter().find(|c| c["sid"] == sid).unwrap()["events"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(events(&ringing.sid), 3);
    assert_eq!(events(&talking.sid), 4);
}

#[tokio::test]
async fn signatures_are_checked() {
    let telsim = start_telsim(|_| {}).await;
    let mut rx = Receiver::start().await;
    let client = client_for(&telsim.url(), SID, TOKEN);
    let created = client.create_call(call_to("+34612345675", &rx)).await.unwrap();
    let got = rx.until_final(&created.sid).await;
    let r = &got[1];
    assert!(r.valid);
    assert!(signature::verify(TOKEN, &r.url, &r.pairs, &r.signature));
    // Any change to the body, the URL or the token breaks it.
    let mut tampered = r.pairs.clone();
    tampered.iter_mut().find(|(k, _)| k == "CallStatus").unwrap().1 = "completed".into();
    assert!(!signature::verify(TOKEN, &r.url, &tampered, &r.signature));
    assert!(!signature::verify(
        TOKEN,
        &format!("{}?x=1", r.url),
        &r.pairs,
        &r.signature
    ));
    assert!(!signature::verify("another-token", &r.url, &r.pairs, &r.signature));
    let mut extra = r.pairs.clone();
    extra.push(("CallDuration".into(), "99".into()));
    assert!(!signature::verify(TOKEN, &r.url, &extra, &r.signature));

    // A forged callback posted to the receiver is flagged (and answered 403).
    let res = reqwest::Client::new()
        .post(rx.callback_url())
        .header(signature::HEADER, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
        .form(&tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(!rx.next().await.valid);
}

#[tokio::test]
async fn concurrency_limit_delays_calls_instead_of_refusing_them() {
    let telsim = start_telsim(|c| c.max_concurrent = Some(1)).await;
    let mut rx = Receiver::start().await;
    let client = client_for(&telsim.url(), SID, TOKEN);
    let mut sids = Vec::new();
    for to in ["+34612345670", "+34612345671", "+34612345672"] {
        let mut call = call_to(to, &rx);
        call.url_or_twiml = CallScript::Url {
            url: format!("{}/twiml", rx.base),
            method: "POST".into(),
        };
        let c = client.create_call(call).await.expect("accepted, not refused");
        assert_eq!(c.status, ProviderStatus::Queued);
        sids.push(c.sid);
    }
    for sid in &sids {
        let got = rx.until_final(sid).await;
        assert_eq!(final_call_status(&got), CallStatus::Completed);
    }
    // Each answered call's Url was fetched with POST, the parameters in the signed body.
    let mut fetched = Vec::new();
    for _ in &sids {
        let script = rx.next_script().await;
        assert!(script.valid, "{script:?}");
        assert_eq!(script.url, format!("{}/twiml", rx.base));
        assert_eq!(script.get("CallStatus"), "in-progress");
        fetched.push(script.get("CallSid").to_string());
    }
    fetched.sort();
    let mut expected = sids.clone();
    expected.sort();
    assert_eq!(fetched, expected);
    // One line: each call rang only after the one before it had ended.
    let listed = listing(&telsim).await;
    let times = |c: &Value, status: &str| -> chrono::DateTime<chrono::Utc> {
        let e = c["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["status"] == status)
            .unwrap();
        e["at"].as_str().unwrap().parse().unwrap()
    };
    let mut spans: Vec<_> = listed
        .iter()
        .map(|c| (times(c, "ringing"), times(c, "completed")))
        .collect();
    spans.sort();
    for w in spans.windows(2) {
        assert!(w[1].0 >= w[0].1, "overlapping calls: {spans:?}");
    }
}

#[tokio::test]
async fn calls_per_second_limit_spaces_calls_out() {
    // 2 calls per simulated second at ×4: one call every 125 ms of real time, while the four
    // calls are created within a few milliseconds (they wait, queued).
    let telsim = start_telsim(|c| {
        c.speed = 4.0;
        c.cps = Some(2);
    })
    .await;
    let mut rx = Receiver::start().await;
    let client = client_for(&telsim.url(), SID, TOKEN);
    let mut sids = Vec::new();
    for i in 0..4 {
        let c = client
            .create_call(call_to(&format!("+3461234500{i}6"), &rx))
            .await
            .expect("accepted");
        assert_eq!(c.status, ProviderStatus::Queued);
        sids.push(c.sid);
    }
    for sid in &sids {
        let got = rx.until_status(sid, "ringing").await;
        assert!(got.iter().all(|r| r.valid));
    }
    // Each call left the queue at its own slot, 1/cps (simulated) apart, and rang no earlier.
    let at = |v: &Value| v.as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    let mut slots = Vec::new();
    for c in listing(&telsim).await {
        let ringing = c["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["status"] == "ringing")
            .unwrap();
        let (slot, rang) = (at(&c["dialled_at"]), at(&ringing["at"]));
        assert!(
            rang >= slot - chrono::TimeDelta::milliseconds(2),
            "rang {rang} before its slot {slot}"
        );
        slots.push(slot);
    }
    slots.sort();
    for w in slots.windows(2) {
        let gap = (w[1] - w[0]).num_milliseconds();
        assert!(gap >= 120, "calls dialled {gap} ms apart: {slots:?}");
    }
}

#[tokio::test]
async fn failed_callback_deliveries_are_retried_in_order() {
    // A receiver that answers 503 to its first two requests (as Switchboard may for a CallSid
    // it has not stored yet), then 204.
    let (tx, mut got) = mpsc::unbounded_channel::<(u16, Vec<(String, String)>)>();
    let hits = Arc::new(AtomicUsize::new(0));
    let app = Router::new().route(
        "/cb",
        post(move |Form(pairs): Form<Vec<(String, String)>>| {
            let (tx, hits) = (tx.clone(), hits.clone());
            async move {
                let status = if hits.fetch_add(1, Ordering::SeqCst) < 2 {
                    503
                } else {
                    204
                };
                let _ = tx.send((status, pairs));
                StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let cb = format!("http://{}/cb", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let telsim = start_telsim(|_| {}).await;
    let client = client_for(&telsim.url(), SID, TOKEN);
    let created = client
        .create_call(CreateCall {
            status_callback: Some(cb),
            ..plain_call_to("+34612345675")
        })
        .await
        .unwrap();
    let mut seen = Vec::new();
    loop {
        let (status, pairs) = tokio::time::timeout(HANG_GUARD, got.recv())
            .await
            .expect("in time")
            .unwrap();
        let p: HashMap<_, _> = pairs.into_iter().collect();
        assert_eq!(p["CallSid"], created.sid);
        seen.push((status, p["CallStatus"].clone(), p["SequenceNumber"].clone()));
        if status == 204 && p["CallStatus"] == "busy" {
            break;
        }
    }
    let s = |a: u16, b: &str, c: &str| (a, b.to_string(), c.to_string());
    assert_eq!(
        seen,
        vec![
            s(503, "queued", "0"),
            s(503, "queued", "0"),
            s(204, "queued", "0"),
            s(204, "busy", "1")
        ]
    );
}

/// A provider stub that fails `failures` times with `status` (and `Retry-After: 0` on 429), then
/// answers a call resource; it counts the requests.
async fn flaky_provider(status: u16, failures: usize) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = Router::new().route(
        "/2010-04-01/Accounts/{account}/Calls.json",
        post(move |headers: HeaderMap| {
            let counter = counter.clone();
            async move {
                assert!(headers.get("authorization").is_some(), "Basic auth sent");
                let n = counter.fetch_add(1, Ordering::SeqCst);
                if n < failures {
                    let code = StatusCode::from_u16(status).unwrap();
                    let mut res = (
                        code,
                        Json(json!({"code": 20500, "message": "try later", "status": status})),
                    )
                        .into_response();
                    if status == 429 {
                        res.headers_mut().insert("retry-after", "0".parse().unwrap());
                    }
                    res
                } else {
                    (
                        StatusCode::CREATED,
                        Json(json!({"sid": "CAflaky", "status": "queued", "duration": null})),
                    )
                        .into_response()
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), hits)
}

fn plain_call() -> CreateCall {
    plain_call_to("+34612345670")
}

fn plain_call_to(to: &str) -> CreateCall {
    CreateCall {
        to: to.into(),
        from: "+34900000000".into(),
        url_or_twiml: CallScript::Twiml("<Response/>".into()),
        status_callback: None,
    }
}

#[tokio::test]
async fn the_client_retries_a_create_only_when_the_provider_surely_did_nothing() {
    // 503: the provider may have placed the call; never sent again (the worker looks it up).
    let (base, hits) = flaky_provider(503, 1).await;
    match client_for(&base, SID, TOKEN).create_call(plain_call()).await {
        Err(TelephonyError::Transient(msg)) => assert!(msg.contains("503"), "{msg}"),
        other => panic!("expected a transient error, got {other:?}"),
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // 429 twice (Retry-After: 0), then success.
    let (base, hits) = flaky_provider(429, 2).await;
    assert!(client_for(&base, SID, TOKEN).create_call(plain_call()).await.is_ok());
    assert_eq!(hits.load(Ordering::SeqCst), 3);

    // Always 500: transient at once.
    let (base, hits) = flaky_provider(500, usize::MAX).await;
    match client_for(&base, SID, TOKEN).create_call(plain_call()).await {
        Err(TelephonyError::Transient(msg)) => assert!(msg.contains("500"), "{msg}"),
        other => panic!("expected a transient error, got {other:?}"),
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // 400: permanent at once.
    let (base, hits) = flaky_provider(400, usize::MAX).await;
    match client_for(&base, SID, TOKEN).create_call(plain_call()).await {
        Err(e @ TelephonyError::Permanent { status: 400, .. }) => assert!(e.is_permanent()),
        other => panic!("expected a permanent error, got {other:?}"),
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // Nobody listening: transient (connection refused, retried).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    assert!(matches!(
        client_for(&dead, SID, TOKEN).create_call(plain_call()).await,
        Err(TelephonyError::Transient(_))
    ));
}
