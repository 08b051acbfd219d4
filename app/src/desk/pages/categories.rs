//! `/desk/categories` (admins): the call categories — name, code, colour, keywords, kind,
//! enabled — edited one by one or imported from a CSV list (every refused row reported, nothing
//! half-imported).
use crate::components::{ErrorLine, Loaded, RequireArea, failed};
use crate::desk::Category;
use crate::desk::api::{ImportCategories, SaveCategory, desk_categories};
use crate::desk::rules::annotation::{CSV_COLUMNS, CategoryInput, CategoryKind};
use crate::shell::live::use_topic;
use crate::shell::rules::access::Area;
use crate::shell::topics::Topic;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn CategoriesPage() -> impl IntoView {
    let calls = use_topic(Topic::DeskCalls);
    let list = Resource::new(move || calls.get().seq, |_| desk_categories(true));
    view! {
        <RequireArea area=Area::Desk>
            <Title text="Call categories"/>
            <h1>"Call categories"</h1>
            <Loaded resource=list let:cats>
                <table data-testid="categories">
                    <thead><tr>
                        <th scope="col">"Code"</th><th scope="col">"Name"</th><th scope="col">"Colour"</th>
                        <th scope="col">"Keywords"</th><th scope="col">"Kind"</th><th scope="col">"Enabled"</th><th scope="col">"Save"</th>
                    </tr></thead>
                    <tbody>
                        {cats.into_iter().map(|c| view! { <CategoryRow category=Some(c)/> }).collect_view()}
                        <CategoryRow category=None/>
                    </tbody>
                </table>
            </Loaded>
            <ImportCard/>
        </RequireArea>
    }
}

#[component]
fn CategoryRow(category: Option<Category>) -> impl IntoView {
    let save = ServerAction::<SaveCategory>::new();
    let id = category.as_ref().map(|c| c.id);
    let c = category.unwrap_or(Category {
        id: 0,
        code: String::new(),
        name: String::new(),
        colour: "#1f77b4".into(),
        keywords: Vec::new(),
        kind: CategoryKind::Information,
        enabled: true,
    });
    let label = if id.is_some() {
        c.code.clone()
    } else {
        "new category".to_string()
    };
    let code = RwSignal::new(c.code.clone());
    let name = RwSignal::new(c.name.clone());
    let colour = RwSignal::new(c.colour.clone());
    let keywords = RwSignal::new(c.keywords.join(", "));
    let kind = RwSignal::new(c.kind);
    let enabled = RwSignal::new(c.enabled);
    let submit = move |_| {
        save.dispatch(SaveCategory {
            id,
            input: CategoryInput {
                code: code.get_untracked(),
                name: name.get_untracked(),
                colour: colour.get_untracked(),
                keywords: keywords.get_untracked(),
                kind: kind.get_untracked(),
                enabled: enabled.get_untracked(),
            },
        });
    };
    let error = Signal::derive(move || failed(save.value().get()));
    let l = label.clone();
    view! {
        <tr data-testid="category-row" data-code=c.code.clone()>
            <td><input aria-label=format!("Code of {l}") maxlength="20" size="8" prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev))/></td>
            <td><input aria-label=format!("Name of {label}") maxlength="80" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></td>
            <td><input type="color" aria-label="Colour" prop:value=move || colour.get() on:input=move |ev| colour.set(event_target_value(&ev))/></td>
            <td><input aria-label="Keywords (comma-separated)" prop:value=move || keywords.get() on:input=move |ev| keywords.set(event_target_value(&ev))/></td>
            <td>
                <select aria-label="Kind" on:change=move |ev| kind.set(CategoryKind::parse(&event_target_value(&ev)).unwrap_or_default())>
                    <option value="claim" selected=move || kind.get() == CategoryKind::Claim>"claim"</option>
                    <option value="information" selected=move || kind.get() == CategoryKind::Information>"information"</option>
                </select>
            </td>
            <td><input type="checkbox" aria-label="Enabled" prop:checked=move || enabled.get() on:change=move |ev| enabled.set(event_target_checked(&ev))/></td>
            <td>
                <button class="btn" type="button" on:click=submit>{if id.is_some() { "Save" } else { "Add" }}</button>
                <ErrorLine error/>
            </td>
        </tr>
    }
}

#[component]
fn ImportCard() -> impl IntoView {
    let import = ServerAction::<ImportCategories>::new();
    let text = RwSignal::new(String::new());
    let input = NodeRef::<leptos::html::Input>::new();
    let on_pick = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let Some(el) = input.get() else { return };
            let Some(file) = el.files().and_then(|l| l.get(0)) else {
                return;
            };
            leptos::task::spawn_local(async move {
                if let Some(t) = wasm_bindgen_futures::JsFuture::from(file.text())
                    .await
                    .ok()
                    .and_then(|t| t.as_string())
                {
                    text.set(t);
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (input, text);
    };
    let error = Signal::derive(move || failed(import.value().get()));
    let outcome = move || import.value().get().and_then(Result::ok);
    view! {
        <section class="card" aria-labelledby="import-title">
            <h2 id="import-title">"Import a list (CSV)"</h2>
            <p class="small muted">{format!("Columns: {} (comma or semicolon; keywords separated by |). Known codes are changed, new ones added; one refused row and nothing is imported.", CSV_COLUMNS.join(", "))}</p>
            <label>"CSV file" <input type="file" accept=".csv,text/csv" node_ref=input on:change=on_pick/></label>
            <label>"CSV text"
                <textarea rows="6" data-testid="categories-csv" prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            </label>
            <button class="btn" type="button" on:click=move |_| { import.dispatch(ImportCategories { csv: text.get_untracked() }); }>"Import"</button>
            <ErrorLine error/>
            {move || outcome().map(|o| if o.refused.is_empty() {
                view! { <p role="status" data-testid="import-done">{format!("Imported: {} new, {} changed.", o.created, o.updated)}</p> }.into_any()
            } else {
                view! {
                    <div role="alert" data-testid="import-refused">
                        <p>"Nothing was imported: these rows are refused."</p>
                        <ul>{o.refused.into_iter().map(|r| view! { <li>{format!("line {}: {}", r.line, r.reason)}</li> }).collect_view()}</ul>
                    </div>
                }.into_any()
            })}
        </section>
    }
}
