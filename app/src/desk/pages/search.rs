//! The desk's search box: one box that guesses the field (shown, and changeable with a select),
//! results linking to the contact's card, "refine your search" beyond the cap; what the outside
//! CRM has for the same text below them (asked alongside, never holding up the results).
use crate::components::{ErrorLine, failed};
use crate::directory::SearchResult;
use crate::directory::api::SearchDirectory;
use crate::directory::rules::search::{SEARCH_CAP, SearchField};
use leptos::prelude::*;

/// `initial`: a query to fill in and run at once (an unknown number's card); `without_crm`: the
/// CRM is not asked (that card shows the CRM's part for the number already).
#[component]
pub fn SearchBox(#[prop(optional, into)] initial: String, #[prop(optional)] without_crm: bool) -> impl IntoView {
    let search = ServerAction::<SearchDirectory>::new();
    let crm = ServerAction::<crate::desk::api::DeskCrmSearch>::new();
    let query = RwSignal::new(initial.clone());
    // None: guess the field from the query's shape.
    let field = RwSignal::new(None::<SearchField>);
    let run = move || {
        let q = query.get_untracked();
        if !q.trim().is_empty() {
            if !without_crm {
                crm.dispatch(crate::desk::api::DeskCrmSearch { query: q.clone() });
            }
            search.dispatch(SearchDirectory {
                query: q,
                field: field.get_untracked(),
            });
        }
    };
    if !initial.trim().is_empty() {
        // In the browser only (effects do not run on the server): the card's number is searched.
        Effect::new(move |_| run());
    }
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        run();
    };
    let result = move || search.value().get().and_then(Result::ok);
    let error = Signal::derive(move || failed(search.value().get()));
    view! {
        <section class="card desk-search" aria-labelledby="search-title" data-testid="search">
            <h2 id="search-title">"Search the directory"</h2>
            <form class="row" role="search" aria-label="Search the directory" on:submit=submit>
                <label>"Name, phone, email, tax id, contract or member number"
                    <input type="search" data-testid="search-query" maxlength="200"
                        prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))/>
                </label>
                <label>"Search by"
                    <select data-testid="search-field" on:change=move |ev| {
                        field.set(SearchField::parse(&event_target_value(&ev)));
                        run();
                    }>
                        <option value="" selected=move || field.get().is_none()>"Guess from the text"</option>
                        {SearchField::ALL.into_iter().map(|f| view! {
                            <option value=f.as_str() selected=move || field.get() == Some(f)>{f.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button class="btn" type="submit">"Search"</button>
            </form>
            <ErrorLine error/>
            {move || result().map(|r| view! { <Results result=r/> })}
            // The directory's error line covers a refused query; the CRM's own failures are said.
            {move || crm.value().get().and_then(Result::ok).map(|lookup| view! {
                <crate::desk::pages::card::CrmView lookup/>
            })}
        </section>
    }
}

#[component]
fn Results(result: SearchResult) -> impl IntoView {
    let how = format!(
        "Searched by {}{}: {}",
        result.guess.field.label(),
        if result.guessed {
            " (guessed — change it with “Search by”)"
        } else {
            ""
        },
        result.guess.normalised
    );
    view! {
        <p class="small muted" data-testid="search-guess" data-field=result.guess.field.as_str()>{how}</p>
        {if result.hits.is_empty() {
            view! { <p data-testid="search-none">"No contact matches."</p> }.into_any()
        } else {
            view! {
                <table data-testid="search-results">
                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Phone"</th><th scope="col">"Tax id"</th><th scope="col">"Member"</th></tr></thead>
                    <tbody>
                        {result.hits.into_iter().map(|h| view! {
                            <tr data-contact=h.id>
                                <td><a href=format!("/desk/contact/{}", h.id)>{h.name.clone()}</a></td>
                                <td>{h.phone.clone()}</td>
                                <td>{h.tax_id.clone().unwrap_or_default()}</td>
                                <td>{h.member_number.clone().unwrap_or_default()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        {result.more.then(|| view! {
            <p class="small" role="status" data-testid="search-more">{format!("More than {SEARCH_CAP} contacts match: refine your search.")}</p>
        })}
    }
}
