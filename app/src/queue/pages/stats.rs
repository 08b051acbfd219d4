//! `/queue/stats`: the queue's daily call statistics (coordinators, managers, admins): a day
//! picker (today by default), the day's figures, calls per hour as a chart and a table, the
//! agents' answered calls, the last 30 days as a chart, and the CSV export of the day. It
//! refreshes live when a call is recorded (`queue.stats`).
use crate::accounts::rules::roles::sees_the_team;
use crate::components::{Forbidden, Loaded, RequireArea, use_me};
use crate::queue::rules::stats::{
    ANSWER_TARGET_SECS, AgentFigures, DayStats, Figures, HistoryDay, HourFigures, StatsView, duration, percent,
};
use crate::queue::stats_api::queue_stats;
use crate::shell::live::use_topic_throttled;
use crate::shell::rules::access::Area;
use crate::shell::topics::Topic;
use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_meta::Title;

const CHART_W: f64 = 560.0;
const CHART_H: f64 = 140.0;
/// Room above the bars for the chart's scale label.
const TOP: f64 = 16.0;

/// The chart classes (the palette of style/main.css, `/* widgets */`).
const RECEIVED: &str = "oc-in-progress";
const ANSWERED: &str = "oc-completed";
const ABANDONED: &str = "oc-failed";
const OTHER: &str = "oc-queued";

#[component]
pub fn QueueStatsPage() -> impl IntoView {
    let me = use_me();
    let changed = use_topic_throttled(Topic::QueueStats, std::time::Duration::from_millis(1000));
    let day = RwSignal::new(None::<NaiveDate>);
    let stats = Resource::new(move || (day.get(), changed.get()), |(d, _)| queue_stats(d));
    view! {
        <RequireArea area=Area::Queue>
            <Title text="Call statistics"/>
            <Show when=move || me.get().is_some_and(|m| sees_the_team(&m.roles)) fallback=|| view! { <Forbidden/> }>
                <h1>"Call statistics"</h1>
                <p><a href="/queue">"Back to the queue"</a></p>
                <Loaded resource=stats let:v>
                    <Stats v day/>
                </Loaded>
            </Show>
        </RequireArea>
    }
}

#[component]
fn Stats(v: StatsView, day: RwSignal<Option<NaiveDate>>) -> impl IntoView {
    let StatsView { today, stats, history } = v;
    let shown = stats.day;
    view! {
        <form class="row controls" aria-label="Pick a day" on:submit=|ev| ev.prevent_default()>
            <label>"Day"
                <input type="date" data-testid="stats-day" max=today.to_string() prop:value=shown.to_string()
                    on:change=move |ev| {
                        let d = NaiveDate::parse_from_str(&event_target_value(&ev), "%Y-%m-%d").ok();
                        day.set(d.filter(|d| *d != today));
                    }/>
            </label>
            {(shown != today).then(|| view! {
                <button class="btn" type="button" on:click=move |_| day.set(None)>"Today"</button>
            })}
            <a class="btn" data-testid="stats-export" href=format!("/api/queue/stats.csv?day={shown}") download="">"Export CSV"</a>
        </form>
        <DayFigures stats=stats.clone()/>
        <h2>"Calls per hour"</h2>
        <HourChart hours=stats.hours.clone() zone=stats.zone.clone()/>
        <HourTable hours=stats.hours.clone()/>
        <h2 class="qs-gap">"Agents"</h2>
        <AgentTable agents=stats.agents.clone()/>
        <h2 class="qs-gap">"The last 30 days"</h2>
        <HistoryChart days=history/>
    }
}

#[component]
fn DayFigures(stats: DayStats) -> impl IntoView {
    let f: Figures = stats.figures;
    let others = f.unanswered + f.waiting;
    view! {
        <p class="small muted">{format!("{} · hours in {}", stats.day, stats.zone)}</p>
        <dl class="qs-figures" data-testid="stats-figures">
            <div><dt>"Received"</dt><dd data-testid="stat-received">{f.received}</dd></div>
            <div><dt>"Answered"</dt><dd data-testid="stat-answered">{f.answered}</dd></div>
            <div><dt>"Abandoned"</dt><dd data-testid="stat-abandoned">{f.abandoned}
                {(f.abandoned > 0).then(|| format!(" (after {} on average, {} at most)",
                    duration(f.abandoned_wait_avg_secs), duration(f.abandoned_wait_max_secs.map(f64::from))))}
            </dd></div>
            {(others > 0).then(|| view! {
                <div><dt>"Not answered or waiting"</dt><dd data-testid="stat-other">
                    {format!("{} not answered, {} waiting", f.unanswered, f.waiting)}
                </dd></div>
            })}
            <div><dt>"Wait (average / longest)"</dt><dd data-testid="stat-wait">
                {format!("{} / {}", duration(f.wait_avg_secs), duration(f.wait_max_secs.map(f64::from)))}
            </dd></div>
            <div><dt>{format!("Answered within {ANSWER_TARGET_SECS} s")}</dt><dd data-testid="stat-in-time">
                {format!("{} ({})", percent(f.in_time_share), f.answered_in_time)}
            </dd></div>
            <div><dt>"Talk (average / total)"</dt><dd data-testid="stat-talk">
                {format!("{} / {}", duration(f.talk_avg_secs), duration(Some(f.talk_total_secs as f64)))}
            </dd></div>
        </dl>
    }
}

fn legend(keys: &[(&'static str, &'static str)]) -> impl IntoView + use<> {
    let keys: Vec<_> = keys
        .iter()
        .map(|(class, label)| view! { <span class="key"><i class=*class></i>{*label}</span> })
        .collect();
    view! { <div class="legend">{keys}</div> }
}

/// Calls per hour of the day, stacked by outcome.
#[component]
fn HourChart(hours: Vec<HourFigures>, zone: String) -> impl IntoView {
    let max = hours.iter().map(|h| h.figures.received).max().unwrap_or(0);
    if max == 0 {
        return view! { <p class="muted" data-testid="hour-chart-empty">"No calls this day."</p> }.into_any();
    }
    let slot = CHART_W / 24.0;
    let mut bars = Vec::new();
    for h in &hours {
        let f = &h.figures;
        let mut y = CHART_H;
        for (n, class, what) in [
            (f.answered, ANSWERED, "answered"),
            (f.abandoned, ABANDONED, "abandoned"),
            (f.unanswered + f.waiting, OTHER, "not answered or waiting"),
        ] {
            if n == 0 {
                continue;
            }
            let height = (CHART_H - TOP) * f64::from(n) / f64::from(max);
            y -= height;
            let title = format!("{:02}:00: {n} {what}", h.hour);
            bars.push(view! {
                <rect x=format!("{:.1}", f64::from(h.hour) * slot + 1.0) y=format!("{y:.1}") width=format!("{:.1}", slot - 2.0)
                    height=format!("{height:.1}") class=class data-hour=h.hour><title>{title}</title></rect>
            });
        }
    }
    let labels: Vec<_> = (0..24u8)
        .step_by(3)
        .map(|hr| view! { <text x=format!("{:.1}", f64::from(hr) * slot + 1.0) y=CHART_H + 13.0 class="lbl">{format!("{hr:02}")}</text> })
        .collect();
    view! {
        <svg class="chart" viewBox=format!("0 0 {CHART_W} {}", CHART_H + 16.0) role="img"
            aria-label=format!("Calls per hour of the day ({zone})") data-testid="hour-chart">
            <line x1="0" y1=CHART_H x2=CHART_W y2=CHART_H class="axis"/>
            {bars}
            {labels}
            <text x=CHART_W y="10" class="lbl" text-anchor="end">{format!("max {max} calls per hour")}</text>
        </svg>
        {legend(&[(ANSWERED, "Answered"), (ABANDONED, "Abandoned"), (OTHER, "Not answered or waiting")])}
    }
    .into_any()
}

#[component]
fn HourTable(hours: Vec<HourFigures>) -> impl IntoView {
    let rows: Vec<HourFigures> = hours.into_iter().filter(|h| h.figures.received > 0).collect();
    if rows.is_empty() {
        return ().into_any();
    }
    view! {
        <table class="grid" data-testid="hour-table">
            <thead><tr>
                <th scope="col">"Hour"</th>
                <th scope="col">"Received"</th>
                <th scope="col">"Answered"</th>
                <th scope="col">"Abandoned"</th>
                <th scope="col">"Wait (avg)"</th>
                <th scope="col">{format!("Within {ANSWER_TARGET_SECS} s")}</th>
                <th scope="col">"Talk (avg)"</th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|h| {
                    let f = h.figures;
                    view! {
                        <tr data-testid="hour-row" data-hour=h.hour>
                            <td>{format!("{:02}:00", h.hour)}</td>
                            <td>{f.received}</td>
                            <td>{f.answered}</td>
                            <td>{f.abandoned}</td>
                            <td>{duration(f.wait_avg_secs)}</td>
                            <td>{percent(f.in_time_share)}</td>
                            <td>{duration(f.talk_avg_secs)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn AgentTable(agents: Vec<AgentFigures>) -> impl IntoView {
    if agents.is_empty() {
        return view! { <p class="muted" data-testid="agents-empty">"No answered calls this day."</p> }.into_any();
    }
    view! {
        <table class="grid" data-testid="agent-table">
            <thead><tr>
                <th scope="col">"Agent"</th>
                <th scope="col">"Interface"</th>
                <th scope="col">"Answered"</th>
                <th scope="col">"Wait (avg)"</th>
                <th scope="col">"Talk (avg)"</th>
                <th scope="col">"Talk (total)"</th>
            </tr></thead>
            <tbody>
                {agents.into_iter().map(|a| view! {
                    <tr data-testid="agent-row" data-interface=a.interface.clone()>
                        <td>{a.name.clone()}</td>
                        <td>{a.interface.clone()}</td>
                        <td>{a.answered}</td>
                        <td>{duration(a.wait_avg_secs)}</td>
                        <td>{duration(a.talk_avg_secs)}</td>
                        <td>{duration(Some(a.talk_total_secs as f64))}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// Received, answered and abandoned calls per day, side by side.
#[component]
fn HistoryChart(days: Vec<HistoryDay>) -> impl IntoView {
    let max = days.iter().map(|d| d.received).max().unwrap_or(0);
    if max == 0 {
        return view! { <p class="muted" data-testid="history-empty">"No calls in these days."</p> }.into_any();
    }
    let slot = CHART_W / days.len().max(1) as f64;
    let bar = (slot - 2.0) / 3.0;
    let mut bars = Vec::new();
    for (i, d) in days.iter().enumerate() {
        for (k, (n, class, what)) in [
            (d.received, RECEIVED, "received"),
            (d.answered, ANSWERED, "answered"),
            (d.abandoned, ABANDONED, "abandoned"),
        ]
        .into_iter()
        .enumerate()
        {
            if n == 0 {
                continue;
            }
            let height = (CHART_H - TOP) * f64::from(n) / f64::from(max);
            bars.push(view! {
                <rect x=format!("{:.1}", i as f64 * slot + 1.0 + k as f64 * bar) y=format!("{:.1}", CHART_H - height)
                    width=format!("{bar:.1}") height=format!("{height:.1}") class=class data-day=d.day.to_string()>
                    <title>{format!("{}: {n} {what}", d.day)}</title>
                </rect>
            });
        }
    }
    let first = days.first().map(|d| d.day.to_string()).unwrap_or_default();
    let last = days.last().map(|d| d.day.to_string()).unwrap_or_default();
    view! {
        <svg class="chart" viewBox=format!("0 0 {CHART_W} {}", CHART_H + 16.0) role="img"
            aria-label="Calls received, answered and abandoned per day" data-testid="history-chart">
            <line x1="0" y1=CHART_H x2=CHART_W y2=CHART_H class="axis"/>
            {bars}
            <text x="0" y=CHART_H + 13.0 class="lbl">{first}</text>
            <text x=CHART_W y=CHART_H + 13.0 class="lbl" text-anchor="end">{last}</text>
            <text x=CHART_W y="10" class="lbl" text-anchor="end">{format!("max {max} calls a day")}</text>
        </svg>
        {legend(&[(RECEIVED, "Received"), (ANSWERED, "Answered"), (ABANDONED, "Abandoned")])}
    }
    .into_any()
}
