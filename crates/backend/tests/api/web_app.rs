//! The server serves the built web app from `COMPASS_WEB_DIR`: files, `index.html` for client-side routes,
//! and never in place of an `/api` answer.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use reqwest::StatusCode;

use crate::support::app::{json_of, spawn_app_with};

/// A throw-away web build in `<tmp>/<uuid>/dist` (`index.html` and one script), with a secret file beside
/// `dist` that must never be served.
struct WebDir(PathBuf);

impl WebDir {
    fn new() -> Self {
        let root = std::env::temp_dir().join(format!("compass-web-{}", uuid::Uuid::new_v4()));
        let dir = root.join("dist");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(root.join("secret.txt"), "SECRET").unwrap();
        std::fs::write(
            dir.join("index.html"),
            "<!doctype html><title>Compass</title>",
        )
        .unwrap();
        std::fs::write(
            dir.join("compass_web.js"),
            "export default function init() {}",
        )
        .unwrap();
        WebDir(root)
    }

    fn dist(&self) -> PathBuf {
        self.0.join("dist")
    }
}

/// Sends `GET <raw_path>` exactly as written (HTTP clients would normalise `..` away) and returns the answer.
async fn raw_get(port: u16, raw_path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let request =
        format!("GET {raw_path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_string(&mut answer),
    )
    .await
    .expect("answered in time")
    .unwrap();
    answer
}

impl Drop for WebDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn serves_files_and_index_for_client_routes_but_not_for_api_paths() {
    let web = WebDir::new();
    let dir = web.dist();
    let app = spawn_app_with(move |settings| settings.web_dir = Some(dir)).await;

    let index = app.get("/").await;
    assert_eq!(index.status(), StatusCode::OK);
    assert!(index
        .text()
        .await
        .unwrap()
        .contains("<title>Compass</title>"));

    let script = app.get("/compass_web.js").await;
    assert_eq!(script.status(), StatusCode::OK);
    let content_type = script.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.contains("javascript"), "{content_type}");

    let route = app.get("/day/2025-01-06").await;
    assert_eq!(route.status(), StatusCode::OK);
    assert!(route
        .text()
        .await
        .unwrap()
        .contains("<title>Compass</title>"));

    let (status, body) = json_of(app.get("/api/no-such-route").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["result"], "Not Found", "{body}");

    for path in ["/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt"] {
        let answer = raw_get(app.port, path).await;
        assert!(answer.starts_with("HTTP/1.1 "), "{answer}");
        assert!(
            !answer.contains("SECRET"),
            "{path} escaped the web directory: {answer}"
        );
    }
}

#[tokio::test]
async fn without_a_web_dir_unknown_paths_are_json_404s() {
    let app = spawn_app_with(|_| {}).await;
    let (status, body) = json_of(app.get("/").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["message"].is_string(), "{body}");
}

/// The page may run only the app's own scripts and WebAssembly, cannot be framed, is not MIME-sniffed and
/// is revalidated on every load; compressed for clients that accept it.
#[tokio::test]
async fn the_app_is_served_with_security_headers_revalidation_and_compression() {
    let web = WebDir::new();
    let dir = web.dist();
    std::fs::write(
        dir.join("big.js"),
        "export const words = \"calendar \";\n".repeat(2_000),
    )
    .unwrap();
    let app = spawn_app_with(move |settings| settings.web_dir = Some(dir)).await;

    for path in ["/", "/compass_web.js", "/day/2025-01-06", "/api/health"] {
        let answer = app.get(path).await;
        let header = |name: &str| {
            answer
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_else(|| panic!("{path}: no {name} header"))
        };
        let csp = header("content-security-policy");
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            !csp.split(';')
                .any(|d| d.trim().starts_with("script-src") && d.contains("unsafe-inline")),
            "no inline script: {csp}"
        );
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("referrer-policy"), "same-origin", "{path}");
        if !path.starts_with("/api/") {
            // (API handlers may set their own, e.g. health's `no-store`.)
            assert_eq!(header("cache-control"), "no-cache", "{path}");
        }
    }

    let plain = app.get("/big.js").await;
    assert!(plain.headers().get("content-encoding").is_none());
    let plain_len = plain.bytes().await.unwrap().len();
    let gzipped = reqwest::Client::new()
        .get(app.url("/big.js"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    let gzipped_len = gzipped.bytes().await.unwrap().len();
    assert!(
        gzipped_len * 10 < plain_len,
        "compressed {gzipped_len} bytes of {plain_len}"
    );
}

/// Content-hashed assets (as `scripts/build-web.sh` names them) are cached for a year; `index.html` (also
/// as the answer for client routes) and unhashed files are revalidated. The CSP is on all of them.
#[tokio::test]
async fn hashed_assets_are_cached_for_a_year_and_the_page_is_revalidated() {
    let web = WebDir::new();
    let dir = web.dist();
    for name in [
        "compass_web.0123456789abcdef.js",
        "compass_web_bg.fedcba9876543210.wasm",
        "style.00112233aabbccdd.css",
    ] {
        std::fs::write(dir.join(name), "content").unwrap();
    }
    let app = spawn_app_with(move |settings| settings.web_dir = Some(dir)).await;

    let cache_control = |answer: &reqwest::Response| {
        answer.headers()["cache-control"]
            .to_str()
            .unwrap()
            .to_owned()
    };
    for path in [
        "/compass_web.0123456789abcdef.js",
        "/compass_web_bg.fedcba9876543210.wasm",
        "/style.00112233aabbccdd.css",
    ] {
        let answer = app.get(path).await;
        assert_eq!(answer.status(), StatusCode::OK, "{path}");
        assert_eq!(
            cache_control(&answer),
            "public, max-age=31536000, immutable",
            "{path}"
        );
        assert!(
            answer.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{path}"
        );
    }
    for path in [
        "/",
        "/index.html",
        "/week/2025-01-06",
        "/compass_web.js",
        // A hashed-looking name that does not exist is index.html, never cached.
        "/missing.0123456789abcdef.js",
    ] {
        let answer = app.get(path).await;
        assert_eq!(answer.status(), StatusCode::OK, "{path}");
        assert_eq!(cache_control(&answer), "no-cache", "{path}");
    }
    let (status, _) = json_of(app.get("/api/no-such-route").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn hashed_assets_are_sent_precompressed_when_a_stored_copy_is_accepted() {
    let web = WebDir::new();
    let dir = web.dist();
    let wasm = "compass_web_bg.fedcba9876543210.wasm";
    let script = "compass_web.0123456789abcdef.js";
    std::fs::write(dir.join(wasm), b"\0asm plain").unwrap();
    std::fs::write(dir.join(format!("{wasm}.br")), b"BROTLI BYTES").unwrap();
    std::fs::write(dir.join(format!("{wasm}.gz")), b"GZIP BYTES").unwrap();
    // A script without stored copies: the middleware compresses it as before.
    std::fs::write(dir.join(script), "export const x = 1;".repeat(100)).unwrap();
    let app = spawn_app_with(move |settings| settings.web_dir = Some(dir)).await;
    // reqwest decodes nothing here (no gzip or brotli feature): the bytes on the wire are compared.
    let raw = reqwest::Client::new();
    let get = |path: String, accept: &'static str| {
        raw.get(format!("{}{path}", app.address))
            .header("accept-encoding", accept)
            .send()
    };
    let header = |answer: &reqwest::Response, name: &str| {
        answer
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    };

    for (accept, encoding, body) in [
        ("gzip, deflate, br", "br", "BROTLI BYTES"),
        ("gzip, br;q=0", "gzip", "GZIP BYTES"),
    ] {
        let answer = get(format!("/{wasm}"), accept).await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{accept}");
        assert_eq!(
            header(&answer, "content-encoding").as_deref(),
            Some(encoding)
        );
        assert_eq!(
            header(&answer, "content-type").as_deref(),
            Some("application/wasm")
        );
        assert_eq!(header(&answer, "vary").as_deref(), Some("accept-encoding"));
        assert_eq!(
            header(&answer, "cache-control").as_deref(),
            Some("public, max-age=31536000, immutable")
        );
        assert!(header(&answer, "content-security-policy").is_some());
        assert_eq!(answer.text().await.unwrap(), body, "{accept}");
    }
    let answer = get(format!("/{wasm}"), "identity").await.unwrap();
    assert_eq!(header(&answer, "content-encoding"), None);
    assert_eq!(answer.text().await.unwrap(), "\0asm plain");

    let answer = get(format!("/{script}"), "gzip").await.unwrap();
    assert_eq!(header(&answer, "content-encoding").as_deref(), Some("gzip"));
    assert_eq!(
        header(&answer, "cache-control").as_deref(),
        Some("public, max-age=31536000, immutable")
    );
}
