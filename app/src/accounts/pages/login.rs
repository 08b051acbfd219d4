use crate::accounts::api::auth::Login;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".to_string());
    // A full page load after sign-in, so every part of the page starts from the new session.
    Effect::new(move || {
        if let Some(Ok(to)) = action.value().get() {
            let _ = window().location().set_href(&to);
        }
    });
    let error = move || action.value().get().and_then(Result::err).map(|e| e.to_string());
    view! {
        <Title text="Sign in"/>
        <main class="login">
            <h1>"Switchboard"</h1>
            <ActionForm action=action attr:class="stack">
                <label>
                    "User name"
                    <input name="username" autocomplete="username" required autofocus/>
                </label>
                <label>
                    "Password"
                    <input type="password" name="password" autocomplete="current-password" required/>
                </label>
                <input type="hidden" name="next" prop:value=next/>
                <p class="error" role="alert">{error}</p>
                <button type="submit" class="btn primary" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
        </main>
    }
}
