//! CSRF protection by origin check (no tokens).
//!
//! Every state-changing request (any method but GET/HEAD/OPTIONS/TRACE) that either carries a `Cookie`
//! header or goes to `/api/auth/...` (login CSRF) must name the public base URL's origin in its `Origin`
//! header, or — when a browser sends no `Origin` — in its `Referer`. Requests with neither are refused
//! (403). Requests without cookies to other paths (Google's push notifications, internal cron calls with a
//! token header) are not cookie-authenticated and pass. Together with `SameSite=Lax` session cookies this
//! stops cross-site form posts and `fetch` calls from other sites. See `docs/auth.md`.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;

use actix_web::body::EitherBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::{header, Method};
use actix_web::{Error, ResponseError as _};

use super::error::ApiError;

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CsrfRefusal {
    /// Neither `Origin` nor `Referer` was sent.
    #[error("cross-site request refused: the request names no origin")]
    MissingOrigin,
    /// The request comes from another origin.
    #[error("cross-site request refused: origin not allowed")]
    ForeignOrigin,
}

/// What the check needs to know about a request.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    /// HTTP method.
    pub method: &'a Method,
    /// Path (without query).
    pub path: &'a str,
    /// A `Cookie` header is present.
    pub has_cookie: bool,
    /// The `Origin` header, if any.
    pub origin: Option<&'a str>,
    /// The `Referer` header, if any.
    pub referer: Option<&'a str>,
}

/// The origin (`scheme://host[:port]`) of a URL, as browsers serialise it in `Origin`.
pub fn origin_of(url: &url::Url) -> String {
    url.origin().ascii_serialization()
}

/// Decides whether a request passes. `expected_origin` is [`origin_of`] the public base URL.
pub fn check(facts: RequestFacts<'_>, expected_origin: &str) -> Result<(), CsrfRefusal> {
    let safe = matches!(
        *facts.method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    let guarded = facts.has_cookie || facts.path.starts_with("/api/auth/");
    if safe || !guarded {
        return Ok(());
    }
    let claimed = match (facts.origin, facts.referer) {
        (Some(origin), _) => origin.trim().to_owned(),
        (None, Some(referer)) => match url::Url::parse(referer.trim()) {
            Ok(url) => origin_of(&url),
            Err(_) => return Err(CsrfRefusal::ForeignOrigin),
        },
        (None, None) => return Err(CsrfRefusal::MissingOrigin),
    };
    if claimed == expected_origin {
        Ok(())
    } else {
        Err(CsrfRefusal::ForeignOrigin)
    }
}

/// actix middleware applying [`check`]; wrap it around the `/api` scope.
#[derive(Debug, Clone)]
pub struct CsrfProtection {
    expected_origin: Rc<str>,
}

impl CsrfProtection {
    /// Protection for a deployment reachable at `public_base_url`.
    pub fn new(public_base_url: &url::Url) -> Self {
        Self {
            expected_origin: origin_of(public_base_url).into(),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for CsrfProtection
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = CsrfMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(CsrfMiddleware {
            service: Rc::new(service),
            expected_origin: Rc::clone(&self.expected_origin),
        }))
    }
}

/// The service produced by [`CsrfProtection`].
#[derive(Debug)]
pub struct CsrfMiddleware<S> {
    service: Rc<S>,
    expected_origin: Rc<str>,
}

impl<S, B> Service<ServiceRequest> for CsrfMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let header_str = |name: header::HeaderName| {
            req.headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let origin = header_str(header::ORIGIN);
        let referer = header_str(header::REFERER);
        let verdict = check(
            RequestFacts {
                method: req.method(),
                path: req.path(),
                has_cookie: req.headers().contains_key(header::COOKIE),
                origin: origin.as_deref(),
                referer: referer.as_deref(),
            },
            &self.expected_origin,
        );
        match verdict {
            Ok(()) => {
                let service = Rc::clone(&self.service);
                Box::pin(async move { Ok(service.call(req).await?.map_into_left_body()) })
            }
            Err(refusal) => {
                tracing::warn!(path = req.path(), reason = %refusal, "csrf check refused a request");
                let response = ApiError::forbidden(refusal.to_string()).error_response();
                Box::pin(async move { Ok(req.into_response(response).map_into_right_body()) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test as actix_test;
    use actix_web::{web, App, HttpResponse};

    const SITE: &str = "https://cal.example.com";

    fn facts<'a>(
        method: &'a Method,
        path: &'a str,
        has_cookie: bool,
        origin: Option<&'a str>,
        referer: Option<&'a str>,
    ) -> RequestFacts<'a> {
        RequestFacts {
            method,
            path,
            has_cookie,
            origin,
            referer,
        }
    }

    #[test]
    fn safe_methods_and_cookieless_webhooks_pass() {
        assert!(check(facts(&Method::GET, "/api/event", true, None, None), SITE).is_ok());
        assert!(check(
            facts(
                &Method::HEAD,
                "/api/event",
                true,
                Some("https://evil.example"),
                None
            ),
            SITE
        )
        .is_ok());
        assert!(check(
            facts(
                &Method::POST,
                "/api/sync/gcal/notifications",
                false,
                None,
                None
            ),
            SITE
        )
        .is_ok());
    }

    #[test]
    fn cookie_requests_need_the_own_origin() {
        let post = Method::POST;
        assert!(check(facts(&post, "/api/event", true, Some(SITE), None), SITE).is_ok());
        assert_eq!(
            check(facts(&post, "/api/event", true, None, None), SITE),
            Err(CsrfRefusal::MissingOrigin)
        );
        assert_eq!(
            check(
                facts(
                    &post,
                    "/api/event",
                    true,
                    Some("https://evil.example"),
                    None
                ),
                SITE
            ),
            Err(CsrfRefusal::ForeignOrigin)
        );
        assert_eq!(
            check(
                facts(&Method::DELETE, "/api/event/1", true, Some("null"), None),
                SITE
            ),
            Err(CsrfRefusal::ForeignOrigin)
        );
        // Same host, other scheme or port: another origin.
        assert!(check(
            facts(
                &post,
                "/api/event",
                true,
                Some("http://cal.example.com"),
                None
            ),
            SITE
        )
        .is_err());
        assert!(check(
            facts(
                &post,
                "/api/event",
                true,
                Some("https://cal.example.com:8443"),
                None
            ),
            SITE
        )
        .is_err());
    }

    #[test]
    fn referer_is_the_fallback() {
        let put = Method::PUT;
        assert!(check(
            facts(
                &put,
                "/api/event/1",
                true,
                None,
                Some("https://cal.example.com/week?x=1")
            ),
            SITE
        )
        .is_ok());
        assert!(check(
            facts(
                &put,
                "/api/event/1",
                true,
                None,
                Some("https://evil.example/cal.example.com")
            ),
            SITE
        )
        .is_err());
        assert!(check(
            facts(&put, "/api/event/1", true, None, Some("not a url")),
            SITE
        )
        .is_err());
    }

    #[test]
    fn auth_routes_are_guarded_even_without_cookies() {
        let post = Method::POST;
        assert_eq!(
            check(facts(&post, "/api/auth/signin", false, None, None), SITE),
            Err(CsrfRefusal::MissingOrigin)
        );
        assert!(check(
            facts(&post, "/api/auth/signin", false, Some(SITE), None),
            SITE
        )
        .is_ok());
    }

    #[actix_web::test]
    async fn middleware_refuses_with_403_json() {
        let base = url::Url::parse(SITE).unwrap();
        let app = actix_test::init_service(
            App::new()
                .wrap(CsrfProtection::new(&base))
                .route("/api/thing", web::post().to(HttpResponse::NoContent)),
        )
        .await;
        let refused = actix_test::TestRequest::post()
            .uri("/api/thing")
            .insert_header((header::COOKIE, "compass_session=x"))
            .insert_header((header::ORIGIN, "https://evil.example"))
            .to_request();
        let response = actix_test::call_service(&app, refused).await;
        assert_eq!(response.status(), 403);
        let body: serde_json::Value = actix_test::read_body_json(response).await;
        assert_eq!(body["result"], "Forbidden");

        let allowed = actix_test::TestRequest::post()
            .uri("/api/thing")
            .insert_header((header::COOKIE, "compass_session=x"))
            .insert_header((header::ORIGIN, SITE))
            .to_request();
        assert_eq!(actix_test::call_service(&app, allowed).await.status(), 204);
    }
}
