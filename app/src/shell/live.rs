//! Live updates in the browser: one EventSource per tab on `/api/events`, turned into a
//! signal per topic. Pages make their resources depend on a topic's signal and refetch when an
//! event arrives; after a reconnect every topic fires once, so nothing missed stays stale.
use crate::shell::topics::Topic;
use leptos::prelude::*;
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveState {
    Connecting,
    Live,
    Reconnecting,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TopicEvent {
    /// Counts the events of the topic seen by this tab (reconnects count too).
    pub seq: u64,
    /// The last event's data, `None` after a reconnect.
    pub data: Option<serde_json::Value>,
}

#[derive(Clone, Copy)]
struct Live {
    state: RwSignal<LiveState>,
    topics: StoredValue<HashMap<String, RwSignal<TopicEvent>>>,
    owner: StoredValue<Owner>,
}

impl Live {
    fn topic(&self, name: &str) -> RwSignal<TopicEvent> {
        if let Some(sig) = self.topics.with_value(|t| t.get(name).copied()) {
            return sig;
        }
        // Created under the app's owner, so the signal outlives the page that asked first.
        let sig = self
            .owner
            .with_value(|o| o.with(|| RwSignal::new(TopicEvent { seq: 0, data: None })));
        self.topics.update_value(|t| {
            t.insert(name.to_string(), sig);
        });
        sig
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn dispatch(&self, raw: &str) {
        #[derive(serde::Deserialize)]
        struct Wire {
            topic: String,
            data: serde_json::Value,
        }
        let Ok(ev) = serde_json::from_str::<Wire>(raw) else {
            return;
        };
        // The server says events were missed: every topic refetches.
        if ev.topic == "*" {
            self.bump_all();
            return;
        }
        let sig = self.topic(&ev.topic);
        sig.update(|t| {
            t.seq += 1;
            t.data = Some(ev.data);
        });
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn bump_all(&self) {
        let sigs: Vec<_> = self.topics.with_value(|t| t.values().copied().collect());
        for s in sigs {
            s.update(|t| {
                t.seq += 1;
                t.data = None;
            });
        }
    }
}

/// Sets up the connection (in the browser only); call once in the app root.
pub fn provide_live() {
    let live = Live {
        state: RwSignal::new(LiveState::Connecting),
        topics: StoredValue::new(HashMap::new()),
        owner: StoredValue::new(Owner::current().expect("provide_live runs under the app owner")),
    };
    provide_context(live);
    #[cfg(feature = "hydrate")]
    Effect::new(move |started: Option<bool>| {
        if started.is_none() {
            connect(live, 0);
        }
        true
    });
}

pub fn use_live_state() -> ReadSignal<LiveState> {
    expect_context::<Live>().state.read_only()
}

/// The events of a topic, as a signal. Its `seq` changes on every event.
pub fn use_topic(topic: Topic) -> ReadSignal<TopicEvent> {
    expect_context::<Live>().topic(&topic.name()).read_only()
}

#[cfg(feature = "hydrate")]
fn connect(live: Live, attempt: u32) {
    use std::time::Duration;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{Event, EventSource, MessageEvent};

    let retry = move |attempt: u32| {
        let wait = Duration::from_millis((500u64 << attempt.min(6)).min(30_000));
        set_timeout(move || connect(live, attempt + 1), wait);
    };
    let Ok(es) = EventSource::new("/api/events") else {
        live.state.set(LiveState::Reconnecting);
        retry(attempt);
        return;
    };
    let on_open = Closure::<dyn FnMut(Event)>::new(move |_| {
        let was_down = live.state.get_untracked() == LiveState::Reconnecting;
        live.state.set(LiveState::Live);
        if was_down {
            live.bump_all();
        }
    });
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        if let Some(text) = e.data().as_string() {
            live.dispatch(&text);
        }
    });
    let es_err = es.clone();
    let on_error = Closure::<dyn FnMut(Event)>::new(move |_| {
        live.state.set(LiveState::Reconnecting);
        // The browser retries by itself unless the server refused the stream (for example the
        // session ended); then it is closed, and we try again with a growing pause.
        if es_err.ready_state() == EventSource::CLOSED {
            es_err.close();
            retry(attempt);
        }
    });
    es.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    es.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    es.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_open.forget();
    on_message.forget();
    on_error.forget();
}

/// A topic's changes at most once per `every` — for views of busy topics (a running callout
/// sends an event per call) that refetch on each change. Bumps once after a burst ends.
///
/// The topic may be a signal (a page showing the callout of its route follows the route): when
/// it changes, the view listens to the new topic from then on (the switch itself is not a
/// change — the page reloads its data for the new id anyway).
pub fn use_topic_throttled(topic: impl Into<Signal<Topic>>, every: std::time::Duration) -> Signal<u64> {
    let topic = topic.into();
    let live = expect_context::<Live>();
    let out = RwSignal::new(0u64);
    let pending = StoredValue::new(false);
    Effect::new(move |prev: Option<Topic>| {
        let t = topic.get();
        live.topic(&t.name()).track();
        if prev == Some(t) {
            pending.set_value(true);
        }
        t
    });
    #[cfg(feature = "hydrate")]
    if let Ok(h) = set_interval_with_handle(
        move || {
            if pending.get_value() {
                pending.set_value(false);
                out.update(|n| *n += 1);
            }
        },
        every,
    ) {
        on_cleanup(move || h.clear());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = every;
    out.into()
}
