//! What server functions and workers share: the database pool and the live-event bus.
use crate::api::error::ApiError;
use crate::events::EventBus;
use sqlx::PgPool;

#[derive(Clone)]
pub struct Services {
    pub db: PgPool,
    pub events: EventBus,
}

impl Services {
    pub fn new(db: PgPool) -> Self {
        let events = EventBus::new(db.clone());
        Self { db, events }
    }
}

/// The services of the running app, provided to every server function and page render.
pub fn services() -> Result<Services, ApiError> {
    leptos::prelude::use_context::<Services>().ok_or_else(|| ApiError::internal("context", "Services not provided"))
}
