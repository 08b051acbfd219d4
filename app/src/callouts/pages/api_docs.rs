//! The REST API's reference, drawn from the OpenAPI document the server publishes at
//! `/api/v1/openapi.json` (one source: the page cannot drift from the API).
use super::CalloutsNav;
use crate::callouts::api::openapi_document;
use crate::components::RequireArea;
use crate::shell::rules::access::Area;
use leptos::prelude::*;
use leptos_meta::Title;
use serde_json::Value;

#[component]
pub fn ApiDocsPage() -> impl IntoView {
    view! {
        <RequireArea area=Area::Callouts>
            <Title text="REST API"/>
            <h1>"Callouts"</h1>
            <CalloutsNav/>
            <ApiDocs/>
        </RequireArea>
    }
}

#[component]
fn ApiDocs() -> impl IntoView {
    let doc = Resource::new(|| (), |_| openapi_document());
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || doc.get().map(|r| match r {
                Ok(d) => render(&d).into_any(),
                Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}

fn s(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
}

/// A schema in one line: `{a: string, b?: integer}`, `[Contact]`, `#Name`.
fn schema(v: &Value) -> String {
    if let Some(r) = v.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_string();
    }
    match v.get("type").and_then(Value::as_str) {
        Some("array") => format!("[{}]", v.get("items").map(schema).unwrap_or_default()),
        Some("object") | None if v.get("properties").is_some() => {
            let props = v["properties"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, p)| format!("{k}: {}", schema(p)))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            format!("{{{props}}}")
        }
        Some(t) => t.to_string(),
        None => v
            .get("allOf")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(schema).collect::<Vec<_>>().join(" & "))
            .unwrap_or_else(|| "any".into()),
    }
}

fn render(doc: &Value) -> impl IntoView + use<> {
    let info = &doc["info"];
    let title = s(info, "title");
    let description = s(info, "description");
    let version = s(info, "version");
    let mut ops = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            let Some(item) = item.as_object() else { continue };
            for (method, op) in item {
                if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                    continue;
                }
                let params = op["parameters"]
                    .as_array()
                    .map(|ps| {
                        ps.iter()
                            .map(|p| {
                                let p = p.get("$ref").and_then(Value::as_str).map_or(p.clone(), |r| {
                                    doc.pointer(r.trim_start_matches('#')).cloned().unwrap_or_default()
                                });
                                view! {
                                    <li><code>{s(&p, "name")}</code>" ("{s(&p, "in")}") "<span class="muted">{s(&p, "description")}</span></li>
                                }
                            })
                            .collect_view()
                    })
                    .unwrap_or_default();
                let body = op
                    .pointer("/requestBody/content/application~1json/schema")
                    .map(schema)
                    .unwrap_or_default();
                let responses = op["responses"]
                    .as_object()
                    .map(|r| {
                        r.iter()
                            .map(|(code, resp)| view! { <li><b>{code.clone()}</b>" "{s(resp, "description")}</li> })
                            .collect_view()
                    })
                    .unwrap_or_default();
                let m = method.to_uppercase();
                ops.push(view! {
                    <details class="op" data-op=format!("{m} {path}")>
                        <summary><span class=format!("method m-{method}")>{m.clone()}</span>" "<code>{path.clone()}</code>" "<span class="muted">{s(op, "summary")}</span></summary>
                        <div class="op-body">
                            {(!s(op, "description").is_empty()).then(|| view! { <p>{s(op, "description")}</p> })}
                            <ul class="params">{params}</ul>
                            {(!body.is_empty()).then(|| view! { <p>"Body: "<code>{body}</code></p> })}
                            <ul class="responses">{responses}</ul>
                        </div>
                    </details>
                });
            }
        }
    }
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(name, v)| view! { <li><b>{name.clone()}</b>" "<code>{schema(v)}</code></li> })
                .collect_view()
        })
        .unwrap_or_default();
    view! {
        <section class="card" data-testid="api-docs">
            <div class="row">
                <h2>{title}" "<small class="muted">{version}</small></h2>
                <span class="spacer"></span>
                <a class="btn" href="/api/v1/openapi.json" rel="external">"openapi.json"</a>
            </div>
            <p>{description}</p>
            <p class="muted">"Send a token with the callouts scope as "<code>"Authorization: Bearer …"</code>" (admins issue tokens on the Admin page)."</p>
            {ops}
        </section>
        <section class="card">
            <h2>"Schemas"</h2>
            <ul class="schemas">{schemas}</ul>
        </section>
    }
}
