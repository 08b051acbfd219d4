//! The people table (inline editing for coordinators), the person form, and group pages.
use super::{RotaNav, Swatch, rota_changes, split_words, use_rota_info};
use crate::components::{ErrorLine, Loaded, RequireArea, failed};
use crate::rota::Person;
use crate::rota::api::data::{SavePerson, group_members, list_people};
use crate::rota::rules::data::{DEFAULT_COLOUR, PersonFields};
use crate::shell::rules::access::{Area, RotaEdit};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn PeoplePage() -> impl IntoView {
    view! {
        <RequireArea area=Area::Rota>
            <Title text="People"/>
            <PeopleView/>
        </RequireArea>
    }
}

#[component]
fn PeopleView() -> impl IntoView {
    let info = use_rota_info();
    let changes = rota_changes();
    let people = Resource::new(move || changes.get(), |_| list_people());
    let editing = RwSignal::new(None::<i64>);
    let adding = RwSignal::new(false);
    view! {
        <Loaded resource=info let:i>
            {
                let team = i.edit >= RotaEdit::Team;
                view! {
                    <h1>"Rota"</h1>
                    <RotaNav edit=i.edit/>
                    <section class="card">
                        <div class="row">
                            <h2>"People"</h2>
                            <span class="spacer"></span>
                            <a class="btn" href="/api/rota/people.csv" download="people.csv" rel="external">"Export CSV"</a>
                            {team.then(|| view! {
                                <button class="btn primary" on:click=move |_| adding.update(|a| *a = !*a)>
                                    "Add person"
                                </button>
                            })}
                        </div>
                        <Show when=move || adding.get()>
                            <PersonForm person=None on_saved=move |_| adding.set(false)/>
                        </Show>
                        <Loaded resource=people loading="Loading people…" let:list>
                            {view! {
                                    <table class="grid" data-testid="people">
                                        <thead>
                                            <tr>
                                                <th>"Handle"</th><th>"Name"</th><th>"Ext."</th><th>"Email"</th>
                                                <th>"Desk"</th><th>"Groups"</th><th title="ideal turns in a full week">"Load"</th>
                                                <th title="most turns a day">"Max/day"</th><th>"Account"</th><th></th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {list.into_iter().map(|p| view! { <PersonRow p=p team=team editing=editing/> }).collect_view()}
                                        </tbody>
                                    </table>
                                }}
                        </Loaded>
                    </section>
                }
            }
        </Loaded>
    }
}

#[component]
fn PersonRow(p: Person, team: bool, editing: RwSignal<Option<i64>>) -> impl IntoView {
    let id = p.id;
    let f = p.fields.clone();
    let groups = f
        .groups
        .iter()
        .map(|g| view! { <a class="tag" href=format!("/rota/groups/{g}")>{g.clone()}</a> })
        .collect_view();
    let person = p.clone();
    view! {
        <Show
            when=move || editing.get() == Some(id)
            fallback=move || ()
        >
            <tr class="editing">
                <td colspan="10">
                    <PersonForm person=Some(person.clone()) on_saved=move |_| editing.set(None)/>
                    <button class="btn ghost" on:click=move |_| editing.set(None)>"Cancel"</button>
                </td>
            </tr>
        </Show>
        <tr data-handle=f.handle.clone() class:inactive=!f.active class:hidden=move || editing.get() == Some(id)>
            <td><Swatch colour=f.colour.clone()/> <a href=format!("/rota/people/{}", f.handle)>{f.handle.clone()}</a></td>
            <td>{f.full_name.clone()}</td>
            <td>{f.extension.clone().unwrap_or_default()}</td>
            <td>{f.email.clone().unwrap_or_default()}</td>
            <td>{f.desk.clone().unwrap_or_default()}</td>
            <td>{groups}</td>
            <td>{f.ideal_load.map(|l| l.to_string()).unwrap_or_else(|| "—".into())}</td>
            <td>{f.max_turns_per_day.map(|l| l.to_string()).unwrap_or_else(|| "team".into())}</td>
            <td>{p.username.clone().unwrap_or_default()}</td>
            <td class="actions">
                {team.then(|| view! {
                    <button class="btn" on:click=move |_| editing.set(Some(id))>"Edit"</button>
                })}
            </td>
        </tr>
    }
}

fn opt(s: String) -> Option<String> {
    let s = s.trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// Creates a person (`person` none) or edits one; for coordinators.
#[component]
pub fn PersonForm(person: Option<Person>, on_saved: impl Fn(String) + Send + Sync + 'static) -> impl IntoView {
    let save = ServerAction::<SavePerson>::new();
    let f = person.as_ref().map(|p| p.fields.clone()).unwrap_or(PersonFields {
        colour: DEFAULT_COLOUR.into(),
        active: true,
        ..Default::default()
    });
    let id = person.as_ref().map(|p| p.id);
    let handle = RwSignal::new(f.handle.clone());
    let full_name = RwSignal::new(f.full_name.clone());
    let extension = RwSignal::new(f.extension.clone().unwrap_or_default());
    let email = RwSignal::new(f.email.clone().unwrap_or_default());
    let colour = RwSignal::new(f.colour.clone());
    let desk = RwSignal::new(f.desk.clone().unwrap_or_default());
    let groups = RwSignal::new(f.groups.join(" "));
    let load = RwSignal::new(f.ideal_load.map(|l| l.to_string()).unwrap_or_default());
    let max = RwSignal::new(f.max_turns_per_day.map(|l| l.to_string()).unwrap_or_default());
    let active = RwSignal::new(f.active);
    let account = RwSignal::new(person.as_ref().and_then(|p| p.username.clone()).unwrap_or_default());
    let local_error = RwSignal::new(None);
    Effect::new(move || {
        if let Some(Ok(h)) = save.value().get() {
            on_saved(h);
        }
    });
    let error = Signal::derive(move || local_error.get().or_else(|| failed(save.value().get())));
    let number = |field: &str, s: String| -> Result<Option<u32>, crate::shell::error::ApiError> {
        let s = s.trim().to_string();
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<u32>()
            .map(Some)
            .map_err(|_| crate::shell::error::ApiError::invalid(field, format!("'{s}' is not a whole number")))
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local_error.set(None);
        let (ideal_load, max_turns_per_day) = match (
            number("ideal_load", load.get_untracked()),
            number("max_turns_per_day", max.get_untracked()),
        ) {
            (Ok(l), Ok(m)) => (l, m),
            (Err(e), _) | (_, Err(e)) => return local_error.set(Some(e)),
        };
        save.dispatch(SavePerson {
            id,
            fields: PersonFields {
                handle: handle.get_untracked(),
                full_name: full_name.get_untracked(),
                extension: opt(extension.get_untracked()),
                email: opt(email.get_untracked()),
                colour: colour.get_untracked(),
                desk: opt(desk.get_untracked()),
                groups: split_words(&groups.get_untracked()),
                ideal_load,
                max_turns_per_day,
                active: active.get_untracked(),
                user_id: None,
            },
            account: opt(account.get_untracked()),
        });
    };
    view! {
        <form class="row person-form" on:submit=submit data-testid="person-form">
            <label>"Handle"<input name="handle" required size="10" bind:value=handle/></label>
            <label>"Full name"<input name="full_name" required bind:value=full_name/></label>
            <label>"Extension"<input name="extension" size="6" bind:value=extension/></label>
            <label>"Email"<input name="email" type="email" bind:value=email/></label>
            <label>"Colour"<input name="colour" size="8" bind:value=colour/></label>
            <label>"Desk"<input name="desk" size="8" bind:value=desk/></label>
            <label>"Groups"<input name="groups" placeholder="space separated" bind:value=groups/></label>
            <label title="turns in a full week; empty: not on the rota">"Ideal load"<input name="ideal_load" size="3" bind:value=load/></label>
            <label title="empty: the team's default">"Max/day"<input name="max_turns_per_day" size="3" bind:value=max/></label>
            <label>"Account"<input name="account" size="10" placeholder="user name" bind:value=account/></label>
            <label class="chk"><input type="checkbox" name="active" bind:checked=active/>"Active"</label>
            <button type="submit" class="btn primary" disabled=move || save.pending().get()>
                {if id.is_some() { "Save" } else { "Add person" }}
            </button>
        </form>
        <ErrorLine error=error/>
    }
}

#[component]
pub fn GroupPage() -> impl IntoView {
    view! {
        <RequireArea area=Area::Rota>
            <GroupView/>
        </RequireArea>
    }
}

#[component]
fn GroupView() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let changes = rota_changes();
    let members = Resource::new(move || (changes.get(), name()), |(_, n)| group_members(n));
    let info = use_rota_info();
    view! {
        <Title text=move || format!("Group {}", name())/>
        <Loaded resource=info let:i>
            <h1>"Rota"</h1>
            <RotaNav edit=i.edit/>
        </Loaded>
        <section class="card">
            <h2>"Group " {name}</h2>
            <Loaded resource=members let:list>
                {if list.is_empty() { view! { <p class="muted">"Nobody is in this group."</p> }.into_any() } else { view! {
                        <table class="grid" data-testid="group-members">
                            <thead><tr><th>"Handle"</th><th>"Name"</th><th>"Desk"</th><th>"Load"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|p| view! {
                                    <tr class:inactive=!p.fields.active>
                                        <td><Swatch colour=p.fields.colour.clone()/> <a href=format!("/rota/people/{}", p.fields.handle)>{p.fields.handle.clone()}</a></td>
                                        <td>{p.fields.full_name.clone()}</td>
                                        <td>{p.fields.desk.clone().unwrap_or_default()}</td>
                                        <td>{p.fields.ideal_load.map(|l| l.to_string()).unwrap_or_else(|| "—".into())}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any() }}
            </Loaded>
        </section>
    }
}
