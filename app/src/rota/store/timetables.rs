//! Planned weeks: their seats, versions, change log and load overrides.
use super::{DbError, PgPool};
use crate::rota::WeekStatus;
use crate::rota::rules::plan::Seats;
use crate::rota::rules::solver::Penalty;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeekRow {
    pub monday: NaiveDate,
    pub status: WeekStatus,
    pub version: i32,
    pub turn_boundaries: Vec<String>,
    pub time_zone: String,
    pub lines: i32,
    pub cost: Option<i64>,
    pub penalties: Vec<Penalty>,
    pub imported_from: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
}

impl WeekRow {
    /// Turns in a day of this week (the week keeps the shape it was planned with).
    pub fn turns(&self) -> usize {
        self.turn_boundaries.len().saturating_sub(1)
    }

    pub fn line_count(&self) -> usize {
        self.lines.max(1) as usize
    }
}

#[derive(sqlx::FromRow)]
struct WeekDbRow {
    monday: NaiveDate,
    status: WeekStatus,
    version: i32,
    turn_boundaries: Vec<String>,
    time_zone: String,
    lines: i32,
    cost: Option<i64>,
    penalties: serde_json::Value,
    imported_from: Option<String>,
    published_at: Option<DateTime<Utc>>,
}

/// The grid of a week: its days and, per day, per turn, per line, the handle or nobody.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    pub days: Vec<NaiveDate>,
    pub seats: Seats,
}

impl Grid {
    /// The seats of one turn of `day`, if the day has seats and the turn exists.
    pub fn row(&self, day: NaiveDate, turn: usize) -> Option<&[Option<String>]> {
        let d = self.days.iter().position(|x| *x == day)?;
        self.seats.get(d)?.get(turn).map(Vec::as_slice)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub at: DateTime<Utc>,
    pub by: Option<String>,
    pub kind: String,
    pub version: i32,
    pub day: Option<NaiveDate>,
    pub turn: Option<i16>,
    pub line: Option<i16>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Version {
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub by: Option<String>,
    pub note: String,
}

crate::text_enum!(WeekStatus);

pub async fn week(db: impl sqlx::PgExecutor<'_>, monday: NaiveDate) -> Result<Option<WeekRow>, DbError> {
    let row: Option<WeekDbRow> = sqlx::query_as(
        "SELECT monday, status, version, turn_boundaries, time_zone, lines, cost, penalties, imported_from, published_at
         FROM rota_weeks WHERE monday = $1",
    )
    .bind(monday)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| WeekRow {
        monday: r.monday,
        status: r.status,
        version: r.version,
        turn_boundaries: r.turn_boundaries,
        time_zone: r.time_zone,
        lines: r.lines,
        cost: r.cost,
        penalties: serde_json::from_value(r.penalties).unwrap_or_default(),
        imported_from: r.imported_from,
        published_at: r.published_at,
    }))
}

/// The current seats of a week (empty when it was never planned).
pub async fn grid(
    db: impl sqlx::PgExecutor<'_>,
    monday: NaiveDate,
    turns: usize,
    lines: usize,
) -> Result<Grid, DbError> {
    let rows: Vec<(NaiveDate, i16, i16, Option<String>)> = sqlx::query_as(
        "SELECT s.day, s.turn, s.line, p.handle FROM rota_seats s LEFT JOIN people p ON p.id = s.person_id
         WHERE s.monday = $1 ORDER BY s.day, s.turn, s.line",
    )
    .bind(monday)
    .fetch_all(db)
    .await?;
    let mut days: Vec<NaiveDate> = rows.iter().map(|r| r.0).collect();
    days.dedup();
    let mut seats: Seats = vec![vec![vec![None; lines]; turns]; days.len()];
    for (day, turn, line, handle) in rows {
        let d = days.iter().position(|x| *x == day).unwrap_or(0);
        if let Some(slot) = seats
            .get_mut(d)
            .and_then(|t| t.get_mut(turn as usize))
            .and_then(|l| l.get_mut(line as usize))
        {
            *slot = handle;
        }
    }
    Ok(Grid { days, seats })
}

/// Locks the week's row for a change; `None` when the week was never planned.
pub async fn lock(tx: &mut PgConnection, monday: NaiveDate) -> Result<Option<WeekRow>, DbError> {
    sqlx::query("SELECT 1 FROM rota_weeks WHERE monday = $1 FOR UPDATE")
        .bind(monday)
        .execute(&mut *tx)
        .await?;
    week(&mut *tx, monday).await
}

/// The week (locked for a change) and its current seats; `None` when it was never planned.
pub async fn locked_grid(tx: &mut PgConnection, monday: NaiveDate) -> Result<Option<(WeekRow, Grid)>, DbError> {
    let Some(week) = lock(tx, monday).await? else {
        return Ok(None);
    };
    let grid = grid(&mut *tx, monday, week.turns(), week.line_count()).await?;
    Ok(Some((week, grid)))
}

/// The week and its current seats, for reading; `None` when it was never planned.
pub async fn week_grid(db: &PgPool, monday: NaiveDate) -> Result<Option<(WeekRow, Grid)>, DbError> {
    let Some(week) = week(db, monday).await? else {
        return Ok(None);
    };
    let grid = grid(db, monday, week.turns(), week.line_count()).await?;
    Ok(Some((week, grid)))
}

/// Bumps the version, snapshots the seats under it, and returns it.
async fn bump(tx: &mut PgConnection, monday: NaiveDate, by: Option<i64>, note: &str) -> Result<i32, DbError> {
    let (version, turns, lines): (i32, i32, i32) = sqlx::query_as(
        "UPDATE rota_weeks SET version = version + 1, updated_at = now() WHERE monday = $1
         RETURNING version, cardinality(turn_boundaries) - 1, lines",
    )
    .bind(monday)
    .fetch_one(&mut *tx)
    .await?;
    let grid = grid(&mut *tx, monday, turns.max(0) as usize, lines.max(0) as usize).await?;
    sqlx::query("INSERT INTO rota_versions (monday, version, seats, created_by, note) VALUES ($1, $2, $3, $4, $5)")
        .bind(monday)
        .bind(version)
        .bind(serde_json::to_value(&grid).unwrap_or_default())
        .bind(by)
        .bind(note)
        .execute(&mut *tx)
        .await?;
    Ok(version)
}

/// One line of the change log.
#[derive(Default)]
struct LogLine<'a> {
    by: Option<i64>,
    kind: &'a str,
    seat: Option<(NaiveDate, i16, i16)>,
    from: Option<&'a str>,
    to: Option<&'a str>,
    note: Option<&'a str>,
}

async fn log(tx: &mut PgConnection, monday: NaiveDate, version: i32, l: LogLine<'_>) -> Result<(), DbError> {
    let LogLine {
        by,
        kind,
        seat,
        from,
        to,
        note,
    } = l;
    sqlx::query(
        "INSERT INTO rota_changes (monday, version, by_user, kind, day, turn, line, from_handle, to_handle, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(monday)
    .bind(version)
    .bind(by)
    .bind(kind)
    .bind(seat.map(|s| s.0))
    .bind(seat.map(|s| s.1))
    .bind(seat.map(|s| s.2))
    .bind(from)
    .bind(to)
    .bind(note)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn write_seats(tx: &mut PgConnection, monday: NaiveDate, grid: &Grid) -> Result<(), DbError> {
    sqlx::query("DELETE FROM rota_seats WHERE monday = $1")
        .bind(monday)
        .execute(&mut *tx)
        .await?;
    let ids: Vec<(String, i64)> = sqlx::query_as("SELECT handle, id FROM people")
        .fetch_all(&mut *tx)
        .await?;
    let (mut days, mut turns, mut lines, mut people) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (d, day) in grid.days.iter().enumerate() {
        for (t, row) in grid.seats.get(d).into_iter().flatten().enumerate() {
            for (l, seat) in row.iter().enumerate() {
                days.push(*day);
                turns.push(t as i16);
                lines.push(l as i16);
                people.push(
                    seat.as_ref()
                        .and_then(|h| ids.iter().find(|(x, _)| x == h).map(|(_, id)| *id)),
                );
            }
        }
    }
    sqlx::query(
        "INSERT INTO rota_seats (monday, day, turn, line, person_id)
         SELECT $1, * FROM unnest($2::date[], $3::smallint[], $4::smallint[], $5::bigint[])",
    )
    .bind(monday)
    .bind(days)
    .bind(turns)
    .bind(lines)
    .bind(people)
    .execute(&mut *tx)
    .await
    .map_err(super::conflict_as("a person would be twice in one turn"))?;
    Ok(())
}

/// The shape of a new week.
pub struct Shape<'a> {
    pub turn_boundaries: &'a [String],
    pub time_zone: &'a str,
    pub lines: u32,
}

/// What a whole-grid change is: its cost and penalties (from the solver), who made it (`None`:
/// the solver), its kind for the log, a note, and the status to set (`None`: keep).
pub struct Revision<'a> {
    pub cost: Option<i64>,
    pub penalties: &'a [Penalty],
    pub by: Option<i64>,
    pub kind: &'a str,
    pub note: &'a str,
    pub status: Option<WeekStatus>,
    /// A solve that is not a repair: refused on a published week (checked under the week's
    /// lock, so a week published while the solver ran is not overwritten).
    pub not_on_published: bool,
}

/// What a coordinator is told when a published week would be replaced wholesale.
pub const PUBLISHED_NEEDS_REPAIR: &str = "This week is published: use Repair to change only what must change.";

/// Stores a whole grid (a solve, a repair, an import or a restore) as a new draft version,
/// creating the week if needed; a published week stays published (a repair) unless `draft`.
pub async fn store_grid(
    db: impl sqlx::Acquire<'_, Database = sqlx::Postgres>,
    monday: NaiveDate,
    shape: Shape<'_>,
    grid: &Grid,
    r: Revision<'_>,
) -> Result<i32, DbError> {
    let Revision {
        cost,
        penalties,
        by,
        kind,
        note,
        status,
        not_on_published,
    } = r;
    let mut tx = db.begin().await?;
    let current: Option<WeekStatus> = sqlx::query_scalar("SELECT status FROM rota_weeks WHERE monday = $1 FOR UPDATE")
        .bind(monday)
        .fetch_optional(&mut *tx)
        .await?;
    if not_on_published && current == Some(WeekStatus::Published) {
        return Err(DbError::Conflict(PUBLISHED_NEEDS_REPAIR.into()));
    }
    sqlx::query(
        "INSERT INTO rota_weeks (monday, turn_boundaries, time_zone, lines, status) VALUES ($1, $2, $3, $4, coalesce($5, 'draft'))
         ON CONFLICT (monday) DO UPDATE SET turn_boundaries = EXCLUDED.turn_boundaries, time_zone = EXCLUDED.time_zone,
             lines = EXCLUDED.lines, status = coalesce($5, rota_weeks.status), updated_at = now()",
    )
    .bind(monday)
    .bind(shape.turn_boundaries)
    .bind(shape.time_zone)
    .bind(shape.lines as i32)
    .bind(status)
    .execute(&mut *tx)
    .await?;
    lock(&mut tx, monday).await?;
    write_seats(&mut tx, monday, grid).await?;
    sqlx::query("UPDATE rota_weeks SET cost = $2, penalties = $3 WHERE monday = $1")
        .bind(monday)
        .bind(cost)
        .bind(serde_json::to_value(penalties).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
    let version = bump(&mut tx, monday, by, note).await?;
    log(
        &mut tx,
        monday,
        version,
        LogLine {
            by,
            kind,
            note: Some(note),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(version)
}

/// Puts `handle` (or nobody) in a seat; the caller has checked the rules. Returns who was there.
pub async fn set_seat(
    tx: &mut PgConnection,
    monday: NaiveDate,
    seat: (NaiveDate, i16, i16),
    handle: Option<&str>,
    by: Option<i64>,
) -> Result<Option<String>, DbError> {
    let before: Option<Option<String>> = sqlx::query_scalar(
        "SELECT p.handle FROM rota_seats s LEFT JOIN people p ON p.id = s.person_id
         WHERE s.monday = $1 AND s.day = $2 AND s.turn = $3 AND s.line = $4",
    )
    .bind(monday)
    .bind(seat.0)
    .bind(seat.1)
    .bind(seat.2)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(before) = before else {
        return Err(DbError::NotFound);
    };
    sqlx::query(
        "UPDATE rota_seats SET person_id = (SELECT id FROM people WHERE handle = $5)
         WHERE monday = $1 AND day = $2 AND turn = $3 AND line = $4",
    )
    .bind(monday)
    .bind(seat.0)
    .bind(seat.1)
    .bind(seat.2)
    .bind(handle)
    .execute(&mut *tx)
    .await
    .map_err(super::conflict_as("this person already has a seat in this turn"))?;
    let version = bump(tx, monday, by, "seat changed").await?;
    let line = LogLine {
        by,
        kind: "seat",
        seat: Some(seat),
        from: before.as_deref(),
        to: handle,
        note: None,
    };
    log(tx, monday, version, line).await?;
    Ok(before)
}

/// Exchanges the people of two seats in one change.
pub async fn swap(
    tx: &mut PgConnection,
    monday: NaiveDate,
    a: (NaiveDate, i16, i16),
    b: (NaiveDate, i16, i16),
    by: Option<i64>,
) -> Result<(), DbError> {
    let who = |s: (NaiveDate, i16, i16)| {
        sqlx::query_scalar::<_, Option<i64>>(
            "SELECT person_id FROM rota_seats WHERE monday = $1 AND day = $2 AND turn = $3 AND line = $4",
        )
        .bind(monday)
        .bind(s.0)
        .bind(s.1)
        .bind(s.2)
    };
    let pa = who(a).fetch_optional(&mut *tx).await?.ok_or(DbError::NotFound)?;
    let pb = who(b).fetch_optional(&mut *tx).await?.ok_or(DbError::NotFound)?;
    // Clear both first so the once-per-turn index never sees the same person twice midway.
    for s in [a, b] {
        sqlx::query(
            "UPDATE rota_seats SET person_id = NULL WHERE monday = $1 AND day = $2 AND turn = $3 AND line = $4",
        )
        .bind(monday)
        .bind(s.0)
        .bind(s.1)
        .bind(s.2)
        .execute(&mut *tx)
        .await?;
    }
    for (s, p) in [(a, pb), (b, pa)] {
        sqlx::query("UPDATE rota_seats SET person_id = $5 WHERE monday = $1 AND day = $2 AND turn = $3 AND line = $4")
            .bind(monday)
            .bind(s.0)
            .bind(s.1)
            .bind(s.2)
            .bind(p)
            .execute(&mut *tx)
            .await
            .map_err(super::conflict_as("the swap would put a person twice in one turn"))?;
    }
    let version = bump(tx, monday, by, "seats swapped").await?;
    let note = format!("with {} turn {} line {}", b.0, b.1 + 1, b.2 + 1);
    let line = LogLine {
        by,
        kind: "swap",
        seat: Some(a),
        note: Some(&note),
        ..Default::default()
    };
    log(tx, monday, version, line).await?;
    Ok(())
}

pub async fn publish(
    db: impl sqlx::Acquire<'_, Database = sqlx::Postgres>,
    monday: NaiveDate,
    by: Option<i64>,
) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    if lock(&mut tx, monday).await?.is_none() {
        return Err(DbError::NotFound);
    }
    sqlx::query(
        "UPDATE rota_weeks SET status = 'published', published_at = now(), published_by = $2 WHERE monday = $1",
    )
    .bind(monday)
    .bind(by)
    .execute(&mut *tx)
    .await?;
    let version = bump(&mut tx, monday, by, "published").await?;
    let line = LogLine {
        by,
        kind: "publish",
        ..Default::default()
    };
    log(&mut tx, monday, version, line).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn changes(db: &PgPool, monday: NaiveDate, limit: i64) -> Result<Vec<Change>, DbError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        at: DateTime<Utc>,
        username: Option<String>,
        kind: String,
        version: i32,
        day: Option<NaiveDate>,
        turn: Option<i16>,
        line: Option<i16>,
        from_handle: Option<String>,
        to_handle: Option<String>,
        note: Option<String>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT c.at, u.username, c.kind, c.version, c.day, c.turn, c.line, c.from_handle, c.to_handle, c.note
         FROM rota_changes c LEFT JOIN users u ON u.id = c.by_user WHERE c.monday = $1 ORDER BY c.id DESC LIMIT $2",
    )
    .bind(monday)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Change {
            at: r.at,
            by: r.username,
            kind: r.kind,
            version: r.version,
            day: r.day,
            turn: r.turn,
            line: r.line,
            from: r.from_handle,
            to: r.to_handle,
            note: r.note,
        })
        .collect())
}

pub async fn versions(db: &PgPool, monday: NaiveDate) -> Result<Vec<Version>, DbError> {
    let rows: Vec<(i32, DateTime<Utc>, Option<String>, String)> = sqlx::query_as(
        "SELECT v.version, v.created_at, u.username, v.note FROM rota_versions v LEFT JOIN users u ON u.id = v.created_by
         WHERE v.monday = $1 ORDER BY v.version DESC",
    )
    .bind(monday)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Version {
            version: r.0,
            created_at: r.1,
            by: r.2,
            note: r.3,
        })
        .collect())
}

pub async fn version_grid(db: &PgPool, monday: NaiveDate, version: i32) -> Result<Grid, DbError> {
    let v: Option<serde_json::Value> =
        sqlx::query_scalar("SELECT seats FROM rota_versions WHERE monday = $1 AND version = $2")
            .bind(monday)
            .bind(version)
            .fetch_optional(db)
            .await?;
    let v = v.ok_or(DbError::NotFound)?;
    serde_json::from_value(v).map_err(|e| DbError::Sqlx(sqlx::Error::Decode(Box::new(e))))
}

/// The coordinator's loads for a week, by handle.
pub async fn overrides(db: &PgPool, monday: NaiveDate) -> Result<Vec<(String, u32)>, DbError> {
    let rows: Vec<(String, i32)> = sqlx::query_as(
        "SELECT p.handle, o.load FROM load_overrides o JOIN people p ON p.id = o.person_id WHERE o.monday = $1",
    )
    .bind(monday)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(h, l)| (h, l.max(0) as u32)).collect())
}

pub async fn set_override(
    db: &mut PgConnection,
    monday: NaiveDate,
    person_id: i64,
    load: Option<u32>,
) -> Result<(), DbError> {
    match load {
        Some(l) => {
            sqlx::query(
                "INSERT INTO load_overrides (monday, person_id, load) VALUES ($1, $2, $3)
                 ON CONFLICT (monday, person_id) DO UPDATE SET load = EXCLUDED.load",
            )
            .bind(monday)
            .bind(person_id)
            .bind(l as i32)
            .execute(&mut *db)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM load_overrides WHERE monday = $1 AND person_id = $2")
                .bind(monday)
                .bind(person_id)
                .execute(&mut *db)
                .await?;
        }
    }
    Ok(())
}

/// Adopts every imported Tomàtic timetable that has no planned week yet as a published week.
/// Run after an import and at start-up, so that reading a week never writes.
pub async fn adopt_pending(db: &mut PgConnection) -> Result<u32, DbError> {
    let weeks: Vec<NaiveDate> = sqlx::query_scalar(
        "SELECT i.week FROM imported_timetables i
         WHERE NOT EXISTS (SELECT 1 FROM rota_weeks w WHERE w.monday = i.week) ORDER BY i.week",
    )
    .fetch_all(&mut *db)
    .await?;
    if weeks.is_empty() {
        return Ok(0);
    }
    let time_zone = super::team::get(&mut *db).await?.time_zone;
    let mut adopted = 0;
    for monday in weeks {
        if adopt_imported(&mut *db, monday, &time_zone).await? {
            adopted += 1;
        }
    }
    Ok(adopted)
}

/// A Tomàtic timetable imported for `monday` becomes that week's published timetable (names
/// Tomàtic used for nobody or a holiday become empty seats or no seats). Returns whether there
/// was one.
pub async fn adopt_imported(db: &mut PgConnection, monday: NaiveDate, time_zone: &str) -> Result<bool, DbError> {
    let row: Option<(String, serde_json::Value)> =
        sqlx::query_as("SELECT source, timetable FROM imported_timetables WHERE week = $1")
            .bind(monday)
            .fetch_optional(&mut *db)
            .await?;
    let Some((source, t)) = row else { return Ok(false) };
    let codes = crate::rota::rules::tomatic::WEEKDAY_CODES;
    let hours: Vec<String> = serde_json::from_value(t["hours"].clone()).unwrap_or_default();
    let known: Vec<String> = sqlx::query_scalar("SELECT handle FROM people")
        .fetch_all(&mut *db)
        .await?;
    let mut days = Vec::new();
    let mut seats = Vec::new();
    let mut lines = 1;
    for (i, code) in codes.iter().enumerate() {
        let Some(turns) = t["timetable"][*code].as_array() else {
            continue;
        };
        let rows: Vec<Vec<Option<String>>> = turns
            .iter()
            .map(|row| {
                row.as_array()
                    .map(|r| {
                        r.iter()
                            .map(|c| c.as_str().map(str::to_string).filter(|h| known.contains(h)))
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect();
        let holiday = turns
            .iter()
            .flat_map(|r| r.as_array().cloned().unwrap_or_default())
            .all(|c| c.as_str() == Some("festiu"));
        if holiday || rows.is_empty() {
            continue;
        }
        lines = lines.max(rows.iter().map(Vec::len).max().unwrap_or(1));
        days.push(monday + chrono::Duration::days(i as i64));
        seats.push(rows);
    }
    for day in seats.iter_mut() {
        for row in day.iter_mut() {
            row.resize(lines, None);
        }
    }
    let turns = seats.first().map(Vec::len).unwrap_or(0);
    let boundaries = if hours.len() == turns + 1 {
        hours
    } else {
        (0..=turns).map(|t| format!("turn {}", t + 1)).collect()
    };
    store_grid(
        &mut *db,
        monday,
        Shape {
            turn_boundaries: &boundaries,
            time_zone,
            lines: lines as u32,
        },
        &Grid { days, seats },
        Revision {
            cost: None,
            penalties: &[],
            by: None,
            kind: "import",
            note: &format!("imported from Tomàtic ({source})"),
            status: Some(WeekStatus::Published),
            not_on_published: false,
        },
    )
    .await?;
    sqlx::query("UPDATE rota_weeks SET imported_from = $2, published_at = now() WHERE monday = $1")
        .bind(monday)
        .bind(&source)
        .execute(&mut *db)
        .await?;
    Ok(true)
}
