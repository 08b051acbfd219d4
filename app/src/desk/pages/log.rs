//! The call log: the agent's own day (`/desk/day`, newest first, those still to annotate
//! marked, a call recorded by hand) and the team's log (`/desk/log`, coordinators and managers:
//! filters by day, agent, category and annotated or not; CSV export; calls per category as a
//! bar chart). Both refresh live on the desk's call events.
use crate::components::{ErrorLine, Loaded, RequireArea, failed};
use crate::desk::api::{RecordCall, desk_categories, desk_day, desk_log};
use crate::desk::pages::annotate::CategoryChips;
use crate::desk::rules::annotation::ManualCallInput;
use crate::desk::{CategoryCount, LogFilter, LogRow};
use crate::shell::live::use_topic;
use crate::shell::rules::access::Area;
use crate::shell::topics::Topic;
use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_meta::Title;

fn hhmm(r: &LogRow) -> String {
    r.call.rang_at.format("%H:%M:%S UTC").to_string()
}

#[component]
fn LogTable(rows: Vec<LogRow>, #[prop(optional)] team: bool) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="muted" data-testid="log-empty">"No calls."</p> }.into_any();
    }
    view! {
        <table data-testid="log">
            <thead><tr>
                <th scope="col">"Rang"</th>
                {team.then(|| view! { <th scope="col">"Agent"</th> })}
                <th scope="col">"Number"</th>
                <th scope="col">"Contact"</th>
                <th scope="col">"Annotation"</th>
                <th scope="col">"Card"</th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|r| {
                    let annotated = r.annotated_at.is_some();
                    view! {
                        <tr data-testid="log-row" data-call=r.call.id data-annotated=annotated.to_string()>
                            <td>{hhmm(&r)}{r.manual.then_some(" (by hand)")}</td>
                            {team.then(|| view! { <td>{r.agent.clone().unwrap_or_else(|| "—".into())}</td> })}
                            <td>{r.call.phone.clone()}</td>
                            <td>{r.contact.clone().unwrap_or_else(|| "unknown".into())}</td>
                            <td>
                                {if annotated {
                                    view! {
                                        <CategoryChips categories=r.categories.clone()/>
                                        {(!r.comment.is_empty()).then(|| view! { <span class="small">" " {r.comment.clone()}</span> })}
                                    }.into_any()
                                } else {
                                    view! { <span class="badge warn">"To annotate"</span> }.into_any()
                                }}
                            </td>
                            <td><a href=format!("/desk/call/{}", r.call.id)>{if annotated { "Open" } else { "Annotate" }}</a></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// `/desk/day`: my calls today, newest first; a call not from the PBX recorded by hand.
#[component]
pub fn DeskDayPage() -> impl IntoView {
    let ringing = use_topic(Topic::DeskRinging);
    let calls = use_topic(Topic::DeskCalls);
    let day = Resource::new(move || (ringing.get().seq, calls.get().seq), |_| desk_day(None));
    view! {
        <RequireArea area=Area::Desk>
            <Title text="My day"/>
            <h1>"My calls today"</h1>
            <p><a href="/desk">"Back to the live desk"</a></p>
            <Loaded resource=day let:d>
                <p data-testid="to-annotate">{format!("{} · {} calls, {} to annotate", d.day, d.rows.len(), d.to_annotate)}</p>
                <LogTable rows=d.rows/>
            </Loaded>
            <RecordByHand/>
        </RequireArea>
    }
}

#[component]
fn RecordByHand() -> impl IntoView {
    let record = ServerAction::<RecordCall>::new();
    let phone = RwSignal::new(String::new());
    let at = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        record.dispatch(RecordCall {
            input: ManualCallInput {
                phone: phone.get_untracked(),
                at: at.get_untracked(),
            },
        });
    };
    let error = Signal::derive(move || failed(record.value().get()));
    let done = move || record.value().get().and_then(Result::ok);
    view! {
        <section class="card" aria-labelledby="by-hand">
            <h2 id="by-hand">"Record a call by hand"</h2>
            <p class="small muted">"A call that did not come through the PBX: its number and when it was (empty: now), then annotate it."</p>
            <form class="row" on:submit=submit aria-label="Record a call by hand">
                <label>"Number" <input required maxlength="30" prop:value=move || phone.get() on:input=move |ev| phone.set(event_target_value(&ev))/></label>
                <label>"When" <input type="datetime-local" prop:value=move || at.get() on:input=move |ev| at.set(event_target_value(&ev))/></label>
                <button class="btn" type="submit">"Record the call"</button>
            </form>
            <ErrorLine error/>
            {move || done().map(|id| view! {
                <p role="status" data-testid="recorded">"Recorded. " <a href=format!("/desk/call/{id}")>"Annotate it"</a></p>
            })}
        </section>
    }
}

const BAR_H: f64 = 22.0;
const LABEL_W: f64 = 180.0;
const BARS_W: f64 = 560.0;

/// Calls per category as horizontal bars (the category's colour).
#[component]
fn PerCategoryChart(counts: Vec<CategoryCount>, unannotated: i64) -> impl IntoView {
    if counts.is_empty() && unannotated == 0 {
        return view! { <p class="muted">"No calls to chart."</p> }.into_any();
    }
    let max = counts
        .iter()
        .map(|c| c.calls)
        .chain([unannotated])
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let n = counts.len() + usize::from(unannotated > 0);
    let h = BAR_H * n as f64 + 4.0;
    let width = BARS_W - LABEL_W - 40.0;
    let mut bars = Vec::new();
    let mut rows: Vec<(String, String, i64, String)> = counts
        .iter()
        .map(|c| {
            (
                c.category.name.clone(),
                c.category.colour.clone(),
                c.calls,
                c.category.code.clone(),
            )
        })
        .collect();
    if unannotated > 0 {
        rows.push(("To annotate".into(), "#9aa3b2".into(), unannotated, String::new()));
    }
    for (i, (name, colour, calls, code)) in rows.into_iter().enumerate() {
        let y = i as f64 * BAR_H + 2.0;
        let w = (width * calls as f64 / max).max(1.0);
        bars.push(view! {
            <g data-category=code>
                <text x=LABEL_W - 6.0 y=y + 15.0 class="lbl" text-anchor="end">{name.clone()}</text>
                <rect x=LABEL_W y=y + 3.0 width=format!("{w:.1}") height=BAR_H - 6.0 class="bar" style=format!("fill:{colour}")>
                    <title>{format!("{name}: {calls}")}</title>
                </rect>
                <text x=LABEL_W + w + 4.0 y=y + 15.0 class="val">{calls}</text>
            </g>
        });
    }
    view! {
        <svg class="bars" viewBox=format!("0 0 {BARS_W} {h}") role="img" aria-label="Calls per category" data-testid="category-chart">
            {bars}
        </svg>
    }
    .into_any()
}

fn csv_href(f: &LogFilter) -> String {
    let mut q = Vec::new();
    if let Some(d) = f.day {
        q.push(format!("day={d}"));
    }
    if let Some(a) = f.agent {
        q.push(format!("agent={a}"));
    }
    if let Some(c) = f.category {
        q.push(format!("category={c}"));
    }
    if let Some(a) = f.annotated {
        q.push(format!("annotated={a}"));
    }
    format!("/api/desk/log.csv?{}", q.join("&"))
}

/// `/desk/log`: the team's calls of a day with filters, the chart and the CSV export.
#[component]
pub fn TeamLogPage() -> impl IntoView {
    let calls = use_topic(Topic::DeskCalls);
    let filter = RwSignal::new(LogFilter::default());
    let log = Resource::new(move || (filter.get(), calls.get().seq), |(f, _)| desk_log(f));
    let cats = Resource::new(|| (), |_| desk_categories(false));
    view! {
        <RequireArea area=Area::Desk>
            <Title text="Call log"/>
            <h1>"Team call log"</h1>
            <Loaded resource=log let:l>
                {
                    let day = l.day;
                    let agents = l.agents.clone();
                    view! {
                        <form class="row controls" aria-label="Filter the call log" on:submit=|ev| ev.prevent_default()>
                            <label>"Day"
                                <input type="date" data-testid="log-day" prop:value=day.to_string()
                                    on:change=move |ev| {
                                        let d = NaiveDate::parse_from_str(&event_target_value(&ev), "%Y-%m-%d").ok();
                                        filter.update(|f| f.day = d);
                                    }/>
                            </label>
                            <label>"Agent"
                                <select data-testid="log-agent" on:change=move |ev| filter.update(|f| f.agent = event_target_value(&ev).parse().ok())>
                                    <option value="" selected=move || filter.get().agent.is_none()>"Everyone"</option>
                                    {agents.into_iter().map(|(id, name)| view! {
                                        <option value=id selected=move || filter.get().agent == Some(id)>{name}</option>
                                    }).collect_view()}
                                </select>
                            </label>
                            <label>"Category"
                                <select data-testid="log-category" on:change=move |ev| filter.update(|f| f.category = event_target_value(&ev).parse().ok())>
                                    <option value="" selected=move || filter.get().category.is_none()>"Any"</option>
                                    {move || cats.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|c| {
                                        let id = c.id;
                                        view! { <option value=id selected=move || filter.get().category == Some(id)>{c.name.clone()}</option> }
                                    }).collect_view()}
                                </select>
                            </label>
                            <label>"Annotated"
                                <select data-testid="log-annotated" on:change=move |ev| filter.update(|f| f.annotated = match event_target_value(&ev).as_str() {
                                    "yes" => Some(true),
                                    "no" => Some(false),
                                    _ => None,
                                })>
                                    <option value="" selected=move || filter.get().annotated.is_none()>"All calls"</option>
                                    <option value="yes" selected=move || filter.get().annotated == Some(true)>"Annotated"</option>
                                    <option value="no" selected=move || filter.get().annotated == Some(false)>"To annotate"</option>
                                </select>
                            </label>
                            <a class="btn" data-testid="log-export" href=move || csv_href(&LogFilter { day: Some(day), ..filter.get() }) download="">"Export CSV"</a>
                        </form>
                        <p data-testid="log-count">{format!("{}: {} calls shown{}", l.day, l.rows.len(), if l.truncated { " (more: narrow the filters or export)" } else { "" })}</p>
                        <h2>"Calls per category"</h2>
                        <PerCategoryChart counts=l.per_category.clone() unannotated=l.unannotated/>
                        <h2>"Calls"</h2>
                        <LogTable rows=l.rows.clone() team=true/>
                    }
                }
            </Loaded>
        </RequireArea>
    }
}
