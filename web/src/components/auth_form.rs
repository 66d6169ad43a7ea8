//! The sign-in / sign-up form: labelled inputs of type `email` and `password` (and a name for sign-up),
//! the server's refusal shown in a `role="alert"` line, and a link to the other form.

use leptos::prelude::*;

use compass_core::{SignInRequest, SignUpRequest};

use crate::api;
use crate::{Route, Router, Session};

/// Which form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Existing account.
    SignIn,
    /// New account.
    SignUp,
}

/// Checks the inputs before anything is sent; the message names what to fix.
pub fn check_inputs(mode: AuthMode, name: &str, email: &str, password: &str) -> Result<(), String> {
    if mode == AuthMode::SignUp && name.trim().is_empty() {
        return Err("Name is required.".into());
    }
    let email = email.trim();
    if email.is_empty() {
        return Err("Email is required.".into());
    }
    if !email.contains('@') {
        return Err("Please enter a valid email address.".into());
    }
    if password.is_empty() {
        return Err("Password is required.".into());
    }
    if mode == AuthMode::SignUp && password.chars().count() < 8 {
        return Err("Password must be at least 8 characters.".into());
    }
    Ok(())
}

/// The form.
#[component]
pub fn AuthForm(
    /// Sign in or sign up.
    mode: AuthMode,
) -> impl IntoView {
    let router = use_context::<Router>();
    let session = use_context::<RwSignal<Session>>();
    let app_notice = use_context::<crate::AppNotice>();
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let (n, e, p) = (
            name.get_untracked(),
            email.get_untracked(),
            password.get_untracked(),
        );
        if let Err(message) = check_inputs(mode, &n, &e, &p) {
            error.set(Some(message));
            return;
        }
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = match mode {
                AuthMode::SignIn => {
                    api::sign_in(&SignInRequest {
                        email: e.trim().to_owned(),
                        password: p,
                    })
                    .await
                }
                AuthMode::SignUp => {
                    api::sign_up(&SignUpRequest {
                        email: e.trim().to_owned(),
                        password: p,
                        name: n.trim().to_owned(),
                    })
                    .await
                }
            };
            if result.is_ok() {
                // Events made while signed out move to the account before the week is shown.
                if let Err(e) = crate::repo::upload_local_events().await {
                    if let Some(notice) = app_notice {
                        notice.0.set(Some(crate::repo::upload_failed(&e)));
                    }
                }
            }
            busy.try_set(false);
            match result {
                Ok(user) => {
                    if let Some(router) = router {
                        router.navigate(Route::Week(None));
                    }
                    if let Some(session) = session {
                        session.set(Session::SignedIn {
                            email: Some(user.email),
                        });
                    }
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
        });
    };

    let (title, action, other_text, other_label, other_route) = match mode {
        AuthMode::SignIn => (
            "Sign in to Compass",
            "Sign in",
            "New to Compass?",
            "Create an account",
            Route::SignUp,
        ),
        AuthMode::SignUp => (
            "Create your Compass account",
            "Sign up",
            "Already have an account?",
            "Sign in",
            Route::SignIn,
        ),
    };

    view! {
        <main class="auth">
            <h1>{title}</h1>
            <form class="card" on:submit=submit novalidate=true>
                {(mode == AuthMode::SignUp)
                    .then(|| {
                        view! {
                            <label for="auth-name">"Name"</label>
                            <input
                                id="auth-name"
                                name="name"
                                type="text"
                                autocomplete="name"
                                required=true
                                prop:value=move || name.get()
                                on:input=move |ev| name.set(event_target_value(&ev))
                            />
                        }
                    })}
                <label for="auth-email">"Email"</label>
                <input
                    id="auth-email"
                    name="email"
                    type="email"
                    autocomplete="email"
                    required=true
                    prop:value=move || email.get()
                    on:input=move |ev| email.set(event_target_value(&ev))
                />
                <label for="auth-password">"Password"</label>
                <input
                    id="auth-password"
                    name="password"
                    type="password"
                    autocomplete=if mode == AuthMode::SignUp { "new-password" } else { "current-password" }
                    required=true
                    minlength=if mode == AuthMode::SignUp { "8" } else { "1" }
                    prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev))
                />
                <p class="error" role="alert">
                    {move || error.get()}
                </p>
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {action}
                </button>
            </form>
            <p class="switch">
                {other_text}
                " "
                <a
                    href=other_route.path()
                    on:click=move |ev| {
                        if let Some(router) = router {
                            ev.prevent_default();
                            router.navigate(other_route);
                        }
                    }
                >
                    {other_label}
                </a>
            </p>
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_checked_before_sending() {
        assert!(check_inputs(AuthMode::SignIn, "", "ann@example.com", "x").is_ok());
        assert_eq!(
            check_inputs(AuthMode::SignUp, "", "ann@example.com", "password1"),
            Err("Name is required.".into())
        );
        assert_eq!(
            check_inputs(AuthMode::SignUp, "Ann", "ann@example.com", "short"),
            Err("Password must be at least 8 characters.".into())
        );
        assert_eq!(
            check_inputs(AuthMode::SignIn, "", "ann", "x"),
            Err("Please enter a valid email address.".into())
        );
    }
}
