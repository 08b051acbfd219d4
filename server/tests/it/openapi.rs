//! The REST API's OpenAPI document against the running app: every documented operation is
//! served (401 without credentials), every other method of a documented path is 405, the only
//! routes under `/api/v1` outside the document are the known ones, and the schemas are those of
//! what the handlers send.
//!
//! Why the list of routes cannot drift: the REST router is built only from `routes!` of
//! `#[utoipa::path]`-annotated handlers (server/src/rest), which mounts each at the method and
//! path its annotation documents; `routes_are_registered_only_through_routes_macro` checks the
//! source keeps it that way, and a handler left out of `routes!` is dead code (clippy fails).

use crate::common::{Browser, Role, Scope, TestApp};
use app::callouts::rules::callout::{CalloutEvent, CalloutStatus};
use app::callouts::rules::calls::CallStatus;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn document(app: &TestApp) -> Value {
    let res = reqwest::get(format!("{}/api/v1/openapi.json", app.url))
        .await
        .expect("GET openapi.json");
    assert_eq!(res.status(), StatusCode::OK, "the document needs no credentials");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    res.json().await.expect("the document is JSON")
}

/// `/api/v1/contacts/{id}` → `/api/v1/contacts/1`.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if seg.starts_with('{') && seg.ends_with('}') {
                "1"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_documented_operation_is_served_and_no_other_method() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let paths = doc["paths"].as_object().expect("paths");
    let http = reqwest::Client::new();
    let mut operations = BTreeSet::new();
    for (path, item) in paths {
        assert!(path.starts_with("/api/v1/"), "{path}");
        let documented: BTreeSet<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|k| METHODS.contains(k))
            .collect();
        assert!(!documented.is_empty(), "{path} has no operation");
        let url = format!("{}{}", app.url, concrete(path));
        for method in METHODS {
            let res = http
                .request(Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(), &url)
                .send()
                .await
                .expect("request");
            let expected = if documented.contains(method) {
                operations.insert(format!("{} {path}", method.to_uppercase()));
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::METHOD_NOT_ALLOWED
            };
            assert_eq!(res.status(), expected, "{} {path}", method.to_uppercase());
        }
    }
    // The routes the README promises, every one documented (and so served).
    let promised: BTreeSet<String> = [
        "GET /api/v1/contacts",
        "POST /api/v1/contacts",
        "GET /api/v1/contacts/{id}",
        "PATCH /api/v1/contacts/{id}",
        "DELETE /api/v1/contacts/{id}",
        "POST /api/v1/contacts/bulk",
        "GET /api/v1/contacts.csv",
        "GET /api/v1/callouts",
        "POST /api/v1/callouts",
        "GET /api/v1/callouts/{id}",
        "PATCH /api/v1/callouts/{id}",
        "DELETE /api/v1/callouts/{id}",
        "POST /api/v1/callouts/{id}/events",
        "POST /api/v1/callouts/{id}/populate",
        "GET /api/v1/callouts/{id}/statistics",
        "GET /api/v1/callouts/{id}/participations",
        "GET /api/v1/callouts/{id}/participations.csv",
        "GET /api/v1/participations/{id}",
        "GET /api/v1/caller_ids",
        "POST /api/v1/caller_ids",
        "DELETE /api/v1/caller_ids/{prefix}",
        "GET /api/v1/calls",
        "GET /api/v1/calls/{id}",
    ]
    .map(String::from)
    .into();
    assert_eq!(operations, promised);
}

#[tokio::test]
async fn the_document_describes_itself_and_its_errors() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{}", doc["openapi"]);
    assert_eq!(doc["info"]["title"], "Switchboard callouts API");
    assert!(doc["info"]["version"].is_string());
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!((&bearer["type"], &bearer["scheme"]), (&json!("http"), &json!("bearer")));
    assert!(
        doc["security"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.get("bearer").is_some())
    );
    let tags: BTreeSet<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for name in ["contacts", "callouts", "participations", "calls", "caller ids"] {
        assert!(tags.contains(name), "tag {name} in {tags:?}");
    }
    let error_ref = json!({ "$ref": "#/components/schemas/Error" });
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let what = format!("{method} {path}");
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{what}: summary");
            let op_tags = op["tags"].as_array().unwrap_or_else(|| panic!("{what}: tags"));
            assert!(
                op_tags.iter().all(|t| tags.contains(t.as_str().unwrap())),
                "{what}: undeclared tag in {op_tags:?}"
            );
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.keys().any(|s| s.starts_with('2')), "{what}: no success");
            for status in ["401", "403"] {
                assert_eq!(
                    responses[status]["content"]["application/json"]["schema"], error_ref,
                    "{what}: {status}"
                );
            }
            if path.contains('{') {
                assert!(responses.contains_key("404"), "{what}: 404");
                assert!(
                    op["parameters"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|p| p["in"] == "path" && p["required"] == true),
                    "{what}: path parameter"
                );
            }
            if method == "post" || method == "patch" {
                assert!(
                    op["requestBody"]["content"]["application/json"]["schema"].is_object(),
                    "{what}: body"
                );
                assert!(responses.contains_key("422"), "{what}: 422");
            }
        }
    }
    let error = &doc["components"]["schemas"]["Error"];
    assert_eq!(error["required"], json!(["error", "message"]));
    for field in ["error", "message", "fields"] {
        assert!(error["properties"][field].is_object(), "Error.{field}");
    }
}

/// The schema's property names (through `allOf` and `$ref`).
fn properties(doc: &Value, schema: &Value) -> BTreeSet<String> {
    if let Some(r) = schema["$ref"].as_str() {
        let target = doc.pointer(r.trim_start_matches('#')).unwrap_or_else(|| panic!("{r}"));
        return properties(doc, target);
    }
    let mut names: BTreeSet<String> = schema["properties"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        names.extend(properties(doc, part));
    }
    names
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().expect("an object").keys().cloned().collect()
}

/// The schema of an operation's success response.
fn response_schema<'a>(doc: &'a Value, method: &str, path: &str, status: &str) -> &'a Value {
    &doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
}

#[tokio::test]
async fn schemas_match_what_the_handlers_send() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let schemas = &doc["components"]["schemas"];
    let token = app.token("openapi", &[Scope::Callouts]).await;
    let http = reqwest::Client::new();
    let call = |method: Method, path: &str, body: Option<Value>| {
        let mut req = http.request(method, format!("{}{path}", app.url)).bearer_auth(&token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        async move {
            let res = req.send().await.expect("request");
            let status = res.status();
            (status, res.json::<Value>().await.expect("JSON"))
        }
    };

    // The enums are the Rust enums' values.
    let callout = &schemas["Callout"];
    let names = |all: Vec<String>| json!(all);
    let status = callout["allOf"]
        .as_array()
        .into_iter()
        .flatten()
        .chain([callout])
        .find_map(|s| s["properties"].get("status"))
        .expect("Callout.status");
    let status = status.get("$ref").map_or(status, |r| {
        doc.pointer(r.as_str().unwrap().trim_start_matches('#')).unwrap()
    });
    assert_eq!(
        status["enum"],
        names(CalloutStatus::ALL.iter().map(|s| s.as_str().to_string()).collect())
    );
    assert_eq!(
        schemas["CalloutEvent"]["enum"],
        names(
            CalloutEvent::ALL
                .iter()
                .map(|e| serde_json::to_value(e).unwrap().as_str().unwrap().to_string())
                .collect()
        )
    );
    assert_eq!(
        schemas["CallStatus"]["enum"],
        names(CallStatus::ALL.iter().map(|s| s.as_str().to_string()).collect())
    );

    // What the handlers send has exactly the documented properties.
    let (s, contact) = call(
        Method::POST,
        "/api/v1/contacts",
        Some(json!({"phone": "+34600000001", "metadata": {"zone": "n"}})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{contact}");
    let contact_schema = response_schema(&doc, "post", "/api/v1/contacts", "201");
    assert_eq!(keys(&contact), properties(&doc, contact_schema));
    let (s, created) = call(Method::POST, "/api/v1/callouts", Some(json!({"name": "Doc"}))).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    assert_eq!(keys(&created), properties(&doc, &schemas["Callout"]));
    let id = created["id"].as_i64().unwrap();
    // A page refers to its items' schema by name.
    for (page, item) in [
        ("Page_Contact", "Contact"),
        ("Page_Callout", "Callout"),
        ("Page_Participation", "Participation"),
        ("Page_Call", "Call"),
    ] {
        assert_eq!(
            schemas[page]["properties"]["items"]["items"],
            json!({ "$ref": format!("#/components/schemas/{item}") }),
            "{page}"
        );
    }
    let (_, page) = call(Method::GET, "/api/v1/callouts", None).await;
    let page_schema = response_schema(&doc, "get", "/api/v1/callouts", "200");
    assert_eq!(keys(&page), properties(&doc, page_schema));
    let (s, populated) = call(
        Method::POST,
        &format!("/api/v1/callouts/{id}/populate"),
        Some(json!({})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{populated}");
    let populate_schema = response_schema(&doc, "post", "/api/v1/callouts/{id}/populate", "200");
    assert_eq!(keys(&populated), properties(&doc, populate_schema));
    let (_, stats) = call(Method::GET, &format!("/api/v1/callouts/{id}/statistics"), None).await;
    let stats_schema = response_schema(&doc, "get", "/api/v1/callouts/{id}/statistics", "200");
    assert_eq!(keys(&stats), properties(&doc, stats_schema));
    let (_, parts) = call(Method::GET, &format!("/api/v1/callouts/{id}/participations"), None).await;
    let part_schema = response_schema(&doc, "get", "/api/v1/participations/{id}", "200");
    assert_eq!(keys(&parts["items"][0]), properties(&doc, part_schema));
    let (_, bulk) = call(
        Method::POST,
        "/api/v1/contacts/bulk",
        Some(json!([{"phone": "+34600000002"}, {"phone": "bad"}])),
    )
    .await;
    assert_eq!(
        (bulk["created"].as_i64(), bulk["invalid"].as_i64()),
        (Some(1), Some(1)),
        "{bulk}"
    );
    let bulk_schema = response_schema(&doc, "post", "/api/v1/contacts/bulk", "200");
    assert_eq!(keys(&bulk), properties(&doc, bulk_schema));
    let (s, rule) = call(
        Method::POST,
        "/api/v1/caller_ids",
        Some(json!({"prefix": "+34", "caller_id": "+34910000000"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{rule}");
    assert_eq!(keys(&rule), properties(&doc, &schemas["CallerId"]));

    // An error has the documented shape.
    let (s, error) = call(Method::POST, "/api/v1/callouts", Some(json!({"name": ""}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(keys(&error), properties(&doc, &schemas["Error"]));
    assert!(error["fields"]["name"].is_string(), "{error}");
}

#[tokio::test]
async fn the_console_draws_the_served_document() {
    let app = TestApp::spawn().await;
    let served = document(&app).await;
    let pw = app.user("alex", &[Role::Agent]).await;
    let agent = Browser::signed_in(&app, "alex", &pw).await;
    let (s, v) = agent.call("/api/callouts/openapi", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v:?}");
    assert_eq!(v.unwrap(), served);
}

/// Rust sources under `dir`, with their paths.
fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
        }
    }
    out
}

#[test]
fn routes_are_registered_only_through_routes_macro() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    // In rest/, the one plain route is the document itself (mod.rs, `OPENAPI_PATH`).
    for (path, text) in sources(&src.join("rest")) {
        for (n, line) in text.lines().enumerate() {
            let plain = [
                ".route(",
                ".route_service(",
                ".nest_service(",
                " Router::new()",
                "axum::Router::new()",
            ]
            .iter()
            .any(|p| line.contains(p));
            let allowed = path.ends_with("rest/mod.rs") && line.trim() == "router.route(";
            assert!(
                !plain || allowed,
                "{path}:{}: a REST route must be registered with routes!(…) so that it is documented: {line}",
                n + 1
            );
        }
    }
    // Outside rest/, nothing else is served under /api/v1 but `whoami` (an operations route).
    for (path, text) in sources(&src) {
        if path.contains("/rest/") {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            if let Some(at) = line.find("\"/api/v1/") {
                let literal: String = line[at + 1..].chars().take_while(|c| *c != '"').collect();
                assert_eq!(
                    literal,
                    "/api/v1/whoami",
                    "{path}:{}: REST routes belong in server/src/rest (documented)",
                    n + 1
                );
            }
        }
    }
}
