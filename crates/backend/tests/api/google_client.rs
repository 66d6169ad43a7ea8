//! The Google Calendar client (`google::calendar`) over HTTP against a real emulator on a random port:
//! paging and sync tokens, 410 on an expired token, every fault the emulator injects (429 with
//! `Retry-After`, 403 rate limit vs permission, 5xx, slow answers), revoked grants, access-token refresh
//! (on expiry and on 401), safe retries of inserts, deletes and channel stops, and the counters.
//!
//! These tests need no database: each starts its own emulator and a `CalendarApi` with a fast
//! `RetryPolicy` (milliseconds of backoff) so that faults cost little time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use compass_backend::google::calendar::{
    CalendarApi, CalendarClient, CalendarListQuery, DeleteOutcome, ErrorClass, ErrorReason, Event,
    EventDateTime, EventStatus, EventsQuery, ExtendedProperties, GoogleError, InstancesQuery,
    RetryPolicy, WatchRequest,
};
use compass_backend::settings::{GoogleSettings, Secret};
use compass_core::GoogleEventId;
use gcal_emulator::control::ControlClient;
use gcal_emulator::{Emulator, EmulatorConfig, FaultKind, FaultSpec, RunningEmulator};
use oauth2::{AccessToken, RefreshToken};
use serde_json::{json, Value};

const EMAIL: &str = "ann@example.com";
/// The client the emulator's control API mints grants for.
const CLIENT_ID: &str = "emulator-client";

/// Milliseconds of backoff, a short request timeout, a bounded deadline.
fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(40),
        max_retry_after: Duration::from_secs(5),
        request_timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(1),
        deadline: Duration::from_secs(10),
        token_refresh_margin: Duration::from_secs(60),
    }
}

/// One emulator with one user, and a `CalendarApi` pointed at it.
struct Google {
    emulator: RunningEmulator,
    control: ControlClient,
    api: CalendarApi,
}

impl Google {
    async fn start() -> Self {
        Self::start_with(EmulatorConfig::default(), fast_policy()).await
    }

    async fn start_with(config: EmulatorConfig, policy: RetryPolicy) -> Self {
        crate::support::log::init();
        let emulator = Emulator::spawn(config).await.expect("emulator starts");
        let base = url::Url::parse(&emulator.base_url()).unwrap();
        let mut settings = GoogleSettings::unconfigured().with_base_url(&base);
        settings.client_id = Some(CLIENT_ID.into());
        settings.client_secret = Some(Secret::new("emulator-secret"));
        let control = ControlClient::new(emulator.base_url());
        control.create_user(EMAIL, Some("Ann")).await.unwrap();
        let api = CalendarApi::new(&settings, policy).expect("the client builds");
        Self {
            emulator,
            control,
            api,
        }
    }

    /// A client for a fresh grant of [`EMAIL`] with the default scopes.
    async fn client(&self) -> CalendarClient {
        let tokens = self.control.mint_tokens(EMAIL).await.unwrap();
        self.api.client(RefreshToken::new(
            tokens.refresh_token.expect("offline grant"),
        ))
    }

    /// A client for a grant with only `scope`.
    async fn client_with_scope(&self, scope: &str) -> CalendarClient {
        let url = format!(
            "{}/_emulator/users/{EMAIL}/tokens",
            self.emulator.base_url()
        );
        let tokens: Value = reqwest::Client::new()
            .post(url)
            .json(&json!({"scope": scope}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let refresh = tokens["refresh_token"].as_str().expect("a refresh token");
        self.api.client(RefreshToken::new(refresh.to_owned()))
    }

    async fn fault(&self, spec: FaultSpec) {
        self.control.add_fault(&spec).await.unwrap();
    }

    /// How many requests of `operation` the emulator saw.
    async fn count(&self, operation: &str) -> usize {
        self.control.requests(Some(operation)).await.unwrap().len()
    }

    /// Each fault kind, injected twice on `pattern`, is retried: a full listing succeeds on the third
    /// `events.list` attempt.
    async fn assert_listing_retried(
        &self,
        client: &CalendarClient,
        pattern: &str,
        kinds: &[FaultKind],
    ) {
        for &kind in kinds {
            self.control.clear_requests().await.unwrap();
            self.fault(FaultSpec::new(pattern, kind).times(2)).await;
            client
                .list_events(EMAIL, &EventsQuery::full())
                .await
                .unwrap_or_else(|e| panic!("{kind:?} is retried: {e:?}"));
            assert_eq!(self.count("calendar.events.list").await, 3, "{kind:?}");
        }
    }

    /// Inserts an event as the user would in Google's UI.
    async fn ui_insert(&self, summary: &str, day: u32) -> Value {
        self.control
            .insert_event(EMAIL, EMAIL, &timed_json(summary, day))
            .await
            .unwrap()
    }
}

fn timed_json(summary: &str, day: u32) -> Value {
    json!({
        "summary": summary,
        "start": {"dateTime": format!("2030-01-{day:02}T09:00:00Z"), "timeZone": "UTC"},
        "end": {"dateTime": format!("2030-01-{day:02}T10:00:00Z"), "timeZone": "UTC"},
    })
}

fn timed(id: Option<&str>, summary: &str, day: u32) -> Event {
    let mut event: Event = serde_json::from_value(timed_json(summary, day)).unwrap();
    event.id = id.map(|id| GoogleEventId::parse(id).unwrap());
    event
}

fn gid(id: &str) -> GoogleEventId {
    GoogleEventId::parse(id).unwrap()
}

fn ids(events: &[Event]) -> Vec<String> {
    let mut ids: Vec<String> = events
        .iter()
        .filter_map(|e| e.id.as_ref().map(|id| id.as_str().to_owned()))
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn paging_and_sync_token_round_trip() {
    let google = Google::start().await;
    let mut expected = Vec::new();
    for day in 1..=23 {
        let event = google.ui_insert(&format!("Event {day}"), day).await;
        expected.push(event["id"].as_str().unwrap().to_owned());
    }
    expected.sort();
    let client = google.client().await;

    let full = client
        .list_all_events(EMAIL, &EventsQuery::full().max_results(5))
        .await
        .unwrap();
    assert_eq!(ids(&full.items), expected, "every event exactly once");
    assert!(full.next_page_token.is_none());
    let token = full
        .next_sync_token
        .expect("the last page has a sync token");
    assert!(
        google.count("calendar.events.list").await >= 5,
        "23 events in pages of at most 5"
    );
    // Only the last page carries the sync token.
    let first = client
        .list_events(EMAIL, &EventsQuery::full().max_results(5))
        .await
        .unwrap();
    assert!(first.next_page_token.is_some() && first.next_sync_token.is_none());

    // Changes in Google's UI: one edit, one delete, one new event.
    let edited = expected[0].clone();
    let deleted = expected[1].clone();
    google
        .control
        .patch_event(EMAIL, EMAIL, &edited, &json!({"summary": "Edited"}))
        .await
        .unwrap();
    google
        .control
        .delete_event(EMAIL, EMAIL, &deleted)
        .await
        .unwrap();
    let added = google.ui_insert("Added", 28).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let delta = client
        .list_all_events(EMAIL, &EventsQuery::incremental(&token).max_results(2))
        .await
        .unwrap();
    let mut changed = vec![edited.clone(), deleted.clone(), added.clone()];
    changed.sort();
    assert_eq!(ids(&delta.items), changed);
    let by_id = |id: &str| {
        delta
            .items
            .iter()
            .find(|e| e.id.as_ref().map(GoogleEventId::as_str) == Some(id))
            .unwrap()
            .clone()
    };
    assert!(by_id(&deleted).is_cancelled());
    assert_eq!(by_id(&edited).summary.as_deref(), Some("Edited"));
    assert!(by_id(&edited).updated.is_some() && by_id(&edited).etag.is_some());
    let requests = google
        .control
        .requests(Some("calendar.events.list"))
        .await
        .unwrap();
    assert!(
        requests.iter().any(|r| r.query.contains("syncToken=")),
        "the token was sent"
    );

    // Nothing changed since: an empty delta and a token again.
    let next = delta.next_sync_token.expect("a new sync token");
    let quiet = client
        .list_all_events(EMAIL, &EventsQuery::incremental(&next))
        .await
        .unwrap();
    assert!(quiet.items.is_empty());
    assert!(quiet.next_sync_token.is_some());
}

#[tokio::test]
async fn an_expired_sync_token_is_full_sync_required_and_not_retried() {
    let google = Google::start().await;
    google.ui_insert("One", 2).await;
    let client = google.client().await;
    let token = client
        .list_all_events(EMAIL, &EventsQuery::full())
        .await
        .unwrap()
        .next_sync_token
        .unwrap();
    google
        .control
        .expire_sync_tokens(Some(EMAIL), Some(EMAIL))
        .await
        .unwrap();
    google.control.clear_requests().await.unwrap();

    let error = client
        .list_events(EMAIL, &EventsQuery::incremental(&token))
        .await
        .unwrap_err();
    assert!(
        matches!(error, GoogleError::FullSyncRequired(_)),
        "{error:?}"
    );
    assert_eq!(error.reason(), Some(&ErrorReason::FullSyncRequired));
    assert_eq!(google.count("calendar.events.list").await, 1);

    // A token that is not Google's is a 400, not a 410.
    let error = client
        .list_events(EMAIL, &EventsQuery::incremental("not-a-token"))
        .await
        .unwrap_err();
    assert_eq!(error.class(), ErrorClass::BadRequest, "{error:?}");

    // The calendar list has its own sync token, and it expires too.
    let list_token = client
        .list_all_calendars(&CalendarListQuery::default())
        .await
        .unwrap()
        .next_sync_token
        .unwrap();
    google
        .control
        .expire_sync_tokens(Some(EMAIL), None)
        .await
        .unwrap();
    let error = client
        .list_calendars(&CalendarListQuery::incremental(list_token))
        .await
        .unwrap_err();
    assert_eq!(error.class(), ErrorClass::FullSyncRequired, "{error:?}");
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after() {
    let google = Google::start().await;
    let client = google.client().await;
    google
        .fault(
            FaultSpec::new("calendar.events.list", FaultKind::RateLimit429)
                .times(1)
                .retry_after(1),
        )
        .await;
    let before = google.api.metrics();
    let started = Instant::now();
    client
        .list_events(EMAIL, &EventsQuery::full())
        .await
        .expect("the retry succeeds");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited for Retry-After (backoff alone is milliseconds): {:?}",
        started.elapsed()
    );
    assert_eq!(google.count("calendar.events.list").await, 2);
    let delta = google.api.metrics().since(&before);
    assert_eq!(delta.attempt_errors(ErrorClass::TooManyRequests), 1);
    assert_eq!(delta.retries, 1);
    assert_eq!(delta.successes, 1);
    assert_eq!(delta.failures(), 0);
}

#[tokio::test]
async fn a_retry_after_beyond_the_limit_ends_the_call_at_once() {
    let google = Google::start().await;
    let client = google.client().await;
    google
        .fault(
            FaultSpec::new("calendar.events.list", FaultKind::RateLimit429)
                .times(1)
                .retry_after(3600),
        )
        .await;
    let started = Instant::now();
    let error = client
        .list_events(EMAIL, &EventsQuery::full())
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(error.class(), ErrorClass::TooManyRequests);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(google.count("calendar.events.list").await, 1);
}

#[tokio::test]
async fn rate_limit_403s_are_retried_and_surface_as_rate_limited_when_they_persist() {
    let google = Google::start().await;
    let client = google.client().await;
    google
        .assert_listing_retried(
            &client,
            "calendar.events.list",
            &[
                FaultKind::RateLimit403,
                FaultKind::UserRateLimit403,
                FaultKind::QuotaExceeded,
            ],
        )
        .await;

    google.control.clear_requests().await.unwrap();
    google
        .fault(FaultSpec::new(
            "calendar.events.list",
            FaultKind::UserRateLimit403,
        ))
        .await;
    let before = google.api.metrics();
    let error = client
        .list_events(EMAIL, &EventsQuery::full())
        .await
        .unwrap_err();
    assert!(matches!(error, GoogleError::RateLimited(_)), "{error:?}");
    assert_eq!(error.reason(), Some(&ErrorReason::UserRateLimitExceeded));
    let attempts = fast_policy().max_attempts as usize;
    assert_eq!(google.count("calendar.events.list").await, attempts);
    let delta = google.api.metrics().since(&before);
    assert_eq!(delta.call_errors(ErrorClass::RateLimited), 1);
    assert_eq!(
        delta.attempt_errors(ErrorClass::RateLimited),
        attempts as u64
    );
}

#[tokio::test]
async fn insufficient_permissions_is_forbidden_and_not_retried() {
    let google = Google::start().await;
    let client = google.client_with_scope("openid email").await;
    let error = client
        .list_events(EMAIL, &EventsQuery::full())
        .await
        .unwrap_err();
    assert!(matches!(error, GoogleError::Forbidden(_)), "{error:?}");
    assert_eq!(error.reason(), Some(&ErrorReason::InsufficientPermissions));
    assert!(!error.is_retryable());
    assert_eq!(google.count("calendar.events.list").await, 1);
    // A read-only grant may list but not write.
    let reader = google
        .client_with_scope("https://www.googleapis.com/auth/calendar.readonly")
        .await;
    reader
        .list_events(EMAIL, &EventsQuery::full())
        .await
        .unwrap();
    let error = reader
        .insert_event(EMAIL, &timed(Some("reader0001"), "No", 3))
        .await
        .unwrap_err();
    assert_eq!(error.class(), ErrorClass::Forbidden, "{error:?}");
    assert_eq!(google.count("calendar.events.insert").await, 1);
}

#[tokio::test]
async fn server_errors_are_retried_and_surface_as_server_when_they_persist() {
    let google = Google::start().await;
    let client = google.client().await;
    google
        .assert_listing_retried(
            &client,
            "calendar.events.*",
            &[FaultKind::BackendError, FaultKind::ServiceUnavailable],
        )
        .await;

    google.control.clear_requests().await.unwrap();
    google
        .fault(FaultSpec::new(
            "calendar.calendarList.list",
            FaultKind::ServiceUnavailable,
        ))
        .await;
    let error = client
        .list_calendars(&CalendarListQuery::default())
        .await
        .unwrap_err();
    assert!(matches!(error, GoogleError::Server(_)), "{error:?}");
    assert_eq!(error.details().map(|d| d.status), Some(503));
    assert_eq!(
        google.count("calendar.calendarList.list").await,
        fast_policy().max_attempts as usize
    );
}

#[tokio::test]
async fn a_slow_answer_times_out_and_is_retried() {
    let policy = RetryPolicy {
        request_timeout: Duration::from_millis(300),
        ..fast_policy()
    };
    let google = Google::start_with(EmulatorConfig::default(), policy).await;
    let client = google.client().await;
    google
        .fault(
            FaultSpec::new("calendar.events.list", FaultKind::Latency)
                .latency(1500)
                .times(1),
        )
        .await;
    let before = google.api.metrics();
    let started = Instant::now();
    client
        .list_events(EMAIL, &EventsQuery::full())
        .await
        .expect("the second attempt answers");
    assert!(
        started.elapsed() < Duration::from_millis(1400),
        "did not wait for the slow answer"
    );
    let delta = google.api.metrics().since(&before);
    assert_eq!(delta.attempt_errors(ErrorClass::Timeout), 1);
    assert_eq!(delta.successes, 1);
}

#[tokio::test]
async fn a_call_never_outlives_its_deadline() {
    let policy = RetryPolicy {
        request_timeout: Duration::from_millis(400),
        deadline: Duration::from_millis(900),
        max_attempts: 10,
        ..fast_policy()
    };
    let google = Google::start_with(EmulatorConfig::default(), policy).await;
    let client = google.client().await;
    google
        .fault(FaultSpec::new("calendar.events.get", FaultKind::Latency).latency(10_000))
        .await;
    let started = Instant::now();
    let error = client
        .get_event(EMAIL, &gid("missing01"))
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(error.class(), ErrorClass::Timeout, "{error:?}");
    assert!(
        took < Duration::from_millis(2500),
        "the 900 ms deadline held (the answer would take 10 s): {took:?}"
    );
    assert!(took >= Duration::from_millis(400));
}

#[tokio::test]
async fn a_revoked_grant_is_revoked_and_then_fails_fast() {
    let google = Google::start().await;
    let client = google.client().await;
    google.control.revoke_user(EMAIL).await.unwrap();
    let error = client
        .list_events(EMAIL, &EventsQuery::full())
        .await
        .unwrap_err();
    assert!(matches!(error, GoogleError::Revoked), "{error:?}");
    assert!(client.is_revoked().await);
    assert_eq!(google.count("oauth.token").await, 1);
    assert_eq!(google.count("calendar.events.list").await, 0);
    // No second trip to the token endpoint.
    let error = client
        .list_calendars(&CalendarListQuery::default())
        .await
        .unwrap_err();
    assert_eq!(error.class(), ErrorClass::Revoked);
    assert_eq!(google.count("oauth.token").await, 1);
    assert_eq!(google.api.metrics().call_errors(ErrorClass::Revoked), 2);
}

#[tokio::test]
async fn a_grant_revoked_while_an_access_token_is_cached_is_revoked() {
    let google = Google::start().await;
    let client = google.client().await;
    client
        .list_events(EMAIL, &EventsQuery::full())
        .await
        .unwrap();
    google.control.revoke_user(EMAIL).await.unwrap();
    let error = client
        .list_events(EMAIL, &EventsQuery::full())
        .await
        .unwrap_err();
    assert!(matches!(error, GoogleError::Revoked), "{error:?}");
    // The cached token got a 401, the refresh an invalid_grant.
    let lists = google
        .control
        .requests(Some("calendar.events.list"))
        .await
        .unwrap();
    assert_eq!(
        lists.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![200, 401]
    );
}

#[tokio::test]
async fn an_expired_refresh_token_is_revoked_too() {
    let google = Google::start().await;
    let client = google.client().await;
    google.control.expire_refresh_tokens(EMAIL).await.unwrap();
    let error = client
        .list_calendars(&CalendarListQuery::default())
        .await
        .unwrap_err();
    assert_eq!(error.class(), ErrorClass::Revoked);
}

#[tokio::test]
async fn an_access_token_refused_with_401_is_refreshed_once() {
    let google = Google::start().await;
    let client = google.client().await;
    client
        .list_events(EMAIL, &EventsQuery::full())
        .await
        .unwrap();
    google.control.expire_access_tokens(EMAIL).await.unwrap();
    let before = google.api.metrics();
    client
        .list_events(EMAIL, &EventsQuery::full())
        .await
        .expect("refreshed and sent again");
    let delta = google.api.metrics().since(&before);
    assert_eq!(delta.unauthorized_refreshes, 1);
    assert_eq!(delta.token_refreshes, 1);
    assert_eq!(delta.retries, 0, "a refresh is not a backoff");
    let lists = google
        .control
        .requests(Some("calendar.events.list"))
        .await
        .unwrap();
    assert_eq!(
        lists.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![200, 401, 200]
    );

    // A 401 that a fresh token does not cure is returned after exactly one refresh.
    google.control.clear_requests().await.unwrap();
    google
        .fault(FaultSpec::new("calendar.events.list", FaultKind::AuthError))
        .await;
    let error = client
        .list_events(EMAIL, &EventsQuery::full())
        .await
        .unwrap_err();
    assert!(matches!(error, GoogleError::Unauthorized(_)), "{error:?}");
    assert_eq!(google.count("calendar.events.list").await, 2);
    assert_eq!(google.count("oauth.token").await, 1);
}

#[tokio::test]
async fn the_access_token_is_cached_and_refreshed_shortly_before_it_expires() {
    let config = EmulatorConfig {
        access_token_lifetime: Duration::from_secs(10),
        ..EmulatorConfig::default()
    };
    let policy = RetryPolicy {
        token_refresh_margin: Duration::from_secs(8),
        ..fast_policy()
    };
    let google = Google::start_with(config, policy).await;
    let client = google.client().await;
    for _ in 0..3 {
        client
            .list_events(EMAIL, &EventsQuery::full())
            .await
            .unwrap();
    }
    assert_eq!(
        google.count("oauth.token").await,
        1,
        "one token for three calls"
    );
    // Two seconds into its 10 s lifetime (margin 8 s) the token counts as expired; Google still takes it.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    client
        .list_events(EMAIL, &EventsQuery::full())
        .await
        .unwrap();
    assert_eq!(google.count("oauth.token").await, 2);
    let statuses: Vec<u16> = google
        .control
        .requests(Some("calendar.events.list"))
        .await
        .unwrap()
        .iter()
        .map(|r| r.status)
        .collect();
    assert!(
        statuses.iter().all(|s| *s == 200),
        "never sent an expired token: {statuses:?}"
    );
}

#[tokio::test]
async fn a_known_access_token_is_used_until_google_refuses_it() {
    let google = Google::start().await;
    let tokens = google.control.mint_tokens(EMAIL).await.unwrap();
    let client = google.api.client_with_access_token(
        RefreshToken::new(tokens.refresh_token.unwrap()),
        AccessToken::new(tokens.access_token),
        Duration::from_secs(tokens.expires_in),
    );
    client
        .list_events(EMAIL, &EventsQuery::full())
        .await
        .unwrap();
    assert_eq!(google.count("oauth.token").await, 0, "no refresh needed");
    google.control.expire_access_tokens(EMAIL).await.unwrap();
    client
        .list_events(EMAIL, &EventsQuery::full())
        .await
        .unwrap();
    assert_eq!(google.count("oauth.token").await, 1);
}

#[tokio::test]
async fn clones_and_concurrent_calls_share_one_refresh() {
    let google = Google::start().await;
    let client = google.client().await;
    let calls = (0..6).map(|_| {
        let client = client.clone();
        async move { client.list_events(EMAIL, &EventsQuery::full()).await }
    });
    for result in futures::future::join_all(calls).await {
        result.unwrap();
    }
    assert_eq!(google.count("oauth.token").await, 1);
}

#[tokio::test]
async fn token_endpoint_outages_are_retried() {
    let google = Google::start().await;
    let client = google.client().await;
    google
        .fault(FaultSpec::new("oauth.token", FaultKind::ServiceUnavailable).times(1))
        .await;
    google
        .fault(FaultSpec::new("oauth.token", FaultKind::RateLimit429).times(1))
        .await;
    client
        .list_events(EMAIL, &EventsQuery::full())
        .await
        .expect("the third token request succeeds");
    assert_eq!(google.count("oauth.token").await, 3);
    assert_eq!(google.count("calendar.events.list").await, 1);
}

#[tokio::test]
async fn events_crud_round_trip() {
    let google = Google::start().await;
    let client = google.client().await;
    let id = gid("5f1b2c3d4e5f60718293a4b5");

    let mut event = timed(Some(id.as_str()), "Plan", 7);
    event.extended_properties = Some(ExtendedProperties {
        private: Some([("compassEventId".to_owned(), id.as_str().to_owned())].into()),
        shared: None,
    });
    event
        .extra
        .insert("attendees".into(), json!([{"email": "bob@example.com"}]));
    let created = client.insert_event(EMAIL, &event).await.unwrap();
    assert_eq!(created.id.as_ref(), Some(&id));
    assert_eq!(created.status, Some(EventStatus::Confirmed));
    assert_eq!(
        created.private_property("compassEventId"),
        Some(id.as_str())
    );

    let fetched = client.get_event(EMAIL, &id).await.unwrap();
    assert_eq!(fetched.etag, created.etag);

    let patch = Event {
        summary: Some("Plan (moved)".into()),
        start: Some(EventDateTime {
            date_time: Some("2030-01-08T09:00:00Z".parse().unwrap()),
            ..EventDateTime::default()
        }),
        end: Some(EventDateTime {
            date_time: Some("2030-01-08T10:00:00Z".parse().unwrap()),
            ..EventDateTime::default()
        }),
        ..Event::default()
    };
    let patched = client
        .patch_event(EMAIL, &id, &patch, fetched.etag.as_deref())
        .await
        .unwrap();
    assert_eq!(patched.summary.as_deref(), Some("Plan (moved)"));
    assert_eq!(
        patched.start.as_ref().and_then(|s| s.time_zone.as_deref()),
        Some("UTC"),
        "patch merges start"
    );
    assert_ne!(patched.etag, fetched.etag);

    // A stale etag: 412, not retried.
    let error = client
        .patch_event(EMAIL, &id, &patch, fetched.etag.as_deref())
        .await
        .unwrap_err();
    assert!(
        matches!(error, GoogleError::PreconditionFailed(_)),
        "{error:?}"
    );

    // Read-modify-write keeps the fields the client does not model.
    let mut full = patched.clone();
    full.description = Some("Agenda".into());
    let updated = client
        .update_event(EMAIL, &id, &full, patched.etag.as_deref())
        .await
        .unwrap();
    assert_eq!(updated.description.as_deref(), Some("Agenda"));
    assert_eq!(updated.extra["attendees"][0]["email"], "bob@example.com");

    // A reused id: 409 on the first attempt is the caller's business.
    let error = client.insert_event(EMAIL, &event).await.unwrap_err();
    assert!(matches!(error, GoogleError::Conflict(_)), "{error:?}");
    assert_eq!(error.reason(), Some(&ErrorReason::Duplicate));

    assert_eq!(
        client.delete_event(EMAIL, &id, None).await.unwrap(),
        DeleteOutcome::Deleted
    );
    assert_eq!(
        client.delete_event(EMAIL, &id, None).await.unwrap(),
        DeleteOutcome::AlreadyDeleted
    );
    assert!(client.get_event(EMAIL, &id).await.unwrap().is_cancelled());

    let error = client
        .get_event(EMAIL, &gid("nosuchevent"))
        .await
        .unwrap_err();
    assert!(matches!(error, GoogleError::NotFound(_)), "{error:?}");
    let error = client
        .list_events("nobody@example.com", &EventsQuery::full())
        .await
        .unwrap_err();
    assert_eq!(error.class(), ErrorClass::NotFound, "{error:?}");
}

#[tokio::test]
async fn an_insert_with_its_id_is_retried_and_creates_one_event() {
    let google = Google::start().await;
    let client = google.client().await;
    google
        .fault(FaultSpec::new("calendar.events.insert", FaultKind::BackendError).times(2))
        .await;
    let created = client
        .insert_event(EMAIL, &timed(Some("compassid0001"), "Once", 9))
        .await
        .unwrap();
    assert_eq!(created.summary.as_deref(), Some("Once"));
    assert_eq!(google.count("calendar.events.insert").await, 3);
    let stored = google.control.events(EMAIL, EMAIL).await.unwrap();
    assert_eq!(stored.len(), 1);
}

#[tokio::test]
async fn an_insert_without_id_is_retried_only_when_it_cannot_have_been_applied() {
    let google = Google::start().await;
    let client = google.client().await;
    // A 5xx may have been applied: not retried.
    google
        .fault(FaultSpec::new("calendar.events.insert", FaultKind::BackendError).times(1))
        .await;
    let error = client
        .insert_event(EMAIL, &timed(None, "Maybe", 10))
        .await
        .unwrap_err();
    assert_eq!(error.class(), ErrorClass::Server);
    assert_eq!(google.count("calendar.events.insert").await, 1);
    // A rate limit refusal was not applied: retried.
    google
        .fault(FaultSpec::new("calendar.events.insert", FaultKind::RateLimit429).times(1))
        .await;
    client
        .insert_event(EMAIL, &timed(None, "Surely", 11))
        .await
        .unwrap();
    assert_eq!(google.count("calendar.events.insert").await, 3);
    assert_eq!(google.control.events(EMAIL, EMAIL).await.unwrap().len(), 1);
}

#[tokio::test]
async fn series_instances() {
    let google = Google::start().await;
    let client = google.client().await;
    let mut series = timed(Some("series00001"), "Standup", 6);
    series.recurrence = Some(vec!["RRULE:FREQ=DAILY;COUNT=5".into()]);
    client.insert_event(EMAIL, &series).await.unwrap();
    let instances = client
        .list_instances(EMAIL, &gid("series00001"), &InstancesQuery::default())
        .await
        .unwrap();
    assert_eq!(instances.items.len(), 5);
    for instance in &instances.items {
        assert_eq!(
            instance
                .recurring_event_id
                .as_ref()
                .map(GoogleEventId::as_str),
            Some("series00001")
        );
        assert!(instance.original_start_time.is_some());
    }
    // Cancel one instance by its id; it shows up cancelled with showDeleted.
    let second = instances.items[1].id.clone().unwrap();
    client.delete_event(EMAIL, &second, None).await.unwrap();
    let query = InstancesQuery {
        show_deleted: Some(true),
        ..InstancesQuery::default()
    };
    let after = client
        .list_instances(EMAIL, &gid("series00001"), &query)
        .await
        .unwrap();
    let cancelled: Vec<_> = after.items.iter().filter(|e| e.is_cancelled()).collect();
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0].id.as_ref(), Some(&second));
}

#[tokio::test]
async fn calendar_list_watches_and_channel_stop() {
    let google = Google::start().await;
    let client = google.client().await;
    let team = google.control.create_calendar(EMAIL, "Team").await.unwrap();
    let team_id = team["id"].as_str().unwrap().to_owned();

    let list = client
        .list_all_calendars(&CalendarListQuery::default())
        .await
        .unwrap();
    assert_eq!(list.items.len(), 2);
    let primary = list
        .items
        .iter()
        .find(|c| c.primary)
        .expect("a primary calendar");
    assert_eq!(primary.id, EMAIL);
    assert!(list.items.iter().any(|c| c.id == team_id && !c.primary));
    let token = list.next_sync_token.expect("a sync token");
    google
        .control
        .change_calendar(EMAIL, &team_id, &json!({"summary": "Team (renamed)"}))
        .await
        .unwrap();
    let delta = client
        .list_all_calendars(&CalendarListQuery::incremental(token))
        .await
        .unwrap();
    assert_eq!(delta.items.len(), 1);
    assert_eq!(delta.items[0].summary.as_deref(), Some("Team (renamed)"));

    let expires = chrono::Utc::now() + chrono::Duration::hours(1);
    let request = WatchRequest::new("channel-events-1", "http://127.0.0.1:9/notifications")
        .with_token("verify-me")
        .expiring_at(expires);
    let channel = client.watch_events(EMAIL, &request).await.unwrap();
    assert_eq!(channel.id, "channel-events-1");
    let resource = channel.resource_id.clone().expect("a resource id");
    let at = channel.expires_at().expect("an expiration");
    assert!(at <= expires + chrono::Duration::seconds(1));
    let list_channel = client
        .watch_calendar_list(&WatchRequest::new(
            "channel-list-1",
            "http://127.0.0.1:9/notifications",
        ))
        .await
        .unwrap();
    assert!(list_channel.resource_id.is_some());
    assert_eq!(google.control.channels().await.unwrap().len(), 2);

    client.stop_channel(&channel.id, &resource).await.unwrap();
    assert_eq!(google.control.channels().await.unwrap().len(), 1);
    // Stopping it again (no earlier attempt of this call stopped it): 404.
    let error = client
        .stop_channel(&channel.id, &resource)
        .await
        .unwrap_err();
    assert_eq!(error.class(), ErrorClass::NotFound, "{error:?}");

    // A watch is not retried after a failure that may have created the channel.
    google
        .fault(FaultSpec::new("calendar.events.watch", FaultKind::BackendError).times(1))
        .await;
    let error = client
        .watch_events(
            EMAIL,
            &WatchRequest::new("channel-events-2", "http://127.0.0.1:9/n"),
        )
        .await
        .unwrap_err();
    assert_eq!(error.class(), ErrorClass::Server);
    assert_eq!(google.count("calendar.events.watch").await, 2);
}

#[tokio::test]
async fn windows_expansion_and_quota_user_reach_google() {
    let google = Google::start().await;
    let mut series = timed(Some("range00001"), "Daily", 1);
    series.recurrence = Some(vec!["RRULE:FREQ=DAILY;COUNT=10".into()]);
    let client = google.client().await.with_quota_user("user-42");
    client.insert_event(EMAIL, &series).await.unwrap();
    let query = EventsQuery {
        single_events: Some(true),
        time_min: Some("2030-01-03T00:00:00Z".parse().unwrap()),
        time_max: Some("2030-01-06T00:00:00Z".parse().unwrap()),
        ..EventsQuery::default()
    };
    let page = client.list_all_events(EMAIL, &query).await.unwrap();
    let starts: Vec<String> = page
        .items
        .iter()
        .filter_map(|e| e.start.as_ref()?.date_time.map(|t| t.to_rfc3339()))
        .collect();
    assert_eq!(
        starts,
        vec![
            "2030-01-03T09:00:00+00:00",
            "2030-01-04T09:00:00+00:00",
            "2030-01-05T09:00:00+00:00"
        ]
    );
    let requests = google
        .control
        .requests(Some("calendar.events.list"))
        .await
        .unwrap();
    let query = &requests.last().unwrap().query;
    for part in [
        "quotaUser=user-42",
        "singleEvents=true",
        "timeMin=2030-01-03T00%3A00%3A00Z",
    ] {
        assert!(query.contains(part), "{part} in {query}");
    }
}

#[tokio::test]
async fn secrets_stay_out_of_debug_and_errors() {
    let google = Google::start().await;
    let tokens = google.control.mint_tokens(EMAIL).await.unwrap();
    let refresh = tokens.refresh_token.clone().unwrap();
    let client = google.api.client(RefreshToken::new(refresh.clone()));
    client
        .list_events(EMAIL, &EventsQuery::full())
        .await
        .unwrap();
    google.control.revoke_user(EMAIL).await.unwrap();
    let error = client
        .list_events(EMAIL, &EventsQuery::full())
        .await
        .unwrap_err();
    for text in [
        format!("{client:?}"),
        format!("{:?}", google.api),
        format!("{error}"),
        format!("{error:?}"),
    ] {
        assert!(!text.contains(&refresh), "{text}");
        assert!(!text.contains(&tokens.access_token), "{text}");
    }
}

// ---- Faults the emulator gained with `emu-b`: 502/504, connection resets, commit-then-fail, the clock. ----

#[tokio::test]
async fn bad_gateway_and_gateway_timeout_are_retried() {
    let google = Google::start().await;
    let client = google.client().await;
    google
        .assert_listing_retried(
            &client,
            "calendar.events.list",
            &[FaultKind::BadGateway, FaultKind::GatewayTimeout],
        )
        .await;
    google
        .fault(FaultSpec::new(
            "calendar.events.get",
            FaultKind::GatewayTimeout,
        ))
        .await;
    let error = client
        .get_event(EMAIL, &gid("missing01"))
        .await
        .unwrap_err();
    assert!(matches!(error, GoogleError::Server(_)), "{error:?}");
    assert_eq!(error.details().map(|d| d.status), Some(504));
}

#[tokio::test]
async fn a_connection_reset_is_retried_and_surfaces_as_transport_when_it_persists() {
    let google = Google::start().await;
    let client = google.client().await;
    google
        .fault(FaultSpec::new("calendar.calendarList.list", FaultKind::ConnectionReset).times(1))
        .await;
    let before = google.api.metrics();
    client
        .list_calendars(&CalendarListQuery::default())
        .await
        .expect("the second attempt answers");
    let delta = google.api.metrics().since(&before);
    assert_eq!(delta.attempt_errors(ErrorClass::Transport), 1);
    assert_eq!(delta.successes, 1);

    google
        .fault(FaultSpec::new(
            "calendar.calendarList.list",
            FaultKind::ConnectionReset,
        ))
        .await;
    let error = client
        .list_calendars(&CalendarListQuery::default())
        .await
        .unwrap_err();
    assert!(matches!(error, GoogleError::Transport(_)), "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn an_insert_applied_then_failed_is_recognised_and_makes_one_event() {
    let google = Google::start().await;
    let client = google.client().await;
    let kinds = [
        FaultKind::BackendError,
        FaultKind::GatewayTimeout,
        FaultKind::ConnectionReset,
    ];
    for (n, kind) in kinds.into_iter().enumerate() {
        let id = format!("commitfail{n:04}");
        google.control.clear_requests().await.unwrap();
        google
            .fault(
                FaultSpec::new("calendar.events.insert", kind)
                    .after_commit()
                    .times(1),
            )
            .await;
        let before = google.api.metrics();
        let created = client
            .insert_event(EMAIL, &timed(Some(&id), "Exactly once", 12))
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: {e:?}"));
        assert_eq!(
            created.id.as_ref().map(GoogleEventId::as_str),
            Some(id.as_str())
        );
        assert_eq!(created.summary.as_deref(), Some("Exactly once"));
        let delta = google.api.metrics().since(&before);
        assert_eq!(delta.recovered_inserts, 1, "{kind:?}");
        let statuses: Vec<u16> = google
            .control
            .requests(Some("calendar.events.insert"))
            .await
            .unwrap()
            .iter()
            .map(|r| r.status)
            .collect();
        assert_eq!(statuses.len(), 2, "{kind:?}: {statuses:?}");
        assert_eq!(statuses[1], 409, "{kind:?}: the retry met its own event");
    }
    let stored = google.control.events(EMAIL, EMAIL).await.unwrap();
    assert_eq!(
        stored.len(),
        kinds.len(),
        "one event per insert: {stored:#?}"
    );
}

#[tokio::test]
async fn an_insert_without_id_applied_then_failed_is_not_replayed() {
    let google = Google::start().await;
    let client = google.client().await;
    google
        .fault(
            FaultSpec::new("calendar.events.insert", FaultKind::ConnectionReset)
                .after_commit()
                .times(1),
        )
        .await;
    let error = client
        .insert_event(EMAIL, &timed(None, "No id", 13))
        .await
        .unwrap_err();
    assert_eq!(error.class(), ErrorClass::Transport, "{error:?}");
    assert_eq!(google.count("calendar.events.insert").await, 1);
    // Not replayed, so no duplicate: the one event the lost answer was about.
    assert_eq!(google.control.events(EMAIL, EMAIL).await.unwrap().len(), 1);
}

#[tokio::test]
async fn deletes_stops_and_patches_applied_then_failed_end_in_the_intended_state() {
    let google = Google::start().await;
    let client = google.client().await;
    let id = gid("applied00001");
    let created = client
        .insert_event(EMAIL, &timed(Some(id.as_str()), "Twice", 14))
        .await
        .unwrap();

    // A patch applied, answer lost: the replay leaves the same state.
    google
        .fault(
            FaultSpec::new("calendar.events.patch", FaultKind::ServiceUnavailable)
                .after_commit()
                .times(1),
        )
        .await;
    let patch = Event {
        summary: Some("Patched".into()),
        ..Event::default()
    };
    let patched = client.patch_event(EMAIL, &id, &patch, None).await.unwrap();
    assert_eq!(patched.summary.as_deref(), Some("Patched"));
    // With If-Match the replay meets the etag its own first attempt moved: 412, as documented.
    google
        .fault(
            FaultSpec::new("calendar.events.patch", FaultKind::BackendError)
                .after_commit()
                .times(1),
        )
        .await;
    let error = client
        .patch_event(EMAIL, &id, &patch, patched.etag.as_deref())
        .await
        .unwrap_err();
    assert_eq!(error.class(), ErrorClass::PreconditionFailed, "{error:?}");
    assert_ne!(created.etag, patched.etag);

    // A delete applied, answer lost: the replay finds it deleted.
    google
        .fault(
            FaultSpec::new("calendar.events.delete", FaultKind::ConnectionReset)
                .after_commit()
                .times(1),
        )
        .await;
    assert_eq!(
        client.delete_event(EMAIL, &id, None).await.unwrap(),
        DeleteOutcome::AlreadyDeleted
    );
    assert!(client.get_event(EMAIL, &id).await.unwrap().is_cancelled());

    // A channel stop applied, answer lost: the replay's 404 is success.
    let channel = client
        .watch_events(
            EMAIL,
            &WatchRequest::new("stop-twice-1", "http://127.0.0.1:9/n"),
        )
        .await
        .unwrap();
    google
        .fault(
            FaultSpec::new("calendar.channels.stop", FaultKind::BackendError)
                .after_commit()
                .times(1),
        )
        .await;
    client
        .stop_channel(&channel.id, channel.resource_id.as_deref().unwrap())
        .await
        .expect("the stop happened");
    assert!(google.control.channels().await.unwrap().is_empty());
    assert_eq!(google.count("calendar.channels.stop").await, 2);
}

#[tokio::test]
async fn an_access_token_outlived_on_googles_clock_is_refreshed_on_401() {
    let google = Google::start().await;
    let client = google.client().await;
    client
        .list_events(EMAIL, &EventsQuery::full())
        .await
        .unwrap();
    // An hour passes at Google; our cache still believes the token is fresh.
    google.control.advance_clock(3600).await.unwrap();
    let before = google.api.metrics();
    client
        .list_events(EMAIL, &EventsQuery::full())
        .await
        .unwrap();
    let delta = google.api.metrics().since(&before);
    assert_eq!(delta.unauthorized_refreshes, 1);
    assert_eq!(delta.token_refreshes, 1);
}
