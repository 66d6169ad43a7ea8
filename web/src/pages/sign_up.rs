//! `/signup`: the sign-up page (name, email, password).

use leptos::prelude::*;

use crate::components::auth_form::{AuthForm, AuthMode};

/// The sign-up page.
#[component]
pub fn SignUpPage() -> impl IntoView {
    view! { <AuthForm mode=AuthMode::SignUp/> }
}
