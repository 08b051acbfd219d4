//! The directory for the pages: read an entry, create and change it, add contracts and alerts.
use crate::directory::Entry;
use crate::directory::rules::profile::{AlertInput, ContractInput, ProfileInput};
use crate::shell::error::ApiError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    directory::service,
    shell::ctx::services,
    shell::guard::{respond, signed_in},
};

#[server(prefix = "/api", endpoint = "directory/entry", input = server_fn::codec::Json)]
pub async fn get_entry(id: i64) -> Result<Entry, ApiError> {
    respond(async move { Ok(service::entry(&services()?, &signed_in()?, id).await?) }).await
}

#[server(prefix = "/api", endpoint = "directory/create", input = server_fn::codec::Json)]
pub async fn create_entry(input: ProfileInput) -> Result<Entry, ApiError> {
    respond(async move { Ok(service::create(&services()?, &signed_in()?, &input).await?) }).await
}

#[server(prefix = "/api", endpoint = "directory/update", input = server_fn::codec::Json)]
pub async fn update_entry(id: i64, input: ProfileInput) -> Result<Entry, ApiError> {
    respond(async move { Ok(service::update(&services()?, &signed_in()?, id, &input).await?) }).await
}

#[server(prefix = "/api", endpoint = "directory/contract/add", input = server_fn::codec::Json)]
pub async fn add_contract(contact: i64, input: ContractInput) -> Result<i64, ApiError> {
    respond(async move { Ok(service::add_contract(&services()?, &signed_in()?, contact, &input).await?) }).await
}

#[server(prefix = "/api", endpoint = "directory/alert/add", input = server_fn::codec::Json)]
pub async fn add_alert(contact: i64, input: AlertInput) -> Result<i64, ApiError> {
    respond(async move { Ok(service::add_alert(&services()?, &signed_in()?, contact, &input).await?) }).await
}

#[server(prefix = "/api", endpoint = "directory/alert/delete", input = server_fn::codec::Json)]
pub async fn delete_alert(contact: i64, alert: i64) -> Result<(), ApiError> {
    respond(async move { Ok(service::delete_alert(&services()?, &signed_in()?, contact, alert).await?) }).await
}

#[server(prefix = "/api", endpoint = "directory/search", input = server_fn::codec::Json)]
pub async fn search_directory(
    query: String,
    field: Option<crate::directory::rules::search::SearchField>,
) -> Result<crate::directory::SearchResult, ApiError> {
    respond(async move { Ok(service::search(&services()?, &signed_in()?, &query, field).await?) }).await
}
