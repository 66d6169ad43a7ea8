//! compass-web: the Compass web app (Leptos, client-side rendered, compiled to WebAssembly).
//!
//! [`App`] checks the session, then shows the sign-in/sign-up pages or the week. The router is a small
//! enum over `location.pathname` with the History API ([`Route`], [`Router`]); `api` is the only module
//! that does HTTP and `sse` owns the live stream. Pure logic (time zones, layout, forms, recurrence,
//! scopes) lives in modules of its own so that it is tested natively with `cargo test -p compass-web`.

// Leptos' typed views of the week page are deep; natively (ssr) their layout needs a higher limit.
#![recursion_limit = "256"]

use chrono::NaiveDate;
use leptos::prelude::*;

pub mod api;
pub mod auth_error;
pub mod commands;
pub mod components;
pub mod dialog;
pub mod drop;
pub mod form;
#[cfg(feature = "heap-stats")]
pub mod heap_stats;
pub mod layout;
pub mod local;
pub mod pages;
pub mod repeat;
pub mod repo;
pub mod scope;
pub mod sse;
pub mod time;

use pages::not_found::NotFoundPage;
use pages::sign_in::SignInPage;
use pages::sign_up::SignUpPage;
use pages::week::WeekPage;
use repo::Repo;

/// A page of the app, as its path says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `/`, `/week` (this week) or `/week/YYYY-MM-DD` (the week containing that day).
    Week(Option<NaiveDate>),
    /// `/signin`.
    SignIn,
    /// `/signup`.
    SignUp,
    /// Anything else.
    NotFound,
}

impl Route {
    /// Reads a `location.pathname`.
    pub fn parse(path: &str) -> Route {
        let path = path.trim_end_matches('/');
        match path {
            "" | "/week" => Route::Week(None),
            "/signin" => Route::SignIn,
            "/signup" => Route::SignUp,
            _ => match path.strip_prefix("/week/").and_then(time::parse_date_input) {
                Some(day) => Route::Week(Some(day)),
                None => Route::NotFound,
            },
        }
    }

    /// The path of this route.
    pub fn path(self) -> String {
        match self {
            Route::Week(None) => "/week".to_owned(),
            Route::Week(Some(day)) => format!("/week/{}", time::iso_date(day)),
            Route::SignIn => "/signin".to_owned(),
            Route::SignUp => "/signup".to_owned(),
            Route::NotFound => "/".to_owned(),
        }
    }
}

/// The current route, shared through context.
#[derive(Debug, Clone, Copy)]
pub struct Router {
    route: RwSignal<Route>,
}

impl Router {
    /// A router at `route`.
    pub fn new(route: Route) -> Router {
        Router {
            route: RwSignal::new(route),
        }
    }

    /// The current route (tracked).
    pub fn route(&self) -> Route {
        self.route.get()
    }

    /// Goes to `route`, adding a history entry.
    pub fn navigate(&self, route: Route) {
        if self.route.get_untracked() == route {
            return;
        }
        #[cfg(target_arch = "wasm32")]
        if let Ok(history) = window().history() {
            let _ =
                history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&route.path()));
        }
        self.route.set(route);
    }

    /// Follows the browser's back/forward buttons.
    fn follow_history(self) {
        #[cfg(target_arch = "wasm32")]
        {
            let handle = window_event_listener(leptos::ev::popstate, move |_| {
                self.route.set(current_route());
            });
            on_cleanup(move || handle.remove());
        }
    }
}

/// The route of the page the browser shows.
fn current_route() -> Route {
    #[cfg(target_arch = "wasm32")]
    {
        Route::parse(&window().location().pathname().unwrap_or_default())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        Route::Week(None)
    }
}

/// Who is using the app, shared through context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Session {
    /// Asking the server.
    Checking,
    /// Nobody is signed in.
    SignedOut,
    /// Signed in (the email when this tab signed in).
    SignedIn {
        /// The user's email, when known.
        email: Option<String>,
    },
}

/// Which page to draw (changes less often than the route, so pages are not rebuilt on every step).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    Loading,
    SignIn,
    SignUp,
    Week,
    /// Signed out: the week on events kept in this browser.
    LocalWeek,
    NotFound,
}

/// A message for the whole app (above any page), e.g. a failed Google sign-in; shared through context.
#[derive(Debug, Clone, Copy)]
pub struct AppNotice(pub RwSignal<Option<String>>);

/// The root component.
#[component]
pub fn App() -> impl IntoView {
    let router = Router::new(current_route());
    let session = RwSignal::new(Session::Checking);
    let notice = AppNotice(RwSignal::new(
        auth_error::take_from_location().map(|code| auth_error::message(&code).to_owned()),
    ));
    provide_context(router);
    provide_context(session);
    provide_context(notice);
    router.follow_history();

    #[cfg(target_arch = "wasm32")]
    leptos::task::spawn_local(async move {
        let next = match api::session().await {
            Ok(Some(_)) => {
                // Events kept while signed out (an upload cut short by a reload, too) go up first.
                if let Err(e) = repo::upload_local_events().await {
                    notice.0.set(Some(repo::upload_failed(&e)));
                }
                Session::SignedIn { email: None }
            }
            Ok(None) | Err(_) => Session::SignedOut,
        };
        session.set(next);
    });

    let page = Memo::new(move |_| match (session.get(), router.route()) {
        (Session::Checking, _) => Page::Loading,
        (Session::SignedOut, Route::SignUp) => Page::SignUp,
        (Session::SignedOut, Route::Week(_)) => Page::LocalWeek,
        (Session::SignedOut, _) => Page::SignIn,
        (Session::SignedIn { .. }, Route::NotFound) => Page::NotFound,
        (Session::SignedIn { .. }, _) => Page::Week,
    });

    let notice_view = move || {
        notice.0.get().map(|text| {
            view! {
                <p class="notice app-notice" role="alert">
                    {text}
                    " "
                    <button type="button" class="link" on:click=move |_| notice.0.set(None)>"Dismiss"</button>
                </p>
            }
        })
    };
    let page_view = move || match page.get() {
        Page::Loading => view! {
            <main class="loading" aria-busy="true">
                <p>"Loading Compass…"</p>
            </main>
        }
        .into_any(),
        Page::SignIn => view! { <SignInPage/> }.into_any(),
        Page::SignUp => view! { <SignUpPage/> }.into_any(),
        Page::Week => view! { <WeekPage repo=Repo::Remote/> }.into_any(),
        Page::LocalWeek => view! { <WeekPage repo=Repo::Local/> }.into_any(),
        Page::NotFound => view! { <NotFoundPage/> }.into_any(),
    };
    view! {
        {notice_view}
        {page_view}
    }
}

/// Runs `f` in an effect once the view is in the document (and again when what it reads changes), e.g.
/// to focus a field through its `NodeRef`. Browser only: natively views are just rendered to HTML.
pub fn after_mount(f: impl Fn() + 'static) {
    #[cfg(target_arch = "wasm32")]
    Effect::new(move |_| f());
    #[cfg(not(target_arch = "wasm32"))]
    drop(f);
}

/// Entry point called by the generated JavaScript glue when the module loads.
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_round_trip_through_their_paths() {
        let day = NaiveDate::from_ymd_opt(2025, 1, 8);
        for route in [
            Route::Week(None),
            Route::Week(day),
            Route::SignIn,
            Route::SignUp,
        ] {
            assert_eq!(Route::parse(&route.path()), route);
        }
        assert_eq!(Route::parse("/"), Route::Week(None));
        assert_eq!(Route::parse("/week/2025-02-30"), Route::NotFound);
        assert_eq!(Route::parse("/elsewhere"), Route::NotFound);
    }
}
