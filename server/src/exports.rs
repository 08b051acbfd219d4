//! Downloads of the rota data for people signed in to the console: people as CSV, holidays as
//! iCalendar. Plain routes rather than server functions, so a browser link or a calendar app can
//! fetch them.
use crate::caller::SignedIn;
use crate::error::HttpError;
use crate::state::AppState;
use app::rota::rules::export::{holidays_ics, people_csv};
use app::shell::rules::access::Area;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;

fn allowed(me: &app::accounts::Me) -> Result<(), HttpError> {
    if Area::Rota.allows(&me.roles) {
        Ok(())
    } else {
        Err(HttpError::Forbidden)
    }
}

pub async fn people(SignedIn(me): SignedIn, State(state): State<AppState>) -> Result<impl IntoResponse, HttpError> {
    allowed(&me)?;
    let people = app::rota::store::people::list(&state.services.db).await?;
    let rows: Vec<_> = people.into_iter().map(|p| (p.fields, p.username)).collect();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"people.csv\""),
        ],
        people_csv(&rows),
    ))
}

pub async fn holidays(
    SignedIn(me): SignedIn,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, HttpError> {
    allowed(&me)?;
    let holidays = app::rota::store::holidays::all(&state.services.db).await?;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.split(':').next().unwrap_or(h).to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "switchboard".into());
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"holidays.ics\""),
        ],
        holidays_ics(&holidays, &host, &stamp),
    ))
}
