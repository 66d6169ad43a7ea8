//! Typed server settings, read from command-line flags and environment variables.
//!
//! [`ServeArgs`] is the raw clap view (every flag has an env var and a documented default, see
//! `docs/operations.md`); [`Settings::from_args`] validates it into [`Settings`], failing fast with one
//! [`SettingsError`] line that names the offending key. Secrets are wrapped in [`Secret`] / [`SecretKey`] so that
//! `Debug` output (and therefore logs) never shows them.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use clap::Args;
use rand::RngCore as _;
use url::Url;

/// Default Google OAuth authorization endpoint.
pub const GOOGLE_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
/// Default Google OAuth token endpoint.
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// Default Google OAuth revocation endpoint.
pub const GOOGLE_REVOKE_URL: &str = "https://oauth2.googleapis.com/revoke";
/// Default Google OpenID userinfo endpoint.
pub const GOOGLE_USERINFO_URL: &str = "https://openidconnect.googleapis.com/v1/userinfo";
/// Default Google Calendar API base (paths such as `/calendars/primary/events` are appended).
pub const GOOGLE_CALENDAR_API_URL: &str = "https://www.googleapis.com/calendar/v3";

/// A secret string (password, client secret, URI with credentials): `Debug` prints `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value. Call this only where the value is used, never to log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Lets clap parse secret flags straight into [`Secret`], so that even the raw arguments redact them.
impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(value))
    }
}

/// A 32-byte key (cookie signing, refresh-token encryption): `Debug` prints `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    /// Wraps 32 key bytes.
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A fresh random key (used when no key is configured and losing it on restart is harmless).
    pub fn random() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// Decodes a key given as standard or URL-safe base64 of exactly 32 bytes.
    fn from_base64(key: &'static str, value: &str) -> Result<Self, SettingsError> {
        let value = value.trim();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(value))
            .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(value))
            .map_err(|_| SettingsError::Invalid {
                key,
                reason: "must be base64 (e.g. `openssl rand -base64 32`)".into(),
            })?;
        let bytes: [u8; 32] = decoded.try_into().map_err(|_| SettingsError::Invalid {
            key,
            reason: "must decode to exactly 32 bytes".into(),
        })?;
        Ok(Self(bytes))
    }

    /// The key bytes. Call this only where the key is used.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A configuration problem found at start-up; `Display` is the one line an operator reads.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    /// A value is present but unusable.
    #[error("invalid configuration: {key}: {reason}")]
    Invalid {
        /// The flag/env var at fault, e.g. `COMPASS_PUBLIC_URL`.
        key: &'static str,
        /// What is wrong with it (never the secret value itself).
        reason: String,
    },
    /// A value is required in this configuration but absent.
    #[error("missing configuration: {key}: {reason}")]
    Missing {
        /// The flag/env var that must be set.
        key: &'static str,
        /// Why it is required.
        reason: String,
    },
}

/// Raw configuration flags of `compass serve` (each also read from its environment variable).
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (host:port).
    #[arg(long, env = "COMPASS_BIND", default_value = "127.0.0.1:3000")]
    pub bind: String,

    /// Public base URL of this server as browsers see it (cookies get `Secure` when it is https).
    /// Default: `http://<bind>`.
    #[arg(long, env = "COMPASS_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Database connection and migration flags.
    #[command(flatten)]
    pub db: DbArgs,

    /// Do not apply pending migrations at start-up.
    #[arg(long, env = "COMPASS_SKIP_MIGRATIONS", default_value_t = false)]
    pub skip_migrations: bool,

    /// Session lifetime in seconds (default 14 days).
    #[arg(long, env = "COMPASS_SESSION_TTL_SECS", default_value_t = 14 * 24 * 3600)]
    pub session_ttl_secs: u64,

    /// Base64 of 32 bytes used to sign short-lived cookies (OAuth state). Random per process if absent.
    #[arg(long, env = "COMPASS_COOKIE_KEY", hide_env_values = true)]
    pub cookie_key: Option<Secret>,

    /// Base64 of 32 bytes used to encrypt Google refresh tokens at rest. Required when Google is configured.
    #[arg(long, env = "COMPASS_ENCRYPTION_KEY", hide_env_values = true)]
    pub encryption_key: Option<Secret>,

    /// Google OAuth client id (Google counts as configured when id and secret are both set).
    #[arg(long, env = "GOOGLE_CLIENT_ID")]
    pub google_client_id: Option<String>,

    /// Google OAuth client secret.
    #[arg(long, env = "GOOGLE_CLIENT_SECRET", hide_env_values = true)]
    pub google_client_secret: Option<Secret>,

    /// Google OAuth authorization endpoint.
    #[arg(long, env = "GOOGLE_AUTH_URL", default_value = GOOGLE_AUTH_URL)]
    pub google_auth_url: String,

    /// Google OAuth token endpoint.
    #[arg(long, env = "GOOGLE_TOKEN_URL", default_value = GOOGLE_TOKEN_URL)]
    pub google_token_url: String,

    /// Google OAuth revocation endpoint.
    #[arg(long, env = "GOOGLE_REVOKE_URL", default_value = GOOGLE_REVOKE_URL)]
    pub google_revoke_url: String,

    /// Google OpenID userinfo endpoint.
    #[arg(long, env = "GOOGLE_USERINFO_URL", default_value = GOOGLE_USERINFO_URL)]
    pub google_userinfo_url: String,

    /// Google Calendar API base URL.
    #[arg(long, env = "GOOGLE_CALENDAR_API_URL", default_value = GOOGLE_CALENDAR_API_URL)]
    pub google_calendar_api_url: String,

    /// Seconds between SSE `: keepalive` comments.
    #[arg(long, env = "COMPASS_SSE_HEARTBEAT_SECS", default_value_t = 25)]
    pub sse_heartbeat_secs: u64,

    /// Events queued per SSE connection before that connection is dropped as too slow.
    #[arg(long, env = "COMPASS_SSE_QUEUE", default_value_t = 64)]
    pub sse_queue: usize,

    /// Events kept per user for `Last-Event-ID` resume.
    #[arg(long, env = "COMPASS_SSE_HISTORY", default_value_t = 256)]
    pub sse_history: usize,

    /// Largest accepted request body in bytes (larger bodies get 413).
    #[arg(long, env = "COMPASS_BODY_LIMIT", default_value_t = 1024 * 1024)]
    pub body_limit: usize,

    /// Seconds graceful shutdown waits for in-flight requests before closing them.
    #[arg(long, env = "COMPASS_SHUTDOWN_TIMEOUT_SECS", default_value_t = 30)]
    pub shutdown_timeout_secs: u64,

    /// HTTP worker threads (default: one per CPU core).
    #[arg(long, env = "COMPASS_WORKERS")]
    pub workers: Option<usize>,

    /// Directory of the built web app (`scripts/build-web.sh` writes `web/dist`); served at `/` when set.
    #[arg(long, env = "COMPASS_WEB_DIR")]
    pub web_dir: Option<std::path::PathBuf>,
}

/// Database flags shared by `compass serve` and `compass migrate`.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// MongoDB connection string (a replica set; credentials allowed, never logged).
    #[arg(
        long,
        env = "MONGODB_URI",
        default_value = "mongodb://127.0.0.1:27017",
        hide_env_values = true
    )]
    pub mongodb_uri: Secret,

    /// MongoDB database name.
    #[arg(long, env = "COMPASS_DATABASE", default_value = "compass")]
    pub database: String,

    /// Most connections the pool opens to one MongoDB server.
    #[arg(long, env = "COMPASS_DB_POOL_SIZE", default_value_t = 20)]
    pub db_pool_size: u32,

    /// Seconds one connection attempt to MongoDB may take.
    #[arg(long, env = "COMPASS_DB_CONNECT_TIMEOUT_SECS", default_value_t = 5)]
    pub db_connect_timeout_secs: u64,

    /// Seconds an operation waits for a usable MongoDB server before failing (503 to HTTP clients).
    #[arg(long, env = "COMPASS_DB_SELECTION_TIMEOUT_SECS", default_value_t = 5)]
    pub db_selection_timeout_secs: u64,
}

/// Where the database is and what it is called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseSettings {
    /// The connection string (may hold a password, hence [`Secret`]).
    pub uri: Secret,
    /// The database name.
    pub name: String,
    /// Most connections the pool opens to one server.
    pub pool_size: u32,
    /// How long one connection attempt may take.
    pub connect_timeout: Duration,
    /// How long an operation waits for a usable server.
    pub selection_timeout: Duration,
}

impl DatabaseSettings {
    /// Validates the raw database flags.
    pub fn from_args(args: &DbArgs) -> Result<Self, SettingsError> {
        let uri = args.mongodb_uri.expose().trim();
        if !(uri.starts_with("mongodb://") || uri.starts_with("mongodb+srv://")) {
            return Err(SettingsError::Invalid {
                key: "MONGODB_URI",
                reason: "must start with mongodb:// or mongodb+srv://".into(),
            });
        }
        let name = args.database.trim();
        if name.is_empty() || name.contains(['/', '\\', '.', ' ', '"', '$']) {
            return Err(SettingsError::Invalid {
                key: "COMPASS_DATABASE",
                reason: "must be a non-empty name without / \\ . space \" $".into(),
            });
        }
        if args.db_pool_size == 0 {
            return Err(SettingsError::Invalid {
                key: "COMPASS_DB_POOL_SIZE",
                reason: "must be at least 1".into(),
            });
        }
        for (key, secs) in [
            (
                "COMPASS_DB_CONNECT_TIMEOUT_SECS",
                args.db_connect_timeout_secs,
            ),
            (
                "COMPASS_DB_SELECTION_TIMEOUT_SECS",
                args.db_selection_timeout_secs,
            ),
        ] {
            if secs == 0 {
                return Err(SettingsError::Invalid {
                    key,
                    reason: "must be at least 1 second".into(),
                });
            }
        }
        Ok(Self {
            uri: Secret::new(uri),
            name: name.to_owned(),
            pool_size: args.db_pool_size,
            connect_timeout: Duration::from_secs(args.db_connect_timeout_secs),
            selection_timeout: Duration::from_secs(args.db_selection_timeout_secs),
        })
    }

    /// The host part of the URI (no user, no password), for error messages.
    pub fn host_for_display(&self) -> String {
        let uri = self.uri.expose();
        let rest = uri.split_once("://").map_or(uri, |(_, rest)| rest);
        let hosts = rest.split(['/', '?']).next().unwrap_or_default();
        hosts.rsplit_once('@').map_or(hosts, |(_, h)| h).to_owned()
    }
}

/// Google OAuth client and endpoints. Google is "configured" when `client_id` and `client_secret` are both set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoogleSettings {
    /// OAuth client id.
    pub client_id: Option<String>,
    /// OAuth client secret.
    pub client_secret: Option<Secret>,
    /// Authorization endpoint.
    pub auth_url: Url,
    /// Token endpoint.
    pub token_url: Url,
    /// Revocation endpoint.
    pub revoke_url: Url,
    /// OpenID userinfo endpoint.
    pub userinfo_url: Url,
    /// Calendar API base URL.
    pub calendar_api_url: Url,
}

impl GoogleSettings {
    /// Google's real endpoints, no client configured.
    pub fn unconfigured() -> Self {
        Self {
            client_id: None,
            client_secret: None,
            auth_url: fixed_url(GOOGLE_AUTH_URL),
            token_url: fixed_url(GOOGLE_TOKEN_URL),
            revoke_url: fixed_url(GOOGLE_REVOKE_URL),
            userinfo_url: fixed_url(GOOGLE_USERINFO_URL),
            calendar_api_url: fixed_url(GOOGLE_CALENDAR_API_URL),
        }
    }

    /// Points every endpoint at an emulator serving Google's paths under `base` (tests, local development).
    pub fn with_base_url(mut self, base: &Url) -> Self {
        let join = |path: &str| {
            let mut url = base.clone();
            url.set_path(path);
            url
        };
        self.auth_url = join("/o/oauth2/v2/auth");
        self.token_url = join("/token");
        self.revoke_url = join("/revoke");
        self.userinfo_url = join("/v1/userinfo");
        self.calendar_api_url = join("/calendar/v3");
        self
    }

    /// True when both the client id and the client secret are set.
    pub fn is_configured(&self) -> bool {
        self.client_id.is_some() && self.client_secret.is_some()
    }
}

/// SSE hub tuning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SseSettings {
    /// Interval between `: keepalive` comments.
    pub heartbeat: Duration,
    /// Per-connection queue length; a connection whose queue is full is dropped.
    pub queue: usize,
    /// Events remembered per user for `Last-Event-ID` resume.
    pub history: usize,
}

impl Default for SseSettings {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(25),
            queue: 64,
            history: 256,
        }
    }
}

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
                pool_size: 20,
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
            },
            body_limit: args.body_limit,
            shutdown_timeout: Duration::from_secs(args.shutdown_timeout_secs),
            workers: args.workers,
            web_dir: args.web_dir,
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

/// Parses a URL that must be http(s) with a host.
fn parse_http_url(key: &'static str, raw: &str) -> Result<Url, SettingsError> {
    let url = Url::parse(raw.trim()).map_err(|e| SettingsError::Invalid {
        key,
        reason: format!("not a URL ({e})"),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(SettingsError::Invalid {
            key,
            reason: "must be an http:// or https:// URL with a host".into(),
        });
    }
    Ok(url)
}

/// Parses one of the URL constants above; they are valid (a unit test parses each), so this cannot fail.
#[allow(clippy::expect_used)]
fn fixed_url(raw: &str) -> Url {
    Url::parse(raw).expect("built-in URL constants are valid")
}

/// Treats blank strings (and the reference's literal `"undefined"`) as absent.
fn non_blank(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty() && v != "undefined")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<Settings, SettingsError> {
        let mut argv = vec!["compass", "serve"];
        argv.extend_from_slice(args);
        let cli = Cli::try_parse_from(argv).expect("flags parse");
        match cli.command {
            crate::cli::Command::Serve(args) => Settings::from_args(*args),
            other => panic!("unexpected command {other:?}"),
        }
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
        let cli = Cli::try_parse_from([
            "compass",
            "serve",
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
