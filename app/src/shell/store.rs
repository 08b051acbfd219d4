//! What every area's store shares: the pool, the embedded migrations, the error type.

pub use sqlx::PgPool;

/// The schema, embedded in the binary so `switchboard migrate` needs no files on disk.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A unique constraint refused the row; the string says what is taken.
    #[error("{0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
}

/// Turns a unique-violation into a `Conflict` with a message a person can act on.
pub fn conflict_as(message: &str) -> impl FnOnce(sqlx::Error) -> DbError + '_ {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => DbError::Conflict(message.to_string()),
        _ => DbError::Sqlx(e),
    }
}

/// Stores a state enum as its text in the database through its own `as_str` and `parse`:
/// one checked conversion both ways, and a value the enum does not know is a decode error,
/// never a silent fallback. The enum also binds as `text[]` (`status = ANY($1)`).
#[macro_export]
macro_rules! text_enum {
    ($t:ty) => {
        impl sqlx::Type<sqlx::Postgres> for $t {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <&str as sqlx::Type<sqlx::Postgres>>::type_info()
            }
            fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <&str as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            }
        }
        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $t {
            fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let s = <&str as sqlx::Decode<sqlx::Postgres>>::decode(value)?;
                <$t>::parse(s).ok_or_else(|| format!("unknown {} '{s}' in the database", stringify!($t)).into())
            }
        }
        impl sqlx::Encode<'_, sqlx::Postgres> for $t {
            fn encode_by_ref(
                &self,
                buf: &mut sqlx::postgres::PgArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<sqlx::Postgres>>::encode(self.as_str(), buf)
            }
        }
        impl sqlx::postgres::PgHasArrayType for $t {
            fn array_type_info() -> sqlx::postgres::PgTypeInfo {
                <&str as sqlx::postgres::PgHasArrayType>::array_type_info()
            }
        }
    };
}
