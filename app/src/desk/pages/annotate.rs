//! Annotating a call on its card: categories (a filter box matches their name, code or
//! keywords as you type), a comment, the contact and contract it was about; saved, changed or
//! cleared later. A call with no category is refused with the reason.
use crate::components::{ErrorLine, failed};
use crate::desk::api::{AnnotateCall, ClearAnnotation, call_row, desk_categories};
use crate::desk::rules::annotation::{AnnotationInput, category_matches};
use crate::desk::{Category, LogRow};
use crate::directory::Entry;
use crate::shell::error::ApiError;
use crate::shell::live::use_topic;
use crate::shell::topics::Topic;
use leptos::prelude::*;

/// Category chips: the category's colour as a left border, its name.
#[component]
pub fn CategoryChips(categories: Vec<Category>) -> impl IntoView {
    view! {
        <span class="desk-chips">
            {categories.into_iter().map(|c| view! {
                <span class="badge desk-chip" style=format!("border-left: 4px solid {}", c.colour) title=c.code.clone()>{c.name.clone()}</span>
            }).collect_view()}
        </span>
    }
}

/// The annotation panel of a call. Its data is read in the browser (it sits inside the card's
/// view, where no resource may be created), refreshed by the desk's call events.
#[component]
pub fn AnnotationPanel(call: i64, contacts: Vec<Entry>) -> impl IntoView {
    let calls = use_topic(Topic::DeskCalls);
    // Read in the browser only, after hydration (effects do not run on the server), so the
    // server's HTML and the hydrating browser both start from "Loading…".
    let row = RwSignal::new(None::<Result<LogRow, ApiError>>);
    let cats = RwSignal::new(None::<Result<Vec<Category>, ApiError>>);
    Effect::new(move |_| {
        let _ = calls.get().seq;
        leptos::task::spawn_local(async move {
            let c = desk_categories(false).await;
            let r = call_row(call).await;
            cats.set(Some(c));
            row.set(Some(r));
        });
    });
    let contacts = StoredValue::new(contacts);
    view! {
        <section class="desk-annotation" aria-labelledby=format!("annotate-{call}") data-testid="annotation">
            <h3 id=format!("annotate-{call}")>"Annotation"</h3>
            {move || match (row.get(), cats.get()) {
                (Some(Ok(r)), Some(Ok(c))) => view! { <AnnotationForm row=r categories=c contacts=contacts.get_value()/> }.into_any(),
                (Some(Err(e)), _) | (_, Some(Err(e))) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                _ => view! { <p class="muted small">"Loading…"</p> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn AnnotationForm(row: LogRow, categories: Vec<Category>, contacts: Vec<Entry>) -> impl IntoView {
    let call = row.call.id;
    let save = ServerAction::<AnnotateCall>::new();
    let clear = ServerAction::<ClearAnnotation>::new();
    let chosen = RwSignal::new(row.categories.iter().map(|c| c.id).collect::<Vec<i64>>());
    let comment = RwSignal::new(row.comment.clone());
    let about = RwSignal::new(
        row.about_contact
            .as_ref()
            .map(|c| c.0)
            .or_else(|| (contacts.len() == 1).then(|| contacts[0].id)),
    );
    let contract = RwSignal::new(row.about_contract.as_ref().map(|c| c.0));
    let typed = RwSignal::new(String::new());
    // Categories the row has that are disabled now stay visible (checked).
    let mut all = categories.clone();
    for c in &row.categories {
        if !all.iter().any(|x| x.id == c.id) {
            all.push(c.clone());
        }
    }
    let all = StoredValue::new(all);
    let contacts = StoredValue::new(contacts);
    let shown = move || {
        let t = typed.get();
        let picked = chosen.get();
        all.with_value(|cs| {
            cs.iter()
                .filter(|c| picked.contains(&c.id) || category_matches(&c.name, &c.code, &c.keywords, &t))
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let contact = about.get_untracked();
        save.dispatch(AnnotateCall {
            call,
            input: AnnotationInput {
                categories: chosen.get_untracked(),
                comment: comment.get_untracked(),
                contact,
                contract: contact.and(contract.get_untracked()),
            },
        });
    };
    let error = Signal::derive(move || failed(save.value().get()).or_else(|| failed(clear.value().get())));
    let status = match &row.annotated_at {
        Some(t) => view! {
            <p data-testid="annotation-status" data-annotated="true">
                "Annotated " {t.format("%Y-%m-%d %H:%M UTC").to_string()} ": " <CategoryChips categories=row.categories.clone()/>
            </p>
        }
        .into_any(),
        None => view! {
            <p data-testid="annotation-status" data-annotated="false"><span class="badge warn">"To annotate"</span></p>
        }
        .into_any(),
    };
    let annotated = row.annotated_at.is_some();
    let contracts_of = move |id: Option<i64>| {
        contacts.with_value(|cs| {
            cs.iter()
                .find(|c| Some(c.id) == id)
                .map(|c| c.contracts.clone())
                .unwrap_or_default()
        })
    };
    view! {
        {status}
        <form on:submit=submit aria-label="Annotate this call" class="desk-annotate">
            <label>"Find a category"
                <input type="search" data-testid="category-filter" prop:value=move || typed.get()
                    on:input=move |ev| typed.set(event_target_value(&ev)) placeholder="name or keyword"/>
            </label>
            <fieldset>
                <legend>"Categories"</legend>
                <ul class="desk-categories" data-testid="category-options">
                    {move || shown().into_iter().map(|c| {
                        let id = c.id;
                        view! {
                            <li>
                                <label class="inline">
                                    <input type="checkbox" prop:checked=move || chosen.get().contains(&id)
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            chosen.update(|v| {
                                                v.retain(|x| *x != id);
                                                if on { v.push(id) }
                                            });
                                        }/>
                                    <span class="desk-swatch" style=format!("background:{}", c.colour) aria-hidden="true"></span>
                                    {c.name.clone()} " " <span class="small muted">{format!("({}, {})", c.code, c.kind.as_str())}</span>
                                </label>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                {move || shown().is_empty().then(|| view! { <p class="muted small">"No category matches."</p> })}
            </fieldset>
            <label>"Comment"
                <textarea maxlength="2000" rows="2" prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
            </label>
            <div class="row">
                <label>"About the contact"
                    <select on:change=move |ev| {
                        about.set(event_target_value(&ev).parse().ok());
                        contract.set(None);
                    }>
                        <option value="" selected=move || about.get().is_none()>"—"</option>
                        {contacts.get_value().into_iter().map(|c| {
                            let id = c.id;
                            view! { <option value=id selected=move || about.get() == Some(id)>{c.name.clone()}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>"Contract"
                    <select on:change=move |ev| contract.set(event_target_value(&ev).parse().ok())>
                        <option value="" selected=move || contract.get().is_none()>"—"</option>
                        {move || contracts_of(about.get()).into_iter().map(|k| {
                            let id = k.id;
                            view! { <option value=id selected=move || contract.get() == Some(id)>{format!("{} · {}", k.number, k.address)}</option> }
                        }).collect_view()}
                    </select>
                </label>
            </div>
            <div class="row">
                <button class="btn primary" type="submit">{if annotated { "Save changes" } else { "Save annotation" }}</button>
                {annotated.then(|| view! {
                    <button class="btn" type="button" on:click=move |_| { clear.dispatch(ClearAnnotation { call }); }>"Clear annotation"</button>
                })}
            </div>
            <ErrorLine error/>
        </form>
    }
}
