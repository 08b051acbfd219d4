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
