//! People who may take turns.
use super::{DbError, PgPool, conflict_as};
use crate::rota::Person;
use crate::rota::rules::data::{ContactFields, PersonFields};

#[derive(sqlx::FromRow)]
struct PersonRow {
    id: i64,
    handle: String,
    full_name: String,
    extension: Option<String>,
    email: Option<String>,
    colour: String,
    desk: Option<String>,
    groups: Vec<String>,
    ideal_load: Option<i32>,
    max_turns_per_day: Option<i32>,
    active: bool,
    user_id: Option<i64>,
    username: Option<String>,
}

impl From<PersonRow> for Person {
    fn from(r: PersonRow) -> Self {
        Person {
            id: r.id,
            fields: PersonFields {
                handle: r.handle,
                full_name: r.full_name,
                extension: r.extension,
                email: r.email,
                colour: r.colour,
                desk: r.desk,
                groups: r.groups,
                ideal_load: r.ideal_load.map(|l| l.max(0) as u32),
                max_turns_per_day: r.max_turns_per_day.map(|m| m.max(1) as u32),
                active: r.active,
                user_id: r.user_id,
            },
            username: r.username,
        }
    }
}

const SELECT: &str = "SELECT p.id, p.handle, p.full_name, p.extension, p.email, p.colour, p.desk, p.groups,
    p.ideal_load, p.max_turns_per_day, p.active, p.user_id, u.username
    FROM people p LEFT JOIN users u ON u.id = p.user_id";

/// Which unique rule a refused write broke, in the words of the form.
fn taken(e: sqlx::Error) -> DbError {
    let constraint = match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => d.constraint().unwrap_or_default().to_string(),
        _ => return DbError::Sqlx(e),
    };
    let what = if constraint.contains("extension") {
        "extension: another person has this extension"
    } else if constraint.contains("user_id") {
        "account: this account is already linked to another person"
    } else {
        "handle: another person has this handle"
    };
    conflict_as(what)(e)
}

pub async fn list(db: &PgPool) -> Result<Vec<Person>, DbError> {
    let rows: Vec<PersonRow> = sqlx::query_as(&format!("{SELECT} ORDER BY NOT p.active, p.handle"))
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(Person::from).collect())
}

pub async fn by_handle(db: &PgPool, handle: &str) -> Result<Person, DbError> {
    let row: Option<PersonRow> = sqlx::query_as(&format!("{SELECT} WHERE p.handle = $1"))
        .bind(handle)
        .fetch_optional(db)
        .await?;
    row.map(Person::from).ok_or(DbError::NotFound)
}

pub async fn by_id<'e>(db: impl sqlx::PgExecutor<'e>, id: i64) -> Result<Person, DbError> {
    let row: Option<PersonRow> = sqlx::query_as(&format!("{SELECT} WHERE p.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    row.map(Person::from).ok_or(DbError::NotFound)
}

/// The person linked to a user account, if any.
pub async fn of_user(db: &PgPool, user_id: i64) -> Result<Option<Person>, DbError> {
    let row: Option<PersonRow> = sqlx::query_as(&format!("{SELECT} WHERE p.user_id = $1"))
        .bind(user_id)
        .fetch_optional(db)
        .await?;
    Ok(row.map(Person::from))
}

pub async fn in_group(db: &PgPool, group: &str) -> Result<Vec<Person>, DbError> {
    let rows: Vec<PersonRow> = sqlx::query_as(&format!("{SELECT} WHERE $1 = ANY(p.groups) ORDER BY p.handle"))
        .bind(group)
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(Person::from).collect())
}

/// Fields already checked by `PersonFields::normalized`.
pub async fn insert<'e>(db: impl sqlx::PgExecutor<'e>, p: &PersonFields) -> Result<i64, DbError> {
    sqlx::query_scalar(
        "INSERT INTO people (handle, full_name, extension, email, colour, desk, groups, ideal_load,
             max_turns_per_day, active, user_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(&p.handle)
    .bind(&p.full_name)
    .bind(&p.extension)
    .bind(&p.email)
    .bind(&p.colour)
    .bind(&p.desk)
    .bind(&p.groups)
    .bind(p.ideal_load.map(|l| l as i32))
    .bind(p.max_turns_per_day.map(|m| m as i32))
    .bind(p.active)
    .bind(p.user_id)
    .fetch_one(db)
    .await
    .map_err(taken)
}

pub async fn update<'e>(db: impl sqlx::PgExecutor<'e>, id: i64, p: &PersonFields) -> Result<(), DbError> {
    let done = sqlx::query(
        "UPDATE people SET handle = $2, full_name = $3, extension = $4, email = $5, colour = $6, desk = $7,
             groups = $8, ideal_load = $9, max_turns_per_day = $10, active = $11, user_id = $12, updated_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .bind(&p.handle)
    .bind(&p.full_name)
    .bind(&p.extension)
    .bind(&p.email)
    .bind(&p.colour)
    .bind(&p.desk)
    .bind(&p.groups)
    .bind(p.ideal_load.map(|l| l as i32))
    .bind(p.max_turns_per_day.map(|m| m as i32))
    .bind(p.active)
    .bind(p.user_id)
    .execute(db)
    .await
    .map_err(taken)?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

pub async fn set_contact(db: impl sqlx::PgExecutor<'_>, id: i64, c: &ContactFields) -> Result<(), DbError> {
    let done = sqlx::query("UPDATE people SET email = $2, colour = $3, updated_at = now() WHERE id = $1")
        .bind(id)
        .bind(&c.email)
        .bind(&c.colour)
        .execute(db)
        .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

/// Every handle with its id, for imports that refer to people by handle.
pub async fn ids_by_handle<'e>(db: impl sqlx::PgExecutor<'e>) -> Result<Vec<(String, i64)>, DbError> {
    Ok(sqlx::query_as("SELECT handle, id FROM people").fetch_all(db).await?)
}
