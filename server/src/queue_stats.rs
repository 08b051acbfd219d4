//! `GET /api/queue/stats.csv?day=YYYY-MM-DD`: a day's queue call statistics as CSV — one `day`
//! line, one line per hour 0–23, one per agent — for coordinators, managers and admins (a
//! browser link; agents 403, no session 401). A bad day: 400 naming it.
use crate::error::HttpError;
use crate::state::AppState;
use app::queue::service::stats;
use app::shell::service::{Actor, ServiceError};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub const STATS_CSV_PATH: &str = "/api/queue/stats.csv";

fn bad(field: &str, message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": "invalid", "field": field, "message": message})),
    )
        .into_response()
}

pub async fn stats_csv(
    crate::caller::SignedIn(me): crate::caller::SignedIn,
    State(st): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<Vec<(String, String)>>,
) -> Response {
    let day = match q.iter().find(|(k, v)| k == "day" && !v.trim().is_empty()) {
        None => None,
        Some((_, v)) => match chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => return bad("day", "a day is YYYY-MM-DD"),
        },
    };
    match stats::day_csv(&st.services, &Actor::User(me), day).await {
        Ok((csv, name)) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            ],
            csv,
        )
            .into_response(),
        Err(ServiceError::Forbidden) => HttpError::Forbidden.into_response(),
        Err(ServiceError::Invalid(errors)) => {
            let message: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
            bad("day", &message.join("; "))
        }
        Err(e) => HttpError::internal("queue statistics", e).into_response(),
    }
}
