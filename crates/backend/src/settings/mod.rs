//! Typed server settings, read from command-line flags and environment variables, split by concern:
//!
//! - [`args`]: [`ServeArgs`] / [`DbArgs`], the raw clap view (every flag has an env var and a documented
//!   default, see `docs/operations.md`);
//! - [`secret`]: [`Secret`] / [`SecretKey`], so that `Debug` output (and therefore logs) never shows them;
//! - [`error`]: [`SettingsError`], one line that names the offending key;
//! - [`database`], [`google`], [`sse`]: the validated settings of each part;
//! - this module: [`Settings`], validated from [`ServeArgs`] by [`Settings::from_args`], failing fast.
//!
//! A leaf module: it imports nothing else of the crate.

pub mod args;
pub mod database;
pub mod error;
pub mod google;
mod parse;
pub mod secret;
pub mod sse;
pub mod sync;

use std::time::Duration;

use url::Url;

pub use args::{DbArgs, ServeArgs};
pub use database::DatabaseSettings;
pub use error::SettingsError;
pub use google::{
    GoogleSettings, GOOGLE_AUTH_URL, GOOGLE_CALENDAR_API_URL, GOOGLE_REVOKE_URL, GOOGLE_TOKEN_URL,
    GOOGLE_USERINFO_URL,
};
use parse::{fixed_url, non_blank, parse_http_url};
pub use secret::{Secret, SecretKey};
pub use sse::SseSettings;
pub use sync::SyncSettings;

/// The validated configuration of the server. Built once at start-up and shared read-only.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Listen address (`host:port`; port 0 picks a free port).
    pub bind: String,
    /// Public base URL (scheme, host, port) as browsers see it.
    pub public_url: Url,
    /// Database location.
    pub database: DatabaseSettings,
    /// Apply pending migrations at start-up.
    pub run_migrations: bool,
    /// Session lifetime.
    pub session_ttl: Duration,
    /// Key for signed short-lived cookies.
    pub cookie_key: SecretKey,
    /// Key for encrypting Google refresh tokens at rest.
    pub encryption_key: SecretKey,
    /// Google OAuth client and endpoints.
    pub google: GoogleSettings,
    /// SSE hub tuning.
    pub sse: SseSettings,
    /// Largest accepted request body in bytes.
    pub body_limit: usize,
    /// How long graceful shutdown waits for in-flight requests.
    pub shutdown_timeout: Duration,
    /// HTTP worker threads (None: one per CPU core).
    pub workers: Option<usize>,
    /// Directory of the built web app served at `/` (None: the server serves only `/api`).
    pub web_dir: Option<std::path::PathBuf>,
    /// Google sync engine tuning.
    pub sync: SyncSettings,
}

impl Settings {
    /// Defaults for a local server on `bind` against the given database, reading no environment
    /// (used by tests and benchmarks, which then adjust the public fields).
    pub fn local(
        bind: impl Into<String>,
        mongodb_uri: impl Into<String>,
        database: impl Into<String>,
    ) -> Self {
        let bind = bind.into();
        Self {
            public_url: Url::parse(&format!("http://{bind}"))
                .unwrap_or_else(|_| fixed_url("http://127.0.0.1:3000/")),
            bind,
            database: DatabaseSettings {
                uri: Secret::new(mongodb_uri),
                name: database.into(),
                pool_size: 100,
                connect_timeout: Duration::from_secs(5),
                selection_timeout: Duration::from_secs(5),
            },
            run_migrations: true,
            session_ttl: Duration::from_secs(14 * 24 * 3600),
            cookie_key: SecretKey::random(),
            encryption_key: SecretKey::random(),
            google: GoogleSettings::unconfigured(),
            sse: SseSettings::default(),
            body_limit: 1024 * 1024,
            shutdown_timeout: Duration::from_secs(30),
            workers: None,
            web_dir: None,
            sync: SyncSettings::default(),
        }
    }

    /// Validates raw flags into settings; the error names the first bad key.
    pub fn from_args(args: ServeArgs) -> Result<Self, SettingsError> {
        let bind = args.bind.trim().to_owned();
        if bind
            .rsplit_once(':')
            .is_none_or(|(host, port)| host.is_empty() || port.parse::<u16>().is_err())
        {
            return Err(SettingsError::Invalid {
                key: "COMPASS_BIND",
                reason: "must be host:port, e.g. 127.0.0.1:3000".into(),
            });
        }
        let public_url = match args
            .public_url
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => parse_http_url("COMPASS_PUBLIC_URL", raw)?,
            None => parse_http_url("COMPASS_BIND", &format!("http://{bind}"))?,
        };
        let database = DatabaseSettings::from_args(&args.db)?;

        let client_id = non_blank(args.google_client_id);
        let client_secret = non_blank(
            args.google_client_secret
                .as_ref()
                .map(|s| s.expose().to_owned()),
        )
        .map(Secret::new);
        match (&client_id, &client_secret) {
            (Some(_), None) => {
                return Err(SettingsError::Missing {
                    key: "GOOGLE_CLIENT_SECRET",
                    reason: "GOOGLE_CLIENT_ID is set; set both or neither".into(),
                })
            }
            (None, Some(_)) => {
                return Err(SettingsError::Missing {
                    key: "GOOGLE_CLIENT_ID",
                    reason: "GOOGLE_CLIENT_SECRET is set; set both or neither".into(),
                })
            }
            _ => {}
        }
        let google = GoogleSettings {
            client_id,
            client_secret,
            auth_url: parse_http_url("GOOGLE_AUTH_URL", &args.google_auth_url)?,
            token_url: parse_http_url("GOOGLE_TOKEN_URL", &args.google_token_url)?,
            revoke_url: parse_http_url("GOOGLE_REVOKE_URL", &args.google_revoke_url)?,
            userinfo_url: parse_http_url("GOOGLE_USERINFO_URL", &args.google_userinfo_url)?,
            calendar_api_url: parse_http_url(
                "GOOGLE_CALENDAR_API_URL",
                &args.google_calendar_api_url,
            )?,
        };

        let cookie_key = match non_blank(args.cookie_key.as_ref().map(|s| s.expose().to_owned())) {
            Some(raw) => SecretKey::from_base64("COMPASS_COOKIE_KEY", &raw)?,
            None => SecretKey::random(),
        };
        let encryption_key =
            match non_blank(args.encryption_key.as_ref().map(|s| s.expose().to_owned())) {
                Some(raw) => SecretKey::from_base64("COMPASS_ENCRYPTION_KEY", &raw)?,
                None if google.is_configured() => return Err(SettingsError::Missing {
                    key: "COMPASS_ENCRYPTION_KEY",
                    reason:
                        "required when Google is configured (refresh tokens are encrypted with it)"
                            .into(),
                }),
                None => SecretKey::random(),
            };

        if args.session_ttl_secs < 60 {
            return Err(SettingsError::Invalid {
                key: "COMPASS_SESSION_TTL_SECS",
                reason: "must be at least 60".into(),
            });
        }
        if args.sse_heartbeat_secs == 0 {
            return Err(SettingsError::Invalid {
                key: "COMPASS_SSE_HEARTBEAT_SECS",
                reason: "must be at least 1".into(),
            });
        }
        if args.sse_queue == 0 {
            return Err(SettingsError::Invalid {
                key: "COMPASS_SSE_QUEUE",
                reason: "must be at least 1".into(),
            });
        }
        for (value, key) in [
            (args.sse_max_per_session, "COMPASS_SSE_MAX_PER_SESSION"),
            (args.sse_max_per_user, "COMPASS_SSE_MAX_PER_USER"),
            (args.sse_max_streams, "COMPASS_SSE_MAX_STREAMS"),
        ] {
            if value == 0 {
                return Err(SettingsError::Invalid {
                    key,
                    reason: "must be at least 1".into(),
                });
            }
        }
        if let Some(dir) = &args.web_dir {
            if !dir.join("index.html").is_file() {
                return Err(SettingsError::Invalid {
                    key: "COMPASS_WEB_DIR",
                    reason: format!(
                        "{} has no index.html (build it with scripts/build-web.sh)",
                        dir.display()
                    ),
                });
            }
        }
        if args.workers == Some(0) {
            return Err(SettingsError::Invalid {
                key: "COMPASS_WORKERS",
                reason: "must be at least 1".into(),
            });
        }
        if args.body_limit < 1024 {
            return Err(SettingsError::Invalid {
                key: "COMPASS_BODY_LIMIT",
                reason: "must be at least 1024 bytes".into(),
            });
        }

        let notification_url = match non_blank(args.notification_url.clone()) {
            Some(raw) => Some(parse_http_url("COMPASS_NOTIFICATION_URL", &raw)?),
            None => None,
        };
        if args.sync_backstop_secs == 0 {
            return Err(SettingsError::Invalid {
                key: "COMPASS_SYNC_BACKSTOP_SECS",
                reason: "must be at least 1".into(),
            });
        }
        let sync = SyncSettings {
            notification_url,
            backstop: Duration::from_secs(args.sync_backstop_secs),
            ..SyncSettings::default()
        };

        Ok(Self {
            bind,
            public_url,
            database,
            run_migrations: !args.skip_migrations,
            session_ttl: Duration::from_secs(args.session_ttl_secs),
            cookie_key,
            encryption_key,
            google,
            sse: SseSettings {
                heartbeat: Duration::from_secs(args.sse_heartbeat_secs),
                queue: args.sse_queue,
                history: args.sse_history,
                max_per_session: args.sse_max_per_session,
                max_per_user: args.sse_max_per_user,
                max_streams: args.sse_max_streams,
                cache_ttl: Duration::from_secs(args.sse_cache_secs),
                fanout: args.sse_fanout,
            },
            body_limit: args.body_limit,
            shutdown_timeout: Duration::from_secs(args.shutdown_timeout_secs),
            workers: args.workers,
            web_dir: args.web_dir,
            sync,
        })
    }

    /// True when cookies must carry `Secure` (the public URL is https).
    pub fn cookie_secure(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// The public origin (`scheme://host[:port]`), as browsers send it in the `Origin` header.
    pub fn public_origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use clap::Parser;

    /// `compass serve`'s flags on their own (the whole command line is `crate::cli`, which sits above
    /// this module and so is not imported here).
    #[derive(Debug, Parser)]
    #[command(name = "compass")]
    struct Serve {
        #[command(flatten)]
        args: ServeArgs,
    }

    fn parse(args: &[&str]) -> Result<Settings, SettingsError> {
        let mut argv = vec!["compass"];
        argv.extend_from_slice(args);
        let cli = Serve::try_parse_from(argv).expect("flags parse");
        Settings::from_args(cli.args)
    }

    #[test]
    fn defaults_are_valid() {
        let s = parse(&["--mongodb-uri", "mongodb://127.0.0.1:27017"]).expect("valid");
        assert_eq!(s.sse.heartbeat, Duration::from_secs(25));
        assert!(!s.google.is_configured());
        assert!(!s.cookie_secure());
    }

    #[test]
    fn only_one_google_credential_is_an_error_naming_the_missing_key() {
        let err = parse(&["--google-client-id", "abc"]).expect_err("must fail");
        assert!(err.to_string().contains("GOOGLE_CLIENT_SECRET"), "{err}");
    }

    #[test]
    fn google_requires_an_encryption_key() {
        let err = parse(&[
            "--google-client-id",
            "abc",
            "--google-client-secret",
            "s3cr3t",
        ])
        .expect_err("must fail");
        assert!(err.to_string().contains("COMPASS_ENCRYPTION_KEY"), "{err}");
        let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        let ok = parse(&[
            "--google-client-id",
            "abc",
            "--google-client-secret",
            "s3cr3t",
            "--encryption-key",
            &key,
        ])
        .expect("valid");
        assert!(ok.google.is_configured());
        assert_eq!(ok.encryption_key.expose(), &[7u8; 32]);
    }

    #[test]
    fn raw_command_line_redacts_secrets_in_debug() {
        let key = base64::engine::general_purpose::STANDARD.encode([5u8; 32]);
        let cli = Serve::try_parse_from([
            "compass",
            "--mongodb-uri",
            "mongodb://admin:hunter2@db.example:27017",
            "--google-client-secret",
            "topsecretvalue",
            "--cookie-key",
            &key,
            "--encryption-key",
            &key,
        ])
        .expect("flags parse");
        let debug = format!("{cli:?}");
        assert!(
            debug.contains("db.example") || debug.contains("[redacted]"),
            "{debug}"
        );
        for secret in ["hunter2", "topsecretvalue", key.as_str()] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let key = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
        let s = parse(&[
            "--mongodb-uri",
            "mongodb://admin:hunter2@db.example:27017",
            "--google-client-id",
            "abc",
            "--google-client-secret",
            "topsecretvalue",
            "--encryption-key",
            &key,
        ])
        .expect("valid");
        let debug = format!("{s:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(!debug.contains("topsecretvalue"), "{debug}");
        assert!(!debug.contains(&key), "{debug}");
        assert_eq!(s.database.host_for_display(), "db.example:27017");
    }

    #[test]
    fn bad_values_name_their_key() {
        for (args, key) in [
            (vec!["--bind", "nonsense"], "COMPASS_BIND"),
            (vec!["--public-url", "ftp://x"], "COMPASS_PUBLIC_URL"),
            (vec!["--mongodb-uri", "postgres://x"], "MONGODB_URI"),
            (vec!["--cookie-key", "short"], "COMPASS_COOKIE_KEY"),
            (
                vec!["--sse-heartbeat-secs", "0"],
                "COMPASS_SSE_HEARTBEAT_SECS",
            ),
            (vec!["--body-limit", "10"], "COMPASS_BODY_LIMIT"),
            (vec!["--sse-max-per-user", "0"], "COMPASS_SSE_MAX_PER_USER"),
        ] {
            let err = parse(&args).expect_err("must fail");
            assert!(err.to_string().contains(key), "{args:?}: {err}");
        }
    }

    #[test]
    fn https_public_url_makes_cookies_secure() {
        let s = parse(&["--public-url", "https://cal.example.com"]).expect("valid");
        assert!(s.cookie_secure());
        assert_eq!(s.public_origin(), "https://cal.example.com");
    }

    #[test]
    fn emulator_base_url_rewrites_every_endpoint() {
        let base = Url::parse("http://127.0.0.1:4555").expect("url");
        let g = GoogleSettings::unconfigured().with_base_url(&base);
        assert_eq!(g.token_url.as_str(), "http://127.0.0.1:4555/token");
        assert_eq!(
            g.calendar_api_url.as_str(),
            "http://127.0.0.1:4555/calendar/v3"
        );
    }
}
