use crate::components::CurrentUser;
use crate::domain::access::Area;
use leptos::prelude::*;
use leptos_meta::Title;

/// The start page: who you are and what you can open.
#[component]
pub fn HomePage() -> impl IntoView {
    let CurrentUser(me) = expect_context::<CurrentUser>();
    view! {
        <Title text=""/>
        <section class="card">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    me.await.ok().flatten().map(|u| {
                        let areas = Area::ALL
                            .into_iter()
                            .filter(|a| *a != Area::Home && a.allows(&u.roles))
                            .map(|a| view! { <li><a href=a.path()>{a.title()}</a></li> })
                            .collect_view();
                        view! {
                            <h1>{format!("Hello, {}", u.display_name)}</h1>
                            <p class="muted">"Your areas:"</p>
                            <ul class="area-list">{areas}</ul>
                        }
                    })
                })}
            </Suspense>
        </section>
    }
}
