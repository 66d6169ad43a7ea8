//! Headers every answer carries unless its handler set its own: the Content-Security-Policy that lets the
//! page run only the app's own scripts and WebAssembly, no framing, no MIME sniffing, a same-origin
//! `Referrer-Policy` (which keeps the `Referer` fallback of the CSRF check working), and
//! `Cache-Control: no-cache` (`index.html` and unhashed files are revalidated with their ETag; the web app's
//! content-hashed files (`web_app.rs`) and the SSE stream set their own).

use actix_web::middleware::DefaultHeaders;

/// The policy: scripts and WebAssembly from the app's origin only (`'wasm-unsafe-eval'` lets the page
/// compile its own `.wasm`; no inline script is allowed), styles from the origin plus inline `style`
/// attributes (the week grid positions events with them), requests only to the origin, never framed.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The middleware adding them.
pub fn default_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("Cache-Control", "no-cache"))
}
