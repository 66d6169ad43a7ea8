//! The app renders its placeholder page (rendered to HTML natively, so it runs in `cargo test`).

use compass_web::App;
use leptos::prelude::*;

#[test]
fn app_renders_placeholder_page() {
    let html = view! { <App/> }.to_html();
    assert!(html.contains("<main class=\"compass\""), "{html}");
    assert!(html.contains("Compass"), "{html}");
}
