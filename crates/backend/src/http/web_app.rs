//! Serves the built web app (`COMPASS_WEB_DIR`) at `/`: its static files, and `index.html` for every other
//! non-API path so that client-side routes (e.g. `/day/2025-01-06`) survive a reload. `/api` paths never
//! reach it: unknown ones stay JSON 404s.

use std::path::{Path, PathBuf};

use actix_files::{Files, NamedFile};
use actix_web::dev::{fn_service, ServiceRequest, ServiceResponse};
use actix_web::guard;

/// Registers the web app's files when a directory is configured.
pub fn routes(dir: Option<&Path>) -> impl FnOnce(&mut actix_web::web::ServiceConfig) {
    let dir = dir.map(Path::to_path_buf);
    move |cfg| {
        if let Some(dir) = dir {
            cfg.service(files(dir));
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
                let response = NamedFile::open_async(&index).await?.into_response(&req);
                Ok(ServiceResponse::new(req, response))
            }
        }))
}

fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

#[cfg(test)]
mod tests {
    use super::is_api_path;

    #[test]
    fn api_paths_are_left_to_the_api() {
        assert!(is_api_path("/api"));
        assert!(is_api_path("/api/event"));
        assert!(!is_api_path("/apiary"));
        assert!(!is_api_path("/day/2025-01-06"));
    }
}
