//! The queue for the pages: the live board, pause and resume, add and remove by hand.
use crate::queue::QueueView;
use crate::shell::error::ApiError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    queue::service,
    shell::ctx::services,
    shell::guard::{respond, signed_in},
};

#[server(prefix = "/api", endpoint = "queue/board", input = server_fn::codec::Json)]
pub async fn queue_board() -> Result<QueueView, ApiError> {
    respond(async move { Ok(service::board(&services()?, &signed_in()?).await?) }).await
}

#[server(prefix = "/api", endpoint = "queue/pause", input = server_fn::codec::Json)]
pub async fn pause_member(interface: String, paused: bool, reason: Option<String>) -> Result<(), ApiError> {
    respond(async move {
        Ok(service::set_paused(&services()?, &signed_in()?, &interface, paused, reason.as_deref()).await?)
    })
    .await
}

#[server(prefix = "/api", endpoint = "queue/add", input = server_fn::codec::Json)]
pub async fn add_member(handle: String) -> Result<String, ApiError> {
    respond(async move { Ok(service::add_by_hand(&services()?, &signed_in()?, &handle, chrono::Utc::now()).await?) })
        .await
}

#[server(prefix = "/api", endpoint = "queue/remove", input = server_fn::codec::Json)]
pub async fn remove_member(interface: String) -> Result<(), ApiError> {
    respond(
        async move { Ok(service::remove_by_hand(&services()?, &signed_in()?, &interface, chrono::Utc::now()).await?) },
    )
    .await
}
