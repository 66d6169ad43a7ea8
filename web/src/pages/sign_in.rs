//! `/signin`: the email and password sign-in page.

use leptos::prelude::*;

use crate::components::auth_form::{AuthForm, AuthMode};

/// The sign-in page.
#[component]
pub fn SignInPage() -> impl IntoView {
    view! { <AuthForm mode=AuthMode::SignIn/> }
}
