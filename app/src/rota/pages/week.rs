//! The team's week: how many people are busy in each turn, and why.
use super::{RotaNav, rota_changes, use_rota_info};
use crate::components::{Badge, Loaded, PeriodPager, RequireArea, Tone};
use crate::rota::api::data::week_busy;
use crate::rota::rules::data::WEEKDAY_NAMES;
use crate::shell::rules::access::Area;
use chrono::{Datelike, Duration, NaiveDate};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn RotaWeekPage() -> impl IntoView {
    view! {
        <RequireArea area=Area::Rota>
            <Title text="Rota"/>
            <WeekView/>
        </RequireArea>
    }
}

#[component]
fn WeekView() -> impl IntoView {
    let info = use_rota_info();
    let changes = rota_changes();
    let day = RwSignal::new(None::<NaiveDate>);
    let week = Resource::new(move || (changes.get(), day.get()), |(_, d)| week_busy(d));
    let shift = move |days: i64| {
        if let Some(Ok(w)) = week.get_untracked() {
            day.set(Some(w.monday + Duration::days(days)));
        }
    };
    view! {
        <Loaded resource=info let:i>
            {
                let settings = i.settings.clone();
                view! {
                    <h1>"Rota"</h1>
                    <RotaNav edit=i.edit/>
                    <section class="card">
                        <div class="row">
                            <h2>"Who is busy this week"</h2>
                            <span class="spacer"></span>
                            <PeriodPager unit="week" step=move |d| shift(7 * d as i64) current=Callback::new(move |_| day.set(None))/>
                        </div>
                        <Loaded resource=week loading="Loading the week…" let:w>
                            {
                                    {
                                        let settings = settings.clone();
                                        let head = w.days.iter().map(|d| {
                                            let name = WEEKDAY_NAMES[d.date.weekday().num_days_from_monday() as usize];
                                            view! { <th>{name} " " {d.date.format("%d %b").to_string()}</th> }
                                        }).collect_view();
                                        let rows = (0..settings.turns()).map(|t| {
                                            let cells = w.days.iter().map(|d| match &d.closed {
                                                Some(why) => view! { <td class="closed" title=why.clone()>{why.clone()}</td> }.into_any(),
                                                None => {
                                                    let busy = d.turns.get(t).cloned().unwrap_or_default();
                                                    let must = busy.iter().filter(|b| b.mandatory).count();
                                                    let rather = busy.len() - must;
                                                    let free = w.on_rota.saturating_sub(busy.len() as u32);
                                                    let names = busy.iter().map(|b| view! {
                                                        <li class:optional=!b.mandatory title=b.reason.clone()>
                                                            <a href=format!("/rota/people/{}", b.handle)>{b.handle.clone()}</a>
                                                            " " <span class="muted">{b.reason.clone()}</span>
                                                        </li>
                                                    }).collect_view();
                                                    view! {
                                                        <td data-day=d.date.to_string() data-turn=t>
                                                            <div class="counts">
                                                                <Badge tone=Tone::Bad title="cannot">{must}</Badge>
                                                                <Badge tone=Tone::Warn title="rather not">{rather}</Badge>
                                                                <Badge tone=Tone::Ok title="free">{free}" free"</Badge>
                                                            </div>
                                                            <ul class="busy">{names}</ul>
                                                        </td>
                                                    }.into_any()
                                                }
                                            }).collect_view();
                                            view! { <tr><th>{settings.turn_label(t)}</th>{cells}</tr> }
                                        }).collect_view();
                                        view! {
                                            <p class="muted">
                                                "Week of " {w.monday.format("%A %d %B %Y").to_string()} " · "
                                                {w.on_rota} " people on the rota · red: cannot, amber: rather not"
                                            </p>
                                            <table class="grid week" data-testid="week-busy">
                                                <thead><tr><th></th>{head}</tr></thead>
                                                <tbody>{rows}</tbody>
                                            </table>
                                        }
                                    }
                            }
                        </Loaded>
                    </section>
                }
            }
        </Loaded>
    }
}
