//! A person's calendar links: the feed of their published turns for a calendar app, each link
//! personal and revocable. Shown to the person's own account and to coordinators.
use crate::components::{Badge, ErrorLine, Loaded, failed};
use crate::rota::CalendarToken;
use crate::rota::api::calendar::{CreateCalendarToken, RevokeCalendarToken, calendar_tokens_of};
use crate::shell::error::ApiError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The page's origin (`https://host:port`), known only in the browser.
fn origin() -> String {
    window().location().origin().unwrap_or_default()
}

/// A person's calendar links and the actions on them, made by the person page itself (at page
/// level, keyed by the route's handle) so the server renders the card and the browser hydrates it.
#[derive(Clone, Copy)]
pub struct CalendarLinks {
    pub tokens: Resource<Result<Option<Vec<CalendarToken>>, ApiError>>,
    pub create: ServerAction<CreateCalendarToken>,
    pub revoke: ServerAction<RevokeCalendarToken>,
}

impl CalendarLinks {
    /// The links of the person the route names (`handle`), refetched after each change.
    pub fn new(handle: impl Fn() -> String + Send + Sync + 'static) -> Self {
        let create = ServerAction::<CreateCalendarToken>::new();
        let revoke = ServerAction::<RevokeCalendarToken>::new();
        let tokens = Resource::new(
            move || (handle(), create.version().get(), revoke.version().get()),
            |(h, _, _)| calendar_tokens_of(h),
        );
        CalendarLinks { tokens, create, revoke }
    }
}

/// The calendar links of one person: list, "New calendar link" (its URL shown once), revoke.
#[component]
pub fn CalendarCard(person_id: i64, #[prop(into)] handle: String, links: CalendarLinks) -> impl IntoView {
    let CalendarLinks { tokens, create, revoke } = links;
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
                        Some(at) => view! { <Badge>"revoked " {when(at)}</Badge> }.into_any(),
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
            <Loaded resource=tokens loading="Loading calendar links…" let:list>
                {if list.as_ref().is_none_or(Vec::is_empty) { view! { <p class="muted">"No calendar links yet."</p> }.into_any() } else { view! {
                                <table class="grid" data-testid="calendar-tokens">
                                    <thead>
                                        <tr>
                                            <th>"Link"</th>
                                            <th>"Created"</th>
                                            <th></th>
                                        </tr>
                                    </thead>
                                    <tbody>{list.unwrap_or_default().into_iter().map(row).collect_view()}</tbody>
                                </table>
                            }.into_any() }}
            </Loaded>
        </section>
    }
}
