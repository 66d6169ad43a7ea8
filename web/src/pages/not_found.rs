//! Any path the app does not know.

use leptos::prelude::*;

use crate::{Route, Router};

/// The not-found page, with a way back to the week.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    let router = expect_context::<Router>();
    view! {
        <main class="auth">
            <h1>"Page not found"</h1>
            <button type="button" class="primary" on:click=move |_| router.navigate(Route::Week(None))>
                "Go to this week"
            </button>
        </main>
    }
}
