//! A person: details, their weekly availability grid, one-off entries and leave.
use super::calendar::{CalendarCard, CalendarLinks};
use super::people::PersonForm;
use super::{RotaNav, Swatch, rota_changes, use_rota_info};
use crate::components::{Badge, ErrorLine, Loaded, RequireArea, Tone, failed};
use crate::rota::AvailabilityEntry;
use crate::rota::api::data::{AddAvailability, DeleteAvailability, PersonDetail, SaveContact, person_page};
use crate::rota::rules::data::{AvailabilityInput, AvailabilityKind, ContactFields, TeamSettings, WEEKDAY_NAMES};
use crate::shell::rules::access::Area;
use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn PersonPage() -> impl IntoView {
    view! {
        <RequireArea area=Area::Rota>
            <PersonView/>
        </RequireArea>
    }
}

#[component]
fn PersonView() -> impl IntoView {
    let params = use_params_map();
    let handle = move || params.read().get("handle").unwrap_or_default();
    let changes = rota_changes();
    let info = use_rota_info();
    let detail = Resource::new(move || (changes.get(), handle()), |(_, h)| person_page(h));
    let links = CalendarLinks::new(handle);
    view! {
        <Title text=move || handle()/>
        <Loaded resource=info let:i>
            {
                let settings = i.settings.clone();
                view! {
                    <h1>"Rota"</h1>
                    <RotaNav edit=i.edit/>
                    <Loaded resource=detail let:d>
                        {view! { <PersonBody d=d settings=settings.clone() links=links/> }}
                    </Loaded>
                }
            }
        </Loaded>
    }
}

#[component]
fn PersonBody(d: PersonDetail, settings: TeamSettings, links: CalendarLinks) -> impl IntoView {
    let f = d.person.fields.clone();
    let (may_edit_own, person_id, handle) = (d.may_edit_own, d.person.id, f.handle.clone());
    let editing = RwSignal::new(false);
    let person = d.person.clone();
    let groups = f
        .groups
        .iter()
        .map(|g| view! { <a class="tag" href=format!("/rota/groups/{g}")>{g.clone()}</a> })
        .collect_view();
    let weekly: Vec<AvailabilityEntry> = d
        .entries
        .iter()
        .filter(|e| e.entry.kind == AvailabilityKind::Weekly)
        .cloned()
        .collect();
    let dated: Vec<AvailabilityEntry> = d
        .entries
        .iter()
        .filter(|e| e.entry.kind != AvailabilityKind::Weekly)
        .cloned()
        .collect();
    let balance = RwSignal::new(d.balance);
    let may_forgive = d.may_edit_all;
    let forgive_handle = f.handle.clone();
    let forgive = ServerAction::<crate::rota::api::data::ForgiveBalance>::new();
    Effect::new(move || {
        if matches!(forgive.value().get(), Some(Ok(_))) {
            balance.set(0);
        }
    });
    view! {
        <section class="card" data-testid="person" data-handle=f.handle.clone()>
            <div class="row">
                <h2><Swatch colour=f.colour.clone()/> " " {f.full_name.clone()} " " <small class="muted">"(" {f.handle.clone()} ")"</small></h2>
                <span class="spacer"></span>
                {d.may_edit_all.then(|| view! {
                    <button class="btn" on:click=move |_| editing.update(|e| *e = !*e)>"Edit details"</button>
                })}
            </div>
            <dl class="facts">
                <dt>"Extension"</dt><dd>{f.extension.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Email"</dt><dd>{f.email.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Desk"</dt><dd>{f.desk.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Groups"</dt><dd>{groups}</dd>
                <dt>"Ideal load"</dt><dd>{f.ideal_load.map(|l| format!("{l} turns a week")).unwrap_or_else(|| "not on the rota".into())}</dd>
                <dt>"Max turns a day"</dt><dd>{f.max_turns_per_day.unwrap_or(settings.max_turns_per_day)}</dd>
                <dt>"State"</dt><dd>{if f.active { "active" } else { "inactive" }}</dd>
                <dt>"Balance of turns"</dt><dd data-testid="balance">
                    {move || balance_text(balance.get())}
                    {may_forgive.then(|| view! {
                        " "
                        <button class="btn" disabled=move || balance.get() == 0 || forgive.pending().get()
                            on:click=move |_| { forgive.dispatch(crate::rota::api::data::ForgiveBalance { handle: Some(forgive_handle.clone()) }); }>
                            "Forgive"
                        </button>
                    })}
                </dd>
            </dl>
            <Show when=move || editing.get()>
                <PersonForm person=Some(person.clone()) on_saved=move |h: String| {
                    editing.set(false);
                    if let Some(w) = leptos::prelude::window().location().pathname().ok()
                        && !w.ends_with(&format!("/{h}"))
                    {
                        let _ = leptos::prelude::window().location().set_href(&format!("/rota/people/{h}"));
                    }
                }/>
            </Show>
            {(d.may_edit_own && !d.may_edit_all).then(|| view! { <ContactForm id=d.person.id email=f.email.clone() colour=f.colour.clone()/> })}
        </section>
        {may_edit_own.then(|| view! { <CalendarCard person_id=person_id handle=handle.clone() links=links/> })}
        <section class="card">
            <h2>"Weekly availability"</h2>
            <WeeklyGrid person_id=d.person.id entries=weekly.clone() settings=settings.clone() editable=d.may_edit_own/>
            <EntryList entries=weekly settings=settings.clone() editable=d.may_edit_own/>
        </section>
        <section class="card">
            <h2>"One-off entries and leave"</h2>
            <EntryList entries=dated settings=settings.clone() editable=d.may_edit_own/>
            {d.may_edit_own.then(|| view! { <DatedForm person_id=d.person.id settings=settings.clone()/> })}
        </section>
    }
}

#[component]
fn ContactForm(id: i64, email: Option<String>, colour: String) -> impl IntoView {
    let save = ServerAction::<SaveContact>::new();
    let email = RwSignal::new(email.unwrap_or_default());
    let colour = RwSignal::new(colour);
    let error = Signal::derive(move || failed(save.value().get()));
    view! {
        <form class="row" data-testid="contact-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            save.dispatch(SaveContact {
                person_id: id,
                contact: ContactFields { email: Some(email.get_untracked()), colour: colour.get_untracked() },
            });
        }>
            <label>"Email"<input name="email" type="email" bind:value=email/></label>
            <label>"Colour"<input name="colour" size="8" bind:value=colour/></label>
            <button type="submit" class="btn primary">"Save my contact details"</button>
        </form>
        <ErrorLine error=error/>
    }
}

/// Working days × turns: each cell shows the weekly entries covering it; clicking cells selects
/// them, and the form below records the selection as busy with one reason.
#[component]
fn WeeklyGrid(
    person_id: i64,
    entries: Vec<AvailabilityEntry>,
    settings: TeamSettings,
    editable: bool,
) -> impl IntoView {
    let selected = RwSignal::new(Vec::<(u8, usize)>::new());
    let reason = RwSignal::new(String::new());
    let mandatory = RwSignal::new(true);
    let add = ServerAction::<AddAvailability>::new();
    let error = Signal::derive(move || failed(add.value().get()));
    let turns = settings.turns();
    let days = settings.working_days.clone();
    let cell_state = move |day: u8, turn: usize| -> (Option<bool>, String) {
        let mut state = None;
        let mut why = Vec::new();
        for e in &entries {
            let covers_day = e.entry.weekday.is_none_or(|d| d == day);
            let busy = e
                .entry
                .turns
                .as_ref()
                .is_none_or(|m| m.get(turn).copied().unwrap_or(false));
            if covers_day && busy {
                state = Some(state.unwrap_or(false) || e.entry.mandatory);
                why.push(e.entry.reason.clone());
            }
        }
        (state, why.join("; "))
    };
    let head = days
        .iter()
        .map(|d| view! { <th>{WEEKDAY_NAMES[usize::from(*d)]}</th> })
        .collect_view();
    let rows = (0..turns)
        .map(|t| {
            let cells = days
                .iter()
                .map(|&d| {
                    let (state, why) = cell_state(d, t);
                    let class = match state {
                        Some(true) => "cell busy",
                        Some(false) => "cell rather",
                        None => "cell free",
                    };
                    let label = match state {
                        Some(true) => "busy",
                        Some(false) => "rather not",
                        None => "",
                    };
                    view! {
                        <td
                            class=class
                            class:selected=move || selected.get().contains(&(d, t))
                            title=why
                            data-day=d
                            data-turn=t
                            tabindex=if editable { "0" } else { "-1" }
                            on:click=move |_| {
                                if editable {
                                    selected.update(|s| if let Some(i) = s.iter().position(|x| *x == (d, t)) { s.remove(i); } else { s.push((d, t)); });
                                }
                            }
                            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                                if editable && (ev.key() == " " || ev.key() == "Enter") {
                                    ev.prevent_default();
                                    selected.update(|s| if let Some(i) = s.iter().position(|x| *x == (d, t)) { s.remove(i); } else { s.push((d, t)); });
                                }
                            }
                        >
                            {label}
                        </td>
                    }
                })
                .collect_view();
            view! { <tr><th>{settings.turn_label(t)}</th>{cells}</tr> }
        })
        .collect_view();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let sel = selected.get_untracked();
        let mut by_day: Vec<u8> = sel.iter().map(|(d, _)| *d).collect();
        by_day.sort_unstable();
        by_day.dedup();
        for day in by_day {
            let mask: Vec<bool> = (0..turns).map(|t| sel.contains(&(day, t))).collect();
            add.dispatch(AddAvailability {
                person_id,
                entry: AvailabilityInput {
                    kind: AvailabilityKind::Weekly,
                    weekday: Some(day),
                    date_from: None,
                    date_to: None,
                    turns: Some(mask),
                    mandatory: mandatory.get_untracked(),
                    reason: reason.get_untracked(),
                },
            });
        }
        selected.set(Vec::new());
    };
    view! {
        <table class="grid availability" data-testid="weekly-grid">
            <thead><tr><th></th>{head}</tr></thead>
            <tbody>{rows}</tbody>
        </table>
        {editable.then(|| view! {
            <form class="row" on:submit=submit data-testid="weekly-form">
                <span class="muted">{move || format!("{} turn(s) selected", selected.get().len())}</span>
                <label>"Reason"<input name="reason" required bind:value=reason/></label>
                <label class="chk"><input type="checkbox" name="mandatory" bind:checked=mandatory/>"Cannot (unchecked: rather not)"</label>
                <button type="submit" class="btn primary" disabled=move || selected.get().is_empty()>"Mark busy every week"</button>
            </form>
            <ErrorLine error=error/>
        })}
    }
}

#[component]
fn EntryList(entries: Vec<AvailabilityEntry>, settings: TeamSettings, editable: bool) -> impl IntoView {
    let delete = ServerAction::<DeleteAvailability>::new();
    let error = Signal::derive(move || failed(delete.value().get()));
    if entries.is_empty() {
        return view! { <p class="muted">"No entries."</p> }.into_any();
    }
    view! {
        <table class="grid" data-testid="entries">
            <thead><tr><th>"Kind"</th><th>"When"</th><th>"Strength"</th><th>"Reason"</th><th></th></tr></thead>
            <tbody>
                {entries.into_iter().map(|e| {
                    let id = e.id;
                    view! {
                        <tr data-entry=id>
                            <td>{e.entry.kind.label()}</td>
                            <td>{e.entry.describe(&settings)}</td>
                            <td>{if e.entry.mandatory { view! { <Badge tone=Tone::Bad>"cannot"</Badge> } } else { view! { <Badge tone=Tone::Warn>"rather not"</Badge> } }}</td>
                            <td>{e.entry.reason.clone()}</td>
                            <td class="actions">{editable.then(|| view! {
                                <button class="btn" on:click=move |_| { delete.dispatch(DeleteAvailability { id }); }>"Remove"</button>
                            })}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        <ErrorLine error=error/>
    }
    .into_any()
}

#[component]
fn DatedForm(person_id: i64, settings: TeamSettings) -> impl IntoView {
    let add = ServerAction::<AddAvailability>::new();
    let error = Signal::derive(move || failed(add.value().get()));
    let kind = RwSignal::new("oneoff".to_string());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let turns = settings.turns();
    let mask = RwSignal::new(vec![true; turns]);
    let mandatory = RwSignal::new(true);
    let reason = RwSignal::new(String::new());
    let local = RwSignal::new(None);
    let date = |field: &str, s: String| -> Result<Option<NaiveDate>, crate::shell::error::ApiError> {
        if s.trim().is_empty() {
            return Ok(None);
        }
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map(Some)
            .map_err(|_| crate::shell::error::ApiError::invalid(field, "not a date"))
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local.set(None);
        let k = AvailabilityKind::parse(&kind.get_untracked()).unwrap_or(AvailabilityKind::OneOff);
        let (date_from, date_to) = match (
            date("date_from", from.get_untracked()),
            date("date_to", to.get_untracked()),
        ) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => return local.set(Some(e)),
        };
        add.dispatch(AddAvailability {
            person_id,
            entry: AvailabilityInput {
                kind: k,
                weekday: None,
                date_from,
                date_to: if k == AvailabilityKind::Leave {
                    date_to
                } else {
                    date_from
                },
                turns: (k == AvailabilityKind::OneOff).then(|| mask.get_untracked()),
                mandatory: mandatory.get_untracked(),
                reason: reason.get_untracked(),
            },
        });
    };
    let turn_boxes = (0..turns)
        .map(|t| {
            view! {
                <label class="chk">
                    <input type="checkbox" name=format!("turn-{t}") prop:checked=move || mask.get()[t]
                        on:change=move |_| mask.update(|m| m[t] = !m[t])/>
                    {settings.turn_start(t)}
                </label>
            }
        })
        .collect_view();
    view! {
        <form class="row" on:submit=submit data-testid="dated-form">
            <label>"Kind"
                <select name="kind" on:change=move |ev| kind.set(event_target_value(&ev)) prop:value=move || kind.get()>
                    <option value="oneoff">"One-off (some turns of a date)"</option>
                    <option value="leave">"Leave (whole days)"</option>
                </select>
            </label>
            <label>{move || if kind.get() == "leave" { "From" } else { "Date" }}<input name="date_from" type="date" required bind:value=from/></label>
            <label class:hidden=move || kind.get() != "leave">"To"<input name="date_to" type="date" bind:value=to/></label>
            <fieldset class="chks" class:hidden=move || kind.get() != "oneoff"><legend>"Turns"</legend>{turn_boxes}</fieldset>
            <label class="chk"><input type="checkbox" name="mandatory" bind:checked=mandatory/>"Cannot"</label>
            <label>"Reason"<input name="reason" required bind:value=reason/></label>
            <button type="submit" class="btn primary">"Add"</button>
        </form>
        <ErrorLine error=Signal::derive(move || local.get().or_else(|| error.get()))/>
    }
}

/// `+3 turns (more than their share so far)`, `-2 turns (fewer …)`, `even`.
fn balance_text(b: i64) -> String {
    match b.cmp(&0) {
        std::cmp::Ordering::Greater => format!("+{b} turns (more than their share so far)"),
        std::cmp::Ordering::Less => format!("{b} turns (fewer than their share so far)"),
        std::cmp::Ordering::Equal => "even".into(),
    }
}
