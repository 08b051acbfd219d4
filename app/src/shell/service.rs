//! What every area's service shares: the error a service returns (the server functions and the
//! REST handlers each map it to their wire format) and the caller a service acts for.
use crate::accounts::Me;
use crate::accounts::rules::tokens::Scope;
use crate::shell::rules::Invalid;
use crate::shell::rules::access::Area;
use crate::shell::store::DbError;

/// Who a service acts for: a signed-in user, or a machine holding an API token.
#[derive(Clone, Debug)]
pub enum Actor {
    User(Me),
    Token {
        id: i64,
        name: String,
        scopes: Vec<Scope>,
    },
    /// Someone at the server itself: the command line and the first start (they already hold
    /// the database).
    Operator,
}

impl Actor {
    /// A user whose roles open `area`, or a token with `scope`.
    pub fn require(&self, scope: Scope, area: Area) -> Result<(), ServiceError> {
        let ok = match self {
            Actor::User(me) => area.allows(&me.roles),
            Actor::Token { scopes, .. } => scopes.contains(&scope),
            Actor::Operator => true,
        };
        if ok { Ok(()) } else { Err(ServiceError::Forbidden) }
    }

    /// Who it is, for the log: a user name, a token's name, or the operator.
    pub fn who(&self) -> String {
        match self {
            Actor::User(me) => me.username.clone(),
            Actor::Token { name, .. } => format!("token {name}"),
            Actor::Operator => "operator".into(),
        }
    }

    /// The user's id (None for a token), for "created by" columns.
    pub fn user_id(&self) -> Option<i64> {
        match self {
            Actor::User(me) => Some(me.id),
            Actor::Token { .. } | Actor::Operator => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("You do not have access to this.")]
    Forbidden,
    /// Every field that is wrong, at once.
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Invalid>),
    /// The request is well formed but the record's state refuses it (e.g. a transition).
    #[error("{0}")]
    Refused(Invalid),
    #[error("Not found: {0}.")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// Logged where it is made; the client only hears that something went wrong.
    #[error("internal error")]
    Internal,
}

impl ServiceError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ServiceError::Invalid(vec![Invalid::new(field, message)])
    }

    /// The (first) field a validation error is about.
    pub fn field(&self) -> Option<&str> {
        match self {
            ServiceError::Invalid(v) => v.first().map(|i| i.field.as_str()),
            ServiceError::Refused(i) => Some(&i.field),
            _ => None,
        }
    }

    /// Maps a store error, naming what was not found.
    pub fn db(what: &'static str) -> impl FnOnce(DbError) -> ServiceError {
        move |e| match e {
            DbError::NotFound => ServiceError::NotFound(what.to_string()),
            e => e.into(),
        }
    }
}

impl From<Invalid> for ServiceError {
    fn from(i: Invalid) -> Self {
        ServiceError::Invalid(vec![i])
    }
}

impl From<Vec<Invalid>> for ServiceError {
    fn from(v: Vec<Invalid>) -> Self {
        ServiceError::Invalid(v)
    }
}

impl From<DbError> for ServiceError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Conflict(m) => ServiceError::Conflict(m),
            DbError::NotFound => ServiceError::NotFound("no such record".into()),
            DbError::Sqlx(e) => {
                tracing::error!(error = %e, "database");
                ServiceError::Internal
            }
        }
    }
}

impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        DbError::Sqlx(e).into()
    }
}

impl From<crate::shell::events::PublishError> for ServiceError {
    fn from(e: crate::shell::events::PublishError) -> Self {
        tracing::error!(error = %e, "live event");
        ServiceError::Internal
    }
}
