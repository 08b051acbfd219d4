//! What server functions and workers share: the database pool and the live-event bus.
use crate::shell::error::ApiError;
use crate::shell::events::EventBus;
use sqlx::PgPool;

#[derive(Clone)]
pub struct Services {
    pub db: PgPool,
    pub events: EventBus,
    /// Country calling code given to contacts' national numbers (configuration).
    pub default_country_code: String,
    /// The PBX, once connected at start-up (the queue console and its actions).
    pub queue: std::sync::Arc<std::sync::OnceLock<crate::queue::service::QueueLink>>,
    /// The team chat (webhook or the chat simulator) and the simulators' views, set at start-up.
    pub chat: std::sync::Arc<std::sync::OnceLock<crate::chat::service::ChatLink>>,
    /// The outside CRM, when one is configured (set at start-up).
    pub crm: std::sync::Arc<std::sync::OnceLock<crate::desk::service::CrmLink>>,
}

impl Services {
    pub fn new(db: PgPool) -> Self {
        let events = EventBus::new(db.clone());
        Self {
            db,
            events,
            default_country_code: "34".into(),
            queue: Default::default(),
            chat: Default::default(),
            crm: Default::default(),
        }
    }

    pub fn with_country_code(mut self, code: &str) -> Self {
        self.default_country_code = code.to_string();
        self
    }
}

/// The services of the running app, provided to every server function and page render.
pub fn services() -> Result<Services, ApiError> {
    leptos::prelude::use_context::<Services>().ok_or_else(|| ApiError::internal("context", "Services not provided"))
}
