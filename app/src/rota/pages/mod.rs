//! The rota area: the team's week, people, availability, holidays, fixed turns, settings and
//! the Tomàtic import. Every view refetches when rota data changes anywhere (live topic).
pub mod calendar;
pub mod fixed;
pub mod holidays;
pub mod import;
pub mod people;
pub mod person;
pub mod settings;
pub mod timetable;
pub mod week;

use crate::components::Loaded;
use crate::rota::api::data::{RotaInfo, rota_context};
use crate::shell::error::ApiError;
use crate::shell::live::use_topic;
use crate::shell::rules::access::RotaEdit;
use crate::shell::topics::Topic;
use leptos::prelude::*;
use leptos_router::components::A;

/// The rota's settings and what the viewer may change, refetched on every rota change.
pub fn use_rota_info() -> Resource<Result<RotaInfo, ApiError>> {
    let topic = use_topic(Topic::Rota);
    Resource::new(move || topic.get().seq, |_| rota_context())
}

/// The counter of rota changes, for a page's own resources to refetch on.
pub fn rota_changes() -> Signal<u64> {
    let topic = use_topic(Topic::Rota);
    Signal::derive(move || topic.get().seq)
}

/// The rota's tabs.
#[component]
pub fn RotaNav(#[prop(optional)] edit: Option<RotaEdit>) -> impl IntoView {
    let admin = edit == Some(RotaEdit::Settings);
    view! {
        <nav class="tabs" aria-label="Rota">
            <A href="/rota" exact=true>"Week"</A>
            <A href="/rota/timetable">"Timetable"</A>
            <A href="/rota/people">"People"</A>
            <A href="/rota/holidays">"Holidays"</A>
            <A href="/rota/fixed">"Fixed turns"</A>
            {admin.then(|| view! {
                <A href="/rota/settings">"Settings"</A>
                <A href="/rota/import">"Import"</A>
            })}
        </nav>
    }
}

/// A colour dot for a person.
#[component]
pub fn Swatch(#[prop(into)] colour: String) -> impl IntoView {
    view! { <span class="swatch" style=format!("background:{colour}")></span> }
}

/// A rota page only admins use (settings, import): the tabs, then `children` with the rota
/// info, or the 403 notice for everyone else (the server functions refuse them too).
#[component]
pub fn AdminRota<V: IntoView + 'static>(children: impl Fn(RotaInfo) -> V + Send + Sync + 'static) -> impl IntoView {
    let info = use_rota_info();
    view! {
        <Loaded resource=info let:i>
            <h1>"Rota"</h1>
            <RotaNav edit=i.edit/>
            {if i.edit >= RotaEdit::Settings {
                children(i).into_any()
            } else {
                view! { <crate::components::Forbidden/> }.into_any()
            }}
        </Loaded>
    }
}

/// `"a, b c"` → `["a", "b", "c"]`.
pub fn split_words(s: &str) -> Vec<String> {
    s.split([',', ' '])
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}
