//! The browser entry: hydrates the server-rendered page.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // A mark for the browser tests: the page's event handlers are live from here on.
    if let Some(w) = web_sys::window() {
        let _ = js_sys::Reflect::set(&w, &"__sbHydrated".into(), &true.into());
    }
}
