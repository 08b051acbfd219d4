use app::shell::ctx::Services;
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use metrics_exporter_prometheus::PrometheusHandle;

/// What every route handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub leptos: LeptosOptions,
    pub metrics: PrometheusHandle,
    /// The telephony provider (status callbacks check its token); None: callouts cannot dial.
    pub telephony: Option<std::sync::Arc<crate::telephony::provider::Provider>>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos.clone()
    }
}
