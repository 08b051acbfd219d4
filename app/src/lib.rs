#![recursion_limit = "256"]
//! The Switchboard web app: pages, server functions and the rules they share.
pub mod api;
pub mod components;
pub mod domain;
pub mod live;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod accounts;
#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod ctx;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod events;
#[cfg(feature = "ssr")]
pub mod ports;

use components::{CurrentUser, NotFound, Shell};
use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Blocking: the signed-in user is known before the first byte, so the server renders the
    // right navigation and the browser hydrates the same thing.
    let me = Resource::new_blocking(|| (), |_| api::auth::who_am_i());
    provide_context(CurrentUser(me));
    live::provide_live();

    view! {
        <Title formatter=|text: String| if text.is_empty() { "Switchboard".to_string() } else { format!("{text} · Switchboard") }/>
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/login") view=pages::login::LoginPage/>
                <ParentRoute path=path!("") view=Shell>
                    <Route path=path!("") view=pages::home::HomePage/>
                    <Route path=path!("rota") view=pages::rota::week::RotaWeekPage/>
                    <Route path=path!("rota/timetable") view=pages::rota::timetable::TimetablePage/>
                    <Route path=path!("rota/people") view=pages::rota::people::PeoplePage/>
                    <Route path=path!("rota/people/:handle") view=pages::rota::person::PersonPage/>
                    <Route path=path!("rota/groups/:name") view=pages::rota::people::GroupPage/>
                    <Route path=path!("rota/holidays") view=pages::rota::holidays::HolidaysPage/>
                    <Route path=path!("rota/fixed") view=pages::rota::fixed::FixedTurnsPage/>
                    <Route path=path!("rota/settings") view=pages::rota::settings::RotaSettingsPage/>
                    <Route path=path!("rota/import") view=pages::rota::import::ImportPage/>
                    <Route path=path!("callouts") view=pages::callouts::CalloutsPage/>
                    <Route path=path!("callouts/contacts") view=pages::callouts::contacts::ContactsPage/>
                    <Route path=path!("callouts/caller-ids") view=pages::callouts::contacts::CallerIdsPage/>
                    <Route path=path!("callouts/api") view=pages::callouts::api_docs::ApiDocsPage/>
                    <Route path=path!("callouts/:id") view=pages::callouts::callout::CalloutPage/>
                    <Route path=path!("admin") view=pages::admin::AdminPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
