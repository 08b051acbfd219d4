//! The desk's screens: the live card of the call ringing my extension, and a card in its own
//! tab.
pub mod annotate;
pub mod card;
pub mod categories;
pub mod log;
pub mod search;

use crate::components::RequireArea;
use crate::desk::api::desk_card;
use crate::shell::live::use_topic;
use crate::shell::rules::access::Area;
use crate::shell::topics::Topic;
use card::CardView;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// `/desk`: the card of the latest call that rang me; the next ringing call replaces it unless
/// the card is locked (then the new call waits behind a button).
#[component]
pub fn DeskPage() -> impl IntoView {
    let ringing = use_topic(Topic::DeskRinging);
    let directory = use_topic(Topic::Contacts);
    let locked = RwSignal::new(false);
    let shown = RwSignal::new(None::<i64>);
    let waiting = RwSignal::new(None::<i64>);
    Effect::new(move |_| {
        let ev = ringing.get();
        let Some(id) = ev.data.as_ref().and_then(|d| d["call"].as_i64()) else {
            return;
        };
        if locked.get_untracked() {
            waiting.set(Some(id));
        } else {
            shown.set(Some(id));
        }
    });
    let card = Resource::new(move || (shown.get(), directory.get().seq), |(id, _)| desk_card(id));
    let show_waiting = move |_| {
        if let Some(id) = waiting.get_untracked() {
            shown.set(Some(id));
            waiting.set(None);
        }
    };
    view! {
        <RequireArea area=Area::Desk>
            <Title text="Desk"/>
            <h1>"Desk"</h1>
            <nav aria-label="Desk pages" class="desk-links">
                <a href="/desk/day">"My calls today"</a> " · "
                <a href="/desk/log">"Team call log"</a> " · "
                <a href="/desk/categories">"Call categories"</a>
            </nav>
            <div class="controls desk-controls">
                <label class="inline">
                    <input
                        type="checkbox"
                        data-testid="lock"
                        prop:checked=move || locked.get()
                        on:change=move |ev| locked.set(event_target_checked(&ev))
                    />
                    "Lock this card (the next call waits)"
                </label>
                <Show when=move || waiting.get().is_some()>
                    <button class="btn" data-testid="show-waiting" on:click=show_waiting>
                        "A new call rang: show it"
                    </button>
                </Show>
            </div>
            <CardView card/>
            <search::SearchBox/>
        </RequireArea>
    }
}

/// `/desk/contact/:id`: a contact's card, as a search result opens it.
#[component]
pub fn DeskContactPage() -> impl IntoView {
    let params = use_params_map();
    let directory = use_topic(Topic::Contacts);
    let entry = Resource::new(
        move || {
            (
                params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok())),
                directory.get().seq,
            )
        },
        |(id, _)| async move {
            match id {
                Some(id) => crate::directory::api::get_entry(id).await,
                None => Err(crate::shell::error::ApiError::NotFound("contact".into())),
            }
        },
    );
    view! {
        <RequireArea area=Area::Desk>
            <Title text="Contact"/>
            <h1>"Desk"</h1>
            <p><a href="/desk">"Back to the live desk"</a></p>
            <crate::components::Loaded resource=entry let:e>
                <section class="card desk-card" data-testid="contact-card" aria-label="Contact">
                    <card::EntryView entry=e/>
                </section>
            </crate::components::Loaded>
        </RequireArea>
    }
}

/// `/desk/call/:id`: one call's card in its own tab (it does not follow new calls).
#[component]
pub fn DeskCallPage() -> impl IntoView {
    let params = use_params_map();
    let directory = use_topic(Topic::Contacts);
    let card = Resource::new(
        move || {
            (
                params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok())),
                directory.get().seq,
            )
        },
        |(id, _)| async move {
            match id {
                Some(id) => desk_card(Some(id)).await,
                None => Err(crate::shell::error::ApiError::NotFound("call".into())),
            }
        },
    );
    view! {
        <RequireArea area=Area::Desk>
            <Title text="Call"/>
            <h1>"Desk"</h1>
            <p><a href="/desk">"Back to the live desk"</a></p>
            <CardView card/>
        </RequireArea>
    }
}
