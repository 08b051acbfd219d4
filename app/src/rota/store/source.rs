//! Everything stored that a week's plan depends on, read together.
use super::{DbError, PgPool, availability, balances, fixed_turns, holidays, people, team, timetables};
use crate::rota::rules::plan::WeekSource;
use chrono::{Duration, NaiveDate};

pub async fn week_source(db: &PgPool, monday: NaiveDate) -> Result<WeekSource, DbError> {
    Ok(WeekSource {
        settings: team::get(db).await?,
        people: people::list(db).await?.into_iter().map(|p| p.fields).collect(),
        entries: availability::in_week(db, monday)
            .await?
            .into_iter()
            .map(|e| (e.handle, e.entry))
            .collect(),
        holidays: holidays::between(db, monday, monday + Duration::days(6)).await?,
        fixed: fixed_turns::all(db).await?,
        overrides: timetables::overrides(db, monday).await?,
        credits: balances::by_handle(db).await?,
    })
}
