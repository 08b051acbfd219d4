//! Helpers of the rota tests: people and entries to start from, and a dump of every rota table
//! to check that a refused call or a repeated import wrote nothing at all.
use app::rota::rules::data::{AvailabilityInput, AvailabilityKind, PersonFields};
use chrono::NaiveDate;
use sqlx::PgPool;

/// The tables the rota data lives in.
pub const ROTA_TABLES: [&str; 6] = [
    "team_settings",
    "people",
    "availability",
    "holidays",
    "fixed_turns",
    "imported_timetables",
];

/// Every row of every rota table, timestamps included, as JSON text in a stable order.
pub async fn dump(db: &PgPool) -> Vec<(&'static str, Vec<String>)> {
    let mut out = Vec::new();
    for table in ROTA_TABLES {
        let rows: Vec<String> =
            sqlx::query_scalar(&format!("SELECT to_jsonb(t)::text AS row FROM {table} t ORDER BY 1"))
                .fetch_all(db)
                .await
                .unwrap_or_else(|e| panic!("dump {table}: {e}"));
        out.push((table, rows));
    }
    out
}

/// How many rows `table` has.
pub async fn count(db: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(db)
        .await
        .unwrap_or_else(|e| panic!("count {table}: {e}"))
}

pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a YYYY-MM-DD date")
}

/// An active person on the rota with just the required fields.
pub fn person(handle: &str) -> PersonFields {
    PersonFields {
        handle: handle.into(),
        full_name: format!("{} Puig", handle.to_uppercase()),
        colour: "#abc".into(),
        ideal_load: Some(4),
        active: true,
        ..Default::default()
    }
}

/// Inserts a person (checked like a form would) and returns its id.
pub async fn add_person(db: &PgPool, fields: PersonFields) -> i64 {
    let fields = fields.normalized().expect("valid person");
    app::rota::store::people::insert(db, &fields)
        .await
        .expect("insert person")
}

/// A weekly entry on `weekday` (None = every working day).
pub fn weekly(weekday: Option<u8>, turns: Option<Vec<bool>>, reason: &str) -> AvailabilityInput {
    AvailabilityInput {
        kind: AvailabilityKind::Weekly,
        weekday,
        date_from: None,
        date_to: None,
        turns,
        mandatory: true,
        reason: reason.into(),
    }
}

pub fn one_off(day: &str, turns: Option<Vec<bool>>, reason: &str) -> AvailabilityInput {
    AvailabilityInput {
        kind: AvailabilityKind::OneOff,
        weekday: None,
        date_from: Some(d(day)),
        date_to: Some(d(day)),
        turns,
        mandatory: true,
        reason: reason.into(),
    }
}

pub fn leave(from: &str, to: &str, reason: &str) -> AvailabilityInput {
    AvailabilityInput {
        kind: AvailabilityKind::Leave,
        weekday: None,
        date_from: Some(d(from)),
        date_to: Some(d(to)),
        turns: None,
        mandatory: true,
        reason: reason.into(),
    }
}

/// `"0101"` as a turn mask.
pub fn mask(s: &str) -> Vec<bool> {
    s.chars().map(|c| c == '1').collect()
}
