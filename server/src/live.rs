//! `GET /api/events`: the live-event stream of a signed-in browser (server-sent events).
//!
//! A stream lives as long as what opened it: every [`RECHECK`] it checks that its session is
//! still there and unexpired and that its user is still active, with the same session epoch
//! (a password change or deactivation bumps it) and the same roles; otherwise it ends, and the
//! browser reconnects (a 401 if signed out; the new topics after a role change). It ends at
//! once when the server shuts down (the [`Shutdown`] signal), so graceful shutdown does not
//! wait for open pages.
use crate::caller::SignedIn;
use crate::state::AppState;
use app::accounts::Me;
use axum::Extension;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::{self, Stream, StreamExt};
use std::convert::Infallible;
use std::time::Duration;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tower_sessions::Session;

/// How often an open stream re-checks its session and user.
pub const RECHECK: Duration = Duration::from_secs(2);

/// The server's shutdown signal (true: shutting down), put in every request by `start_with`.
#[derive(Clone)]
pub struct Shutdown(pub tokio::sync::watch::Receiver<bool>);

impl Shutdown {
    /// Resolves once the server is shutting down (or its signal is gone).
    pub async fn wait(mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

pub async fn events(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    session: Session,
    shutdown: Option<Extension<Shutdown>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let (user_id, roles) = (me.id, me.roles.clone());
    let rx = st.services.events.subscribe();
    let session_id = session.id().map(|id| id.to_string());
    let epoch = app::accounts::auth::session_epoch(&session).await;
    let db = st.services.db.clone();
    let ended = async move {
        let valid = async move {
            let mut tick = tokio::time::interval(RECHECK);
            tick.tick().await;
            loop {
                tick.tick().await;
                if !still_valid(&db, session_id.as_deref(), epoch, &me).await {
                    return;
                }
            }
        };
        let stop = async move {
            match shutdown {
                Some(Extension(s)) => s.wait().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! { _ = valid => {}, _ = stop => {} }
    };
    let hello = stream::once(async { Ok(Event::default().comment("connected")) });
    let events = BroadcastStream::new(rx).filter_map(move |msg| {
        let out = match msg {
            Ok(ev) if ev.for_user(user_id, &roles) => Some(Ok(Event::default().data(ev.to_wire()))),
            Ok(_) => None,
            // This client fell behind and missed events: tell it to refetch everything.
            Err(BroadcastStreamRecvError::Lagged(n)) => {
                tracing::warn!(missed = n, "SSE client lagged");
                Some(Ok(Event::default().data(r#"{"topic":"*","data":null}"#)))
            }
        };
        std::future::ready(out)
    });
    Sse::new(hello.chain(events).take_until(ended)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// Whether the stream's session is still in the store and unexpired, and its user still the
/// same (active, same epoch, same roles). A database error keeps the stream (the next check
/// decides).
async fn still_valid(db: &app::shell::store::PgPool, session_id: Option<&str>, epoch: Option<i32>, me: &Me) -> bool {
    let (Some(session_id), Some(epoch)) = (session_id, epoch) else {
        return false;
    };
    let alive: Result<bool, sqlx::Error> = sqlx::query_scalar(
        r#"SELECT EXISTS (SELECT 1 FROM "tower_sessions"."session" WHERE id = $1 AND expiry_date > now())"#,
    )
    .bind(session_id)
    .fetch_one(db)
    .await;
    match alive {
        Ok(false) => return false,
        Ok(true) => {}
        Err(e) => {
            tracing::warn!(error = %e, "live stream: session not checked");
            return true;
        }
    }
    match app::accounts::store::users::session_user(db, me.id, epoch).await {
        Ok(Some(now)) => same_roles(&now.roles, &me.roles),
        Ok(None) => false,
        Err(e) => {
            tracing::warn!(error = %e, "live stream: user not checked");
            true
        }
    }
}

fn same_roles(a: &[app::accounts::rules::roles::Role], b: &[app::accounts::rules::roles::Role]) -> bool {
    a.len() == b.len() && a.iter().all(|r| b.contains(r))
}
