//! The REST API's reference, drawn from the OpenAPI document the server generates from its
//! handlers and publishes at `/api/v1/openapi.json` (one source: the page cannot drift from the
//! API): every operation grouped by tag, with its parameters, body and responses, then the
//! schemas.
use super::CalloutsNav;
use crate::callouts::api::openapi_document;
use crate::components::{Loaded, RequireArea};
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
        <Loaded resource=doc let:d>
            {render(&d)}
        </Loaded>
    }
}

fn s(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
}

/// The name a `$ref` points at: `#/components/schemas/Contact` → `Contact`.
fn ref_name(r: &str) -> String {
    r.rsplit('/').next().unwrap_or(r).to_string()
}

/// A schema in one line: `Contact`, `[Contact]`, `{a: string, b: integer?}`, `"x"|"y"`,
/// `{string: integer}` for a map; `?` marks what may be null.
fn schema(v: &Value) -> String {
    if let Some(r) = v.get("$ref").and_then(Value::as_str) {
        return ref_name(r);
    }
    if let Some(values) = v.get("enum").and_then(Value::as_array) {
        return values.iter().map(Value::to_string).collect::<Vec<_>>().join("|");
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(parts) = v.get(key).and_then(Value::as_array) {
            let nullable = parts
                .iter()
                .any(|p| p.get("type").and_then(Value::as_str) == Some("null"));
            let named: Vec<String> = parts
                .iter()
                .filter(|p| p.get("type").and_then(Value::as_str) != Some("null"))
                .map(schema)
                .collect();
            let joined = named.join(if key == "allOf" { " & " } else { " | " });
            return if nullable { format!("{joined}?") } else { joined };
        }
    }
    // OpenAPI 3.1 writes a nullable type as `["string", "null"]`.
    let (kind, nullable) = match v.get("type") {
        Some(Value::String(t)) => (Some(t.as_str()), false),
        Some(Value::Array(ts)) => (
            ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
            ts.iter().any(|t| t == "null"),
        ),
        _ => (None, false),
    };
    let text = match kind {
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
        Some("object") if v.get("additionalProperties").is_some_and(Value::is_object) => {
            let key = v.get("propertyNames").map(schema).unwrap_or_else(|| "string".into());
            format!("{{{key}: {}}}", schema(&v["additionalProperties"]))
        }
        Some(t) => t.to_string(),
        None => "any".into(),
    };
    if nullable { format!("{text}?") } else { text }
}

/// The schema of a request or response body, by its first media type: `Contact`,
/// `text/csv string`.
fn content(v: &Value) -> String {
    let Some((media, body)) = v
        .get("content")
        .and_then(Value::as_object)
        .and_then(|c| c.iter().next())
    else {
        return String::new();
    };
    let shape = body.get("schema").map(schema).unwrap_or_default();
    if media == "application/json" {
        shape
    } else {
        format!("{media} {shape}")
    }
}

fn operation(doc: &Value, path: &str, method: &str, op: &Value) -> impl IntoView + use<> {
    let params = op["parameters"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    let p = p.get("$ref").and_then(Value::as_str).map_or(p.clone(), |r| {
                        doc.pointer(r.trim_start_matches('#')).cloned().unwrap_or_default()
                    });
                    let kind = p.get("schema").map(schema).unwrap_or_default();
                    let required = (p["required"] == true).then_some(", required");
                    view! {
                        <li>
                            <code>{s(&p, "name")}</code>" ("{s(&p, "in")}{required}") "<code>{kind}</code>" "
                            <span class="muted">{s(&p, "description")}</span>
                        </li>
                    }
                })
                .collect_view()
        })
        .unwrap_or_default();
    let body = op.get("requestBody").map(content).unwrap_or_default();
    let responses = op["responses"]
        .as_object()
        .map(|r| {
            r.iter()
                .map(|(code, resp)| {
                    let shape = content(resp);
                    view! {
                        <li>
                            <b>{code.clone()}</b>" "{s(resp, "description")}
                            {(!shape.is_empty()).then(|| view! { " "<code>{shape}</code> })}
                        </li>
                    }
                })
                .collect_view()
        })
        .unwrap_or_default();
    let m = method.to_uppercase();
    view! {
        <details class="op" data-op=format!("{m} {path}")>
            <summary><span class=format!("method m-{method}")>{m.clone()}</span>" "<code>{path.to_string()}</code>" "<span class="muted">{s(op, "summary")}</span></summary>
            <div class="op-body">
                {(!s(op, "description").is_empty()).then(|| view! { <p>{s(op, "description")}</p> })}
                <ul class="params">{params}</ul>
                {(!body.is_empty()).then(|| view! { <p>"Body: "<code>{body}</code></p> })}
                <ul class="responses">{responses}</ul>
            </div>
        </details>
    }
}

fn render(doc: &Value) -> impl IntoView + use<> {
    let info = &doc["info"];
    let title = s(info, "title");
    let description = s(info, "description");
    let version = s(info, "version");
    // Operations grouped by their first tag, in the order the document declares the tags.
    let mut groups: Vec<(String, String, Vec<AnyView>)> = doc["tags"]
        .as_array()
        .map(|tags| {
            tags.iter()
                .map(|t| (s(t, "name"), s(t, "description"), Vec::new()))
                .collect()
        })
        .unwrap_or_default();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            let Some(item) = item.as_object() else { continue };
            for (method, op) in item {
                if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                    continue;
                }
                let tag = op.pointer("/tags/0").and_then(Value::as_str).unwrap_or("other");
                let at = match groups.iter().position(|(name, _, _)| name == tag) {
                    Some(at) => at,
                    None => {
                        groups.push((tag.to_string(), String::new(), Vec::new()));
                        groups.len() - 1
                    }
                };
                groups[at].2.push(operation(doc, path, method, op).into_any());
            }
        }
    }
    let groups = groups
        .into_iter()
        .filter(|(_, _, ops)| !ops.is_empty())
        .map(|(name, description, ops)| {
            view! {
                <h3>{name}" "<small class="muted">{description}</small></h3>
                {ops}
            }
        })
        .collect_view();
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
            {groups}
        </section>
        <section class="card">
            <h2>"Schemas"</h2>
            <ul class="schemas">{schemas}</ul>
        </section>
    }
}
