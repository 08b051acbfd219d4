//! The contact directory: search and filters (tags, a metadata key), CSV export, and the CSV
//! import — the browser reads the file, the manager confirms what each column holds, and the
//! rows go up in chunks with a progress bar; refused rows are listed with line and reason while
//! every valid row is kept.
use super::{CalloutsNav, urlencode};
use crate::callouts::api::{
    CallerIdRule, ContactLine, ContactPage, DeleteContact, IMPORT_CHUNK, ImportChunk, SaveCallerIdRule, SaveContact,
    caller_id_rules, import_contacts, list_contacts,
};
use crate::callouts::rules::contacts_csv::{Column, Mapping, RowError, Table};
use crate::callouts::rules::settings::ContactFilter;
use crate::callouts::rules::settings::ContactInput;
use crate::components::{ErrorLine, Loaded, Pager, ProgressBar, RequireArea, failed};
use crate::shell::error::ApiError;
use crate::shell::live::use_topic_throttled;
use crate::shell::rules::access::{Area, CalloutEdit};
use crate::shell::topics::Topic;
use leptos::prelude::*;
use leptos_meta::Title;
use std::time::Duration;

#[component]
pub fn ContactsPage() -> impl IntoView {
    view! {
        <RequireArea area=Area::Callouts>
            <Title text="Contacts"/>
            <h1>"Callouts"</h1>
            <CalloutsNav/>
            <ContactsView/>
        </RequireArea>
    }
}

#[component]
fn ContactsView() -> impl IntoView {
    let changes = use_topic_throttled(Topic::Contacts, Duration::from_secs(1));
    let search = RwSignal::new(String::new());
    let tags = RwSignal::new(String::new());
    let meta_key = RwSignal::new(String::new());
    let meta_value = RwSignal::new(String::new());
    let page = RwSignal::new(1i64);
    let filter = move || {
        let key = meta_key.get().trim().to_string();
        ContactFilter {
            search: Some(search.get()).filter(|s| !s.trim().is_empty()),
            tags: tags
                .get()
                .split(',')
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect(),
            metadata: (!key.is_empty()).then(|| serde_json::json!({ key: meta_value.get().trim() })),
        }
    };
    let contacts = Resource::new(
        move || (filter(), page.get(), changes.get()),
        |(f, p, _)| list_contacts(f, p),
    );
    let export = move || {
        let f = filter();
        let mut q = Vec::new();
        if let Some(s) = f.search {
            q.push(format!("search={}", urlencode(&s)));
        }
        for t in f.tags {
            q.push(format!("tag={}", urlencode(&t)));
        }
        if let Some(serde_json::Value::Object(m)) = f.metadata {
            for (k, v) in m {
                q.push(format!(
                    "metadata.{}={}",
                    urlencode(&k),
                    urlencode(v.as_str().unwrap_or_default())
                ));
            }
        }
        format!("/api/v1/contacts.csv?{}", q.join("&"))
    };
    let to_first = move |_| page.set(1);
    let editing = RwSignal::new(None::<ContactLine>);
    let me = crate::components::use_me();
    let may_edit = move || {
        me.with(|m| {
            m.as_ref()
                .is_some_and(|m| CalloutEdit::of(&m.roles) == CalloutEdit::Run)
        })
    };
    // The import card reads this itself: it must not be redrawn (and lose its state) when the
    // list refetches.
    let country_code = Signal::derive(move || contacts.get().and_then(Result::ok).map(|c| c.default_country_code));
    view! {
        {move || may_edit().then(|| view! { <ImportCard country_code=country_code/> <ContactForm editing=editing/> })}
        <section class="card">
            <div class="row">
                <h2>"Contacts"</h2>
                <span class="spacer"></span>
                <a class="btn" href=export rel="external" data-testid="export-contacts">"Export CSV"</a>
            </div>
            <div class="row filters">
                <label>"Name or number"<input type="search" name="search" bind:value=search on:input=to_first/></label>
                <label>"Tags (all of)"<input name="tags" bind:value=tags on:input=to_first placeholder="vip, north"/></label>
                <label>"Metadata key"<input name="meta_key" bind:value=meta_key on:input=to_first placeholder="city"/></label>
                <label>"equals"<input name="meta_value" bind:value=meta_value on:input=to_first/></label>
            </div>
            <Loaded resource=contacts let:c>
                <ContactTable c=c page=page editing=editing/>
            </Loaded>
        </section>
    }
}

#[component]
fn ContactTable(c: ContactPage, page: RwSignal<i64>, editing: RwSignal<Option<ContactLine>>) -> impl IntoView {
    let may_edit = c.may_edit;
    let delete = ServerAction::<DeleteContact>::new();
    let error = Signal::derive(move || failed(delete.value().get()));
    let (total, current, per_page) = (c.total, c.page, c.per_page);
    let rows = c
        .items
        .into_iter()
        .map(|x| {
            let meta = x
                .fields
                .metadata
                .iter()
                .map(|(k, v)| format!("{k}: {}", v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
                .collect::<Vec<_>>()
                .join(" · ");
            let id = x.id;
            let line = x.clone();
            view! {
                <tr data-contact=x.id>
                    <td><code>{x.fields.phone}</code></td>
                    <td>{x.fields.name}</td>
                    <td>{x.fields.tags.into_iter().map(|t| view! { <span class="badge">{t}</span>" " }).collect_view()}</td>
                    <td>{x.fields.time_zone.unwrap_or_default()}</td>
                    <td class="muted">{meta}</td>
                    <td class="actions">{may_edit.then(|| view! {
                        <button class="btn" on:click=move |_| editing.set(Some(line.clone()))>"Edit"</button>
                        <button class="btn danger" on:click=move |_| { delete.dispatch(DeleteContact { id }); }>"Delete"</button>
                    })}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="grid" data-testid="contacts">
            <thead><tr><th>"Number"</th><th>"Name"</th><th>"Tags"</th><th>"Time zone"</th><th>"Metadata"</th><th></th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
        <ErrorLine error=error/>
        <Pager total=total page=current per_page=per_page what="contacts" to=page/>
    }
}

/// Adds a contact, or changes the one chosen with "Edit" in the list.
#[component]
fn ContactForm(editing: RwSignal<Option<ContactLine>>) -> impl IntoView {
    let save = ServerAction::<SaveContact>::new();
    let local = RwSignal::new(None::<ApiError>);
    let error = Signal::derive(move || local.get().or_else(|| failed(save.value().get())));
    let phone = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let tags = RwSignal::new(String::new());
    let zone = RwSignal::new(String::new());
    let metadata = RwSignal::new(String::new());
    Effect::new(move || {
        let c = editing.get();
        let f = c.as_ref().map(|c| c.fields.clone());
        phone.set(f.as_ref().map(|f| f.phone.clone()).unwrap_or_default());
        name.set(f.as_ref().map(|f| f.name.clone()).unwrap_or_default());
        tags.set(f.as_ref().map(|f| f.tags.join(", ")).unwrap_or_default());
        zone.set(f.as_ref().and_then(|f| f.time_zone.clone()).unwrap_or_default());
        metadata.set(
            f.as_ref()
                .filter(|f| !f.metadata.is_empty())
                .map(|f| serde_json::Value::Object(f.metadata.clone()).to_string())
                .unwrap_or_default(),
        );
    });
    Effect::new(move || {
        if let Some(Ok(_)) = save.value().get() {
            editing.set(None);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let meta = metadata.get_untracked();
        let meta = if meta.trim().is_empty() {
            None
        } else {
            match serde_json::from_str::<serde_json::Value>(&meta) {
                Ok(v) => Some(v),
                Err(_) => {
                    return local.set(Some(ApiError::invalid(
                        "metadata",
                        "must be a JSON object, e.g. {\"city\": \"Girona\"}",
                    )));
                }
            }
        };
        local.set(None);
        save.dispatch(SaveContact {
            id: editing.get_untracked().map(|c| c.id),
            input: ContactInput {
                phone: Some(phone.get_untracked()),
                name: Some(name.get_untracked()),
                metadata: meta,
                tags: Some(tags.get_untracked().split(',').map(str::to_string).collect()),
                time_zone: Some(zone.get_untracked()),
            },
        });
    };
    view! {
        <section class="card">
            <h2>{move || if editing.with(|e| e.is_some()) { "Change contact" } else { "Add a contact" }}</h2>
            <form class="row" on:submit=submit data-testid="contact-form">
                <label>"Number"<input name="phone" bind:value=phone required placeholder="612 345 678"/></label>
                <label>"Name"<input name="name" bind:value=name/></label>
                <label>"Tags"<input name="tags" bind:value=tags placeholder="vip, north"/></label>
                <label>"Time zone"<input name="time_zone" bind:value=zone placeholder="Europe/Madrid"/></label>
                <label class="grow">"Metadata (JSON object)"<input name="metadata" bind:value=metadata placeholder="{\"city\": \"Girona\"}"/></label>
                <button type="submit" class="btn primary">{move || if editing.with(|e| e.is_some()) { "Save" } else { "Add" }}</button>
                <Show when=move || editing.with(|e| e.is_some())>
                    <button type="button" class="btn" on:click=move |_| editing.set(None)>"Cancel"</button>
                </Show>
            </form>
            <ErrorLine error=error/>
        </section>
    }
}

/// The import's progress and outcome.
#[derive(Clone, Debug, Default, PartialEq)]
struct Progress {
    sent: usize,
    total: usize,
    created: u64,
    merged: u64,
    errors: Vec<RowError>,
    running: bool,
    failed: Option<String>,
}

const COLUMN_CHOICES: [(&str, &str); 6] = [
    ("phone", "Phone"),
    ("name", "Name"),
    ("tags", "Tags"),
    ("time_zone", "Time zone"),
    ("meta", "Metadata"),
    ("ignore", "Ignore"),
];

#[component]
fn ImportCard(country_code: Signal<Option<String>>) -> impl IntoView {
    let table = RwSignal::new(None::<Table>);
    let read_errors = RwSignal::new(Vec::<RowError>::new());
    let mapping = RwSignal::new(Mapping::default());
    let file_error = RwSignal::new(None::<String>);
    let progress = RwSignal::new(Progress::default());
    let tag = RwSignal::new(String::new());
    let input = NodeRef::<leptos::html::Input>::new();
    let on_pick = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let Some(el) = input.get() else { return };
            let Some(file) = el.files().and_then(|l| l.get(0)) else {
                return;
            };
            progress.set(Progress::default());
            leptos::task::spawn_local(async move {
                let text = wasm_bindgen_futures::JsFuture::from(file.text())
                    .await
                    .ok()
                    .and_then(|t| t.as_string());
                match text.map(|t| crate::callouts::rules::contacts_csv::read(&t)) {
                    Some(Ok((t, errs))) => {
                        mapping.set(crate::callouts::rules::contacts_csv::guess(&t.header));
                        read_errors.set(errs);
                        file_error.set(None);
                        table.set(Some(t));
                    }
                    Some(Err(e)) => {
                        table.set(None);
                        file_error.set(Some(e.message));
                    }
                    None => file_error.set(Some("the file could not be read as text".into())),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (input, table, read_errors, mapping, file_error, progress);
    };
    let mapping_error = move || table.with(|t| t.as_ref().and_then(|t| mapping.get().check(t.header.len()).err()));
    let start = move |_| {
        let Some(t) = table.get_untracked() else { return };
        let m = mapping.get_untracked();
        if m.check(t.header.len()).is_err() {
            return;
        }
        progress.set(Progress {
            total: t.rows.len(),
            running: true,
            errors: read_errors.get_untracked(),
            ..Default::default()
        });
        let tag = Some(tag.get_untracked()).filter(|t| !t.trim().is_empty());
        leptos::task::spawn_local(async move {
            for chunk in t.rows.chunks(IMPORT_CHUNK) {
                match import_contacts(m.clone(), chunk.to_vec(), tag.clone()).await {
                    Ok(ImportChunk {
                        created,
                        merged,
                        errors,
                    }) => progress.update(|p| {
                        p.sent += chunk.len();
                        p.created += created;
                        p.merged += merged;
                        p.errors.extend(errors);
                    }),
                    Err(e) => {
                        // What went up before stays imported; say where it stopped.
                        progress.update(|p| {
                            p.failed = Some(format!("stopped after {} rows: {e}", p.sent));
                            p.running = false;
                        });
                        return;
                    }
                }
            }
            progress.update(|p| {
                p.running = false;
                p.errors.sort_by_key(|e| e.line);
            });
        });
    };
    let preview = move || {
        table.get().map(|t| {
            let header = t.header.clone();
            let selects = header
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let current = move || mapping.with(|m| m.columns.get(i).cloned().unwrap_or(Column::Ignore));
                    let kind = move || match current() {
                        Column::Meta(_) => "meta".to_string(),
                        c => c.key(),
                    };
                    let h2 = h.clone();
                    view! {
                        <th>
                            <div>{h.clone()}</div>
                            <select aria-label=format!("Column {h}") data-column=i prop:value=kind
                                on:change=move |ev| {
                                    let v = event_target_value(&ev);
                                    let col = if v == "meta" { Column::Meta(h2.clone()) } else { Column::from_key(&v) };
                                    mapping.update(|m| if let Some(c) = m.columns.get_mut(i) { *c = col; });
                                }>
                                {COLUMN_CHOICES.map(|(v, l)| view! { <option value=v>{l}</option> }).to_vec()}
                            </select>
                        </th>
                    }
                })
                .collect_view();
            let sample = t
                .rows
                .iter()
                .take(5)
                .map(|r| view! { <tr>{r.cells.iter().map(|c| view! { <td>{c.clone()}</td> }).collect_view()}</tr> })
                .collect_view();
            view! {
                <p class="muted">{format!("{} data rows. Say what each column holds:", t.rows.len())}</p>
                <div class="scroll">
                    <table class="grid mapping" data-testid="mapping"><thead><tr>{selects}</tr></thead><tbody>{sample}</tbody></table>
                </div>
            }
        })
    };
    view! {
        <section class="card" data-testid="import">
            <h2>"Import contacts from CSV"</h2>
            <p class="muted">
                "The first line names the columns. National numbers get the default country code"
                <Transition fallback=|| ()>{move || country_code.get().map(|c| format!(" (+{c})"))}</Transition>
                "; a number already in the directory is merged into its contact (name replaced, tags and metadata added)."
            </p>
            <div class="row">
                <input type="file" aria-label="CSV file of contacts" accept=".csv,text/csv" node_ref=input on:change=on_pick data-testid="import-file"/>
            </div>
            {move || file_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {preview}
            {move || mapping_error().map(|e| view! { <p class="error" role="alert">{e.message}</p> })}
            <Show when=move || table.with(|t| t.is_some())>
                <label class="inline-field">"Tag every imported contact with (optional, e.g. to populate a callout with this list)"
                    <input name="import_tag" bind:value=tag placeholder="list-2026-11"/>
                </label>
                <button class="btn primary" data-testid="import-start"
                    disabled={move || progress.with(|p| p.running) || mapping_error().is_some()} on:click=start>
                    "Import"
                </button>
            </Show>
            {move || {
                let p = progress.get();
                (p.total > 0 || p.failed.is_some() || !p.errors.is_empty()).then(|| {
                    let errors = p.errors.clone();
                    let few = errors.len() <= 20;
                    view! {
                        <div class="import-progress" data-testid="import-progress">
                            <ProgressBar done=p.sent as i64 total=p.total as i64 label="Rows sent"/>
                            <span data-testid="import-summary">{format!(
                                "{} of {} rows sent · {} created · {} merged · {} refused{}",
                                p.sent, p.total, p.created, p.merged, p.errors.len(),
                                if p.running { " · importing…" } else if p.failed.is_none() && p.sent == p.total { " · done" } else { "" }
                            )}</span>
                            {p.failed.clone().map(|f| view! { <p class="error" role="alert">{f}</p> })}
                            {(!errors.is_empty()).then(|| view! {
                                <details open=few>
                                    <summary>{format!("{} refused rows (the first 500 listed)", errors.len())}</summary>
                                    <table class="grid" data-testid="import-errors">
                                        <thead><tr><th class="num">"Line"</th><th>"Reason"</th></tr></thead>
                                        <tbody>{errors.into_iter().take(500).map(|e| view! {
                                            <tr><td class="num">{e.line}</td><td>{e.reason}</td></tr>
                                        }).collect_view()}</tbody>
                                    </table>
                                </details>
                            })}
                        </div>
                    }
                })
            }}
        </section>
    }
}

#[component]
pub fn CallerIdsPage() -> impl IntoView {
    view! {
        <RequireArea area=Area::Callouts>
            <Title text="Caller ids"/>
            <h1>"Callouts"</h1>
            <CalloutsNav/>
            <CallerIdsView/>
        </RequireArea>
    }
}

/// Caller ids by number prefix: the longest matching prefix wins; otherwise the callout's own
/// caller id is used.
#[component]
fn CallerIdsView() -> impl IntoView {
    let changes = use_topic_throttled(Topic::Callouts, Duration::from_secs(1));
    let save = ServerAction::<SaveCallerIdRule>::new();
    let rules = Resource::new(move || (changes.get(), save.version().get()), |_| caller_id_rules());
    let error = Signal::derive(move || failed(save.value().get()));
    let prefix = RwSignal::new(String::new());
    let caller_id = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveCallerIdRule {
            prefix: prefix.get_untracked(),
            caller_id: caller_id.get_untracked(),
        });
    };
    view! {
        <section class="card">
            <h2>"Caller ids by prefix"</h2>
            <p class="muted">"The number shown to the person called: the longest prefix of their number wins (+3851 beats +385); otherwise the callout's caller id."</p>
            <form class="row" on:submit=submit data-testid="caller-id-form">
                <label>"Prefix"<input name="prefix" bind:value=prefix placeholder="+385" required/></label>
                <label>"Caller id"<input name="caller_id" bind:value=caller_id placeholder="+38512345678"/></label>
                <button type="submit" class="btn primary">"Save"</button>
                <span class="muted">"An empty caller id removes the prefix."</span>
            </form>
            <ErrorLine error=error/>
            <Loaded resource=rules let:rules>
                <RuleTable rules=rules save=save/>
            </Loaded>
        </section>
    }
}

#[component]
fn RuleTable(rules: Vec<CallerIdRule>, save: ServerAction<SaveCallerIdRule>) -> impl IntoView {
    view! {
        <table class="grid" data-testid="caller-ids">
            <thead><tr><th>"Prefix"</th><th>"Caller id"</th><th></th></tr></thead>
            <tbody>
                {rules.into_iter().map(|r| {
                    let prefix = r.prefix.clone();
                    view! {
                        <tr>
                            <td><code>{r.prefix}</code></td>
                            <td><code>{r.caller_id}</code></td>
                            <td class="actions"><button class="btn" on:click=move |_| {
                                save.dispatch(SaveCallerIdRule { prefix: prefix.clone(), caller_id: String::new() });
                            }>"Remove"</button></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
