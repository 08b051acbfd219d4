//! Widgets shared by the pages: the shell around them, access checks, and (one module each)
//! badges, progress bars, pagers and the loading/error wrapper of a resource.
pub mod badge;
pub mod loaded;
pub mod pager;
pub mod progress;

pub use badge::{Badge, Status, StatusBadge, Tone};
pub use loaded::{ErrorMessage, Loaded};
pub use pager::{Pager, PeriodPager};
pub use progress::{Progress, ProgressBar};

use crate::accounts::Me;
use crate::accounts::api::auth::Logout;
use crate::shell::error::ApiError;
use crate::shell::live::{LiveState, use_live_state};
use crate::shell::rules::access::Area;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Outlet};

/// The signed-in user, loaded once per page load.
#[derive(Clone, Copy)]
pub struct CurrentUser(pub Resource<Result<Option<Me>, ApiError>>);

/// The signed-in user (or `None`) once known.
pub fn use_me() -> Signal<Option<Me>> {
    let CurrentUser(res) = expect_context::<CurrentUser>();
    Signal::derive(move || res.get().and_then(Result::ok).flatten())
}

/// Header, navigation and the page below it.
#[component]
pub fn Shell() -> impl IntoView {
    let CurrentUser(me) = expect_context::<CurrentUser>();
    let logout = ServerAction::<Logout>::new();
    Effect::new(move || {
        if let Some(Ok(())) = logout.value().get() {
            let _ = window().location().set_href("/login");
        }
    });
    view! {
        <header class="topbar">
            <a class="brand" href="/"><img class="brand-logo" src="/logo.svg" alt="" width="20" height="20"/>"Switchboard"</a>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let user = me.await.ok().flatten();
                    user.map(|u| {
                        let links = Area::ALL
                            .into_iter()
                            .filter(|a| a.allows(&u.roles))
                            .map(|a| view! { <A href=a.path() exact=a == Area::Home>{a.title()}</A> })
                            .collect_view();
                        let roles = u.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ");
                        view! {
                            <nav class="areas">{links}</nav>
                            <span class="spacer"></span>
                            <LiveBadge/>
                            <span class="who" data-testid="current-user">
                                {u.display_name.clone()} <small>" (" {u.username.clone()} " · " {roles} ")"</small>
                            </span>
                            <ActionForm action=logout attr:class="inline">
                                <button type="submit" class="btn ghost">"Sign out"</button>
                            </ActionForm>
                        }
                    })
                })}
            </Suspense>
        </header>
        <main class="page">
            <Outlet/>
        </main>
    }
}

/// Shows its children only to users whose roles open `area`; others see why not. The server
/// enforces the same rule (status 403 on the page, and in every server function).
#[component]
pub fn RequireArea(area: Area, children: ChildrenFn) -> impl IntoView {
    let CurrentUser(me) = expect_context::<CurrentUser>();
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {
                let children = children.clone();
                move || {
                    let children = children.clone();
                    Suspend::new(async move {
                        match me.await {
                            Ok(Some(u)) if area.allows(&u.roles) => children().into_any(),
                            Ok(Some(_)) => view! { <Forbidden/> }.into_any(),
                            _ => view! {
                                <section class="notice">
                                    <h1>"Please sign in"</h1>
                                    <p><a href="/login">"Go to the sign-in page"</a></p>
                                </section>
                            }
                            .into_any(),
                        }
                    })
                }
            }
        </Suspense>
    }
}

#[component]
pub fn Forbidden() -> impl IntoView {
    view! {
        <Title text="No access"/>
        <section class="notice" data-testid="forbidden">
            <h1>"403 · No access"</h1>
            <p>"Your roles do not open this page. Ask an admin if you need it."</p>
            <p><a href="/">"Back to the start page"</a></p>
        </section>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found"/>
        <section class="notice">
            <h1>"404 · Not found"</h1>
            <p><a href="/">"Back to the start page"</a></p>
        </section>
    }
}

/// The live-update connection, so a user knows whether what they see is current.
#[component]
pub fn LiveBadge() -> impl IntoView {
    let state = use_live_state();
    let label = move || match state.get() {
        LiveState::Connecting => "connecting",
        LiveState::Live => "live",
        LiveState::Reconnecting => "reconnecting",
    };
    let class = move || {
        match state.get() {
            LiveState::Live => Tone::Ok,
            LiveState::Connecting => Tone::Neutral,
            LiveState::Reconnecting => Tone::Warn,
        }
        .class()
    };
    view! { <span class=class data-testid="live-state" title="Live updates">{label}</span> }
}

/// The error of a finished server action, if it failed.
pub fn failed<T>(value: Option<Result<T, ApiError>>) -> Option<ApiError> {
    value.and_then(Result::err)
}

/// An error from a server function, shown where the action happened.
#[component]
pub fn ErrorLine(#[prop(into)] error: Signal<Option<ApiError>>) -> impl IntoView {
    view! {
        <Show when=move || error.get().is_some()>
            <p class="error" role="alert">{move || error.get().map(|e| e.to_string())}</p>
        </Show>
    }
}
