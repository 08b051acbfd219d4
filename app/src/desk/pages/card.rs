//! A call's card: who is calling (several contacts: choose), alerts first, phones, emails, tax
//! id, member number, contracts, callouts they were in, earlier calls; an unknown number offers
//! "New contact".
use crate::components::{ErrorLine, ErrorMessage, Loaded, failed};
use crate::desk::{CallView, Card, CrmFailure, CrmLookup, CrmRecord};
use crate::directory::Entry;
use crate::directory::api::CreateEntry;
use crate::directory::rules::profile::{ContactKind, ProfileInput, Severity};
use crate::shell::error::ApiError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

#[component]
pub fn CardView(card: Resource<Result<Option<Card>, ApiError>>) -> impl IntoView {
    view! {
        <Loaded resource=card let:card>
            {match card {
                None => view! {
                    <p class="muted" data-testid="no-call">"No call has rung your extension yet. The next one shows here as it rings."</p>
                }.into_any(),
                Some(card) => view! { <OneCard card/> }.into_any(),
            }}
        </Loaded>
    }
}

#[component]
fn OneCard(card: Card) -> impl IntoView {
    let chosen = RwSignal::new(0usize);
    let call = card.call.clone();
    let contacts = StoredValue::new(card.contacts.clone());
    let several = card.contacts.len() > 1;
    let unknown = card.contacts.is_empty();
    let phone = call.phone.clone();
    view! {
        <section class="card desk-card" data-testid="card" data-call=call.id aria-labelledby="card-title">
            <h2 id="card-title">
                "Call from " <span data-testid="card-phone">{call.phone.clone()}</span>
            </h2>
            <p class="small muted">
                {format!("Rang extension {} at {}", call.extension, when(call.rang_at))}
                {call.answered_at.map(|t| format!(" · answered {}", when(t)))}
                {call.ended_at.map(|t| format!(" · ended {}", when(t)))}
                " · "
                <a href=format!("/desk/call/{}", call.id) target="_blank" rel="noopener">"Open this card in its own tab"</a>
            </p>
            {several.then(|| view! {
                <div role="group" aria-label="Contacts with this number" class="controls" data-testid="choose-contact">
                    <span>"Several contacts have this number — choose:"</span>
                    {contacts.get_value().into_iter().enumerate().map(|(i, c)| view! {
                        <button
                            class="btn"
                            aria-pressed=move || (chosen.get() == i).to_string()
                            on:click=move |_| chosen.set(i)
                        >{c.name.clone()}</button>
                    }).collect_view()}
                </div>
            })}
            {(card.more_contacts).then(|| view! {
                <p class="small muted">"More contacts have this number than are shown: use the search to refine."</p>
            })}
            {if unknown {
                view! { <UnknownNumber phone/> }.into_any()
            } else {
                view! {
                    {move || contacts.with_value(|cs| cs.get(chosen.get()).cloned()).map(|e| view! { <EntryView entry=e/> })}
                }.into_any()
            }}
            {card.crm.then(|| view! { <CrmPart call=call.id/> })}
            <crate::desk::pages::annotate::AnnotationPanel call=call.id contacts=card.contacts.clone()/>
            <h3>"Earlier calls"</h3>
            <EarlierCalls calls=card.earlier/>
        </section>
    }
}

/// A directory entry as the card shows it (also the contact's own card, `/desk/contact/:id`).
#[component]
pub fn EntryView(entry: Entry) -> impl IntoView {
    let kind = match entry.kind {
        ContactKind::Person => "person",
        ContactKind::Organisation => "organisation",
    };
    view! {
        <div data-testid="contact" data-contact=entry.id>
            <AlertList
                alerts=entry.alerts.iter().map(|a| (a.severity, a.text.clone())).collect()
                label="Alerts"
                testid="alerts"
            />
            <h3 data-testid="contact-name">{entry.name.clone()} " " <span class="small muted">"(" {kind} ")"</span></h3>
            <dl class="facts">
                <dt>"Phones"</dt><dd>{entry.phones.join(", ")}</dd>
                <dt>"Emails"</dt><dd>{if entry.emails.is_empty() { "—".to_string() } else { entry.emails.join(", ") }}</dd>
                <dt>"Tax id"</dt><dd data-testid="tax-id">{entry.tax_id.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Member number"</dt><dd>{entry.member_number.clone().unwrap_or_else(|| "—".into())}</dd>
            </dl>
            {(!entry.notes.is_empty()).then(|| view! { <p class="small">{entry.notes.clone()}</p> })}
            <h3>"Contracts"</h3>
            {if entry.contracts.is_empty() {
                view! { <p class="muted small">"No contracts."</p> }.into_any()
            } else {
                view! {
                    <table data-testid="contracts">
                        <thead><tr><th scope="col">"Number"</th><th scope="col">"Address"</th><th scope="col">"State"</th><th scope="col">"From"</th><th scope="col">"To"</th></tr></thead>
                        <tbody>
                            {entry.contracts.iter().map(|c| view! {
                                <tr>
                                    <td>{c.number.clone()}</td>
                                    <td>{c.address.clone()}</td>
                                    <td>{c.state.as_str()}</td>
                                    <td>{c.starts_on.map(|d| d.to_string()).unwrap_or_default()}</td>
                                    <td>{c.ends_on.map(|d| d.to_string()).unwrap_or_default()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <h3>"Callouts"</h3>
            {if entry.callouts.is_empty() {
                view! { <p class="muted small">"Not in any callout."</p> }.into_any()
            } else {
                view! {
                    <table data-testid="callouts">
                        <thead><tr><th scope="col">"Callout"</th><th scope="col">"State"</th><th scope="col">"Outcome"</th><th scope="col">"Attempts"</th></tr></thead>
                        <tbody>
                            {entry.callouts.iter().map(|c| view! {
                                <tr>
                                    <td><a href=format!("/callouts/{}", c.callout_id)>{c.name.clone()}</a></td>
                                    <td>{c.state.clone()}</td>
                                    <td>{if c.answered { "answered".to_string() } else { c.done_reason.clone().unwrap_or_else(|| "—".into()) }}</td>
                                    <td class="num">{c.attempts}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </div>
    }
}

/// The outside CRM's part of a card: asked apart from the card (which never waits on it), marked
/// as coming from the CRM, and "CRM did not answer" when it is slow or failing.
#[component]
fn CrmPart(call: i64) -> impl IntoView {
    // Read in the browser only, after hydration (as the annotation panel: no resource may be
    // created inside the card's view), so the server never waits on the CRM either.
    let lookup = RwSignal::new(None::<Result<CrmLookup, ApiError>>);
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            lookup.set(Some(crate::desk::api::desk_crm(call).await));
        });
    });
    move || match lookup.get() {
        None => view! { <p class="muted small loading">"Asking the CRM…"</p> }.into_any(),
        Some(Ok(lookup)) => view! { <CrmView lookup/> }.into_any(),
        Some(Err(e)) => view! { <ErrorMessage error=e/> }.into_any(),
    }
}

/// What the CRM said (nothing at all when no CRM is configured).
#[component]
pub fn CrmView(lookup: CrmLookup) -> impl IntoView {
    let body = match lookup {
        CrmLookup::NotConfigured => return ().into_any(),
        CrmLookup::Answered { records, .. } if records.is_empty() => {
            view! { <p class="small muted" data-testid="crm-none">"The CRM has no record of this number."</p> }.into_any()
        }
        CrmLookup::Answered { records, more } => view! {
            {records.into_iter().map(|r| view! { <CrmRecordView record=r/> }).collect_view()}
            {(more > 0).then(|| view! { <p class="small muted">{format!("The CRM has {more} more records for it: open the CRM to see them.")}</p> })}
        }.into_any(),
        CrmLookup::Failed { failure, status } => {
            let text = match failure {
                CrmFailure::TimedOut | CrmFailure::Unreachable => "CRM did not answer: this card shows the directory only.".to_string(),
                CrmFailure::Refused => format!(
                    "The CRM refused the lookup{}: ask an admin to check the CRM's address and token.",
                    status.map(|s| format!(" (HTTP {s})")).unwrap_or_default()
                ),
                CrmFailure::Unreadable => "The CRM's answer could not be read (it is not the documented JSON): ask an admin.".to_string(),
            };
            view! { <p class="crm-failed" role="status" data-testid="crm-failed">{text}</p> }.into_any()
        }
    };
    view! {
        <section class="crm" data-testid="crm" aria-label="From the CRM">
            <h3>"From the CRM"</h3>
            {body}
        </section>
    }
    .into_any()
}

#[component]
fn CrmRecordView(record: CrmRecord) -> impl IntoView {
    let kind = record.kind.as_str();
    view! {
        <div class="crm-record" data-testid="crm-record">
            <AlertList
                alerts=record.alerts.iter().map(|a| (a.severity, a.text.clone())).collect()
                label="Alerts from the CRM"
                testid="crm-alerts"
            />
            <p>
                <strong data-testid="crm-name">{record.name.clone()}</strong>
                " " <span class="small muted">"(" {kind} {(!record.id.is_empty()).then(|| format!(", {}", record.id))} ")"</span>
                {record.url.clone().map(|u| view! { " · " <a href=u target="_blank" rel="noopener noreferrer">"Open in the CRM"</a> })}
            </p>
            <dl class="facts">
                {(!record.phones.is_empty()).then(|| view! { <dt>"Phones"</dt><dd>{record.phones.join(", ")}</dd> })}
                {(!record.emails.is_empty()).then(|| view! { <dt>"Emails"</dt><dd>{record.emails.join(", ")}</dd> })}
                {record.tax_id.clone().map(|t| view! { <dt>"Tax id"</dt><dd>{t}</dd> })}
                {record.member_number.clone().map(|m| view! { <dt>"Member number"</dt><dd>{m}</dd> })}
            </dl>
            {(!record.contracts.is_empty()).then(|| view! {
                <table data-testid="crm-contracts">
                    <caption class="small muted">"Contracts in the CRM"</caption>
                    <thead><tr><th scope="col">"Number"</th><th scope="col">"Address"</th><th scope="col">"State"</th><th scope="col">"From"</th><th scope="col">"To"</th></tr></thead>
                    <tbody>
                        {record.contracts.iter().map(|c| view! {
                            <tr>
                                <td>{c.number.clone()}</td>
                                <td>{c.address.clone()}</td>
                                <td>{c.state.clone()}</td>
                                <td>{c.starts_on.map(|d| d.to_string()).unwrap_or_default()}</td>
                                <td>{c.ends_on.map(|d| d.to_string()).unwrap_or_default()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            {(!record.notes.is_empty()).then(|| view! { <p class="small">{record.notes.clone()}</p> })}
        </div>
    }
}

/// Alerts, most severe first as given, each with its severity as a badge (nothing when none).
#[component]
fn AlertList(alerts: Vec<(Severity, String)>, label: &'static str, testid: &'static str) -> impl IntoView {
    (!alerts.is_empty()).then(|| {
        view! {
            <ul class="alerts" data-testid=testid aria-label=label>
                {alerts.into_iter().map(|(severity, text)| {
                    let class = match severity {
                        Severity::Danger => "badge bad",
                        Severity::Warning => "badge warn",
                        Severity::Info => "badge",
                    };
                    view! { <li><span class=class>{severity.as_str()}</span>" "{text}</li> }
                }).collect_view()}
            </ul>
        }
    })
}

#[component]
fn EarlierCalls(calls: Vec<CallView>) -> impl IntoView {
    if calls.is_empty() {
        return view! { <p class="muted small" data-testid="earlier-none">"No earlier calls."</p> }.into_any();
    }
    view! {
        <table data-testid="earlier">
            <thead><tr><th scope="col">"Rang"</th><th scope="col">"Extension"</th><th scope="col">"Answered"</th><th scope="col">"Card"</th></tr></thead>
            <tbody>
                {calls.into_iter().map(|c| view! {
                    <tr>
                        <td>{when(c.rang_at)}</td>
                        <td>{c.extension.clone()}</td>
                        <td>{c.answered_at.map(when).unwrap_or_else(|| "—".into())}</td>
                        <td><a href=format!("/desk/call/{}", c.id) target="_blank" rel="noopener">"Open"</a></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// An unknown number: "New contact" with the number filled in.
#[component]
fn UnknownNumber(phone: String) -> impl IntoView {
    let create = ServerAction::<CreateEntry>::new();
    let name = RwSignal::new(String::new());
    let organisation = RwSignal::new(false);
    let number = phone.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateEntry {
            input: ProfileInput {
                kind: if organisation.get_untracked() {
                    ContactKind::Organisation
                } else {
                    ContactKind::Person
                },
                name: name.get_untracked(),
                phones: vec![number.clone()],
                ..Default::default()
            },
        });
    };
    let error = Signal::derive(move || failed(create.value().get()));
    view! {
        <div data-testid="unknown-number">
            <p>"No contact has this number."</p>
            <form class="row" on:submit=submit aria-label="New contact">
                <label>"Name" <input required maxlength="200" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>
                <label class="inline"><input type="checkbox" prop:checked=move || organisation.get() on:change=move |ev| organisation.set(event_target_checked(&ev))/>"Organisation"</label>
                <label>"Phone" <input readonly prop:value=phone.clone()/></label>
                <button class="btn" type="submit">"New contact"</button>
            </form>
            <ErrorLine error/>
            <crate::desk::pages::search::SearchBox initial=phone.clone() without_crm=true/>
        </div>
    }
}
