use crate::components::{RequireArea, use_me};
use crate::shell::rules::access::Area;
use leptos::prelude::*;
use leptos_meta::Title;

/// The start page: who you are and what you can open.
#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text=""/>
        <RequireArea area=Area::Home>
            <HomeCard/>
        </RequireArea>
    }
}

#[component]
fn HomeCard() -> impl IntoView {
    let me = use_me();
    view! {
        <section class="card">
            <h1>{move || me.get().map(|u| format!("Hello, {}", u.display_name))}</h1>
            <p class="muted">"Your areas:"</p>
            <ul class="area-list">
                {move || {
                    me.get()
                        .map(|u| {
                            Area::ALL
                                .into_iter()
                                .filter(|a| *a != Area::Home && a.allows(&u.roles))
                                .map(|a| view! { <li><a href=a.path()>{a.title()}</a></li> })
                                .collect_view()
                        })
                }}
            </ul>
        </section>
    }
}
