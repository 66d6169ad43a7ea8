//! [`CalendarApi`] (one per server: the HTTP pool, the token endpoint, the [`RetryPolicy`] and the
//! counters) and [`CalendarClient`] (one per Google grant: its refresh token and cached access token),
//! with one method per Calendar v3 call the sync engine makes.
//!
//! Every call runs under the policy: each HTTP request has a timeout, the call as a whole a deadline,
//! failures are classified ([`GoogleError`]) and retried with backoff when that is safe:
//!
//! - **Reads** (`events.list/get/instances`, `calendarList.list`) and **idempotent writes**
//!   (`events.update/patch/delete`, `channels.stop`) are retried on every retryable class: 429, 403 rate
//!   limit/quota, 5xx, timeouts, broken connections. A retried delete that finds the event gone (410
//!   `deleted`) reports [`DeleteOutcome::AlreadyDeleted`]; a retried stop that finds no channel (404) after
//!   an attempt that may have stopped it reports success. A retried update/patch sent with `If-Match` may
//!   meet 412 because the first attempt did apply: callers refetch and compare, as for any 412.
//! - **Inserts with a Compass-chosen `id`** are retried like reads. If an attempt may have been applied
//!   (5xx, timeout, broken connection) and a later attempt meets 409 `duplicate`, the client reads the event
//!   with that id and returns it: the insert happened exactly once. A 409 on the first attempt, or when no
//!   earlier attempt can have been applied, is returned as [`GoogleError::Conflict`].
//! - **Inserts without an `id` and watches** (a channel id cannot be reused) are retried only after
//!   failures that cannot have been applied: 429, 403 rate limit/quota, refused connections.
//! - **401**: the access token is refreshed once and the request sent again; a second 401 is returned.
//!   `invalid_grant` from the token endpoint ends the call with [`GoogleError::Revoked`] at once.

use std::sync::Arc;

use compass_core::GoogleEventId;
use oauth2::{AccessToken, RefreshToken};
use reqwest::Method;
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use url::Url;

use super::error::{ApiErrorDetails, ErrorClass, GoogleError};
use super::metrics::{Metrics, MetricsSnapshot};
use super::retry::{parse_retry_after, RetryPolicy};
use super::token::{Grant, TokenEndpoint};
use super::types::{
    CalendarListPage, CalendarListQuery, Channel, Event, EventsPage, EventsQuery, InstancesQuery,
    WatchRequest,
};
use crate::settings::GoogleSettings;

/// Pages followed by the `*_all` helpers before they give up (a guard against a looping page token).
const MAX_PAGES: usize = 10_000;

/// What `events.delete` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// The event was deleted by this call.
    Deleted,
    /// It was already deleted (410 `deleted`), possibly by an earlier attempt of this call.
    AlreadyDeleted,
}

/// The Calendar methods, by Google's method id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    EventsList,
    EventsGet,
    EventsInsert,
    EventsPatch,
    EventsUpdate,
    EventsDelete,
    EventsInstances,
    EventsWatch,
    CalendarListList,
    CalendarListWatch,
    ChannelsStop,
}

impl Operation {
    fn id(self) -> &'static str {
        match self {
            Self::EventsList => "calendar.events.list",
            Self::EventsGet => "calendar.events.get",
            Self::EventsInsert => "calendar.events.insert",
            Self::EventsPatch => "calendar.events.patch",
            Self::EventsUpdate => "calendar.events.update",
            Self::EventsDelete => "calendar.events.delete",
            Self::EventsInstances => "calendar.events.instances",
            Self::EventsWatch => "calendar.events.watch",
            Self::CalendarListList => "calendar.calendarList.list",
            Self::CalendarListWatch => "calendar.calendarList.watch",
            Self::ChannelsStop => "calendar.channels.stop",
        }
    }

    /// Methods that take a sync token: there any 410 means the token is dead.
    fn is_listing(self) -> bool {
        matches!(self, Self::EventsList | Self::CalendarListList)
    }
}

/// When a failed attempt may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Replay {
    /// After any retryable failure (reads, idempotent writes, inserts carrying their id).
    Safe,
    /// Only after failures that cannot have been applied (inserts without id, watches).
    IfNotApplied,
}

/// One Calendar request, ready to be sent (again).
struct Call<'a> {
    op: Operation,
    method: Method,
    url: Url,
    query: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
    if_match: Option<&'a str>,
    replay: Replay,
}

/// A call that failed, and whether an attempt before the last may have been applied at Google.
struct Failure {
    error: GoogleError,
    maybe_applied_before: bool,
}

/// One failed attempt.
struct AttemptError {
    error: GoogleError,
    /// Google may have applied the request (5xx, timeout, connection broken after sending).
    maybe_applied: bool,
}

struct Shared {
    http: reqwest::Client,
    tokens: TokenEndpoint,
    base: Url,
    policy: RetryPolicy,
    metrics: Metrics,
}

/// The Calendar API for the whole server: HTTP connection pool, token endpoint, policy and counters.
/// Cheap to clone; make one [`CalendarClient`] per Google grant with [`CalendarApi::client`].
#[derive(Clone)]
pub struct CalendarApi {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for CalendarApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalendarApi")
            .field("base", &self.shared.base.as_str())
            .field("policy", &self.shared.policy)
            .finish_non_exhaustive()
    }
}

impl CalendarApi {
    /// A client of `settings.calendar_api_url` with tokens from `settings.token_url`.
    /// [`GoogleError::Config`] when the client id/secret are missing or a URL is unusable.
    pub fn new(settings: &GoogleSettings, policy: RetryPolicy) -> Result<Self, GoogleError> {
        let base = settings.calendar_api_url.clone();
        if base.cannot_be_a_base() || !matches!(base.scheme(), "http" | "https") {
            return Err(GoogleError::Config(format!(
                "the Calendar API URL must be http(s): {base}"
            )));
        }
        let policy = RetryPolicy {
            max_attempts: policy.max_attempts.max(1),
            ..policy
        };
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(policy.request_timeout)
            .connect_timeout(policy.connect_timeout)
            .build()
            .map_err(|e| GoogleError::Config(e.to_string()))?;
        let tokens = TokenEndpoint::new(settings, http.clone(), policy.request_timeout)?;
        Ok(Self {
            shared: Arc::new(Shared {
                http,
                tokens,
                base,
                policy,
                metrics: Metrics::default(),
            }),
        })
    }

    /// A client acting for the grant of `refresh_token` (decrypted by the caller). It starts without an
    /// access token and obtains one on its first call.
    pub fn client(&self, refresh_token: RefreshToken) -> CalendarClient {
        CalendarClient {
            api: self.clone(),
            grant: Arc::new(Grant::new(refresh_token)),
            quota_user: None,
        }
    }

    /// Like [`CalendarApi::client`], starting with an access token the caller already holds (e.g. from
    /// the sign-in code exchange) that Google said expires in `expires_in`.
    pub fn client_with_access_token(
        &self,
        refresh_token: RefreshToken,
        access_token: AccessToken,
        expires_in: std::time::Duration,
    ) -> CalendarClient {
        CalendarClient {
            api: self.clone(),
            grant: Arc::new(Grant::with_access_token(
                refresh_token,
                access_token,
                expires_in,
                self.shared.policy.token_refresh_margin,
            )),
            quota_user: None,
        }
    }

    /// The counters so far (all clients of this API).
    pub fn metrics(&self) -> MetricsSnapshot {
        self.shared.metrics.snapshot()
    }

    /// The policy every call runs under.
    pub fn policy(&self) -> &RetryPolicy {
        &self.shared.policy
    }
}

/// The Calendar API acting for one Google grant. Clones share the cached access token.
#[derive(Clone)]
pub struct CalendarClient {
    api: CalendarApi,
    grant: Arc<Grant>,
    quota_user: Option<String>,
}

impl std::fmt::Debug for CalendarClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalendarClient")
            .field("quota_user", &self.quota_user)
            .finish_non_exhaustive()
    }
}

impl CalendarClient {
    /// Sends `quotaUser` (a stable, non-identifying id of the Compass user) so that Google counts the
    /// per-user quota per Compass user.
    pub fn with_quota_user(mut self, quota_user: impl Into<String>) -> Self {
        self.quota_user = Some(quota_user.into());
        self
    }

    /// True once Google answered `invalid_grant` for this grant (every call then fails fast).
    pub async fn is_revoked(&self) -> bool {
        self.grant.is_revoked().await
    }

    /// `events.list`: one page.
    pub async fn list_events(
        &self,
        calendar_id: &str,
        query: &EventsQuery,
    ) -> Result<EventsPage, GoogleError> {
        let call = self.call(
            Operation::EventsList,
            Method::GET,
            &["calendars", calendar_id, "events"],
        );
        self.json(Call {
            query: query.pairs(),
            ..call
        })
        .await
    }

    /// `events.list` over every page: all items, and the `nextSyncToken` of the last page.
    pub async fn list_all_events(
        &self,
        calendar_id: &str,
        query: &EventsQuery,
    ) -> Result<EventsPage, GoogleError> {
        let mut page = self.list_events(calendar_id, query).await?;
        let mut items = std::mem::take(&mut page.items);
        for _ in 0..MAX_PAGES {
            let Some(token) = page.next_page_token.take() else {
                page.items = items;
                return Ok(page);
            };
            page = self.list_events(calendar_id, &query.page(token)).await?;
            items.append(&mut page.items);
        }
        Err(GoogleError::Unexpected(format!(
            "events.list did not end after {MAX_PAGES} pages"
        )))
    }

    /// `events.get` (cancelled events are returned too; instance ids work).
    pub async fn get_event(
        &self,
        calendar_id: &str,
        event_id: &GoogleEventId,
    ) -> Result<Event, GoogleError> {
        self.json(self.call(
            Operation::EventsGet,
            Method::GET,
            &["calendars", calendar_id, "events", event_id.as_str()],
        ))
        .await
    }

    /// `events.insert`. Give the event an `id` (base32hex, 5–1024 characters; Compass uses its own event
    /// id) so that the insert can be retried safely (see the module documentation).
    pub async fn insert_event(
        &self,
        calendar_id: &str,
        event: &Event,
    ) -> Result<Event, GoogleError> {
        let call = Call {
            body: Some(encode(event)?),
            replay: match event.id {
                Some(_) => Replay::Safe,
                None => Replay::IfNotApplied,
            },
            ..self.call(
                Operation::EventsInsert,
                Method::POST,
                &["calendars", calendar_id, "events"],
            )
        };
        match self.execute(&call).await {
            Ok(body) => decode(&body),
            Err(Failure {
                error: GoogleError::Conflict(details),
                maybe_applied_before: true,
            }) => match &event.id {
                Some(id) => self.recover_insert(calendar_id, id, details).await,
                None => Err(GoogleError::Conflict(details)),
            },
            Err(failure) => Err(failure.error),
        }
    }

    /// A retried insert met 409: if the event with our id exists (not cancelled), an earlier attempt
    /// created it.
    async fn recover_insert(
        &self,
        calendar_id: &str,
        id: &GoogleEventId,
        conflict: ApiErrorDetails,
    ) -> Result<Event, GoogleError> {
        match self.get_event(calendar_id, id).await {
            Ok(existing) if !existing.is_cancelled() => {
                self.api.shared.metrics.recovered_insert();
                tracing::info!(
                    operation = Operation::EventsInsert.id(),
                    "a retried insert met 409; the earlier attempt had created the event"
                );
                Ok(existing)
            }
            Ok(_) | Err(GoogleError::NotFound(_)) => Err(GoogleError::Conflict(conflict)),
            Err(other) => Err(other),
        }
    }

    /// `events.patch`: only the fields set in `patch` change (arrays replace; `start`/`end` merge). With
    /// `if_match`, a changed etag answers [`GoogleError::PreconditionFailed`].
    pub async fn patch_event(
        &self,
        calendar_id: &str,
        event_id: &GoogleEventId,
        patch: &Event,
        if_match: Option<&str>,
    ) -> Result<Event, GoogleError> {
        let call = Call {
            body: Some(encode(patch)?),
            if_match,
            ..self.call(
                Operation::EventsPatch,
                Method::PATCH,
                &["calendars", calendar_id, "events", event_id.as_str()],
            )
        };
        self.json(call).await
    }

    /// `events.update`: full replacement (fields absent from `event` are cleared — keep `extra`).
    pub async fn update_event(
        &self,
        calendar_id: &str,
        event_id: &GoogleEventId,
        event: &Event,
        if_match: Option<&str>,
    ) -> Result<Event, GoogleError> {
        let call = Call {
            body: Some(encode(event)?),
            if_match,
            ..self.call(
                Operation::EventsUpdate,
                Method::PUT,
                &["calendars", calendar_id, "events", event_id.as_str()],
            )
        };
        self.json(call).await
    }

    /// `events.delete` (an instance id cancels that instance). Already deleted is not an error.
    pub async fn delete_event(
        &self,
        calendar_id: &str,
        event_id: &GoogleEventId,
        if_match: Option<&str>,
    ) -> Result<DeleteOutcome, GoogleError> {
        let call = Call {
            if_match,
            ..self.call(
                Operation::EventsDelete,
                Method::DELETE,
                &["calendars", calendar_id, "events", event_id.as_str()],
            )
        };
        match self.execute(&call).await {
            Ok(_) => Ok(DeleteOutcome::Deleted),
            Err(Failure {
                error: GoogleError::Deleted(_),
                ..
            }) => Ok(DeleteOutcome::AlreadyDeleted),
            Err(failure) => Err(failure.error),
        }
    }

    /// `events.instances`: one page of a series' instances, exceptions applied.
    pub async fn list_instances(
        &self,
        calendar_id: &str,
        event_id: &GoogleEventId,
        query: &InstancesQuery,
    ) -> Result<EventsPage, GoogleError> {
        let call = self.call(
            Operation::EventsInstances,
            Method::GET,
            &[
                "calendars",
                calendar_id,
                "events",
                event_id.as_str(),
                "instances",
            ],
        );
        self.json(Call {
            query: query.pairs(),
            ..call
        })
        .await
    }

    /// `events.watch`: a channel for changes of the calendar's events.
    pub async fn watch_events(
        &self,
        calendar_id: &str,
        request: &WatchRequest,
    ) -> Result<Channel, GoogleError> {
        let call = Call {
            body: Some(encode(request)?),
            replay: Replay::IfNotApplied,
            ..self.call(
                Operation::EventsWatch,
                Method::POST,
                &["calendars", calendar_id, "events", "watch"],
            )
        };
        self.json(call).await
    }

    /// `calendarList.list`: one page.
    pub async fn list_calendars(
        &self,
        query: &CalendarListQuery,
    ) -> Result<CalendarListPage, GoogleError> {
        let call = self.call(
            Operation::CalendarListList,
            Method::GET,
            &["users", "me", "calendarList"],
        );
        self.json(Call {
            query: query.pairs(),
            ..call
        })
        .await
    }

    /// `calendarList.list` over every page: all entries, and the `nextSyncToken` of the last page.
    pub async fn list_all_calendars(
        &self,
        query: &CalendarListQuery,
    ) -> Result<CalendarListPage, GoogleError> {
        let mut page = self.list_calendars(query).await?;
        let mut items = std::mem::take(&mut page.items);
        for _ in 0..MAX_PAGES {
            let Some(token) = page.next_page_token.take() else {
                page.items = items;
                return Ok(page);
            };
            page = self.list_calendars(&query.page(token)).await?;
            items.append(&mut page.items);
        }
        Err(GoogleError::Unexpected(format!(
            "calendarList.list did not end after {MAX_PAGES} pages"
        )))
    }

    /// `calendarList.watch`: a channel for changes of the user's calendar list.
    pub async fn watch_calendar_list(
        &self,
        request: &WatchRequest,
    ) -> Result<Channel, GoogleError> {
        let call = Call {
            body: Some(encode(request)?),
            replay: Replay::IfNotApplied,
            ..self.call(
                Operation::CalendarListWatch,
                Method::POST,
                &["users", "me", "calendarList", "watch"],
            )
        };
        self.json(call).await
    }

    /// `channels.stop`. A 404 after an attempt that may already have stopped the channel is success.
    pub async fn stop_channel(
        &self,
        channel_id: &str,
        resource_id: &str,
    ) -> Result<(), GoogleError> {
        let body = serde_json::json!({"id": channel_id, "resourceId": resource_id});
        let call = Call {
            body: Some(encode(&body)?),
            ..self.call(Operation::ChannelsStop, Method::POST, &["channels", "stop"])
        };
        match self.execute(&call).await {
            Ok(_)
            | Err(Failure {
                error: GoogleError::NotFound(_),
                maybe_applied_before: true,
            }) => Ok(()),
            Err(failure) => Err(failure.error),
        }
    }

    fn call(&self, op: Operation, method: Method, segments: &[&str]) -> Call<'static> {
        let mut url = self.api.shared.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        Call {
            op,
            method,
            url,
            query: Vec::new(),
            body: None,
            if_match: None,
            replay: Replay::Safe,
        }
    }

    async fn json<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T, GoogleError> {
        let body = self.execute(&call).await.map_err(|f| f.error)?;
        decode(&body)
    }

    /// Runs `call` under the policy (attempts, backoff, deadline) and counts the outcome.
    async fn execute(&self, call: &Call<'_>) -> Result<Vec<u8>, Failure> {
        let shared = &self.api.shared;
        shared.metrics.call();
        let deadline = later(shared.policy.deadline);
        let result = match tokio::time::timeout_at(deadline, self.attempts(call, deadline)).await {
            Ok(result) => result,
            Err(_) => Err(Failure {
                error: GoogleError::DeadlineExceeded(shared.policy.deadline),
                maybe_applied_before: true,
            }),
        };
        match &result {
            Ok(_) => shared.metrics.success(),
            Err(failure) => {
                let class = failure.error.class();
                shared.metrics.call_error(class);
                tracing::debug!(
                    operation = call.op.id(),
                    class = class.as_str(),
                    error = %failure.error,
                    "Google Calendar call failed"
                );
            }
        }
        result
    }

    async fn attempts(&self, call: &Call<'_>, deadline: Instant) -> Result<Vec<u8>, Failure> {
        let shared = &self.api.shared;
        let policy = &shared.policy;
        let mut attempt = 0u32;
        let mut refused: Option<AccessToken> = None;
        let mut refreshed_after_401 = false;
        let mut maybe_applied_before = false;
        loop {
            attempt += 1;
            let outcome = match self
                .grant
                .access_token(
                    &shared.tokens,
                    policy.token_refresh_margin,
                    refused.as_ref(),
                    &shared.metrics,
                )
                .await
            {
                // Nothing reached the Calendar API: a failed refresh cannot have applied anything.
                Err(error) => Err(AttemptError {
                    error,
                    maybe_applied: false,
                }),
                Ok(token) => {
                    shared.metrics.attempt();
                    let outcome = self.send(call, &token).await;
                    if matches!(
                        outcome,
                        Err(AttemptError {
                            error: GoogleError::Unauthorized(_),
                            ..
                        })
                    ) {
                        refused = Some(token);
                    }
                    outcome
                }
            };
            let AttemptError {
                error,
                maybe_applied,
            } = match outcome {
                Ok(body) => return Ok(body),
                Err(e) => e,
            };
            let class = error.class();
            shared.metrics.attempt_error(class);
            if class == ErrorClass::Unauthorized && !refreshed_after_401 {
                // One fresh access token, then the same request again (not counted as a retry).
                refreshed_after_401 = true;
                attempt -= 1;
                shared.metrics.unauthorized_refresh();
                continue;
            }
            let replayable = match call.replay {
                Replay::Safe => true,
                Replay::IfNotApplied => !maybe_applied,
            };
            let fail = |error| {
                Err(Failure {
                    error,
                    maybe_applied_before,
                })
            };
            if !error.is_retryable() || !replayable || attempt >= policy.max_attempts {
                return fail(error);
            }
            let retry_after = error.retry_after();
            if retry_after.is_some_and(|wait| wait > policy.max_retry_after) {
                return fail(error);
            }
            let wait = policy.backoff(attempt, retry_after);
            if later(wait) >= deadline {
                return fail(error);
            }
            maybe_applied_before |= maybe_applied;
            shared.metrics.retry();
            tracing::debug!(
                operation = call.op.id(),
                attempt,
                class = class.as_str(),
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "retrying a Google Calendar call"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// One HTTP request. The body of a success; a classified error otherwise.
    async fn send(&self, call: &Call<'_>, token: &AccessToken) -> Result<Vec<u8>, AttemptError> {
        let shared = &self.api.shared;
        let timeout = shared.policy.request_timeout;
        let mut request = shared
            .http
            .request(call.method.clone(), call.url.clone())
            .timeout(timeout)
            .bearer_auth(token.secret())
            .query(&call.query);
        if let Some(quota_user) = &self.quota_user {
            request = request.query(&[("quotaUser", quota_user)]);
        }
        if let Some(etag) = call.if_match {
            request = request.header(reqwest::header::IF_MATCH, etag);
        }
        if let Some(body) = &call.body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let transport = |e: reqwest::Error| AttemptError {
            // A refused connection sent nothing; anything later may have reached Google.
            maybe_applied: !e.is_connect(),
            error: GoogleError::from_reqwest(&e, timeout),
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body = response.bytes().await.map_err(transport)?;
        if status.is_success() {
            return Ok(body.to_vec());
        }
        let details = ApiErrorDetails::parse(status.as_u16(), &body, retry_after);
        Err(AttemptError {
            maybe_applied: status.is_server_error(),
            error: GoogleError::from_api(details, call.op.is_listing()),
        })
    }
}

/// Now plus `wait`, saturating far in the future (a huge configured or announced duration never panics).
pub(crate) fn later(wait: std::time::Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(wait)
        .or_else(|| now.checked_add(std::time::Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(now)
}

fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, GoogleError> {
    serde_json::to_vec(value).map_err(|e| GoogleError::Unexpected(format!("unencodable body: {e}")))
}

fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, GoogleError> {
    serde_json::from_slice(body)
        .map_err(|e| GoogleError::Unexpected(format!("unreadable answer: {e}")))
}
