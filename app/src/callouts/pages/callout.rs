//! One callout: start/pause/resume/stop, its numbers and charts updated live while it runs,
//! adding contacts, its settings, and the participations with filters and a CSV export.
use super::{CalloutsNav, call_status_label, urlencode};
use crate::callouts::api::{
    CalloutTransition, CalloutView, DeleteCallout, ParticipationCalls, ParticipationPage, PopulateCallout, SaveCallout,
    get_callout, list_participations,
};
use crate::callouts::rules::callout::{Bucket, CalloutEvent, CalloutStats, CalloutStatus, ParticipationFilter};
use crate::callouts::rules::calls::CallStatus;
use crate::callouts::rules::settings::{CalloutInput, ContactFilter};
use crate::components::{ErrorLine, Loaded, Pager, Progress, RequireArea, StatusBadge, failed};
use crate::shell::error::ApiError;
use crate::shell::live::use_topic_throttled;
use crate::shell::rules::access::Area;
use crate::shell::topics::Topic;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use std::time::Duration;

#[component]
pub fn CalloutPage() -> impl IntoView {
    view! {
        <RequireArea area=Area::Callouts>
            <CalloutBody/>
        </RequireArea>
    }
}

#[component]
fn CalloutBody() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    // The topic follows the route: going from one callout to another listens to the new one.
    let changes = use_topic_throttled(Signal::derive(move || Topic::Callout(id())), Duration::from_secs(1));
    let callout = Resource::new(move || (id(), changes.get()), |(id, _)| get_callout(id));
    // The numbers are redrawn at every change; what a person is in the middle of is not: an
    // open confirmation lives here, and the settings form is drawn from a load that follows the
    // route only, so a running callout's updates never throw away what is being typed.
    let asking = Asking {
        stop: RwSignal::new(false),
        delete: RwSignal::new(false),
    };
    Effect::new(move || {
        id();
        asking.stop.set(false);
        asking.delete.set(false);
    });
    let form = Resource::new(id, get_callout);
    view! {
        <h1>"Callouts"</h1>
        <CalloutsNav/>
        <Loaded resource=callout let:c>
            <CalloutMain c=c asking=asking/>
        </Loaded>
        <Loaded resource=form quiet=true error_shown_elsewhere=true let:c>
            {c.may_run.then(|| view! { <Settings id=c.id input=c.settings.clone()/> })}
        </Loaded>
        <Participations id=Signal::derive(id) changes=changes/>
    }
}

/// The confirmations open on the page (stop, delete).
#[derive(Clone, Copy)]
struct Asking {
    stop: RwSignal<bool>,
    delete: RwSignal<bool>,
}

#[component]
fn CalloutMain(c: CalloutView, asking: Asking) -> impl IntoView {
    let name = c.settings.name.clone().unwrap_or_default();
    let description = c.settings.description.clone().unwrap_or_default();
    view! {
        <Title text=name.clone()/>
        <section class="card">
            <div class="row">
                <h2 data-testid="callout-name">{name}</h2>
                <StatusBadge status=c.status testid="callout-status"/>
                <span class="spacer"></span>
                {c.may_run.then(|| view! { <Controls id=c.id status=c.status asking=asking/> })}
            </div>
            {(!description.is_empty()).then(|| view! { <p class="muted">{description}</p> })}
            {c.outside_hours.clone().map(|note| view! { <p class="badge warn" data-testid="outside-hours">{note}</p> })}
            {c.no_caller_id.then(|| view! {
                <p class="error" data-testid="no-caller-id">
                    "No caller id: calls cannot be placed. Set one in the settings below or in "
                    <a href="/callouts/caller-ids">"Caller ids"</a>"."
                </p>
            })}
            <Numbers stats=c.stats.clone()/>
        </section>
        {c.may_run.then(|| view! { <Populate id=c.id/> })}
        <section class="card two-col">
            <div>
                <h2>"Calls per 10 minutes, by outcome"</h2>
                <CallsChart buckets=c.stats.calls_per_10_minutes.clone() zone=c.time_zone.clone()/>
            </div>
            <div>
                <h2>"Answer rate over time"</h2>
                <AnswerRateChart buckets=c.stats.calls_per_10_minutes.clone()/>
                <h2>"Attempts per participation"</h2>
                <AttemptsChart stats=c.stats.clone()/>
            </div>
        </section>
    }
}

/// The buttons for the transitions the status allows; stop asks first.
#[component]
fn Controls(id: i64, status: CalloutStatus, asking: Asking) -> impl IntoView {
    let act = ServerAction::<CalloutTransition>::new();
    let delete = ServerAction::<DeleteCallout>::new();
    let deleting = asking.delete;
    Effect::new(move || {
        if let Some(Ok(())) = delete.value().get() {
            let navigate = leptos_router::hooks::use_navigate();
            navigate("/callouts", Default::default());
        }
    });
    let delete_error = Signal::derive(move || failed(delete.value().get()));
    let error = Signal::derive(move || failed(act.value().get()));
    let confirming = asking.stop;
    let send = move |e: CalloutEvent| {
        confirming.set(false);
        act.dispatch(CalloutTransition {
            id,
            event: e.as_str().to_string(),
        });
    };
    let can_stop = status.allowed_events().contains(&CalloutEvent::Stop);
    let buttons = status
        .allowed_events()
        .into_iter()
        .map(|e| {
            let label = match e {
                CalloutEvent::Start => "Start",
                CalloutEvent::Pause => "Pause",
                CalloutEvent::Resume => "Resume",
                CalloutEvent::Stop => "Stop…",
            };
            let class = if e == CalloutEvent::Stop {
                "btn danger"
            } else {
                "btn primary"
            };
            view! {
                <button class=class data-event=e.as_str() disabled=move || act.pending().get()
                    on:click=move |_| if e == CalloutEvent::Stop { confirming.set(true) } else { send(e) }>
                    {label}
                </button>
            }
        })
        .collect_view();
    view! {
        <div class="row controls">
            {buttons}
            <Show when=move || can_stop && confirming.get()>
                <span class="confirm" role="alertdialog" aria-label="Confirm stop">
                    "Stop this callout? No more calls are placed; calls in flight finish. "
                    <button class="btn danger" data-testid="confirm-stop" on:click=move |_| send(CalloutEvent::Stop)>"Stop callout"</button>
                    <button class="btn" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </span>
            </Show>
            {(status != CalloutStatus::Running).then(|| view! {
                <button class="btn danger" data-testid="delete-callout" on:click=move |_| deleting.set(true)>"Delete…"</button>
                <Show when=move || deleting.get()>
                    <span class="confirm" role="alertdialog" aria-label="Confirm delete">
                        "Delete this callout with its participations and calls? "
                        <button class="btn danger" on:click=move |_| { delete.dispatch(DeleteCallout { id }); }>"Delete callout"</button>
                        <button class="btn" on:click=move |_| deleting.set(false)>"Cancel"</button>
                    </span>
                </Show>
            })}
        </div>
        <ErrorLine error=error/>
        <ErrorLine error=delete_error/>
    }
}

#[component]
fn Numbers(stats: CalloutStats) -> impl IntoView {
    let pct = stats
        .answered_percent()
        .map(|p| format!("{p:.0} %"))
        .unwrap_or_else(|| "–".into());
    let by_status = CallStatus::ALL
        .into_iter()
        .filter_map(|s| stats.calls_by_status.get(s.as_str()).map(|n| (s, *n)))
        .map(|(s, n)| view! { <span class=format!("pill st-{}", s.as_str()) data-status=s.as_str()>{call_status_label(s.as_str())} " " <b>{n}</b></span> })
        .collect_view();
    view! {
        <div class="kpis" data-testid="numbers">
            <div class="kpi"><b data-testid="n-participations">{stats.participations}</b><span>"participations"</span></div>
            <div class="kpi"><b data-testid="n-remaining">{stats.remaining}</b><span>"still to call"</span></div>
            <div class="kpi"><b data-testid="n-answered">{stats.answered}</b><span>"answered (" {pct} ")"</span></div>
            <div class="kpi"><b data-testid="n-in-flight">{stats.calls_in_flight}</b><span>"calls in flight"</span></div>
            <div class="kpi"><b data-testid="n-calls">{stats.calls_total}</b><span>"calls placed"</span></div>
            <div class="kpi wide"><Progress done=stats.done() total=stats.participations label="Participations done"/><span>"participations done"</span></div>
        </div>
        <div class="pills" data-testid="calls-by-status">{by_status}</div>
    }
}

/// The chart class of an outcome: one palette in style/main.css (`/* widgets */`), one class
/// (and colour) per call status, shared by the bars and the legend.
pub fn outcome_class(status: CallStatus) -> &'static str {
    match status {
        CallStatus::Created => "oc-created",
        CallStatus::Queued => "oc-queued",
        CallStatus::RemotelyQueued => "oc-remotely-queued",
        CallStatus::Errored => "oc-errored",
        CallStatus::InProgress => "oc-in-progress",
        CallStatus::Completed => "oc-completed",
        CallStatus::Busy => "oc-busy",
        CallStatus::NotAnswered => "oc-not-answered",
        CallStatus::Failed => "oc-failed",
        CallStatus::Canceled => "oc-canceled",
        CallStatus::Expired => "oc-expired",
    }
}

const CHART_W: f64 = 560.0;
const CHART_H: f64 = 160.0;

#[component]
fn CallsChart(buckets: Vec<Bucket>, zone: String) -> impl IntoView {
    let tz: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::UTC);
    let hhmm = move |b: &Bucket| b.start.with_timezone(&tz).format("%H:%M").to_string();
    if buckets.is_empty() {
        return view! { <p class="muted">"No calls yet."</p> }.into_any();
    }
    let shown: Vec<&Bucket> = buckets.iter().rev().take(36).rev().collect();
    let max = shown
        .iter()
        .map(|b| b.calls.values().sum::<i64>())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let slot = CHART_W / shown.len().max(12) as f64;
    let mut bars = Vec::new();
    for (i, b) in shown.iter().enumerate() {
        let mut y = CHART_H;
        for s in CallStatus::ALL {
            let Some(n) = b.calls.get(s.as_str()).copied() else {
                continue;
            };
            let h = CHART_H * n as f64 / max;
            y -= h;
            let title = format!("{}: {} {}", hhmm(b), n, call_status_label(s.as_str()));
            bars.push(view! {
                <rect x=format!("{:.1}", i as f64 * slot + 1.0) y=format!("{y:.1}") width=format!("{:.1}", slot - 2.0)
                    height=format!("{h:.1}") class=outcome_class(s)><title>{title}</title></rect>
            });
        }
    }
    let first = shown.first().map(|b| hhmm(b)).unwrap_or_default();
    let last = shown.last().map(|b| hhmm(b)).unwrap_or_default();
    let legend = CallStatus::ALL
        .into_iter()
        .filter(|s| shown.iter().any(|b| b.calls.contains_key(s.as_str())))
        .map(|s| view! { <span class="key" data-status=s.as_str()><i class=outcome_class(s)></i>{call_status_label(s.as_str())}</span> })
        .collect_view();
    view! {
        <svg class="chart" viewBox=format!("0 0 {CHART_W} {}", CHART_H + 16.0) role="img"
            aria-label="Calls per 10 minutes by outcome" data-testid="calls-chart">
            <line x1="0" y1=CHART_H x2=CHART_W y2=CHART_H class="axis"/>
            {bars}
            <text x="0" y=CHART_H + 13.0 class="lbl">{first}" ("{zone.clone()}")"</text>
            <text x=CHART_W y=CHART_H + 13.0 class="lbl" text-anchor="end">{last}</text>
            <text x=CHART_W y="10" class="lbl" text-anchor="end">{format!("max {max:.0} calls per 10 min")}</text>
        </svg>
        <div class="legend">{legend}</div>
    }
    .into_any()
}

#[component]
fn AnswerRateChart(buckets: Vec<Bucket>) -> impl IntoView {
    let points: Vec<(usize, f64)> = buckets
        .iter()
        .rev()
        .take(36)
        .rev()
        .enumerate()
        .filter_map(|(i, b)| b.answer_rate().map(|r| (i, r)))
        .collect();
    if points.is_empty() {
        return view! { <p class="muted">"No call has ended yet."</p> }.into_any();
    }
    let n = buckets.len().clamp(2, 36) as f64;
    let x = |i: usize| 4.0 + (CHART_W - 8.0) * i as f64 / (n - 1.0);
    let y = |r: f64| 4.0 + (CHART_H - 8.0) * (1.0 - r);
    let path = points
        .iter()
        .enumerate()
        .map(|(k, (i, r))| format!("{}{:.1},{:.1}", if k == 0 { "M" } else { " L" }, x(*i), y(*r)))
        .collect::<String>();
    let dots = points
        .iter()
        .map(|(i, r)| view! { <circle cx=format!("{:.1}", x(*i)) cy=format!("{:.1}", y(*r)) r="3"><title>{format!("{:.0} %", r * 100.0)}</title></circle> })
        .collect_view();
    view! {
        <svg class="chart line" viewBox=format!("0 0 {CHART_W} {CHART_H}") role="img" aria-label="Answer rate over time" data-testid="answer-rate-chart">
            <line x1="0" y1=y(0.5) x2=CHART_W y2=y(0.5) class="grid"/>
            <text x="2" y="12" class="lbl">"100 %"</text>
            <text x="2" y=y(0.5) - 2.0 class="lbl">"50 %"</text>
            <path d=path/>
            {dots}
        </svg>
    }
    .into_any()
}

#[component]
fn AttemptsChart(stats: CalloutStats) -> impl IntoView {
    let max = stats
        .participations_by_attempts
        .values()
        .copied()
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let rows = stats
        .participations_by_attempts
        .iter()
        .map(|(attempts, n)| {
            let w = 100.0 * *n as f64 / max;
            view! {
                <div class="hbar" data-attempts=*attempts>
                    <span class="k">{format!("{attempts} call{}", if *attempts == 1 { "" } else { "s" })}</span>
                    <span class="bar"><i style=format!("width:{w:.1}%")></i></span>
                    <span class="v">{*n}</span>
                </div>
            }
        })
        .collect_view();
    view! { <div class="hbars" data-testid="attempts">{rows}</div> }
}

/// Adds contacts by tag, search and one metadata condition (all contacts when empty).
#[component]
fn Populate(id: i64) -> impl IntoView {
    let act = ServerAction::<PopulateCallout>::new();
    let error = Signal::derive(move || failed(act.value().get()));
    let tags = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());
    let meta_key = RwSignal::new(String::new());
    let meta_value = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let key = meta_key.get_untracked().trim().to_string();
        let metadata = (!key.is_empty()).then(|| serde_json::json!({ key: meta_value.get_untracked().trim() }));
        act.dispatch(PopulateCallout {
            id,
            filter: ContactFilter {
                search: Some(search.get_untracked()).filter(|s| !s.trim().is_empty()),
                tags: tags
                    .get_untracked()
                    .split(',')
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .collect(),
                metadata,
            },
        });
    };
    view! {
        <section class="card">
            <h2>"Add contacts"</h2>
            <form class="row" on:submit=submit data-testid="populate">
                <label>"Tags (all of)"<input name="tags" bind:value=tags placeholder="vip, north"/></label>
                <label>"Name or number contains"<input name="search" bind:value=search/></label>
                <label>"Metadata key"<input name="meta_key" bind:value=meta_key placeholder="city"/></label>
                <label>"equals"<input name="meta_value" bind:value=meta_value/></label>
                <button type="submit" class="btn primary" disabled=move || act.pending().get()>"Add matching contacts"</button>
                <span class="muted" data-testid="populated">{move || match act.value().get() {
                    Some(Ok(n)) => format!("{n} added"),
                    _ => String::new(),
                }}</span>
            </form>
            <p class="muted">"Empty fields match every contact; a contact is in a callout at most once."</p>
            <ErrorLine error=error/>
        </section>
    }
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

fn num(s: Option<i64>) -> String {
    s.map(|n| n.to_string()).unwrap_or_default()
}

fn parse_num(field: &str, v: &str) -> Result<Option<i64>, ApiError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<i64>()
        .map(Some)
        .map_err(|_| ApiError::invalid(field, format!("'{v}' is not a whole number")))
}

/// Every setting of the callout; empty limits mean "no limit".
#[component]
fn Settings(id: i64, input: CalloutInput) -> impl IntoView {
    let save = ServerAction::<SaveCallout>::new();
    let local = RwSignal::new(None::<ApiError>);
    let error = Signal::derive(move || local.get().or_else(|| failed(save.value().get())));
    let text = |v: String| RwSignal::new(v);
    let name = text(opt(&input.name));
    let description = text(opt(&input.description));
    let strategy = text(input.strategy.clone().unwrap_or_else(|| "optimistic".into()));
    let per_run = text(num(input.max_calls_per_run));
    let min_run = text(num(input.min_calls_per_run));
    let per_period = text(num(input.max_calls_per_period));
    let period_hours = text(num(input.period_hours));
    let concurrent = text(num(input.max_concurrent_calls));
    let cps = text(num(input.calls_per_second));
    let attempts = text(num(input.max_attempts));
    let delay = text(num(input.retry_delay_minutes));
    let retry = RwSignal::new(input.retry_statuses.clone().unwrap_or_default());
    let days = text(opt(&input.calling_days));
    let start = text(opt(&input.calling_hours_start));
    let end = text(opt(&input.calling_hours_end));
    let zone = text(opt(&input.time_zone));
    let caller_id = text(opt(&input.caller_id));
    let url = text(opt(&input.url));
    let method = text(input.method.clone().unwrap_or_else(|| "POST".into()));
    let twiml = text(opt(&input.twiml));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let nums = (|| -> Result<CalloutInput, ApiError> {
            Ok(CalloutInput {
                name: Some(name.get_untracked()),
                description: Some(description.get_untracked()),
                max_calls_per_run: parse_num("max_calls_per_run", &per_run.get_untracked())?,
                strategy: Some(strategy.get_untracked()),
                min_calls_per_run: parse_num("min_calls_per_run", &min_run.get_untracked())?,
                max_calls_per_period: parse_num("max_calls_per_period", &per_period.get_untracked())?,
                period_hours: parse_num("period_hours", &period_hours.get_untracked())?,
                max_concurrent_calls: parse_num("max_concurrent_calls", &concurrent.get_untracked())?,
                calls_per_second: parse_num("calls_per_second", &cps.get_untracked())?,
                retry_statuses: Some(retry.get_untracked()),
                max_attempts: parse_num("max_attempts", &attempts.get_untracked())?,
                retry_delay_minutes: parse_num("retry_delay_minutes", &delay.get_untracked())?,
                calling_days: Some(days.get_untracked()),
                calling_hours_start: Some(start.get_untracked()),
                calling_hours_end: Some(end.get_untracked()),
                time_zone: Some(zone.get_untracked()),
                caller_id: Some(caller_id.get_untracked()),
                url: Some(url.get_untracked()),
                method: Some(method.get_untracked()),
                twiml: Some(twiml.get_untracked()),
            })
        })();
        match nums {
            Ok(input) => {
                local.set(None);
                save.dispatch(SaveCallout { id: Some(id), input });
            }
            Err(e) => local.set(Some(e)),
        }
    };
    let retry_box = move |s: CallStatus| {
        let key = s.as_str().to_string();
        let k2 = key.clone();
        view! {
            <label class="chk"><input type="checkbox" prop:checked=move || retry.get().contains(&key)
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    retry.update(|r| { r.retain(|x| *x != k2); if on { r.push(k2.clone()); } });
                }/>{call_status_label(s.as_str())}</label>
        }
    };
    // Type-erased: as one piece with the rest of the page, this form made the server's
    // rendering of a callout page overflow a worker thread's stack in debug builds.
    view! {
        <details class="card" data-testid="settings">
            <summary><h2 class="inline">"Settings"</h2></summary>
            <form class="settings" on:submit=submit>
                <fieldset><legend>"Callout"</legend>
                    <label>"Name"<input name="name" bind:value=name required/></label>
                    <label class="grow">"Purpose"<input name="description" bind:value=description/></label>
                </fieldset>
                <fieldset><legend>"Pace (empty: no limit)"</legend>
                    <label>"Strategy"<select name="strategy" prop:value=strategy on:change=move |ev| strategy.set(event_target_value(&ev))>
                        <option value="optimistic">"optimistic"</option>
                        <option value="pessimistic">"pessimistic"</option>
                    </select></label>
                    <label>"Max calls per run"<input name="max_calls_per_run" inputmode="numeric" bind:value=per_run/></label>
                    <label>"Min per run (pessimistic)"<input name="min_calls_per_run" inputmode="numeric" bind:value=min_run/></label>
                    <label>"Max calls per period"<input name="max_calls_per_period" inputmode="numeric" bind:value=per_period/></label>
                    <label>"Period (hours)"<input name="period_hours" inputmode="numeric" bind:value=period_hours/></label>
                    <label>"Max concurrent calls"<input name="max_concurrent_calls" inputmode="numeric" bind:value=concurrent/></label>
                    <label>"Calls per second"<input name="calls_per_second" inputmode="numeric" bind:value=cps/></label>
                </fieldset>
                <fieldset><legend>"Retries"</legend>
                    <label>"Max attempts"<input name="max_attempts" inputmode="numeric" bind:value=attempts/></label>
                    <label>"Delay (minutes)"<input name="retry_delay_minutes" inputmode="numeric" bind:value=delay/></label>
                    <div class="chks">
                        {[CallStatus::NotAnswered, CallStatus::Busy, CallStatus::Failed, CallStatus::Errored, CallStatus::Canceled, CallStatus::Expired]
                            .map(retry_box).to_vec()}
                    </div>
                </fieldset>
                <fieldset><legend>"Calling hours (each contact's local time; empty: any time)"</legend>
                    <label>"Days"<input name="calling_days" bind:value=days placeholder="mon-fri"/></label>
                    <label>"From"<input name="calling_hours_start" bind:value=start placeholder="09:00"/></label>
                    <label>"To"<input name="calling_hours_end" bind:value=end placeholder="20:00"/></label>
                    <label>"Default zone"<input name="time_zone" bind:value=zone placeholder="team's zone"/></label>
                </fieldset>
                <fieldset><legend>"What the provider plays"</legend>
                    <label>"Caller id (default)"<input name="caller_id" bind:value=caller_id placeholder="+34…"/></label>
                    <label class="grow">"Script URL"<input name="url" bind:value=url placeholder="https://…"/></label>
                    <label>"Method"<select name="method" prop:value=method on:change=move |ev| method.set(event_target_value(&ev))>
                        <option value="POST">"POST"</option><option value="GET">"GET"</option>
                    </select></label>
                    <label class="grow">"or TwiML"<textarea name="twiml" rows="2" bind:value=twiml></textarea></label>
                </fieldset>
                <div class="row">
                    <button type="submit" class="btn primary">"Save settings"</button>
                    <span class="muted">{move || matches!(save.value().get(), Some(Ok(_))).then_some("Saved.")}</span>
                </div>
                <ErrorLine error=error/>
            </form>
        </details>
    }
    .into_any()
}

/// The participations, filtered and paged; the export link carries the same filters.
#[component]
fn Participations(id: Signal<i64>, changes: Signal<u64>) -> impl IntoView {
    let state = RwSignal::new(String::new());
    let answered = RwSignal::new(String::new());
    let last = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());
    let page = RwSignal::new(1i64);
    let filter = move || ParticipationFilter {
        state: Some(state.get()),
        answered: match answered.get().as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        },
        last_call_status: Some(last.get()),
        search: Some(search.get()),
    };
    let rows = Resource::new(
        move || (id.get(), filter(), page.get(), changes.get()),
        |(id, f, page, _)| list_participations(id, f, page),
    );
    let export = move || {
        let mut q = Vec::new();
        for (k, v) in [
            ("state", state.get()),
            ("last_call_status", last.get()),
            ("search", search.get()),
        ] {
            if !v.trim().is_empty() {
                q.push(format!("{k}={}", urlencode(v.trim())));
            }
        }
        match answered.get().as_str() {
            "yes" => q.push("answered=true".into()),
            "no" => q.push("answered=false".into()),
            _ => {}
        }
        format!("/api/v1/callouts/{}/participations.csv?{}", id.get(), q.join("&"))
    };
    let reset = move |_| page.set(1);
    view! {
        <section class="card">
            <div class="row">
                <h2>"Participations"</h2>
                <span class="spacer"></span>
                <a class="btn" href=export rel="external" data-testid="export-participations">"Export CSV"</a>
            </div>
            <div class="row filters" data-testid="participation-filters">
                <label>"State"<select on:change=move |ev| { state.set(event_target_value(&ev)); page.set(1); }>
                    <option value="">"any"</option><option value="pending">"pending"</option>
                    <option value="calling">"calling"</option><option value="done">"done"</option>
                </select></label>
                <label>"Answered"<select on:change=move |ev| { answered.set(event_target_value(&ev)); page.set(1); }>
                    <option value="">"any"</option><option value="yes">"yes"</option><option value="no">"no"</option>
                </select></label>
                <label>"Last call"<select on:change=move |ev| { last.set(event_target_value(&ev)); page.set(1); }>
                    <option value="">"any"</option>
                    {CallStatus::ALL.map(|s| view! { <option value=s.as_str()>{call_status_label(s.as_str())}</option> }).to_vec()}
                </select></label>
                <label>"Name or number"<input type="search" bind:value=search on:input=reset/></label>
            </div>
            <Loaded resource=rows let:p>
                <ParticipationTable p=p page=page/>
            </Loaded>
        </section>
    }
}

#[component]
fn ParticipationTable(p: ParticipationPage, page: RwSignal<i64>) -> impl IntoView {
    let (total, current, per_page) = (p.total, p.page, p.per_page);
    let tz: chrono_tz::Tz = p.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let zone = p.time_zone.clone();
    // The calls of the row opened last; fetched on click (nothing to hydrate).
    let history = ServerAction::<ParticipationCalls>::new();
    let open = RwSignal::new(None::<i64>);
    let rows = p
        .items
        .into_iter()
        .map(|x| {
            let outcome = match (x.state.as_str(), x.done_reason.as_deref()) {
                ("done", Some(r)) => r.replace('_', " "),
                (s, _) => s.to_string(),
            };
            let id = x.id;
            let toggle = move |_| {
                if open.get_untracked() == Some(id) {
                    open.set(None);
                } else {
                    open.set(Some(id));
                    history.dispatch(ParticipationCalls { participation_id: id });
                }
            };
            view! {
                <tr data-participation=x.id>
                    <td><button class="btn link" aria-expanded=move || (open.get() == Some(id)).to_string()
                        title="Show the calls" on:click=toggle><code>{x.phone}</code></button></td>
                    <td>{x.name}</td>
                    <td>{outcome}</td>
                    <td class="num">{x.attempts}</td>
                    <td>{x.last_call_status.as_deref().map(call_status_label).unwrap_or_default()}</td>
                    <td>{if x.answered { "yes" } else { "" }}</td>
                    <td>{(x.state == "pending").then(|| x.next_attempt_at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())}</td>
                </tr>
                <Show when=move || open.get() == Some(id)>
                    <tr class="calls"><td colspan="7" data-testid="participation-calls">
                        {move || match history.value().get() {
                            None => view! { <span class="muted">"Loading…"</span> }.into_any(),
                            Some(Err(e)) => view! { <span class="error">{e.to_string()}</span> }.into_any(),
                            Some(Ok(calls)) if calls.is_empty() => view! { <span class="muted">"No call yet."</span> }.into_any(),
                            Some(Ok(calls)) => view! { <CallList calls=calls tz=tz/> }.into_any(),
                        }}
                    </td></tr>
                </Show>
            }
        })
        .collect_view();
    view! {
        <table class="grid" data-testid="participations">
            <thead><tr>
                <th>"Number"</th><th>"Name"</th><th>"State"</th><th class="num">"Calls"</th>
                <th>"Last call"</th><th>"Answered"</th><th>"Next call (" {zone} ")"</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
        <Pager total=total page=current per_page=per_page what="participations" to=page/>
    }
}

#[component]
fn CallList(calls: Vec<crate::callouts::api::CallLine>, tz: chrono_tz::Tz) -> impl IntoView {
    calls
        .into_iter()
        .map(|c| {
            let steps = c
                .history
                .iter()
                .map(|(status, source, at)| {
                    let at = chrono::DateTime::parse_from_rfc3339(at)
                        .map(|t| t.with_timezone(&tz).format("%H:%M:%S").to_string())
                        .unwrap_or_else(|_| at.clone());
                    format!("{at} {} ({source})", call_status_label(status))
                })
                .collect::<Vec<_>>()
                .join(" → ");
            view! {
                <div class="call">
                    <b>{format!("Call {}", c.attempt)}</b>" · "{call_status_label(&c.status)}
                    {c.duration_secs.map(|d| format!(" · {d} s"))}
                    {c.caller_id.map(|id| format!(" · from {id}"))}
                    {c.error.map(|e| view! { " · " <span class="error">{e}</span> })}
                    <div class="muted small">{steps}</div>
                </div>
            }
        })
        .collect_view()
}

#[cfg(test)]
mod tests {
    use super::outcome_class;
    use crate::callouts::rules::calls::CallStatus;
    use std::collections::HashSet;

    #[test]
    fn every_outcome_has_its_own_chart_class() {
        let classes: HashSet<&str> = CallStatus::ALL.into_iter().map(outcome_class).collect();
        assert_eq!(classes.len(), CallStatus::ALL.len());
        assert_ne!(outcome_class(CallStatus::Errored), outcome_class(CallStatus::Failed));
        assert!(classes.iter().all(|c| c.starts_with("oc-")));
    }

    #[test]
    fn the_palette_has_a_colour_for_every_class() {
        let css = include_str!("../../../../style/main.css");
        let widgets = &css[css
            .find("/* widgets */")
            .expect("the widgets section of style/main.css")..];
        let mut colours = HashSet::new();
        for s in CallStatus::ALL {
            let class = outcome_class(s);
            let rule = format!(".{class} {{ --oc: ");
            let at = widgets
                .find(&rule)
                .unwrap_or_else(|| panic!("no colour for .{class} in style/main.css"));
            let colour = widgets[at + rule.len()..].split(';').next().unwrap_or_default().trim();
            assert!(
                colours.insert(colour.to_string()),
                ".{class} shares its colour {colour}"
            );
        }
    }
}
