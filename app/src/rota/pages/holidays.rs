//! Holidays and no-service days: a year calendar, a form and the list.
use super::{RotaNav, rota_changes, use_rota_info};
use crate::components::{ErrorLine, Loaded, PeriodPager, RequireArea, failed};
use crate::rota::api::data::{DeleteHoliday, SaveHoliday, list_holidays};
use crate::rota::rules::data::{Holiday, HolidayKind};
use crate::shell::rules::access::{Area, RotaEdit};
use chrono::{Datelike, Duration, NaiveDate};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HolidaysPage() -> impl IntoView {
    view! {
        <RequireArea area=Area::Rota>
            <Title text="Holidays"/>
            <HolidaysView/>
        </RequireArea>
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

#[component]
fn HolidaysView() -> impl IntoView {
    let info = use_rota_info();
    let changes = rota_changes();
    // None until the server says which year it is in the team's time zone.
    let year = RwSignal::new(None::<i32>);
    let holidays = Resource::new(move || (changes.get(), year.get()), |(_, y)| list_holidays(y));
    let shown = move || holidays.get().and_then(Result::ok).map(|h| h.year);
    let go = move |delta: i32| {
        if let Some(y) = shown() {
            year.set(Some(y + delta));
        }
    };
    view! {
        <Loaded resource=info let:i>
            {
                let team = i.edit >= RotaEdit::Team;
                let working_days = i.settings.working_days.clone();
                view! {
                    <h1>"Rota"</h1>
                    <RotaNav edit=i.edit/>
                    <section class="card">
                        <div class="row">
                            <h2>"Holidays and no-service days " {shown}</h2>
                            <span class="spacer"></span>
                            <PeriodPager unit="year" step=go wordy=true/>
                            <a class="btn" href="/api/rota/holidays.ics" rel="external">"Export iCalendar"</a>
                        </div>
                        {team.then(|| view! { <HolidayForm/> })}
                        <Loaded resource=holidays let:h>
                            {view! {
                                        <YearCalendar year=h.year holidays=h.holidays.clone() working_days=working_days.clone()/>
                                        <HolidayList holidays=h.holidays team=team/>
                                    }}
                        </Loaded>
                    </section>
                }
            }
        </Loaded>
    }
}

#[component]
fn YearCalendar(year: i32, holidays: Vec<Holiday>, working_days: Vec<u8>) -> impl IntoView {
    let months = (1..=12u32)
        .filter_map(|m| NaiveDate::from_ymd_opt(year, m, 1))
        .map(|first| {
            let lead = first.weekday().num_days_from_monday() as usize;
            let mut cells = Vec::new();
            for _ in 0..lead {
                cells.push(view! { <span class="day blank"></span> }.into_any());
            }
            let mut d = first;
            while d.month() == first.month() {
                let h = holidays.iter().find(|h| h.day == d);
                let off = !working_days.contains(&(d.weekday().num_days_from_monday() as u8));
                let class = match h.map(|h| h.kind) {
                    Some(HolidayKind::Holiday) => "day holiday",
                    Some(HolidayKind::NoService) => "day noservice",
                    None if off => "day off",
                    None => "day",
                };
                let title = h.map(|h| format!("{}: {}", d, h.name)).unwrap_or_default();
                cells.push(view! { <span class=class title=title data-date=d.to_string()>{d.day()}</span> }.into_any());
                d += Duration::days(1);
            }
            view! {
                <div class="month">
                    <h3>{MONTHS[first.month0() as usize]}</h3>
                    <div class="days">
                        {["M", "T", "W", "T", "F", "S", "S"].map(|w| view! { <span class="day head">{w}</span> }).to_vec()}
                        {cells}
                    </div>
                </div>
            }
        })
        .collect_view();
    view! { <div class="year" data-testid="year-calendar">{months}</div> }
}

#[component]
fn HolidayList(holidays: Vec<Holiday>, team: bool) -> impl IntoView {
    let delete = ServerAction::<DeleteHoliday>::new();
    let error = Signal::derive(move || failed(delete.value().get()));
    view! {
        <table class="grid" data-testid="holidays">
            <thead><tr><th>"Date"</th><th>"Name"</th><th>"Kind"</th><th></th></tr></thead>
            <tbody>
                {holidays.into_iter().map(|h| {
                    let day = h.day;
                    view! {
                        <tr data-date=day.to_string()>
                            <td>{day.format("%a %d %b %Y").to_string()}</td>
                            <td>{h.name.clone()}</td>
                            <td>{h.kind.label()}</td>
                            <td class="actions">{team.then(|| view! {
                                <button class="btn" on:click=move |_| { delete.dispatch(DeleteHoliday { day }); }>"Remove"</button>
                            })}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        <ErrorLine error=error/>
    }
}

#[component]
fn HolidayForm() -> impl IntoView {
    let save = ServerAction::<SaveHoliday>::new();
    let day = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new("holiday".to_string());
    let local = RwSignal::new(None);
    let error = Signal::derive(move || local.get().or_else(|| failed(save.value().get())));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(d) = NaiveDate::parse_from_str(day.get_untracked().trim(), "%Y-%m-%d") else {
            return local.set(Some(crate::shell::error::ApiError::invalid("day", "give a date")));
        };
        local.set(None);
        save.dispatch(SaveHoliday {
            holiday: Holiday {
                day: d,
                name: name.get_untracked(),
                kind: HolidayKind::parse(&kind.get_untracked()).unwrap_or(HolidayKind::Holiday),
            },
        });
    };
    view! {
        <form class="row" on:submit=submit data-testid="holiday-form">
            <label>"Date"<input name="day" type="date" required bind:value=day/></label>
            <label>"Name"<input name="name" required bind:value=name/></label>
            <label>"Kind"
                <select name="kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                    <option value="holiday">"Holiday"</option>
                    <option value="no_service">"No service"</option>
                </select>
            </label>
            <button type="submit" class="btn primary">"Add day"</button>
        </form>
        <ErrorLine error=error/>
    }
}
