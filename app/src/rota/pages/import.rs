//! Uploading a Tomàtic folder (admins). The browser reads the chosen files and sends their text;
//! the server imports all of it or nothing and says what it did or why not.
use super::AdminRota;
use crate::components::{ErrorLine, RequireArea, failed};
use crate::rota::api::data::ImportTomatic;
use crate::rota::rules::tomatic::TomaticFile;
use crate::shell::rules::access::Area;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ImportPage() -> impl IntoView {
    view! {
        <RequireArea area=Area::Rota>
            <Title text="Import from Tomàtic"/>
            <AdminRota let:_i><ImportForm/></AdminRota>
        </RequireArea>
    }
}

/// The path of a chosen file inside the chosen folder (`data/forced-turns.yaml`), without the
/// folder's own name.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn relative(path: &str, name: &str) -> String {
    match path.split_once('/') {
        Some((_, rest)) if !rest.is_empty() => rest.to_string(),
        _ => name.to_string(),
    }
}

#[component]
fn ImportForm() -> impl IntoView {
    let import = ServerAction::<ImportTomatic>::new();
    let chosen = RwSignal::new(Vec::<TomaticFile>::new());
    let reading = RwSignal::new(false);
    let error = Signal::derive(move || failed(import.value().get()));
    let input = NodeRef::<leptos::html::Input>::new();
    let on_pick = move |_| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(el) = input.get() else { return };
            let Some(list) = el.files() else { return };
            let files: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
            reading.set(true);
            leptos::task::spawn_local(async move {
                let mut out = Vec::new();
                for f in files {
                    let path = js_sys_path(&f);
                    let name = relative(&path, &f.name());
                    if !crate::rota::rules::tomatic::is_tomatic_file(&name) {
                        continue;
                    }
                    if let Ok(text) = wasm_bindgen_futures::JsFuture::from(f.text()).await
                        && let Some(text) = text.as_string()
                    {
                        out.push(TomaticFile { name, text });
                    }
                }
                out.sort_by(|a, b| a.name.cmp(&b.name));
                chosen.set(out);
                reading.set(false);
            });
            fn js_sys_path(f: &web_sys::File) -> String {
                js_path(f.unchecked_ref())
            }
            fn js_path(v: &wasm_bindgen::JsValue) -> String {
                web_sys::js_sys::Reflect::get(v, &"webkitRelativePath".into())
                    .ok()
                    .and_then(|p| p.as_string())
                    .unwrap_or_default()
            }
        }
    };
    view! {
        <section class="card">
            <h2>"Import from Tomàtic"</h2>
            <p class="muted">
                "Choose the Tomàtic folder. Read: config.yaml (lines, hours, turns a day, maxOverload), persons.yaml, indisponibilitats.conf, oneshot.conf, "
                "indisponibilitats-vacances.conf, holidays.conf, data/forced-turns.yaml and graelles/graella-*.yaml. "
                "Everything is imported or nothing; entries of people who are neither in persons.yaml nor in Switchboard are skipped and listed; importing the same folder again changes nothing."
            </p>
            <div class="row">
                <input type="file" name="folder" aria-label="Tomàtic folder" multiple prop:webkitdirectory=true node_ref=input on:change=on_pick/>
                <span class="muted">{move || if reading.get() { "Reading files…".to_string() } else { format!("{} Tomàtic file(s) chosen", chosen.get().len()) }}</span>
                <button class="btn primary" disabled=move || chosen.get().is_empty() || import.pending().get()
                    on:click=move |_| { import.dispatch(ImportTomatic { files: chosen.get_untracked() }); }>
                    {move || if import.pending().get() { "Importing…" } else { "Import" }}
                </button>
            </div>
            <ul class="files">{move || chosen.get().into_iter().map(|f| view! { <li><code>{f.name}</code></li> }).collect_view()}</ul>
            <ErrorLine error=error/>
            {move || import.value().get().and_then(Result::ok).map(|r| view! {
                <div class=if r.applied { "notice ok" } else { "notice bad" } data-testid="import-report">
                    <pre>{r.to_string()}</pre>
                </div>
            })}
        </section>
    }
}
