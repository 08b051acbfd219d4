//! The OpenAPI 3 description of the REST API (server/src/rest), written by hand: served as
//! `GET /api/v1/openapi.json` and drawn by the console's API page.
use serde_json::{Value, json};

fn id_param() -> Value {
    json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } })
}

fn page_params() -> Vec<Value> {
    vec![
        json!({ "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1, "default": 1 } }),
        json!({ "name": "per_page", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 50 } }),
    ]
}

fn ok(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

fn errors() -> Value {
    let e = json!({ "$ref": "#/components/schemas/Error" });
    json!({
        "401": ok("no or bad credentials", e.clone()),
        "403": ok("the token's scopes or the user's roles do not allow this", e.clone()),
        "404": ok("not found", e.clone()),
        "409": ok("conflict (a number already taken, a running callout deleted, …)", e.clone()),
        "422": ok("invalid input, field by field, or a refused transition", e),
    })
}

fn op(summary: &str, params: Vec<Value>, body: Option<&str>, status: &str, response: Value) -> Value {
    let mut responses = errors();
    responses[status] = response;
    let mut o = json!({ "summary": summary, "parameters": params, "responses": responses });
    if let Some(schema) = body {
        o["requestBody"] = json!({
            "required": true,
            "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
        });
    }
    o
}

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn page_of(name: &str) -> Value {
    json!({ "type": "object", "properties": {
        "items": { "type": "array", "items": r(name) },
        "total": { "type": "integer" }, "page": { "type": "integer" }, "per_page": { "type": "integer" } } })
}

pub fn spec() -> Value {
    let mut contact_filters = page_params();
    contact_filters.extend([
        json!({ "name": "search", "in": "query", "description": "name or number contains", "schema": { "type": "string" } }),
        json!({ "name": "tag", "in": "query", "description": "has this tag (repeatable; or tags=a,b)", "schema": { "type": "string" } }),
        json!({ "name": "metadata", "in": "query", "description": "metadata contains this JSON object; or metadata.KEY=VALUE", "schema": { "type": "string" } }),
    ]);
    let mut callout_filters = page_params();
    callout_filters.push(json!({ "name": "status", "in": "query", "schema": { "type": "string", "enum": ["initialized", "running", "paused", "stopped"] } }));
    let mut part_filters = vec![id_param()];
    part_filters.extend(page_params());
    part_filters.extend([
        json!({ "name": "state", "in": "query", "schema": { "type": "string", "enum": ["pending", "calling", "done"] } }),
        json!({ "name": "answered", "in": "query", "schema": { "type": "boolean" } }),
        json!({ "name": "last_call_status", "in": "query", "description": "status of the last call, e.g. busy", "schema": { "type": "string" } }),
        json!({ "name": "search", "in": "query", "description": "name or number contains", "schema": { "type": "string" } }),
    ]);
    let csv =
        |what: &str| json!({ "description": what, "content": { "text/csv": { "schema": { "type": "string" } } } });
    let contact_csv_filters: Vec<Value> = contact_filters
        .iter()
        .filter(|p| p["in"] == "query" && p["name"] != "page" && p["name"] != "per_page")
        .cloned()
        .collect();
    let part_csv_filters: Vec<Value> = part_filters
        .iter()
        .filter(|p| p["name"] != "page" && p["name"] != "per_page")
        .cloned()
        .collect();
    let prefix_param = json!({ "name": "prefix", "in": "path", "required": true, "description": "e.g. +385 (URL-encoded: %2B385)", "schema": { "type": "string" } });
    let mut call_filters = page_params();
    call_filters.extend([
        json!({ "name": "callout_id", "in": "query", "schema": { "type": "integer" } }),
        json!({ "name": "participation_id", "in": "query", "schema": { "type": "integer" } }),
        json!({ "name": "status", "in": "query", "schema": { "type": "string" } }),
    ]);
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Switchboard callouts API",
            "version": "1",
            "description": "Contacts, callouts (campaigns), participations and calls. Authenticate with `Authorization: Bearer sb_…` (a token with the `callouts` scope) or a signed-in session; agents may only read."
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Error": { "type": "object", "required": ["error", "message"], "properties": {
                    "error": { "type": "string", "example": "invalid" },
                    "message": { "type": "string" },
                    "fields": { "type": "object", "additionalProperties": { "type": "string" }, "description": "message per field" } } },
                "ContactInput": { "type": "object", "properties": {
                    "phone": { "type": "string", "description": "E.164, or national (the configured default country code is added)" },
                    "name": { "type": "string" },
                    "metadata": { "type": "object" },
                    "tags": { "type": "array", "items": { "type": "string" } },
                    "time_zone": { "type": "string", "nullable": true, "example": "Europe/Madrid",
                        "description": "IANA zone for calling hours (default: the callout's, else the team's)" } } },
                "Contact": { "allOf": [r("ContactInput"), { "type": "object", "properties": {
                    "id": { "type": "integer" }, "created_at": { "type": "string", "format": "date-time" },
                    "updated_at": { "type": "string", "format": "date-time" } } }] },
                "BulkContacts": { "type": "object", "properties": { "contacts": { "type": "array", "items": r("ContactInput") } } },
                "CalloutInput": { "type": "object", "properties": {
                    "name": { "type": "string" }, "description": { "type": "string" },
                    "max_calls_per_run": { "type": "integer", "nullable": true, "minimum": 1 },
                    "strategy": { "type": "string", "enum": ["optimistic", "pessimistic"] },
                    "min_calls_per_run": { "type": "integer", "minimum": 0, "default": 1 },
                    "max_calls_per_period": { "type": "integer", "nullable": true, "minimum": 1 },
                    "period_hours": { "type": "integer", "default": 24 },
                    "max_concurrent_calls": { "type": "integer", "nullable": true, "minimum": 1 },
                    "calls_per_second": { "type": "integer", "nullable": true, "minimum": 1 },
                    "retry_statuses": { "type": "array", "items": { "type": "string", "enum": ["not_answered", "busy", "failed", "errored", "canceled", "expired"] } },
                    "max_attempts": { "type": "integer", "minimum": 1, "maximum": 20, "default": 3 },
                    "retry_delay_minutes": { "type": "integer", "minimum": 0, "default": 15 },
                    "calling_days": { "type": "string", "nullable": true, "example": "mon-fri", "description": "none: any day and time" },
                    "calling_hours_start": { "type": "string", "example": "09:00" },
                    "calling_hours_end": { "type": "string", "example": "20:00" },
                    "time_zone": { "type": "string", "nullable": true, "example": "Europe/Madrid", "description": "none: the team's" },
                    "caller_id": { "type": "string", "nullable": true, "description": "E.164; caller-id prefixes win" },
                    "url": { "type": "string", "nullable": true }, "method": { "type": "string", "enum": ["GET", "POST"] },
                    "twiml": { "type": "string", "nullable": true } } },
                "Callout": { "allOf": [r("CalloutInput"), { "type": "object", "properties": {
                    "id": { "type": "integer" },
                    "status": { "type": "string", "enum": ["initialized", "running", "paused", "stopped"] },
                    "allowed_events": { "type": "array", "items": { "type": "string" } } } }] },
                "CallerId": { "type": "object", "required": ["prefix", "caller_id"], "properties": {
                    "prefix": { "type": "string", "example": "+3851" }, "caller_id": { "type": "string", "example": "+38512345678" } } },
                "Event": { "type": "object", "required": ["event"], "properties": {
                    "event": { "type": "string", "enum": ["start", "pause", "resume", "stop"] } } },
                "Populate": { "type": "object", "properties": {
                    "filter": { "type": "object", "properties": {
                        "search": { "type": "string" }, "tags": { "type": "array", "items": { "type": "string" } },
                        "metadata": { "type": "object" } } },
                    "contact_ids": { "type": "array", "items": { "type": "integer" } } } },
                "Statistics": { "type": "object", "properties": {
                    "participations": { "type": "integer" }, "remaining": { "type": "integer" },
                    "answered": { "type": "integer" }, "calls_in_flight": { "type": "integer" },
                    "calls_total": { "type": "integer" },
                    "calls_by_status": { "type": "object", "additionalProperties": { "type": "integer" } },
                    "participations_by_attempts": { "type": "object", "additionalProperties": { "type": "integer" } },
                    "calls_per_10_minutes": { "type": "array", "items": { "type": "object", "properties": {
                        "start": { "type": "string", "format": "date-time" },
                        "calls": { "type": "object", "additionalProperties": { "type": "integer" } } } } } } },
                "Participation": { "type": "object", "properties": {
                    "id": { "type": "integer" }, "callout_id": { "type": "integer" }, "contact_id": { "type": "integer" },
                    "phone": { "type": "string" }, "state": { "type": "string" }, "done_reason": { "type": "string", "nullable": true },
                    "attempts": { "type": "integer" }, "answered": { "type": "boolean" } } },
                "Call": { "type": "object", "properties": {
                    "id": { "type": "integer" }, "participation_id": { "type": "integer" }, "callout_id": { "type": "integer" },
                    "attempt": { "type": "integer" }, "status": { "type": "string" }, "provider_sid": { "type": "string", "nullable": true },
                    "error_code": { "type": "integer", "nullable": true }, "error_message": { "type": "string", "nullable": true },
                    "history": { "type": "array", "items": { "type": "object" } } } }
            }
        },
        "security": [{ "bearer": [] }],
        "paths": {
            "/api/v1/contacts": {
                "get": op("List contacts", contact_filters, None, "200", ok("a page of contacts", page_of("Contact"))),
                "post": op("Create a contact", vec![], Some("ContactInput"), "201", ok("created", r("Contact")))
            },
            "/api/v1/contacts/bulk": {
                "post": op("Create or merge many contacts; invalid ones are reported by index, valid ones kept", vec![], Some("BulkContacts"), "200",
                    ok("counts and errors", json!({ "type": "object", "properties": {
                        "created": { "type": "integer" }, "merged": { "type": "integer" }, "invalid": { "type": "integer" },
                        "errors": { "type": "array", "items": { "type": "object" } } } })))
            },
            "/api/v1/contacts/{id}": {
                "get": op("Get a contact", vec![id_param()], None, "200", ok("the contact", r("Contact"))),
                "patch": op("Change a contact (given fields only)", vec![id_param()], Some("ContactInput"), "200", ok("the contact", r("Contact"))),
                "delete": op("Delete a contact that is in no callout", vec![id_param()], None, "204", json!({ "description": "deleted" }))
            },
            "/api/v1/callouts": {
                "get": op("List callouts", callout_filters, None, "200", ok("a page of callouts", page_of("Callout"))),
                "post": op("Create a callout", vec![], Some("CalloutInput"), "201", ok("created", r("Callout")))
            },
            "/api/v1/callouts/{id}": {
                "get": op("Get a callout", vec![id_param()], None, "200", ok("the callout", r("Callout"))),
                "patch": op("Change a callout's settings (given fields only)", vec![id_param()], Some("CalloutInput"), "200", ok("the callout", r("Callout"))),
                "delete": op("Delete a callout that is not running", vec![id_param()], None, "204", json!({ "description": "deleted" }))
            },
            "/api/v1/callouts/{id}/events": {
                "post": op("Start, pause, resume or stop (refused with 422 when the status does not allow it)", vec![id_param()], Some("Event"), "200", ok("the callout", r("Callout")))
            },
            "/api/v1/callouts/{id}/populate": {
                "post": op("Add contacts by filter (all when empty) or by id; each contact at most once", vec![id_param()], Some("Populate"), "200",
                    ok("how many were added", json!({ "type": "object", "properties": { "added": { "type": "integer" }, "participations": { "type": "integer" } } })))
            },
            "/api/v1/callouts/{id}/statistics": {
                "get": op("Numbers of a callout", vec![id_param()], None, "200", ok("statistics", r("Statistics")))
            },
            "/api/v1/callouts/{id}/participations": {
                "get": op("List a callout's participations", part_filters, None, "200", ok("a page of participations", page_of("Participation")))
            },
            "/api/v1/participations/{id}": {
                "get": op("Get a participation", vec![id_param()], None, "200", ok("the participation", r("Participation")))
            },
            "/api/v1/calls": {
                "get": op("List calls", call_filters, None, "200", ok("a page of calls", page_of("Call")))
            },
            "/api/v1/contacts.csv": {
                "get": op("Export contacts as CSV (the import reads it back)", contact_csv_filters, None, "200", csv("phone,name,tags,time_zone and one column per metadata key"))
            },
            "/api/v1/callouts/{id}/participations.csv": {
                "get": op("Export a callout's participations as CSV", part_csv_filters, None, "200", csv("one row per participation"))
            },
            "/api/v1/caller_ids": {
                "get": op("List caller ids by prefix (the longest prefix of the dialled number wins)", vec![], None, "200",
                    ok("the rules", json!({ "type": "array", "items": r("CallerId") }))),
                "post": op("Set the caller id for a prefix", vec![], Some("CallerId"), "200", ok("the rule", r("CallerId")))
            },
            "/api/v1/caller_ids/{prefix}": {
                "delete": op("Remove a prefix", vec![prefix_param], None, "204", json!({ "description": "removed" }))
            },
            "/api/v1/calls/{id}": {
                "get": op("Get a call with its status history", vec![id_param()], None, "200", ok("the call", r("Call")))
            }
        }
    })
}
