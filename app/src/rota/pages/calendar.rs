//! A person's calendar links: the feed of their published turns for a calendar app, each link
//! personal and revocable. Shown to the person's own account and to coordinators.
use crate::components::{ErrorLine, failed};
use crate::rota::CalendarToken;
use crate::rota::api::calendar::{CreateCalendarToken, RevokeCalendarToken, calendar_tokens};
use chrono::{DateTime, Utc};
use leptos::prelude::*;

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The page's origin (`https://host:port`), known only in the browser.
fn origin() -> String {
    window().location().origin().unwrap_or_default()
}

/// The calendar links of one person: list, "New calendar link" (its URL shown once), revoke.
#[component]
pub fn CalendarCard(person_id: i64, #[prop(into)] handle: String) -> impl IntoView {
    let create = ServerAction::<CreateCalendarToken>::new();
    let revoke = ServerAction::<RevokeCalendarToken>::new();
    // Loaded in the browser only: the card sits inside the person page's own loading, and a
    // resource made there is not part of the server's page (hydration would not find it).
    let tokens = LocalResource::new(move || {
        create.version().track();
        revoke.version().track();
        calendar_tokens(person_id)
    });
    let shown = RwSignal::new(None::<String>);
    Effect::new(move || {
        if let Some(Ok(link)) = create.value().get() {
            shown.set(Some(format!("{}{}", origin(), link.path)));
        }
    });
    let error = Signal::derive(move || failed(create.value().get()).or_else(|| failed(revoke.value().get())));
    let row = move |t: CalendarToken| {
        let id = t.id;
        let prefix = t.prefix.clone();
        view! {
            <tr data-calendar-token=t.prefix.clone() class:inactive=t.revoked_at.is_some()>
                <td><code>{t.prefix.clone()} "…"</code></td>
                <td class="muted">{when(t.created_at)}</td>
                <td>
                    {match t.revoked_at {
                        Some(at) => view! { <span class="badge">"revoked " {when(at)}</span> }.into_any(),
                        None => view! {
                            <button
                                class="btn"
                                on:click=move |_| {
                                    let question = format!(
                                        "Revoke the calendar link {prefix}…? Calendars using it stop updating at once."
                                    );
                                    if window().confirm_with_message(&question).unwrap_or(false) {
                                        revoke.dispatch(RevokeCalendarToken { person_id, id });
                                    }
                                }
                            >
                                "Revoke"
                            </button>
                        }
                        .into_any(),
                    }}
                </td>
            </tr>
        }
    };
    view! {
        <section class="card" data-testid="calendar-card">
            <h2>"Calendar"</h2>
            <p class="muted">
                "Subscribe to the published phone turns of " <strong>{handle.clone()}</strong>
                " in any calendar app, with a reminder 15 minutes before each turn. "
                "Each link is personal: anyone holding it sees the turns, so revoke a link you no longer use."
            </p>
            {move || shown.get().map(|url| view! {
                <div class="secret" role="status" data-testid="calendar-link">
                    <span>"Calendar link:"</span>
                    <code>{url}</code>
                    <span class="muted">"Copy it now: it is not shown again."</span>
                    <button class="btn ghost" on:click=move |_| shown.set(None)>"Done"</button>
                </div>
            })}
            <button
                class="btn primary"
                disabled=move || create.pending().get()
                on:click=move |_| {
                    create.dispatch(CreateCalendarToken { person_id });
                }
            >
                "New calendar link"
            </button>
            <ErrorLine error=error/>
            <Transition fallback=|| view! { <p class="muted">"Loading calendar links…"</p> }>
                {move || {
                    tokens
                        .get()
                        .map(|r| match r {
                            Ok(list) if list.is_empty() => view! { <p class="muted">"No calendar links yet."</p> }.into_any(),
                            Ok(list) => view! {
                                <table class="grid" data-testid="calendar-tokens">
                                    <thead>
                                        <tr>
                                            <th>"Link"</th>
                                            <th>"Created"</th>
                                            <th></th>
                                        </tr>
                                    </thead>
                                    <tbody>{list.into_iter().map(row).collect_view()}</tbody>
                                </table>
                            }
                            .into_any(),
                            Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                        })
                }}
            </Transition>
        </section>
    }
}
