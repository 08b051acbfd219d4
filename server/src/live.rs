//! `GET /api/events`: the live-event stream of a signed-in browser (server-sent events).
use crate::caller::SignedIn;
use crate::state::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::{self, Stream, StreamExt};
use std::convert::Infallible;
use std::time::Duration;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

pub async fn events(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let (user_id, roles) = (me.id, me.roles.clone());
    let rx = st.services.events.subscribe();
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
    Sse::new(hello.chain(events)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
