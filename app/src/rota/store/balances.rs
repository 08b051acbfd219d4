//! Each person's balance of turns across weeks (Tomàtic's `shiftcredit.yaml`): what published
//! weeks gave them against their share, forgiving, and the log of both.
use super::DbError;
use chrono::NaiveDate;
use sqlx::PgConnection;

/// Every person's balance by handle (people without a row have 0 and are left out).
pub async fn by_handle<'e>(db: impl sqlx::PgExecutor<'e>) -> Result<Vec<(String, i64)>, DbError> {
    let rows: Vec<(String, i32)> = sqlx::query_as(
        "SELECT p.handle, b.credit FROM rota_balances b JOIN people p ON p.id = b.person_id
         WHERE b.credit <> 0 ORDER BY p.handle",
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(h, c)| (h, i64::from(c))).collect())
}

/// Records what the published week of `monday` gave each person against their share. A week
/// recorded before is replaced: only the difference reaches the balance, so publishing twice
/// counts once.
pub async fn record_week(tx: &mut PgConnection, monday: NaiveDate, rows: &[(i64, i64)]) -> Result<(), DbError> {
    for (person_id, overload) in rows {
        let before: Option<i32> =
            sqlx::query_scalar("SELECT overload FROM rota_balance_weeks WHERE monday = $1 AND person_id = $2")
                .bind(monday)
                .bind(person_id)
                .fetch_optional(&mut *tx)
                .await?;
        let delta = *overload - i64::from(before.unwrap_or(0));
        sqlx::query(
            "INSERT INTO rota_balance_weeks (monday, person_id, overload) VALUES ($1, $2, $3)
             ON CONFLICT (monday, person_id) DO UPDATE SET overload = EXCLUDED.overload",
        )
        .bind(monday)
        .bind(person_id)
        .bind(*overload as i32)
        .execute(&mut *tx)
        .await?;
        if delta != 0 {
            add(tx, *person_id, delta).await?;
        }
    }
    Ok(())
}

async fn add(tx: &mut PgConnection, person_id: i64, delta: i64) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO rota_balances (person_id, credit) VALUES ($1, $2)
         ON CONFLICT (person_id) DO UPDATE SET credit = rota_balances.credit + EXCLUDED.credit, updated_at = now()",
    )
    .bind(person_id)
    .bind(delta as i32)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Sets a balance as given (the import of `shiftcredit.yaml`); `true` when it changed.
pub async fn set(
    tx: &mut PgConnection,
    person_id: i64,
    credit: i64,
    by: Option<i64>,
    what: &str,
) -> Result<bool, DbError> {
    let before: Option<i32> = sqlx::query_scalar("SELECT credit FROM rota_balances WHERE person_id = $1")
        .bind(person_id)
        .fetch_optional(&mut *tx)
        .await?;
    if i64::from(before.unwrap_or(0)) == credit {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO rota_balances (person_id, credit) VALUES ($1, $2)
         ON CONFLICT (person_id) DO UPDATE SET credit = EXCLUDED.credit, updated_at = now()",
    )
    .bind(person_id)
    .bind(credit as i32)
    .execute(&mut *tx)
    .await?;
    log(
        tx,
        by,
        Some(person_id),
        &format!("{what}: {} → {credit}", before.unwrap_or(0)),
    )
    .await?;
    Ok(true)
}

/// Forgives one person's balance (`Some`) or everyone's: back to 0, logged. Returns how many
/// balances changed.
pub async fn forgive(tx: &mut PgConnection, person_id: Option<i64>, by: Option<i64>) -> Result<u64, DbError> {
    let done = sqlx::query(
        "UPDATE rota_balances SET credit = 0, updated_at = now()
         WHERE credit <> 0 AND ($1::bigint IS NULL OR person_id = $1)",
    )
    .bind(person_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let what = match person_id {
        Some(_) => "forgave the balance".to_string(),
        None => format!("forgave everyone's balance ({done} changed)"),
    };
    log(tx, by, person_id, &what).await?;
    Ok(done)
}

async fn log(tx: &mut PgConnection, by: Option<i64>, person_id: Option<i64>, what: &str) -> Result<(), DbError> {
    sqlx::query("INSERT INTO rota_balance_log (by_user, person_id, what) VALUES ($1, $2, $3)")
        .bind(by)
        .bind(person_id)
        .bind(what)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The log, newest first: (when, who, handle, what).
pub async fn log_lines<'e>(
    db: impl sqlx::PgExecutor<'e>,
) -> Result<Vec<(chrono::DateTime<chrono::Utc>, Option<i64>, Option<String>, String)>, DbError> {
    Ok(sqlx::query_as(
        "SELECT l.at, l.by_user, p.handle, l.what FROM rota_balance_log l LEFT JOIN people p ON p.id = l.person_id
         ORDER BY l.id DESC",
    )
    .fetch_all(db)
    .await?)
}
