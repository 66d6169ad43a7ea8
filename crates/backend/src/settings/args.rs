//! The raw command-line view of the configuration: [`ServeArgs`] (`compass serve`) and [`DbArgs`] (shared
//! with `compass migrate`). Every flag has an environment variable and a documented default
//! (`docs/operations.md`); nothing here is validated (that is [`super::Settings::from_args`]).

use clap::Args;

use super::google::{
    GOOGLE_AUTH_URL, GOOGLE_CALENDAR_API_URL, GOOGLE_REVOKE_URL, GOOGLE_TOKEN_URL,
    GOOGLE_USERINFO_URL,
};
use super::Secret;

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

    /// Open SSE streams per session; one more closes that session's oldest stream.
    #[arg(long, env = "COMPASS_SSE_MAX_PER_SESSION", default_value_t = 10)]
    pub sse_max_per_session: usize,

    /// Open SSE streams per user; one more closes that user's oldest stream.
    #[arg(long, env = "COMPASS_SSE_MAX_PER_USER", default_value_t = 20)]
    pub sse_max_per_user: usize,

    /// Open SSE streams per server process; more are refused with 503.
    #[arg(long, env = "COMPASS_SSE_MAX_STREAMS", default_value_t = 25_000)]
    pub sse_max_streams: usize,

    /// Seconds a resolved session and a user's metadata are reused when a stream opens (0: never).
    #[arg(long, env = "COMPASS_SSE_CACHE_SECS", default_value_t = 10)]
    pub sse_cache_secs: u64,

    /// Forward SSE events to the other server instances on the same database (MongoDB change streams).
    #[arg(long, env = "COMPASS_SSE_FANOUT", default_value_t = false)]
    pub sse_fanout: bool,

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

    /// Address Google posts push notifications to (https, or loopback for the emulator); default: the
    /// public URL + `/api/sync/gcal/notifications`. Not usable ⇒ no watches, the polling backstop only.
    #[arg(long, env = "COMPASS_NOTIFICATION_URL")]
    pub notification_url: Option<String>,

    /// Seconds after which a calendar is synced even without a notification (the polling backstop).
    #[arg(long, env = "COMPASS_SYNC_BACKSTOP_SECS", default_value_t = 900)]
    pub sync_backstop_secs: u64,
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
    #[arg(long, env = "COMPASS_DB_POOL_SIZE", default_value_t = 100)]
    pub db_pool_size: u32,

    /// Seconds one connection attempt to MongoDB may take.
    #[arg(long, env = "COMPASS_DB_CONNECT_TIMEOUT_SECS", default_value_t = 5)]
    pub db_connect_timeout_secs: u64,

    /// Seconds an operation waits for a usable MongoDB server before failing (503 to HTTP clients).
    #[arg(long, env = "COMPASS_DB_SELECTION_TIMEOUT_SECS", default_value_t = 5)]
    pub db_selection_timeout_secs: u64,
}
