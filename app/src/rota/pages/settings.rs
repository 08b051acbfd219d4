//! Team settings (admins).
use super::{AdminRota, split_words};
use crate::components::{Badge, ErrorLine, RequireArea, Tone, failed};
use crate::rota::api::data::SaveSettings;
use crate::rota::rules::data::{TeamSettings, WEEKDAY_NAMES};
use crate::shell::rules::access::Area;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn RotaSettingsPage() -> impl IntoView {
    view! {
        <RequireArea area=Area::Rota>
            <Title text="Rota settings"/>
            <AdminRota let:i><SettingsForm s=i.settings.clone()/></AdminRota>
        </RequireArea>
    }
}

#[component]
fn SettingsForm(s: TeamSettings) -> impl IntoView {
    let save = ServerAction::<SaveSettings>::new();
    let tz = RwSignal::new(s.time_zone.clone());
    let bounds = RwSignal::new(s.turn_boundaries.join(" "));
    let lines = RwSignal::new(s.lines.to_string());
    let days = RwSignal::new(s.working_days.clone());
    let max_day = RwSignal::new(s.max_turns_per_day.to_string());
    let max_empty = RwSignal::new(s.max_empty_seats.to_string());
    let overload = RwSignal::new(s.max_overload.to_string());
    let per_desk = RwSignal::new(s.max_per_desk.map(|m| m.to_string()).unwrap_or_default());
    let groups = RwSignal::new(
        s.group_rules
            .iter()
            .map(crate::rota::rules::data::GroupLimit::to_line)
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let local = RwSignal::new(None);
    let saved = RwSignal::new(false);
    Effect::new(move || saved.set(matches!(save.value().get(), Some(Ok(())))));
    let error = Signal::derive(move || local.get().or_else(|| failed(save.value().get())));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let num = |field: &str, v: String| {
            v.trim().parse::<u32>().map_err(|_| {
                crate::shell::error::ApiError::invalid(field, format!("'{}' is not a whole number", v.trim()))
            })
        };
        let parsed = (|| {
            Ok::<_, crate::shell::error::ApiError>(TeamSettings {
                time_zone: tz.get_untracked(),
                turn_boundaries: split_words(&bounds.get_untracked()),
                lines: num("lines", lines.get_untracked())?,
                working_days: days.get_untracked(),
                max_turns_per_day: num("max_turns_per_day", max_day.get_untracked())?,
                max_empty_seats: num("max_empty_seats", max_empty.get_untracked())?,
                max_per_desk: match per_desk.get_untracked().trim() {
                    "" => None,
                    v => Some(num("max_per_desk", v.to_string())?),
                },
                group_rules: crate::rota::rules::data::GroupLimit::parse_lines(&groups.get_untracked())?,
                max_overload: num("max_overload", overload.get_untracked())?,
            })
        })();
        match parsed {
            Ok(settings) => {
                local.set(None);
                save.dispatch(SaveSettings { settings });
            }
            Err(e) => local.set(Some(e)),
        }
    };
    view! {
        <section class="card">
            <h2>"Team settings"</h2>
            <form class="stack" on:submit=submit data-testid="settings-form">
                <label>"Time zone"<input name="time_zone" bind:value=tz/></label>
                <label>"Turn boundaries (n times make n − 1 turns)"<input name="turn_boundaries" bind:value=bounds/></label>
                <label>"Phone lines"<input name="lines" size="4" bind:value=lines/></label>
                <fieldset class="chks">
                    <legend>"Working days"</legend>
                    {(0u8..7).map(|d| view! {
                        <label class="chk">
                            <input type="checkbox" name=format!("day-{d}") prop:checked=move || days.get().contains(&d)
                                on:change=move |_| days.update(|v| if v.contains(&d) { v.retain(|x| *x != d) } else { v.push(d); v.sort_unstable() })/>
                            {WEEKDAY_NAMES[usize::from(d)]}
                        </label>
                    }).collect_view()}
                </fieldset>
                <label>"Most turns a person takes a day"<input name="max_turns_per_day" size="4" bind:value=max_day/></label>
                <label>"Most empty seats per turn when editing by hand"<input name="max_empty_seats" size="4" bind:value=max_empty/></label>
                <label>"Most turns above the proportional load when filling the week (0 = never above)"<input name="max_overload" size="4" bind:value=overload/></label>
                <fieldset class="chks">
                    <legend>"Solver rules (optional; empty = off)"</legend>
                    <label>"Most people of one desk in a turn"<input name="max_per_desk" size="4" bind:value=per_desk/></label>
                    <label>"Group limits, one per line: group max=N (on the phone at once) min_off=N (members off the phone)"
                        <textarea name="group_rules" rows="3" cols="50" prop:value=move || groups.get()
                            on:input=move |ev| groups.set(event_target_value(&ev))></textarea>
                    </label>
                </fieldset>
                <div class="row">
                    <button type="submit" class="btn primary" disabled=move || save.pending().get()>"Save settings"</button>
                    <Show when=move || saved.get()><Badge tone=Tone::Ok role="status">"Saved"</Badge></Show>
                </div>
            </form>
            <ErrorLine error=error/>
        </section>
    }
}
