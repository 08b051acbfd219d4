//! The HTTP application: Leptos pages and server functions, machine routes, live events,
//! operations routes, and the layers around them (sessions, user, metrics, request log).
use crate::state::AppState;
use crate::{exports, live, ops};
use app::accounts::Me;
use app::shell::error::ApiError;
use app::shell::rules::access::{PageAccess, page_access};
use app::{App, shell};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, file_and_error_handler, generate_route_list};
use tower::ServiceExt;
use tower_http::LatencyUnit;
use tower_http::compression::Compression;
use tower_http::services::ServeDir;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_sessions::cookie::{Key, SameSite};
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;
use tracing::Level;

pub struct SessionSettings {
    pub key: Vec<u8>,
    pub secure: bool,
    pub idle_minutes: i64,
    /// Overrides `idle_minutes` (tests use a few seconds).
    pub idle_seconds: Option<i64>,
}

impl SessionSettings {
    /// How long a session lives without being used.
    pub fn idle(&self) -> time::Duration {
        self.idle_seconds
            .map_or(time::Duration::minutes(self.idle_minutes), time::Duration::seconds)
    }

    /// How often a session in use has its idle expiry extended: once a minute (a third of the
    /// idle time when that is shorter), so page views in between write nothing.
    pub fn extend_every(&self) -> std::time::Duration {
        let third = (self.idle().whole_seconds() / 3).max(1) as u64;
        std::time::Duration::from_secs(third.min(60))
    }
}

pub fn router(state: AppState, sessions: &SessionSettings, store: PostgresStore) -> Router {
    let routes = generate_route_list(App);
    let services = state.services.clone();
    let context = move || provide_context(services.clone());
    let pages = Router::new()
        .leptos_routes_with_context(&state, routes, context, {
            let options = state.leptos.clone();
            move || shell(options.clone())
        })
        .layer(middleware::from_fn(page_guard))
        .layer(middleware::from_fn(undecodable_arguments_are_422));
    let machine = Router::new()
        .route("/api/events", get(live::events))
        .route("/api/v1/whoami", get(ops::whoami))
        .route(
            crate::telephony::provider::STATUS_PATH,
            axum::routing::post(crate::telephony::callbacks::status),
        )
        .merge(crate::rest::router())
        .route("/api/rota/people.csv", get(exports::people))
        .route("/api/rota/holidays.ics", get(exports::holidays))
        .route("/calendar/{file}", get(crate::calendar::feed))
        .route(
            crate::desk::RINGING_PATH,
            get(crate::desk::ringing).post(crate::desk::ringing),
        )
        .route(
            crate::desk::TOMATIC_RINGRING_PATH,
            get(crate::desk::ringring).post(crate::desk::ringring),
        )
        .route(crate::desk::LOG_CSV_PATH, get(crate::desk::log_csv))
        .route(crate::queue_stats::STATS_CSV_PATH, get(crate::queue_stats::stats_csv))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics));

    let session_layer = SessionManagerLayer::new(store)
        .with_name("switchboard_session")
        .with_secure(sessions.secure)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(sessions.idle()))
        .with_signed(Key::from(&sessions.key));

    let files = SiteFiles::new(&state.leptos.site_root, &state.leptos.site_pkg_dir);
    Router::new()
        .merge(pages)
        .merge(machine)
        .fallback(move |st: State<AppState>, req: Request| site_file(files.clone(), st, req))
        .layer(middleware::from_fn(crate::input::refuse_nul))
        .layer(middleware::from_fn(refuse_cross_site))
        .layer(middleware::from_fn_with_state(
            (state.clone(), sessions.extend_every()),
            resolve_user,
        ))
        .layer(session_layer)
        .layer(middleware::from_fn(ops::track))
        .layer(
            TraceLayer::new_for_http()
                // The path only: a query string may carry a token.
                .make_span_with(
                    |req: &Request| tracing::info_span!("request", method = %req.method(), path = %req.uri().path()),
                )
                .on_request(())
                .on_response(
                    DefaultOnResponse::new()
                        .level(Level::INFO)
                        .latency_unit(LatencyUnit::Micros),
                ),
        )
        .with_state(state)
}

/// The built site's files: `/pkg/…` (JS, wasm, CSS from cargo-leptos) and what `public/` holds,
/// compressed for clients that accept it: the `.br`/`.gz` written beside each file by
/// `cargo leptos build --release --precompress` when present, else brotli or gzip on the fly
/// (debug builds). Only the fallback uses it, so no other answer (pages, `/api/events`) is
/// compressed here.
#[derive(Clone)]
struct SiteFiles {
    files: Compression<ServeDir>,
    /// `/pkg/`: where the hashed names are.
    pkg: String,
}

impl SiteFiles {
    fn new(site_root: &str, pkg_dir: &str) -> SiteFiles {
        let dir = ServeDir::new(site_root)
            .precompressed_br()
            .precompressed_gzip()
            .append_index_html_on_directories(false);
        SiteFiles {
            files: Compression::new(dir),
            pkg: format!("/{}/", pkg_dir.trim_matches('/')),
        }
    }

    /// `/pkg/switchboard.<hash>.wasm`: a name cargo-leptos (`hash-files`) derived from the
    /// content (22 characters of URL-safe base64), which therefore never changes.
    fn is_hashed(&self, path: &str) -> bool {
        path.strip_prefix(&self.pkg).is_some_and(|name| {
            !name.contains('/')
                && name.split('.').any(|part| {
                    part.len() == 22
                        && part
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                })
        })
    }
}

/// Everything no route takes: a file of the site (GET/HEAD), else the app's 404 page.
async fn site_file(files: SiteFiles, State(st): State<AppState>, req: Request) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        let mut probe = Request::new(axum::body::Body::empty());
        *probe.method_mut() = req.method().clone();
        *probe.uri_mut() = req.uri().clone();
        *probe.headers_mut() = req.headers().clone();
        let Ok(res) = files.files.clone().oneshot(probe).await;
        if res.status() != StatusCode::NOT_FOUND {
            let mut res = res.map(axum::body::Body::new);
            if res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED {
                // Hashed names are kept a year without asking again; anything else (the
                // favicon, the logo) is asked again each time (a 304 when unchanged).
                let cache = if files.is_hashed(req.uri().path()) {
                    "public, max-age=31536000, immutable"
                } else {
                    "no-cache"
                };
                let headers = res.headers_mut();
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
                // The answer depends on Accept-Encoding also when it was precompressed.
                if !headers
                    .get_all(header::VARY)
                    .iter()
                    .any(|v| v.as_bytes().eq_ignore_ascii_case(b"accept-encoding"))
                {
                    headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
                }
            }
            return res;
        }
    }
    let uri = req.uri().clone();
    file_and_error_handler::<AppState, _>(shell)(uri, State(st), req).await
}

/// Puts the signed-in user (if any) into the request, once, for pages, server functions and
/// machine routes alike; a session in use has its idle expiry extended (at most every `every`).
async fn resolve_user(
    State((st, every)): State<(AppState, std::time::Duration)>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    if !req.uri().path().starts_with("/pkg/")
        && let Some(me) = app::accounts::auth::session_user(&session, &st.services.db).await
    {
        app::accounts::auth::keep_alive(&session, every).await;
        req.extensions_mut().insert(me);
    }
    next.run(req).await
}

/// A state-changing request (not GET/HEAD/OPTIONS) that the session cookie signs in refuses
/// another site's origin with 403, before anything runs: `Sec-Fetch-Site: cross-site` (or
/// `same-site`: another subdomain), or an `Origin` whose host is not this request's `Host`.
/// Defence in depth beside the cookie's SameSite=Lax. Requests without a signed-in user
/// (sign-in itself, machines with tokens, signed webhooks) are not affected.
async fn refuse_cross_site(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || req.extensions().get::<Me>().is_none()
        // A bearer token (which another site's page cannot attach) is what authenticates it.
        || req.headers().contains_key(header::AUTHORIZATION)
        || !is_cross_site(req.headers())
    {
        return next.run(req).await;
    }
    tracing::warn!(path = %req.uri().path(), "cross-site request refused");
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"error":"forbidden","message":"Refused: this request came from another site. Use the console itself."}"#,
    )
        .into_response()
}

/// Whether the browser says the request came from another site.
pub fn is_cross_site(headers: &axum::http::HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    match headers.get(header::ORIGIN) {
        None => false,
        Some(origin) => {
            let host = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
            let origin_host = origin
                .to_str()
                .ok()
                .and_then(|o| o.split_once("://"))
                .map(|(_, rest)| rest.trim_end_matches('/'));
            // "null" (a sandboxed frame, a redirect across sites) or another host: cross-site.
            origin_host.is_none_or(|o| Some(o) != host("host") && Some(o) != host("x-forwarded-host"))
        }
    }
}

/// Page loads: not signed in → the sign-in page; signed in without the role → the page renders
/// its 403 view and the response says 403.
async fn page_guard(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let me = req.extensions().get::<Me>().cloned();
    match page_access(&path) {
        PageAccess::Public if path == "/login" && me.is_some() => Redirect::to("/").into_response(),
        PageAccess::Public => next.run(req).await,
        PageAccess::Area(area) => match me {
            None => {
                let target = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
                Redirect::to(&format!("/login?next={}", encode(target))).into_response()
            }
            Some(u) if area.allows(&u.roles) => next.run(req).await,
            Some(_) => {
                let mut res = next.run(req).await;
                *res.status_mut() = StatusCode::FORBIDDEN;
                res
            }
        },
    }
}

/// Leptos answers 500 for any server-function error raised before the function's body runs,
/// such as arguments that do not decode (an unknown role or scope); `ApiError` turns those into
/// `Invalid`, which is the client's fault: say 422, as the body's own validation errors do.
async fn undecodable_arguments_are_422(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !res
            .headers()
            .contains_key(leptos::server_fn::error::SERVER_FN_ERROR_HEADER)
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    };
    if matches!(serde_json::from_slice::<ApiError>(&bytes), Ok(ApiError::Invalid(_))) {
        parts.status = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Percent-encodes a path for a query parameter.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
