#![recursion_limit = "256"]
//! The Switchboard web app: one folder per area (accounts, rota, callouts), each with its
//! rules, store, service, server functions and pages; `shell` holds what they all share.
pub mod accounts;
pub mod callouts;
pub mod chat;
pub mod components;
pub mod desk;
pub mod directory;
pub mod queue;
pub mod rota;
pub mod shell;

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
    let me = Resource::new_blocking(|| (), |_| accounts::api::auth::who_am_i());
    provide_context(CurrentUser(me));
    shell::live::provide_live();

    view! {
        <Title formatter=|text: String| if text.is_empty() { "Switchboard".to_string() } else { format!("{text} · Switchboard") }/>
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/login") view=accounts::pages::login::LoginPage/>
                <ParentRoute path=path!("") view=Shell>
                    <Route path=path!("") view=shell::pages::home::HomePage/>
                    <Route path=path!("rota") view=rota::pages::week::RotaWeekPage/>
                    <Route path=path!("rota/timetable") view=rota::pages::timetable::TimetablePage/>
                    <Route path=path!("rota/people") view=rota::pages::people::PeoplePage/>
                    <Route path=path!("rota/people/:handle") view=rota::pages::person::PersonPage/>
                    <Route path=path!("rota/groups/:name") view=rota::pages::people::GroupPage/>
                    <Route path=path!("rota/holidays") view=rota::pages::holidays::HolidaysPage/>
                    <Route path=path!("rota/fixed") view=rota::pages::fixed::FixedTurnsPage/>
                    <Route path=path!("rota/settings") view=rota::pages::settings::RotaSettingsPage/>
                    <Route path=path!("rota/import") view=rota::pages::import::ImportPage/>
                    <Route path=path!("callouts") view=callouts::pages::CalloutsPage/>
                    <Route path=path!("callouts/contacts") view=callouts::pages::contacts::ContactsPage/>
                    <Route path=path!("callouts/caller-ids") view=callouts::pages::contacts::CallerIdsPage/>
                    <Route path=path!("callouts/api") view=callouts::pages::api_docs::ApiDocsPage/>
                    <Route path=path!("callouts/:id") view=callouts::pages::callout::CalloutPage/>
                    <Route path=path!("admin") view=accounts::pages::admin::AdminPage/>
                    <Route path=path!("desk") view=desk::pages::DeskPage/>
                    <Route path=path!("desk/call/:id") view=desk::pages::DeskCallPage/>
                    <Route path=path!("queue") view=queue::pages::QueuePage/>
                    <Route path=path!("queue/stats") view=queue::pages::stats::QueueStatsPage/>
                    <Route path=path!("desk/contact/:id") view=desk::pages::DeskContactPage/>
                    <Route path=path!("desk/day") view=desk::pages::log::DeskDayPage/>
                    <Route path=path!("desk/log") view=desk::pages::log::TeamLogPage/>
                    <Route path=path!("desk/categories") view=desk::pages::categories::CategoriesPage/>
                    <Route path=path!("simulators") view=chat::pages::SimulatorsPage/>
                    <Route path=path!("chat") view=chat::pages::ChatPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
