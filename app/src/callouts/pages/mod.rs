//! Callouts: the list with progress, a callout's page (controls, live numbers, charts,
//! participations), the contact directory with its CSV import, the caller-id registry and the
//! REST API's reference.
pub mod api_docs;
pub mod callout;
pub mod contacts;

use crate::callouts::api::{CalloutLine, SaveCallout, list_callouts};
use crate::callouts::rules::callout::CalloutStatus;
use crate::callouts::rules::calls::CallStatus;
use crate::callouts::rules::settings::CalloutInput;
use crate::components::{ErrorLine, Loaded, Progress, RequireArea, Status, StatusBadge, Tone, failed};
use crate::shell::live::use_topic_throttled;
use crate::shell::rules::access::Area;
use crate::shell::topics::Topic;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use std::time::Duration;

/// The callouts area's tabs.
#[component]
pub fn CalloutsNav() -> impl IntoView {
    view! {
        <nav class="tabs" aria-label="Callouts">
            <A href="/callouts" exact=true>"Callouts"</A>
            <A href="/callouts/contacts">"Contacts"</A>
            <A href="/callouts/caller-ids">"Caller ids"</A>
            <A href="/callouts/api">"REST API"</A>
        </nav>
    }
}

/// A callout's status as a badge: running reads fine, paused needs a look, stopped is over.
impl Status for CalloutStatus {
    fn label(&self) -> String {
        self.as_str().to_string()
    }
    fn tone(&self) -> Tone {
        match self {
            CalloutStatus::Running => Tone::Ok,
            CalloutStatus::Paused => Tone::Warn,
            CalloutStatus::Stopped => Tone::Bad,
            CalloutStatus::Initialized => Tone::Neutral,
        }
    }
}

#[component]
pub fn CalloutsPage() -> impl IntoView {
    view! {
        <RequireArea area=Area::Callouts>
            <Title text="Callouts"/>
            <CalloutsView/>
        </RequireArea>
    }
}

#[component]
fn CalloutsView() -> impl IntoView {
    let changes = use_topic_throttled(Topic::Callouts, Duration::from_secs(1));
    let list = Resource::new(move || changes.get(), |_| list_callouts());
    view! {
        <h1>"Callouts"</h1>
        <CalloutsNav/>
        <Loaded resource=list let:l>
            {
                let empty = l.callouts.is_empty();
                view! {
                    {l.may_run.then(|| view! { <NewCallout/> })}
                    <section class="card">
                        <table class="grid" data-testid="callouts">
                            <thead><tr>
                                <th>"Callout"</th><th>"Status"</th><th>"Progress"</th>
                                <th class="num">"Answered"</th><th class="num">"In flight"</th><th>"Created"</th>
                            </tr></thead>
                            <tbody>
                                {l.callouts.into_iter().map(line).collect_view()}
                            </tbody>
                        </table>
                        {empty.then(|| view! { <p class="muted">"No callouts yet."</p> })}
                    </section>
                }
            }
        </Loaded>
    }
}

fn line(c: CalloutLine) -> impl IntoView {
    let answered = if c.participations > 0 {
        format!("{:.0} %", 100.0 * c.answered as f64 / c.participations as f64)
    } else {
        "–".into()
    };
    view! {
        <tr data-callout=c.id>
            <td><a href=format!("/callouts/{}", c.id)>{c.name.clone()}</a></td>
            <td><StatusBadge status=c.status testid="callout-status"/></td>
            <td><Progress done=c.done total=c.participations label="Participations done"/></td>
            <td class="num">{answered}</td>
            <td class="num">{c.calls_in_flight}</td>
            <td>{c.created_at.format("%Y-%m-%d %H:%M").to_string()}</td>
        </tr>
    }
}

/// The new-callout form: a name is enough; everything else has a default and can be changed
/// on the callout's page.
#[component]
fn NewCallout() -> impl IntoView {
    let save = ServerAction::<SaveCallout>::new();
    let error = Signal::derive(move || failed(save.value().get()));
    Effect::new(move || {
        if let Some(Ok(id)) = save.value().get() {
            let navigate = leptos_router::hooks::use_navigate();
            navigate(&format!("/callouts/{id}"), Default::default());
        }
    });
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveCallout {
            id: None,
            input: CalloutInput {
                name: Some(name.get_untracked()),
                description: Some(description.get_untracked()),
                ..Default::default()
            },
        });
    };
    view! {
        <section class="card">
            <form class="row" on:submit=submit data-testid="new-callout">
                <label>"Name"<input name="name" required bind:value=name/></label>
                <label class="grow">"Purpose"<input name="description" bind:value=description placeholder="What the call is for"/></label>
                <button type="submit" class="btn primary">"New callout"</button>
            </form>
            <ErrorLine error=error/>
        </section>
    }
}

/// Readable name of a call status for tables and legends.
pub fn call_status_label(s: &str) -> String {
    CallStatus::parse(s)
        .map(|s| s.as_str().replace('_', " "))
        .unwrap_or_else(|| s.to_string())
}

/// A query-string value, percent-encoded (for export links that carry the page's filters).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
