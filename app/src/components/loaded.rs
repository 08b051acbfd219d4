//! A resource with its loading and error states: a loading line while nothing has arrived,
//! the error (as an alert) when the server function failed, the view otherwise. While it
//! refetches, what was shown stays (a `Transition`).
use crate::shell::error::ApiError;
use leptos::prelude::*;

/// The error of a server function where its data should have been.
#[component]
pub fn ErrorMessage(error: ApiError) -> impl IntoView {
    view! { <p class="error" role="alert" data-testid="load-error">{error.to_string()}</p> }
}

/// Shows `children` with the resource's value once loaded, or its error.
///
/// `<Loaded resource=r let:value>…</Loaded>`; `loading` replaces the default "Loading…"; `quiet`
/// shows nothing while loading (for small pieces inside a line of text); `error_shown_elsewhere`
/// shows nothing on an error either (a second load of what another part of the page shows).
#[component]
pub fn Loaded<T, V>(
    resource: Resource<Result<T, ApiError>>,
    #[prop(optional)] loading: Option<&'static str>,
    #[prop(optional)] quiet: bool,
    #[prop(optional)] error_shown_elsewhere: bool,
    children: impl Fn(T) -> V + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let text = loading.unwrap_or("Loading…");
    view! {
        <Transition fallback=move || (!quiet).then(|| view! { <p class="muted loading">{text}</p> })>
            {move || resource.get().map(|r| match r {
                Ok(v) => children(v).into_any(),
                Err(_) if error_shown_elsewhere => ().into_any(),
                Err(e) => view! { <ErrorMessage error=e/> }.into_any(),
            })}
        </Transition>
    }
}
