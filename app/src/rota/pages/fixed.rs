//! The template week of fixed turns: working days × turns × lines.
use super::{RotaNav, rota_changes, use_rota_info};
use crate::components::{ErrorLine, Loaded, RequireArea, failed};
use crate::rota::api::data::{ChangeLines, FixedTemplate, SeatChoice, SetFixedSeat, fixed_week};
use crate::rota::rules::data::{TeamSettings, WEEKDAY_NAMES};
use crate::shell::rules::access::{Area, RotaEdit};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn FixedTurnsPage() -> impl IntoView {
    view! {
        <RequireArea area=Area::Rota>
            <Title text="Fixed turns"/>
            <FixedView/>
        </RequireArea>
    }
}

#[component]
fn FixedView() -> impl IntoView {
    let info = use_rota_info();
    let changes = rota_changes();
    let template = Resource::new(move || changes.get(), |_| fixed_week());
    let lines = ServerAction::<ChangeLines>::new();
    let set = ServerAction::<SetFixedSeat>::new();
    let error = Signal::derive(move || failed(lines.value().get()).or_else(|| failed(set.value().get())));
    view! {
        <Loaded resource=info let:i>
            {
                let team = i.edit >= RotaEdit::Team;
                let settings = i.settings.clone();
                view! {
                    <h1>"Rota"</h1>
                    <RotaNav edit=i.edit/>
                    <section class="card">
                        <div class="row">
                            <h2>"Fixed turns"</h2>
                            <span class="muted">"Who should sit in a seat every week, or “nobody” to keep it empty. "
                                {settings.lines} " lines."</span>
                            <span class="spacer"></span>
                            {team.then(|| view! {
                                <button class="btn" on:click=move |_| { lines.dispatch(ChangeLines { add: true }); }>"+ Line"</button>
                                <button class="btn" on:click=move |_| { lines.dispatch(ChangeLines { add: false }); }>"− Line"</button>
                            })}
                        </div>
                        <ErrorLine error=error/>
                        <Loaded resource=template let:t>
                            {view! { <FixedGrid t=t settings=settings.clone() team=team set=set/> }}
                        </Loaded>
                    </section>
                }
            }
        </Loaded>
    }
}

#[component]
fn FixedGrid(t: FixedTemplate, settings: TeamSettings, team: bool, set: ServerAction<SetFixedSeat>) -> impl IntoView {
    let people = StoredValue::new(t.people.clone());
    let seats = StoredValue::new(t.seats.clone());
    let lines = settings.lines;
    let days = settings.working_days.clone();
    let head = (0..lines).map(|l| view! { <th>"Line " {l + 1}</th> }).collect_view();
    let turns = settings.turns();
    // One row per day and turn, one column per line: fits 1280 px with 8 to 10 lines.
    let rows = days
        .iter()
        .flat_map(|&day| (0..turns).map(move |turn| (day, turn)))
        .map(|(day, turn)| {
            let cells = (0..lines)
                .map(|line| {
                    let seat = seats.with_value(|s| {
                        s.iter()
                            .find(|s| s.weekday == day && s.turn == turn as u32 && s.line == line)
                            .map(|s| s.person.clone())
                    });
                    let (value, colour) = match &seat {
                        None => ("free".to_string(), String::new()),
                        Some(None) => ("nobody".to_string(), String::new()),
                        Some(Some(h)) => (
                            format!("p:{h}"),
                            people.with_value(|p| {
                                p.iter().find(|(x, _, _)| x == h).map(|(_, _, c)| c.clone()).unwrap_or_default()
                            }),
                        ),
                    };
                    let options = people.with_value(|p| {
                        p.iter()
                            .map(|(h, name, _)| view! { <option value=format!("p:{h}") title=name.clone()>{h.clone()}</option> })
                            .collect_view()
                    });
                    let label = format!("{} turn {} line {}", WEEKDAY_NAMES[usize::from(day)], turn + 1, line + 1);
                    view! {
                        <td class="seat" class:nobody=seat == Some(None) style=if colour.is_empty() { String::new() } else { format!("box-shadow: inset 4px 0 0 {colour}") }>
                            <select
                                aria-label=label
                                data-day=day data-turn=turn data-line=line
                                disabled=!team
                                prop:value=value.clone()
                                on:change=move |ev| {
                                    let v = event_target_value(&ev);
                                    let choice = match v.as_str() {
                                        "free" => SeatChoice::Free,
                                        "nobody" => SeatChoice::Nobody,
                                        p => SeatChoice::Person(p.trim_start_matches("p:").to_string()),
                                    };
                                    set.dispatch(SetFixedSeat { weekday: day, turn: turn as u32, line, choice });
                                }
                            >
                                <option value="free">"·"</option>
                                <option value="nobody">"nobody"</option>
                                {options}
                            </select>
                        </td>
                    }
                })
                .collect_view();
            let day_cell = (turn == 0).then(|| view! { <th rowspan=turns class="day">{WEEKDAY_NAMES[usize::from(day)]}</th> });
            view! { <tr class:day-start=turn == 0>{day_cell}<th>{settings.turn_label(turn)}</th>{cells}</tr> }
        })
        .collect_view();
    view! {
        <div class="scroll">
            <table class="grid fixed" data-testid="fixed-grid">
                <thead><tr><th></th><th></th>{head}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
