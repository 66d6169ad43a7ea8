//! Serves the built web app (`COMPASS_WEB_DIR`) at `/`: its static files, and `index.html` for every other
//! non-API path so that client-side routes (e.g. `/day/2025-01-06`) survive a reload. `/api` paths never
//! reach it: unknown ones stay JSON 404s.
//!
//! Caching: `scripts/build-web.sh` names the JS, WASM and CSS files after their content
//! (`name.<16 hex digits>.ext`), so those are sent with `Cache-Control: public, max-age=31536000,
//! immutable` (a new build has new names); `index.html` and any unhashed file keep the default
//! `no-cache` (revalidated with their ETag on every load). A hashed asset with a precompressed copy beside
//! it (`.br`, `.gz`: release builds) is answered with that copy when the request accepts it
//! (`web_app_encoded`).

use std::path::{Path, PathBuf};

use actix_files::{Files, NamedFile};
use actix_web::dev::{fn_service, Service as _, ServiceRequest, ServiceResponse};
use actix_web::guard;
use actix_web::http::header::{HeaderValue, CACHE_CONTROL};
use futures::future::Either;

use super::web_app_encoded as encoded;

/// The `Cache-Control` of content-hashed assets.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Registers the web app's files when a directory is configured.
pub fn routes(dir: Option<&Path>) -> impl FnOnce(&mut actix_web::web::ServiceConfig) {
    let dir = dir.map(Path::to_path_buf);
    move |cfg| {
        if let Some(dir) = dir {
            let assets = dir.clone();
            cfg.service(
                actix_web::web::scope("")
                    .guard(guard::fn_guard(|ctx| !is_api_path(ctx.head().uri.path())))
                    .wrap_fn(move |req, service| {
                        let hashed = is_hashed_asset(req.path());
                        let stored = hashed
                            .then(|| encoded::variant(&assets, req.path(), req.headers()))
                            .flatten();
                        let answer = match stored {
                            Some(variant) => Either::Left(encoded::respond(req, variant)),
                            None => Either::Right(service.call(req)),
                        };
                        async move {
                            let mut answer = match answer {
                                Either::Left(stored) => stored.await?,
                                Either::Right(served) => served.await?,
                            };
                            // (The index fallback sets its own `no-cache`: a missing asset is no asset.)
                            if hashed
                                && answer.status().is_success()
                                && !answer.headers().contains_key(CACHE_CONTROL)
                            {
                                answer
                                    .headers_mut()
                                    .insert(CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
                            }
                            Ok(answer)
                        }
                    })
                    .service(files(dir)),
            );
        }
    }
}

fn files(dir: PathBuf) -> Files {
    let index = dir.join("index.html");
    Files::new("/", dir)
        .index_file("index.html")
        .guard(guard::fn_guard(|ctx| !is_api_path(ctx.head().uri.path())))
        .default_handler(fn_service(move |req: ServiceRequest| {
            let index = index.clone();
            async move {
                let (req, _) = req.into_parts();
                let mut response = NamedFile::open_async(&index).await?.into_response(&req);
                response
                    .headers_mut()
                    .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                Ok(ServiceResponse::new(req, response))
            }
        }))
}

fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// A file name as `build-web.sh` writes content-hashed assets: `<name>.<16 lowercase hex>.<js|wasm|css>`,
/// at the top of the directory.
pub fn is_hashed_asset(path: &str) -> bool {
    let Some(file) = path.strip_prefix('/') else {
        return false;
    };
    if file.contains('/') {
        return false;
    }
    let mut parts = file.rsplitn(3, '.');
    let (Some(ext), Some(hash), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    matches!(ext, "js" | "wasm" | "css")
        && !name.is_empty()
        && hash.len() == 16
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::{is_api_path, is_hashed_asset};

    #[test]
    fn api_paths_are_left_to_the_api() {
        assert!(is_api_path("/api"));
        assert!(is_api_path("/api/event"));
        assert!(!is_api_path("/apiary"));
        assert!(!is_api_path("/day/2025-01-06"));
    }

    #[test]
    fn hashed_asset_names() {
        assert!(is_hashed_asset("/compass_web_bg.0123456789abcdef.wasm"));
        assert!(is_hashed_asset("/style.0123456789abcdef.css"));
        assert!(is_hashed_asset("/boot.0123456789abcdef.js"));
        assert!(!is_hashed_asset("/compass_web.js"));
        assert!(!is_hashed_asset("/index.html"));
        assert!(!is_hashed_asset("/style.0123456789ABCDEF.css"));
        assert!(!is_hashed_asset("/style.0123456789abcde.css"));
        assert!(!is_hashed_asset("/.0123456789abcdef.js"));
        assert!(!is_hashed_asset("/a/style.0123456789abcdef.css"));
        assert!(!is_hashed_asset("/page.0123456789abcdef.html"));
    }
}
