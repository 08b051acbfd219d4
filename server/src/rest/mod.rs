//! The REST API (`/api/v1/…`), one module per area, and its OpenAPI document.
//!
//! The document is generated from the handlers: each carries a `#[utoipa::path]` annotation
//! (method, path, parameters, request and response types) and the router is an
//! [`OpenApiRouter`] filled only with `routes!` of those handlers, which mounts each one at the
//! method and path of its annotation and adds that operation to the document. The bodies are
//! typed structs deriving `ToSchema`, so the schemas are those of what is (de)serialized.
//! `GET /api/v1/openapi.json` serves the document and the console's REST API page draws it.
pub mod callouts;
pub mod error;

use crate::state::AppState;
use axum::Router;
use axum::http::header;
use axum::routing::get;
use serde_json::{Value, json};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder};
use utoipa_axum::router::OpenApiRouter;

pub use error::{ErrorBody, RestError};

/// Where the document is served (not itself in the document: it needs no credentials).
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

/// The tags the operations use, with what each groups.
pub const TAGS: [(&str, &str); 5] = [
    (callouts::CONTACTS, "The contact directory: the people callouts call"),
    (
        callouts::CALLOUTS,
        "Callouts (campaigns): settings, status, population, numbers",
    ),
    (
        callouts::PARTICIPATIONS,
        "A contact in a callout, with its attempts and outcome",
    ),
    (
        callouts::CALLS,
        "Calls placed for participations, with their status history",
    ),
    (
        callouts::CALLER_IDS,
        "The caller id shown for numbers by prefix (the longest prefix wins)",
    ),
];

/// What the document says before any route: info, security schemes, tags, the error schema.
fn base() -> OpenApi {
    let components = ComponentsBuilder::new()
        .schema_from::<ErrorBody>()
        .security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("sb_…")
                    .description(Some("An API token with the callouts scope (admins issue tokens)"))
                    .build(),
            ),
        )
        .security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "switchboard_session",
                "A signed-in console session",
            ))),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Switchboard callouts API")
                .version("1")
                .description(Some(
                    "Contacts, callouts (campaigns), participations and calls. Authenticate with \
                     `Authorization: Bearer sb_…` (a token with the `callouts` scope) or a signed-in \
                     session; agents may only read. Errors are `{error, message, fields?}`.",
                )),
        )
        .components(Some(components))
        .security(Some([
            SecurityRequirement::new("bearer", Vec::<String>::new()),
            SecurityRequirement::new("session", Vec::<String>::new()),
        ]))
        .tags(Some(TAGS.map(|(name, description)| {
            TagBuilder::new().name(name).description(Some(description)).build()
        })))
        .build()
}

/// Every REST route with the document that describes it.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(base()).merge(callouts::routes())
}

fn served(document: OpenApi) -> Value {
    let mut value = serde_json::to_value(&document).expect("the OpenAPI document is JSON");
    refer_to_named_schemas(&mut value);
    value
}

/// utoipa writes a generic's type argument inline (`Page_Contact` holds a copy of `Contact`'s
/// schema): point every such copy of a named schema at that schema instead.
fn refer_to_named_schemas(doc: &mut Value) {
    fn walk(v: &mut Value, named: &[(String, Value)], whole: bool) {
        if !whole && let Some((name, _)) = named.iter().find(|(_, schema)| schema == v) {
            *v = json!({ "$ref": format!("#/components/schemas/{name}") });
            return;
        }
        match v {
            Value::Object(m) => m.values_mut().for_each(|c| walk(c, named, false)),
            Value::Array(a) => a.iter_mut().for_each(|c| walk(c, named, false)),
            _ => {}
        }
    }
    let named: Vec<(String, Value)> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
        // A named schema itself stays; what it contains may become a reference.
        schemas.values_mut().for_each(|s| walk(s, &named, true));
    }
    if let Some(paths) = doc.get_mut("paths") {
        walk(paths, &named, false);
    }
}

/// The REST routes, and the document at [`OPENAPI_PATH`] (also handed to the console's REST
/// API page).
pub fn router() -> Router<AppState> {
    let (router, document) = api().split_for_parts();
    let value = served(document);
    let body = axum::body::Bytes::from(value.to_string());
    app::callouts::api::set_openapi_document(value);
    router.route(
        OPENAPI_PATH,
        get(move || {
            let body = body.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], body) }
        }),
    )
}
