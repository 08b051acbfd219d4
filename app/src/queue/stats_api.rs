//! The queue's call statistics for the pages (`/queue/stats`).
use crate::queue::rules::stats::StatsView;
use crate::shell::error::ApiError;
use chrono::NaiveDate;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    queue::service,
    shell::ctx::services,
    shell::guard::{respond, signed_in},
};

/// A day's statistics (today in the team's time zone when `day` is empty) and the days before.
#[server(prefix = "/api", endpoint = "queue/stats", input = server_fn::codec::Json)]
pub async fn queue_stats(day: Option<NaiveDate>) -> Result<StatsView, ApiError> {
    respond(async move { Ok(service::stats::day(&services()?, &signed_in()?, day).await?) }).await
}
