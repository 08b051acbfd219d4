//! The chat for the pages: "say as Switchboard" and the Simulators page.
use crate::chat::{ChatMessage, SimulatorsView};
use crate::shell::error::ApiError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    chat::service,
    shell::ctx::services,
    shell::guard::{respond, signed_in},
};

#[server(prefix = "/api", endpoint = "chat/say", input = server_fn::codec::Json)]
pub async fn say_as_switchboard(text: String) -> Result<ChatMessage, ApiError> {
    respond(async move { Ok(service::say(&services()?, &signed_in()?, &text).await?) }).await
}

#[server(prefix = "/api", endpoint = "simulators", input = server_fn::codec::Json)]
pub async fn read_simulators() -> Result<SimulatorsView, ApiError> {
    respond(async move { Ok(service::simulators(&services()?, &signed_in()?).await?) }).await
}
