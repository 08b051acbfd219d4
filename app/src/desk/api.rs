//! The desk for the pages: the card of a call (or of the latest call that rang me).
use crate::desk::Card;
use crate::shell::error::ApiError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    desk::service,
    shell::ctx::services,
    shell::guard::{respond, signed_in},
};

#[server(prefix = "/api", endpoint = "desk/card", input = server_fn::codec::Json)]
pub async fn desk_card(call: Option<i64>) -> Result<Option<Card>, ApiError> {
    respond(async move { Ok(service::card(&services()?, &signed_in()?, call).await?) }).await
}

/// The outside CRM's part of a call's card (asked apart from the card: it never delays it).
#[server(prefix = "/api", endpoint = "desk/crm", input = server_fn::codec::Json)]
pub async fn desk_crm(call: i64) -> Result<crate::desk::CrmLookup, ApiError> {
    respond(async move { Ok(service::crm_for_call(&services()?, &signed_in()?, call).await?) }).await
}

/// What the outside CRM has for a text searched at the desk.
#[server(prefix = "/api", endpoint = "desk/crm/search", input = server_fn::codec::Json)]
pub async fn desk_crm_search(query: String) -> Result<crate::desk::CrmLookup, ApiError> {
    respond(async move { Ok(service::crm_search(&services()?, &signed_in()?, &query).await?) }).await
}

use crate::desk::rules::annotation::{AnnotationInput, CategoryInput, ManualCallInput};
use crate::desk::{Category, CategoryImport, LogFilter, LogRow, MyDay, TeamLog};

/// Enabled categories (`all`: every one, for admins).
#[server(prefix = "/api", endpoint = "desk/categories", input = server_fn::codec::Json)]
pub async fn desk_categories(all: bool) -> Result<Vec<Category>, ApiError> {
    respond(async move { Ok(service::categories(&services()?, &signed_in()?, all).await?) }).await
}

#[server(prefix = "/api", endpoint = "desk/category/save", input = server_fn::codec::Json)]
pub async fn save_category(id: Option<i64>, input: CategoryInput) -> Result<i64, ApiError> {
    respond(async move { Ok(service::save_category(&services()?, &signed_in()?, id, &input).await?) }).await
}

#[server(prefix = "/api", endpoint = "desk/category/import", input = server_fn::codec::Json)]
pub async fn import_categories(csv: String) -> Result<CategoryImport, ApiError> {
    respond(async move { Ok(service::import_categories(&services()?, &signed_in()?, &csv).await?) }).await
}

#[server(prefix = "/api", endpoint = "desk/annotate", input = server_fn::codec::Json)]
pub async fn annotate_call(call: i64, input: AnnotationInput) -> Result<(), ApiError> {
    respond(async move { Ok(service::annotate(&services()?, &signed_in()?, call, &input).await?) }).await
}

#[server(prefix = "/api", endpoint = "desk/annotation/clear", input = server_fn::codec::Json)]
pub async fn clear_annotation(call: i64) -> Result<(), ApiError> {
    respond(async move { Ok(service::clear_annotation(&services()?, &signed_in()?, call).await?) }).await
}

#[server(prefix = "/api", endpoint = "desk/record", input = server_fn::codec::Json)]
pub async fn record_call(input: ManualCallInput) -> Result<i64, ApiError> {
    respond(async move { Ok(service::record_call(&services()?, &signed_in()?, &input).await?) }).await
}

/// One call with its annotation.
#[server(prefix = "/api", endpoint = "desk/call/row", input = server_fn::codec::Json)]
pub async fn call_row(call: i64) -> Result<LogRow, ApiError> {
    respond(async move { Ok(service::call_row(&services()?, &signed_in()?, call).await?) }).await
}

#[server(prefix = "/api", endpoint = "desk/day", input = server_fn::codec::Json)]
pub async fn desk_day(day: Option<chrono::NaiveDate>) -> Result<MyDay, ApiError> {
    respond(async move { Ok(service::my_day(&services()?, &signed_in()?, day).await?) }).await
}

#[server(prefix = "/api", endpoint = "desk/log", input = server_fn::codec::Json)]
pub async fn desk_log(filter: LogFilter) -> Result<TeamLog, ApiError> {
    respond(async move { Ok(service::team_log(&services()?, &signed_in()?, &filter).await?) }).await
}
