//! A person's published phone turns as an iCalendar feed: `GET /calendar/<handle>.ics?token=…`.
//! Calendar apps fetch it without a session, so the personal token in the query is the only
//! credential. An unknown handle, a missing, wrong or revoked token, or a token of another
//! person all get the same 404, so the answer does not reveal which handles exist.
use crate::error::HttpError;
use crate::state::AppState;
use app::rota::rules::calendar::{CalendarOwner, turns_ics};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use serde::Deserialize;

/// How far back and ahead the feed reaches, in days.
pub const DAYS_BEFORE: i64 = 8 * 7;
pub const DAYS_AFTER: i64 = 26 * 7;

#[derive(Deserialize)]
pub struct FeedQuery {
    token: Option<String>,
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CACHE_CONTROL, "no-store")],
        "no such calendar\n",
    )
        .into_response()
}

/// The request's host name without the port, for the event UIDs.
fn host_of(headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.split(':').next().unwrap_or(h).to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "switchboard".into())
}

pub async fn feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(query): Query<FeedQuery>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let Some(handle) = file.strip_suffix(".ics").map(str::to_lowercase) else {
        return Ok(not_found());
    };
    let Some(token) = query.token.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()) else {
        return Ok(not_found());
    };
    let db = &state.services.db;
    let hash = app::accounts::auth::hash_token(&token);
    let Some(person_id) = app::rota::store::calendar::person_for_token(db, &handle, &hash).await? else {
        return Ok(not_found());
    };
    let person = match app::rota::store::people::by_id(db, person_id).await {
        Ok(p) => p,
        Err(app::shell::store::DbError::NotFound) => return Ok(not_found()),
        Err(e) => return Err(e.into()),
    };
    let settings = app::rota::store::team::get(db).await?;
    let today = settings.today(chrono::Utc::now());
    let turns = app::rota::store::calendar::published_turns(
        db,
        person_id,
        today - Duration::days(DAYS_BEFORE),
        today + Duration::days(DAYS_AFTER),
    )
    .await?;
    let owner = CalendarOwner {
        handle: person.fields.handle.clone(),
        full_name: person.fields.full_name,
        time_zone: settings.time_zone,
    };
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let body = turns_ics(&owner, &turns, &host_of(&headers), &stamp);
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{}.ics\"", person.fields.handle),
            ),
            (header::CACHE_CONTROL, "private, no-cache".to_string()),
        ],
        body,
    )
        .into_response())
}
