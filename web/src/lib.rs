//! compass-web: the Compass web app (Leptos, client-side rendered, compiled to WebAssembly).

use leptos::prelude::*;

/// The root component.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <main class="compass">
            <h1>"Compass"</h1>
            <p>"Your week, in sync with Google Calendar. The full app is on its way."</p>
        </main>
    }
}

/// Entry point called by the generated JavaScript glue when the module loads.
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}
