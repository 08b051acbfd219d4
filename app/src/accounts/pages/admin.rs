//! Admin: user accounts and their roles, and machine tokens.
use crate::accounts::api::admin::{
    CreateToken, CreateUser, ResetPassword, RevokeToken, SetUserActive, SetUserRoles, list_tokens, list_users,
};
use crate::accounts::rules::roles::Role;
use crate::accounts::rules::tokens::Scope;
use crate::accounts::{TokenSummary, UserSummary};
use crate::components::{Badge, ErrorLine, Loaded, RequireArea, Tone, failed, use_me};
use crate::shell::live::use_topic;
use crate::shell::rules::access::Area;
use crate::shell::topics::Topic;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AdminPage() -> impl IntoView {
    view! {
        <RequireArea area=Area::Admin>
            <Title text="Admin"/>
            <h1>"Admin"</h1>
            <UsersPanel/>
            <TokensPanel/>
        </RequireArea>
    }
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn ask(question: &str) -> bool {
    window().confirm_with_message(question).unwrap_or(false)
}

/// A secret shown once, with whom it belongs to.
#[component]
fn OneTimeSecret(
    #[prop(into)] secret: Signal<Option<(String, String)>>,
    on_close: impl Fn() + 'static + Send + Sync + Copy,
) -> impl IntoView {
    view! {
        <Show when=move || secret.get().is_some()>
            <div class="secret" role="status" data-testid="secret">
                <span>{move || secret.get().map(|(who, _)| who)}</span>
                <code>{move || secret.get().map(|(_, s)| s)}</code>
                <span class="muted">"Copy it now: it is not shown again."</span>
                <button class="btn ghost" on:click=move |_| on_close()>"Done"</button>
            </div>
        </Show>
    }
}

#[component]
fn UsersPanel() -> impl IntoView {
    let me = use_me();
    let topic = use_topic(Topic::Users);
    let create = ServerAction::<CreateUser>::new();
    let set_roles = ServerAction::<SetUserRoles>::new();
    let reset = ServerAction::<ResetPassword>::new();
    let set_active = ServerAction::<SetUserActive>::new();
    let users = Resource::new(
        move || {
            (
                topic.get().seq,
                create.version().get(),
                set_roles.version().get(),
                reset.version().get(),
                set_active.version().get(),
            )
        },
        |_| list_users(),
    );

    let username = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let roles = RwSignal::new(vec![Role::Agent]);
    let password = RwSignal::new(String::new());
    let handed = RwSignal::new(None::<(String, String)>);
    let reset_for = RwSignal::new(String::new());

    Effect::new(move || {
        if let Some(Ok(pw)) = create.value().get() {
            handed.set(Some((format!("Password for {}:", username.get_untracked()), pw)));
            username.set(String::new());
            display_name.set(String::new());
            password.set(String::new());
        }
    });
    Effect::new(move || {
        if let Some(Ok(pw)) = reset.value().get() {
            handed.set(Some((format!("New password for {}:", reset_for.get_untracked()), pw)));
        }
    });
    let create_error = Signal::derive(move || failed(create.value().get()));
    let row_error =
        Signal::derive(move || failed(set_roles.value().get()).or_else(|| failed(set_active.value().get())));
    let reset_error = Signal::derive(move || failed(reset.value().get()));

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let pw = password.get_untracked();
        create.dispatch(CreateUser {
            username: username.get_untracked(),
            display_name: display_name.get_untracked(),
            roles: roles.get_untracked(),
            password: (!pw.is_empty()).then_some(pw),
        });
    };

    let row = move |u: UserSummary| {
        let id = u.id;
        let current = u.roles.clone();
        let is_me = me.get_untracked().is_some_and(|m| m.id == id);
        let name = u.username.clone();
        let name_for_toggle = u.username.clone();
        let active = u.active;
        let role_boxes = Role::ALL
            .into_iter()
            .map(|r| {
                let has = current.contains(&r);
                let current = current.clone();
                view! {
                    <label class="chk">
                        <input
                            type="checkbox"
                            name=format!("role-{}", r.as_str())
                            prop:checked=has
                            on:change=move |_| {
                                let mut next = current.clone();
                                if has { next.retain(|x| *x != r) } else { next.push(r) }
                                set_roles.dispatch(SetUserRoles { id, roles: next });
                            }
                        />
                        {r.as_str()}
                    </label>
                }
            })
            .collect_view();
        view! {
            <tr data-username=u.username.clone() class:inactive=!active>
                <td>{u.username.clone()}</td>
                <td>{u.display_name.clone()}</td>
                <td class="roles">{role_boxes}</td>
                <td>
                    {if active {
                        view! { <Badge tone=Tone::Ok>"active"</Badge> }
                    } else {
                        view! { <Badge>"deactivated"</Badge> }
                    }}
                </td>
                <td class="muted">{when(u.created_at)}</td>
                <td class="actions">
                    <button
                        class="btn"
                        on:click=move |_| {
                            if ask(&format!("Give {name} a new password? Their sessions end.")) {
                                reset_for.set(name.clone());
                                reset.dispatch(ResetPassword { id });
                            }
                        }
                    >
                        "Reset password"
                    </button>
                    <button
                        class="btn"
                        disabled=is_me
                        on:click=move |_| {
                            let q = if active {
                                format!("Deactivate {name_for_toggle}? Their sessions end.")
                            } else {
                                format!("Activate {name_for_toggle} again?")
                            };
                            if ask(&q) {
                                set_active.dispatch(SetUserActive { id, active: !active });
                            }
                        }
                    >
                        {if active { "Deactivate" } else { "Activate" }}
                    </button>
                </td>
            </tr>
        }
    };

    view! {
        <section class="card">
            <h2>"Users"</h2>
            <OneTimeSecret secret=handed on_close=move || handed.set(None)/>
            <form class="row" on:submit=submit data-testid="create-user">
                <label>
                    "User name"
                    <input name="username" required bind:value=username/>
                </label>
                <label>
                    "Full name"
                    <input name="display_name" required bind:value=display_name/>
                </label>
                <fieldset class="chks">
                    <legend>"Roles"</legend>
                    {Role::ALL
                        .into_iter()
                        .map(|r| {
                            view! {
                                <label class="chk">
                                    <input
                                        type="checkbox"
                                        name=format!("new-role-{}", r.as_str())
                                        prop:checked=move || roles.get().contains(&r)
                                        on:change=move |_| roles.update(|v| {
                                            if v.contains(&r) { v.retain(|x| *x != r) } else { v.push(r); v.sort() }
                                        })
                                    />
                                    {r.as_str()}
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <label>
                    "Password (empty: generate)"
                    <input name="password" type="password" autocomplete="new-password" bind:value=password/>
                </label>
                <button type="submit" class="btn primary" disabled=move || create.pending().get()>
                    "Create user"
                </button>
            </form>
            <ErrorLine error=create_error/>
            <ErrorLine error=row_error/>
            <ErrorLine error=reset_error/>
            <Loaded resource=users loading="Loading users…" let:list>
                {view! {
                                <table class="grid" data-testid="users">
                                    <thead>
                                        <tr>
                                            <th>"User"</th>
                                            <th>"Name"</th>
                                            <th>"Roles"</th>
                                            <th>"State"</th>
                                            <th>"Created"</th>
                                            <th></th>
                                        </tr>
                                    </thead>
                                    <tbody>{list.into_iter().map(row).collect_view()}</tbody>
                                </table>
                            }}
            </Loaded>
        </section>
    }
}

#[component]
fn TokensPanel() -> impl IntoView {
    let topic = use_topic(Topic::Tokens);
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(
        move || (topic.get().seq, create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    let name = RwSignal::new(String::new());
    let scopes = RwSignal::new(Vec::<Scope>::new());
    let shown = RwSignal::new(None::<(String, String)>);
    Effect::new(move || {
        if let Some(Ok(token)) = create.value().get() {
            shown.set(Some((format!("Token {}:", name.get_untracked()), token)));
            name.set(String::new());
            scopes.set(Vec::new());
        }
    });
    let error = Signal::derive(move || failed(create.value().get()).or_else(|| failed(revoke.value().get())));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateToken {
            name: name.get_untracked(),
            scopes: scopes.get_untracked(),
        });
    };
    let row = move |t: TokenSummary| {
        let id = t.id;
        let revoked = t.revoked_at.is_some();
        let label = t.name.clone();
        view! {
            <tr data-token=t.name.clone() class:inactive=revoked>
                <td>{t.name.clone()}</td>
                <td><code>{t.prefix.clone()} "…"</code></td>
                <td>{t.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")}</td>
                <td>{t.created_by.clone().unwrap_or_else(|| "command line".into())}</td>
                <td class="muted">{when(t.created_at)}</td>
                <td class="muted">{t.last_used_at.map(when).unwrap_or_else(|| "never".into())}</td>
                <td>
                    {match t.revoked_at {
                        Some(at) => view! { <Badge>"revoked " {when(at)}</Badge> }.into_any(),
                        None => view! {
                            <button
                                class="btn"
                                on:click=move |_| {
                                    if ask(&format!("Revoke the token {label}? Machines using it are refused at once.")) {
                                        revoke.dispatch(RevokeToken { id });
                                    }
                                }
                            >
                                "Revoke"
                            </button>
                        }
                        .into_any(),
                    }}
                </td>
            </tr>
        }
    };
    view! {
        <section class="card">
            <h2>"API tokens"</h2>
            <p class="muted">"For the PBX, outside systems, REST clients and metrics scrapers. Stored hashed; shown once."</p>
            <OneTimeSecret secret=shown on_close=move || shown.set(None)/>
            <form class="row" on:submit=submit data-testid="create-token">
                <label>
                    "Name"
                    <input name="token-name" required bind:value=name/>
                </label>
                <fieldset class="chks">
                    <legend>"Scopes"</legend>
                    {Scope::ALL
                        .into_iter()
                        .map(|s| {
                            view! {
                                <label class="chk">
                                    <input
                                        type="checkbox"
                                        name=format!("scope-{}", s.as_str())
                                        prop:checked=move || scopes.get().contains(&s)
                                        on:change=move |_| scopes.update(|v| {
                                            if v.contains(&s) { v.retain(|x| *x != s) } else { v.push(s); v.sort() }
                                        })
                                    />
                                    {s.as_str()}
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <button type="submit" class="btn primary" disabled=move || create.pending().get()>
                    "Create token"
                </button>
            </form>
            <ErrorLine error=error/>
            <Loaded resource=tokens loading="Loading tokens…" let:list>
                {if list.is_empty() { view! { <p class="muted">"No tokens yet."</p> }.into_any() } else { view! {
                                <table class="grid" data-testid="tokens">
                                    <thead>
                                        <tr>
                                            <th>"Name"</th>
                                            <th>"Token"</th>
                                            <th>"Scopes"</th>
                                            <th>"Created by"</th>
                                            <th>"Created"</th>
                                            <th>"Last used"</th>
                                            <th></th>
                                        </tr>
                                    </thead>
                                    <tbody>{list.into_iter().map(row).collect_view()}</tbody>
                                </table>
                            }.into_any() }}
            </Loaded>
        </section>
    }
}
