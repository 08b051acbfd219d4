//! The weekly timetable: generate (with live progress and a stop button), adjust seats by hand,
//! swap, publish, repair, read the load report and the penalties, browse versions.
use super::{RotaNav, rota_changes, use_rota_info};
use crate::components::{Badge, ErrorLine, Loaded, PeriodPager, RequireArea, Status, StatusBadge, Tone, failed};
use crate::rota::WeekStatus;
use crate::rota::api::timetable::{
    Candidate, GenerateWeek, History, PublishWeek, RestoreVersion, SeatRef, SetLoadOverride, SetSeat, StopSolver,
    SwapSeats, WeekView, seat_candidates, week_history, week_timetable,
};
use crate::rota::rules::data::WEEKDAY_NAMES;
use crate::rota::rules::plan::Standing;
use crate::shell::error::ApiError;
use crate::shell::live::use_topic;
use crate::shell::rules::access::Area;
use crate::shell::topics::Topic;
use chrono::{Datelike, Duration, NaiveDate};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TimetablePage() -> impl IntoView {
    view! {
        <RequireArea area=Area::Rota>
            <Title text="Timetable"/>
            <TimetableView/>
        </RequireArea>
    }
}

fn day_name(d: NaiveDate) -> String {
    format!(
        "{} {}",
        WEEKDAY_NAMES[d.weekday().num_days_from_monday() as usize],
        d.format("%d %b")
    )
}

#[component]
fn TimetableView() -> impl IntoView {
    let info = use_rota_info();
    let changes = rota_changes();
    let solver = use_topic(Topic::Solver);
    let day = RwSignal::new(None::<NaiveDate>);
    let week = Resource::new(
        move || (changes.get(), solver.get().seq, day.get()),
        |(_, _, d)| week_timetable(d),
    );
    // Made here, at page level, with the week: the server renders them with the page and the
    // browser hydrates the same resources (no browser-only work-arounds).
    let history = Resource::new(
        move || (changes.get(), solver.get().seq, day.get()),
        |(_, _, d)| week_history(d),
    );
    let selected = RwSignal::new(None::<SeatRef>);
    let candidates = Resource::new(
        move || (changes.get(), selected.get()),
        |(_, seat)| async move {
            match seat {
                Some(s) => seat_candidates(s).await.map(|list| (Some(s), list)),
                None => Ok((None, Vec::new())),
            }
        },
    );
    let shift = move |days: i64| {
        if let Some(Ok(w)) = week.get_untracked() {
            selected.set(None);
            day.set(Some(w.monday + Duration::days(days)));
        }
    };
    view! {
        <Loaded resource=info let:i>
            <h1>"Rota"</h1>
            <RotaNav edit=i.edit/>
            <section class="card">
                <div class="row noprint">
                    <h2>"Timetable"</h2>
                    <span class="spacer"></span>
                    <PeriodPager unit="week" step=move |d| shift(7 * d as i64)
                        current=Callback::new(move |_| { selected.set(None); day.set(None); })/>
                    <button class="btn" on:click=move |_| { let _ = window().print(); }>"Print"</button>
                </div>
                <Loaded resource=week loading="Loading the week…" let:w>
                    <WeekBody w=w selected=selected candidates=candidates history=history/>
                </Loaded>
            </section>
        </Loaded>
    }
}

#[component]
fn WeekBody(
    w: WeekView,
    selected: RwSignal<Option<SeatRef>>,
    candidates: Resource<Result<Candidates, ApiError>>,
    history: Resource<Result<History, ApiError>>,
) -> impl IntoView {
    let monday = w.monday;
    let may_edit = w.may_edit;
    let generate = ServerAction::<GenerateWeek>::new();
    let stop = ServerAction::<StopSolver>::new();
    let publish = ServerAction::<PublishWeek>::new();
    let set_seat = ServerAction::<SetSeat>::new();
    let swap = ServerAction::<SwapSeats>::new();
    let limit = RwSignal::new("10".to_string());
    let seed = RwSignal::new(String::new());
    let swapping = RwSignal::new(false);
    let highlight = RwSignal::new(String::new());
    let error = Signal::derive(move || {
        failed(generate.value().get())
            .or_else(|| failed(stop.value().get()))
            .or_else(|| failed(publish.value().get()))
            .or_else(|| failed(set_seat.value().get()))
            .or_else(|| failed(swap.value().get()))
    });
    // A seat given a person (or emptied) closes its picker.
    Effect::new(move || {
        if let Some(Ok(_)) = set_seat.value().get() {
            selected.set(None);
        }
    });
    let close_picker = Callback::new(move |_: ()| {
        if let Some(r) = selected.get_untracked() {
            selected.set(None);
            focus_seat(r);
        }
    });
    let running = w.job.as_ref().is_some_and(|j| j.status.is_going());
    let status = w.status;
    let published = status == Some(WeekStatus::Published);
    let colours = StoredValue::new(w.people.clone());
    let colour_of = move |h: &str| {
        colours.with_value(|p| {
            p.iter()
                .find(|c| c.handle == h)
                .map(|c| c.colour.clone())
                .unwrap_or_default()
        })
    };
    let start = move |repair: bool| {
        generate.dispatch(GenerateWeek {
            day: monday,
            seed: seed.get_untracked().trim().parse().ok(),
            time_limit_s: limit.get_untracked().trim().parse().ok(),
            repair,
        });
    };
    let click_seat = move |r: SeatRef| {
        if !may_edit {
            return;
        }
        match (swapping.get_untracked(), selected.get_untracked()) {
            (true, Some(a)) if a != r => {
                swap.dispatch(SwapSeats { a, b: r });
                swapping.set(false);
                selected.set(None);
            }
            _ => selected.set(if selected.get_untracked() == Some(r) {
                None
            } else {
                Some(r)
            }),
        }
    };
    let head = w.days.iter().map(|d| view! { <th>{day_name(*d)}</th> }).collect_view();
    let rows = w
        .turn_labels
        .iter()
        .enumerate()
        .map(|(t, label)| {
            let cells = w
                .days
                .iter()
                .enumerate()
                .map(|(di, d)| {
                    let row = w.seats.get(di).and_then(|x| x.get(t)).cloned().unwrap_or_default();
                    let chips = row
                        .into_iter()
                        .enumerate()
                        .map(|(line, who)| {
                            let r = SeatRef { day: *d, turn: t as u32, line: line as u32 };
                            let h = who.clone().unwrap_or_default();
                            let h2 = h.clone();
                            let colour = who.as_deref().map(colour_of).unwrap_or_default();
                            view! {
                                <button
                                    class="chip"
                                    class:empty=who.is_none()
                                    class:selected=move || selected.get() == Some(r)
                                    class:dim=move || { let x = highlight.get(); !x.is_empty() && x != h2 }
                                    style=if colour.is_empty() { String::new() } else { format!("border-left-color:{colour}") }
                                    data-day=d.to_string() data-turn=t data-line=line
                                    title=format!("line {}", line + 1)
                                    on:click=move |_| click_seat(r)
                                >
                                    {if h.is_empty() { "—".to_string() } else { h.clone() }}
                                </button>
                            }
                        })
                        .collect_view();
                    view! { <td class="seats">{chips}</td> }
                })
                .collect_view();
            view! { <tr><th>{label.clone()}</th>{cells}</tr> }
        })
        .collect_view();
    let badge = view! { <StatusBadge status=WeekState(status) testid="week-status"/> };
    let people_options = w
        .people
        .iter()
        .map(|c| view! { <option value=c.handle.clone()>{c.handle.clone()} " · " {c.name.clone()}</option> })
        .collect_view();
    view! {
        <div class="row">
            <strong>"Week of " {monday.format("%A %d %B %Y").to_string()}</strong>
            {badge}
            <span class="muted">
                {w.cost.map(|c| format!("cost {c}")).unwrap_or_default()}
                {w.imported_from.clone().map(|s| format!(" · imported from Tomàtic ({s})")).unwrap_or_default()}
                {format!(" · version {}", w.version)}
            </span>
            <span class="spacer"></span>
            <label class="inline noprint">"Highlight"
                <select on:change=move |ev| highlight.set(event_target_value(&ev))>
                    <option value="">"nobody"</option>
                    {people_options}
                </select>
            </label>
        </div>
        {may_edit.then(|| view! {
            <div class="row noprint" data-testid="solver-controls">
                <label class="inline">"Time limit (s)"<input name="time_limit" size="4" bind:value=limit/></label>
                <label class="inline">"Seed"<input name="seed" size="6" placeholder="random" bind:value=seed/></label>
                <button class="btn primary" disabled=running on:click=move |_| start(false)>"Generate"</button>
                {published.then(|| view! {
                    <button class="btn" disabled=running on:click=move |_| start(true)
                        title="Re-solve only what must change, keeping every other seat">"Repair"</button>
                })}
                <button class="btn danger" disabled=!running on:click=move |_| { stop.dispatch(StopSolver { day: monday }); }>"Stop"</button>
                <button class="btn" disabled=running || status.is_none() on:click=move |_| { publish.dispatch(PublishWeek { day: monday }); }>"Publish"</button>
                <button class="btn" class:primary=move || swapping.get() disabled=move || selected.get().is_none()
                    on:click=move |_| swapping.update(|s| *s = !*s)
                    title="Select a seat, press Swap, then click the other seat">
                    {move || if swapping.get() { "Click the other seat…" } else { "Swap" }}
                </button>
            </div>
        })}
        <ErrorLine error=error/>
        {w.job.clone().map(|j| view! { <JobPanel job=j/> })}
        <div class="seat-area">
            <table class="grid timetable" data-testid="timetable">
                <thead><tr><th></th>{head}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
            {move || selected.get().filter(|_| may_edit && !swapping.get()).map(|r| view! {
                <SeatPicker seat=r set=set_seat candidates=candidates close=close_picker/>
            })}
        </div>
        <div class="two">
            <Penalties penalties=w.penalties.clone() notes=w.notes.clone()/>
            <Loads w=w.clone()/>
        </div>
        <WeekHistory monday=monday may_edit=may_edit history=history/>
    }
}

#[component]
fn JobPanel(job: crate::rota::api::timetable::JobView) -> impl IntoView {
    let p = job.progress.as_ref();
    let cost = p.map(|p| p.cost);
    let bound = p.map(|p| p.lower_bound);
    let elapsed = p.map(|p| p.elapsed_s).unwrap_or(0.0);
    let totals: Vec<(String, f64)> = p
        .map(|p| {
            p.totals
                .iter()
                .filter(|t| t.points > 0)
                .map(|t| (t.rule.clone(), t.points as f64))
                .collect()
        })
        .unwrap_or_default();
    let max = totals.iter().map(|t| t.1).fold(1.0, f64::max);
    let bars = totals
        .iter()
        .enumerate()
        .map(|(i, (rule, pts))| {
            let w = 260.0 * pts / max;
            let y = i as f64 * 18.0;
            view! {
                <g>
                    <text x="0" y=y + 12.0 class="lbl">{rule.clone()}</text>
                    <rect x="110" y=y + 2.0 width=w height="12" class="bar"/>
                    <text x=115.0 + w y=y + 12.0 class="val">{format!("{pts}")}</text>
                </g>
            }
        })
        .collect_view();
    let h = (totals.len() as f64 * 18.0).max(18.0);
    view! {
        <div class="job" data-testid="solver-progress" data-status=job.status.as_str()>
            <Badge>{job.status.as_str()}</Badge>
            <span>{cost.map(|c| format!("best cost {c}")).unwrap_or_else(|| "starting…".into())}</span>
            <span class="muted">{bound.map(|b| format!(" · lower bound {b}")).unwrap_or_default()}</span>
            <span class="muted">{format!(" · {elapsed:.1} s")}</span>
            {job.error.clone().map(|e| view! { <span class="error">{e}</span> })}
            <svg class="bars" width="420" height=h role="img" aria-label="Best cost by rule">{bars}</svg>
        </div>
    }
}

/// A week's status as a badge: published reads fine, a draft (or a run) needs a look.
struct WeekState(Option<WeekStatus>);

impl Status for WeekState {
    fn label(&self) -> String {
        self.0.map_or("not planned", WeekStatus::as_str).to_string()
    }
    fn tone(&self) -> Tone {
        match self.0 {
            Some(WeekStatus::Published) => Tone::Ok,
            Some(_) => Tone::Warn,
            None => Tone::Neutral,
        }
    }
}

/// The seat picker's list: for which seat, who could take it.
type Candidates = (Option<SeatRef>, Vec<Candidate>);

/// The CSS selector of a seat's button in the grid.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn seat_selector(r: SeatRef) -> String {
    format!(
        r#"button.chip[data-day="{}"][data-turn="{}"][data-line="{}"]"#,
        r.day, r.turn, r.line
    )
}

/// Gives the keyboard focus back to a seat of the grid (when its picker closes).
fn focus_seat(r: SeatRef) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Ok(Some(el)) = document().query_selector(&seat_selector(r))
            && let Ok(el) = el.dyn_into::<web_sys::HtmlElement>()
        {
            let _ = el.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = r;
}

/// Where the picker goes inside the grid's area (`left`, `top` in px): beside its seat, on the
/// right if it fits, else on the left, else under the seat.
#[cfg(feature = "hydrate")]
fn beside_seat(picker: &web_sys::HtmlElement, r: SeatRef) -> Option<(f64, f64)> {
    let area = picker.parent_element()?.get_bounding_client_rect();
    let seat = document()
        .query_selector(&seat_selector(r))
        .ok()??
        .get_bounding_client_rect();
    let width = picker.offset_width() as f64;
    let gap = 6.0;
    let (left, top) = if seat.right() + gap + width <= area.right() {
        (seat.right() - area.left() + gap, seat.top() - area.top())
    } else if seat.left() - gap - width >= area.left() {
        (seat.left() - area.left() - gap - width, seat.top() - area.top())
    } else {
        (
            (seat.left() - area.left()).min(area.width() - width).max(0.0),
            seat.bottom() - area.top() + gap,
        )
    };
    Some((left, top))
}

/// Who may take a seat: opens beside the seat, holds the focus while open; Escape (or Close)
/// closes it and gives the focus back to the seat.
#[component]
fn SeatPicker(
    seat: SeatRef,
    set: ServerAction<SetSeat>,
    candidates: Resource<Result<Candidates, ApiError>>,
    close: Callback<()>,
) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    let place = RwSignal::new(None::<(f64, f64)>);
    #[cfg(feature = "hydrate")]
    Effect::new(move || {
        if let Some(el) = node.get() {
            place.set(beside_seat(&el, seat).or(Some((0.0, 0.0))));
            // Once placed: still not all on screen (a seat near the bottom)? Scroll it in.
            request_animation_frame(move || {
                let opts = web_sys::ScrollIntoViewOptions::new();
                opts.set_block(web_sys::ScrollLogicalPosition::Nearest);
                el.scroll_into_view_with_scroll_into_view_options(&opts);
                let _ = el.focus();
            });
        }
    });
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            close.run(());
        }
    });
    on_cleanup(move || escape.remove());
    let row = move |c: Candidate| {
        let handle = c.handle.clone();
        let (class, why) = match &c.standing {
            Standing::Free => ("free", String::new()),
            Standing::RatherNot(r) => ("rather", format!("rather not: {r}")),
            Standing::Cannot(r) => ("cannot", format!("cannot: {r}")),
        };
        view! {
            <li class=class data-handle=c.handle.clone()>
                <button class="btn ghost" disabled=c.in_turn || class == "cannot"
                    on:click=move |_| { set.dispatch(SetSeat { seat, person: Some(handle.clone()) }); }>
                    {c.handle.clone()}
                </button>
                <span class="muted">{c.name.clone()}</span>
                <span>{format!("{}/{} turns", c.turns, c.load)}</span>
                <span class="why">{if c.in_turn { "already in this turn".to_string() } else { why }}</span>
            </li>
        }
    };
    let title = format!(
        "{} · turn {} · line {}",
        day_name(seat.day),
        seat.turn + 1,
        seat.line + 1
    );
    view! {
        <div class="picker" data-testid="seat-picker" node_ref=node tabindex="-1" role="dialog"
            aria-label=format!("Seat {title}")
            style:left=move || place.get().map(|p| format!("{:.0}px", p.0))
            style:top=move || place.get().map(|p| format!("{:.0}px", p.1))
            style:visibility=move || if place.get().is_some() { "visible" } else { "hidden" }>
            <div class="row">
                <strong>{title.clone()}</strong>
                <span class="spacer"></span>
                <button class="btn" on:click=move |_| { set.dispatch(SetSeat { seat, person: None }); }>"Empty this seat"</button>
                <button class="btn ghost" on:click=move |_| close.run(()) title="Close (Esc)">"Close"</button>
            </div>
            <Loaded resource=candidates loading="Who is free…" let:list>
                {match list {
                    (Some(s), list) if s == seat => view! { <ul class="candidates">{list.into_iter().map(row).collect_view()}</ul> }.into_any(),
                    _ => view! { <p class="muted loading">"Who is free…"</p> }.into_any(),
                }}
            </Loaded>
        </div>
    }
}

#[component]
fn Penalties(penalties: Vec<crate::rota::rules::solver::Penalty>, notes: Vec<String>) -> impl IntoView {
    let mut rules: Vec<String> = penalties.iter().map(|p| p.rule.clone()).collect();
    rules.dedup();
    rules.sort();
    rules.dedup();
    let groups = rules
        .into_iter()
        .map(|rule| {
            let items: Vec<_> = penalties.iter().filter(|p| p.rule == rule).cloned().collect();
            let total: i64 = items.iter().map(|p| p.points).sum();
            view! {
                <details>
                    <summary>{rule.clone()} " · " {items.len()} " · " {total} " points"</summary>
                    <ul>{items.into_iter().map(|p| view! { <li>{p.text} " (" {p.points} ")"</li> }).collect_view()}</ul>
                </details>
            }
        })
        .collect_view();
    view! {
        <div data-testid="penalties">
            <h3>"Why it costs what it costs"</h3>
            {if penalties.is_empty() { Some(view! { <p class="muted">"No penalties."</p> }) } else { None }}
            {groups}
            {(!notes.is_empty()).then(|| view! {
                <div data-testid="week-notes">
                    <h4>"Not charged this week"</h4>
                    <ul>{notes.into_iter().map(|n| view! { <li class="muted">{n}</li> }).collect_view()}</ul>
                </div>
            })}
        </div>
    }
}

#[component]
fn Loads(w: WeekView) -> impl IntoView {
    let set = ServerAction::<SetLoadOverride>::new();
    let error = Signal::derive(move || failed(set.value().get()));
    let monday = w.monday;
    let may_edit = w.may_edit;
    let rows = w
        .loads
        .iter()
        .map(|l| {
            let h = l.load.id.clone();
            let diff = l.assigned as i64 - l.load.final_load as i64;
            view! {
                <tr data-handle=h.clone()>
                    <td>{h.clone()}</td>
                    <td class="num">{l.load.final_load}</td>
                    <td class="num" class:bad=diff != 0>{l.assigned}{(diff != 0).then(|| format!(" ({diff:+})"))}</td>
                    <td class="muted small">{l.explain.clone()}</td>
                    <td>{may_edit.then(|| {
                        let h = h.clone();
                        view! {
                            <input size="3" aria-label=format!("Override {h}") placeholder="—"
                                prop:value=l.load.override_load.map(|x| x.to_string()).unwrap_or_default()
                                on:change=move |ev| {
                                    let v = event_target_value(&ev);
                                    set.dispatch(SetLoadOverride { day: monday, handle: h.clone(), load: v.trim().parse().ok() });
                                }/>
                        }
                    })}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div data-testid="loads">
            <h3>"Load this week"</h3>
            {w.load_notes.iter().map(|n| view! { <p class="muted">{n.clone()}</p> }).collect_view()}
            <ErrorLine error=error/>
            <table class="grid">
                <thead><tr><th>"Person"</th><th>"Load"</th><th>"Has"</th><th>"Why"</th><th>"Override"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn WeekHistory(monday: NaiveDate, may_edit: bool, history: Resource<Result<History, ApiError>>) -> impl IntoView {
    let restore = ServerAction::<RestoreVersion>::new();
    let error = Signal::derive(move || failed(restore.value().get()));
    view! {
        <details class="history noprint">
            <summary>"Changes and versions"</summary>
            <ErrorLine error=error/>
            <Loaded resource=history quiet=true let:h>
                <div class="two">
                    <ul class="changes" data-testid="changes">
                        {h.changes.into_iter().map(|c| view! {
                            <li>
                                <span class="muted">{c.at.format("%Y-%m-%d %H:%M").to_string()} " · " {c.by.unwrap_or_else(|| "solver".into())} " · v" {c.version}</span>
                                " " {c.text}
                            </li>
                        }).collect_view()}
                    </ul>
                    <ul class="versions">
                        {h.versions.into_iter().map(|v| {
                            let version = v.version;
                            view! {
                                <li>
                                    "v" {v.version} " · " {v.note} " "
                                    <span class="muted">{v.at.format("%d %b %H:%M").to_string()}</span>
                                    {may_edit.then(|| view! {
                                        <button class="btn ghost" on:click=move |_| { restore.dispatch(RestoreVersion { day: monday, version }); }>"Restore"</button>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </div>
            </Loaded>
        </details>
    }
}
