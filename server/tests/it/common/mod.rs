//! Shared helpers of the HTTP tests: a browser-like client with its own cookie jar, server
//! function calls, typed errors, a snapshot of what the admin functions can change, and an SSE
//! reader that cannot hang.
#![allow(dead_code)]

use app::accounts::Me;
use app::accounts::{TokenSummary, UserSummary};
use app::shell::error::ApiError;
use futures::{Stream, StreamExt};
use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub use app::accounts::rules::roles::Role;
pub use app::accounts::rules::tokens::Scope;
pub use server::testing::TestApp;

pub const SESSION_COOKIE: &str = "switchboard_session";

/// Longest wait for anything a test expects to arrive; only a guard against hanging.
pub const HANG_GUARD: Duration = Duration::from_secs(10);

/// Every admin server function with a well-formed body that would change something (or list
/// something) if the caller were allowed. Ids point at `target` (a user) and `token` (a token).
pub fn admin_calls(target: i64, token: i64) -> Vec<(&'static str, Value)> {
    vec![
        ("/api/admin/users", json!({})),
        (
            "/api/admin/users/create",
            json!({"username": "mallory", "display_name": "Mallory", "roles": ["admin"], "password": "mallory-password-1"}),
        ),
        ("/api/admin/users/roles", json!({"id": target, "roles": ["admin"]})),
        ("/api/admin/users/reset-password", json!({"id": target})),
        ("/api/admin/users/active", json!({"id": target, "active": false})),
        ("/api/admin/tokens", json!({})),
        ("/api/admin/tokens/create", json!({"name": "sneaky", "scopes": ["pbx"]})),
        ("/api/admin/tokens/revoke", json!({"id": token})),
    ]
}

/// A client that behaves like a browser tab: it keeps cookies and does not follow redirects.
pub struct Browser {
    pub client: Client,
    pub jar: Arc<Jar>,
    pub base: String,
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Self::at(&app.url)
    }

    pub fn at(base: &str) -> Browser {
        let jar = Arc::new(Jar::default());
        let client = Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("reqwest client");
        Browser {
            client,
            jar,
            base: base.to_string(),
        }
    }

    /// A new browser on `app` signed in as `username`.
    pub async fn signed_in(app: &TestApp, username: &str, password: &str) -> Browser {
        let b = Browser::new(app);
        b.sign_in(username, password).await;
        b
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Response {
        self.client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("POST json")
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("POST form")
    }

    /// Calls a JSON server function and decodes its answer or its `ApiError`.
    pub async fn call(&self, path: &str, body: Value) -> (StatusCode, Result<Value, ApiError>) {
        decode(self.post_json(path, body).await).await
    }

    /// `/api/login` with the form a browser sends.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        next: Option<&str>,
    ) -> (StatusCode, Result<Value, ApiError>) {
        let mut form = vec![("username", username), ("password", password)];
        if let Some(n) = next {
            form.push(("next", n));
        }
        decode(self.post_form("/api/login", &form).await).await
    }

    /// Signs in and checks it worked.
    pub async fn sign_in(&self, username: &str, password: &str) {
        let (status, body) = self.login(username, password, None).await;
        assert_eq!(status, StatusCode::OK, "sign-in of {username} failed: {body:?}");
        assert_eq!(body, Ok(json!("/")));
    }

    pub async fn logout(&self) -> StatusCode {
        self.post_form("/api/logout", &[]).await.status()
    }

    /// `/api/who-am-i`: the signed-in user of this browser, if any.
    pub async fn who_am_i(&self) -> Option<Me> {
        let res = self.post_form("/api/who-am-i", &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json::<Option<Me>>().await.expect("who-am-i JSON")
    }

    /// The session cookie's value, if the jar holds one.
    pub fn session_cookie(&self) -> Option<String> {
        let url: reqwest::Url = self.base.parse().expect("base URL");
        let header = self.jar.cookies(&url)?;
        header.to_str().ok()?.split(';').map(str::trim).find_map(|kv| {
            kv.strip_prefix(SESSION_COOKIE)
                .and_then(|rest| rest.strip_prefix('='))
                .map(str::to_string)
        })
    }
}

/// A request carrying exactly this session cookie (e.g. one taken before it was replaced).
pub async fn who_am_i_with_cookie(base: &str, cookie: &str) -> Option<Me> {
    let res = Client::new()
        .post(format!("{base}/api/who-am-i"))
        .header("cookie", format!("{SESSION_COOKIE}={cookie}"))
        .send()
        .await
        .expect("POST who-am-i");
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Option<Me>>().await.expect("who-am-i JSON")
}

/// The status and, for a success, the JSON value or, for an error, the `ApiError` it encodes.
pub async fn decode(res: Response) -> (StatusCode, Result<Value, ApiError>) {
    let status = res.status();
    let text = res.text().await.expect("response body");
    if status.is_success() {
        let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("body is not JSON ({e}): {text}"));
        (status, Ok(v))
    } else {
        let e = serde_json::from_str::<ApiError>(&text)
            .unwrap_or_else(|e| panic!("status {status}: body is not an ApiError ({e}): {text}"));
        (status, Err(e))
    }
}

/// Asserts a validation error about `field`.
pub fn assert_invalid(res: &(StatusCode, Result<Value, ApiError>), field: &str) {
    assert_eq!(
        res.0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "expected 422 for {field}: {:?}",
        res.1
    );
    match &res.1 {
        Err(ApiError::Invalid(i)) => assert_eq!(i.field, field, "wrong field in {i:?}"),
        other => panic!("expected Invalid({field}), got {other:?}"),
    }
}

/// Everything the admin functions can change, to check a refused call changed nothing.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub users: Vec<UserSummary>,
    pub tokens: Vec<TokenSummary>,
    pub password_hashes: Vec<(i64, String, i32)>,
}

pub async fn snapshot(db: &sqlx::PgPool) -> Snapshot {
    Snapshot {
        users: app::accounts::store::users::list(db).await.expect("list users"),
        tokens: app::accounts::store::tokens::list(db).await.expect("list tokens"),
        password_hashes: sqlx::query_as("SELECT id, password_hash, session_epoch FROM users ORDER BY id")
            .fetch_all(db)
            .await
            .expect("password hashes"),
    }
}

pub async fn user_id(db: &sqlx::PgPool, username: &str) -> i64 {
    app::accounts::store::users::id_by_username(db, username)
        .await
        .expect("user id")
}

pub async fn token_id(db: &sqlx::PgPool, name: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM api_tokens WHERE name = $1")
        .bind(name)
        .fetch_one(db)
        .await
        .expect("token id")
}

/// A server-sent-event stream being read.
pub struct Sse {
    stream: Pin<Box<dyn Stream<Item = reqwest::Result<Vec<u8>>> + Send>>,
    buf: String,
}

impl Sse {
    /// Opens `/api/events`; the subscription is in place once the response headers arrive.
    pub async fn open(b: &Browser) -> Sse {
        let res = tokio::time::timeout(HANG_GUARD, b.get("/api/events"))
            .await
            .expect("SSE response in time");
        assert_eq!(res.status(), StatusCode::OK, "SSE refused");
        let ct = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(ct.starts_with("text/event-stream"), "content type {ct}");
        Sse {
            stream: Box::pin(res.bytes_stream().map(|c| c.map(|b| b.to_vec()))),
            buf: String::new(),
        }
    }

    /// The next `data:` event as JSON, skipping comments; fails after `HANG_GUARD`.
    pub async fn next_event(&mut self) -> Value {
        tokio::time::timeout(HANG_GUARD, self.read_event())
            .await
            .expect("an SSE event in time")
    }

    /// Reads (and drops) whatever comes until the server ends the stream: true if it ended
    /// within `limit`, false if it was still open then.
    pub async fn ends_within(&mut self, limit: Duration) -> bool {
        tokio::time::timeout(limit, async { while let Some(Ok(_)) = self.stream.next().await {} })
            .await
            .is_ok()
    }

    /// The next `data:` event, or `None` when none came by `deadline`.
    pub async fn event_before(&mut self, deadline: tokio::time::Instant) -> Option<Value> {
        tokio::time::timeout_at(deadline, self.read_event()).await.ok()
    }

    async fn read_event(&mut self) -> Value {
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let data: Vec<&str> = block
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:").map(|d| d.strip_prefix(' ').unwrap_or(d)))
                    .collect();
                if !data.is_empty() {
                    let text = data.join("\n");
                    return serde_json::from_str(&text).unwrap_or_else(|e| panic!("SSE data not JSON ({e}): {text}"));
                }
            }
            match self.stream.next().await {
                Some(Ok(chunk)) => self
                    .buf
                    .push_str(&String::from_utf8_lossy(&chunk).replace("\r\n", "\n")),
                Some(Err(e)) => panic!("SSE stream failed: {e}"),
                None => panic!("SSE stream ended"),
            }
        }
    }
}
/// Calls the server function at `path` until `ok` holds its answer, within `limit`: again after
/// each live event this browser receives, since what changes the answer is announced (the stream
/// is open before the first call, so no change is missed).
pub async fn call_until_live(
    b: &Browser,
    path: &str,
    body: Value,
    limit: Duration,
    ok: impl Fn(&Value) -> bool,
) -> Value {
    let mut live = Sse::open(b).await;
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let (status, answer) = b.call(path, body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{path}: {answer:?}");
        let v = answer.unwrap_or_else(|e| panic!("{path}: {e:?}"));
        if ok(&v) {
            return v;
        }
        assert!(
            live.event_before(deadline).await.is_some(),
            "{path} never got there: {v:#}"
        );
    }
}

pub mod pbx;
pub mod rota;

/// A rota person with an extension, linked to the account `user` (the desk tests' agents).
pub async fn agent_with_extension(app: &TestApp, handle: &str, extension: &str, user: &str) {
    let uid = user_id(&app.db, user).await;
    sqlx::query("INSERT INTO people (handle, full_name, extension, user_id) VALUES ($1, $1, $2, $3)")
        .bind(handle)
        .bind(extension)
        .bind(uid)
        .execute(&app.db)
        .await
        .expect("insert person");
}

/// The PBX's ringing post for `ext` from `phone`; the desk call's id.
pub async fn ring_extension(app: &TestApp, token: &str, ext: &str, phone: &str) -> i64 {
    let res = reqwest::Client::new()
        .post(format!("{}/api/pbx/ringing", app.url))
        .bearer_auth(token)
        .form(&[("ext", ext), ("phone", phone)])
        .send()
        .await
        .expect("ringing POST");
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Value>().await.expect("ringing answer")["call"]
        .as_i64()
        .expect("call id")
}
