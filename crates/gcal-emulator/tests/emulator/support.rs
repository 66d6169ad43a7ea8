//! Test support: an emulator per test on a random port with one signed-in user, HTTP helpers that speak to
//! it only over HTTP, and a tiny local receiver for push notifications.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use gcal_emulator::control::ControlClient;
use gcal_emulator::{Emulator, EmulatorConfig, RunningEmulator};
use reqwest::Method;
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// The signed-in user of every test.
pub const ALICE: &str = "alice@example.com";

/// A response: status, JSON body (Null when empty or not JSON), headers.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Resp {
    /// `error.errors[0].reason` of a Google error.
    pub fn reason(&self) -> &str {
        self.body["error"]["errors"][0]["reason"]
            .as_str()
            .unwrap_or_default()
    }
}

/// An emulator with Alice signed in.
pub struct TestEmu {
    pub emu: RunningEmulator,
    pub base: String,
    pub http: reqwest::Client,
    pub ctl: ControlClient,
    pub token: String,
    pub refresh_token: String,
    pub client_id: String,
}

/// Starts an emulator with the default configuration, but exact listings (full pages, detailed cancelled
/// instances) so page counts are predictable; `strictness.rs` covers Google's short pages and sparse entries.
pub async fn spawn() -> TestEmu {
    spawn_with(EmulatorConfig {
        listing: gcal_emulator::ListingBehaviour::exact(),
        ..EmulatorConfig::default()
    })
    .await
}

/// Starts an emulator with `config`, creates Alice and mints her tokens.
pub async fn spawn_with(config: EmulatorConfig) -> TestEmu {
    let emu = Emulator::spawn(config).await.expect("emulator starts");
    let base = emu.base_url();
    let ctl = ControlClient::new(base.clone());
    ctl.create_user(ALICE, Some("Alice")).await.unwrap();
    let tokens = ctl.mint_tokens(ALICE).await.unwrap();
    TestEmu {
        emu,
        base,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        ctl,
        token: tokens.access_token,
        refresh_token: tokens.refresh_token.unwrap(),
        client_id: tokens.client_id,
    }
}

/// Percent-encodes a path segment.
pub fn enc(s: &str) -> String {
    s.replace('@', "%40").replace('#', "%23")
}

impl TestEmu {
    /// Full URL of a Calendar API path (`/calendars/...`).
    pub fn api(&self, path: &str) -> String {
        format!("{}/calendar/v3{path}", self.base)
    }

    /// Sends a request with a bearer token (or none).
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        token: Option<&str>,
        query: &[(&str, &str)],
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = self.http.request(method, url).query(query);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            body,
            headers,
        }
    }

    /// GET a Calendar path as Alice.
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Resp {
        self.send(
            Method::GET,
            &self.api(path),
            Some(&self.token),
            query,
            None,
            &[],
        )
        .await
    }

    /// POST JSON to a Calendar path as Alice.
    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.send(
            Method::POST,
            &self.api(path),
            Some(&self.token),
            &[],
            Some(body),
            &[],
        )
        .await
    }

    /// PATCH JSON as Alice.
    pub async fn patch(&self, path: &str, body: &Value) -> Resp {
        self.send(
            Method::PATCH,
            &self.api(path),
            Some(&self.token),
            &[],
            Some(body),
            &[],
        )
        .await
    }

    /// PUT JSON as Alice.
    pub async fn put(&self, path: &str, body: &Value) -> Resp {
        self.send(
            Method::PUT,
            &self.api(path),
            Some(&self.token),
            &[],
            Some(body),
            &[],
        )
        .await
    }

    /// DELETE as Alice.
    pub async fn delete(&self, path: &str) -> Resp {
        self.send(
            Method::DELETE,
            &self.api(path),
            Some(&self.token),
            &[],
            None,
            &[],
        )
        .await
    }

    /// Watches a calendar's events as Alice (`calendar` as in the path, e.g. `primary`); panics unless 200.
    pub async fn watch(&self, calendar: &str, id: &str, address: &str) -> Value {
        let r = self
            .post(
                &format!("/calendars/{}/events/watch", enc(calendar)),
                &json!({"id": id, "type": "web_hook", "address": address}),
            )
            .await;
        assert_eq!(r.status, 200, "watch failed: {:?}", r.body);
        r.body
    }

    /// Moves the virtual clock forward and mints Alice a fresh access token (hers would expire with an hour's
    /// advance, as Google's do).
    pub async fn advance(&mut self, seconds: u64) {
        self.ctl.advance_clock(seconds).await.unwrap();
        self.token = self.ctl.mint_tokens(ALICE).await.unwrap().access_token;
    }

    /// Creates another user with tokens; returns the access token.
    pub async fn other_user(&self, email: &str) -> String {
        self.ctl.create_user(email, None).await.unwrap();
        self.ctl.mint_tokens(email).await.unwrap().access_token
    }

    /// Inserts an event in Alice's primary calendar; panics unless 200.
    pub async fn insert(&self, event: Value) -> Value {
        let r = self.post("/calendars/primary/events", &event).await;
        assert_eq!(r.status, 200, "insert failed: {:?}", r.body);
        r.body
    }

    /// Walks every page of events.list with `query`; returns (items, nextSyncToken, pages).
    pub async fn list_all(&self, query: &[(&str, &str)]) -> (Vec<Value>, String, usize) {
        let mut items = Vec::new();
        let mut page: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut q: Vec<(&str, &str)> = query.to_vec();
            if let Some(p) = &page {
                q.push(("pageToken", p.as_str()));
            }
            let r = self.get("/calendars/primary/events", &q).await;
            assert_eq!(r.status, 200, "list failed: {:?}", r.body);
            pages += 1;
            items.extend(r.body["items"].as_array().unwrap().iter().cloned());
            match r.body["nextPageToken"].as_str() {
                Some(p) => {
                    assert!(
                        r.body.get("nextSyncToken").is_none(),
                        "nextSyncToken only on the last page"
                    );
                    page = Some(p.to_owned());
                }
                None => {
                    return (
                        items,
                        r.body["nextSyncToken"]
                            .as_str()
                            .expect("last page has nextSyncToken")
                            .to_owned(),
                        pages,
                    )
                }
            }
        }
    }
}

/// A timed event body.
pub fn timed(summary: &str, start: &str, end: &str) -> Value {
    json!({"summary": summary, "start": {"dateTime": start}, "end": {"dateTime": end}})
}

/// One received push notification: lower-case header names to values.
pub type Notification = HashMap<String, String>;

/// A local HTTP server on port 0 that records every POST it receives.
pub struct Receiver {
    pub url: String,
    pub rx: mpsc::UnboundedReceiver<Notification>,
    pub status: Arc<AtomicU16>,
    handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    /// Starts the receiver.
    pub async fn start() -> Self {
        let (tx, rx) = mpsc::unbounded_channel::<Notification>();
        let status = Arc::new(AtomicU16::new(200));
        let answer = status.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || {
            let tx = tx.clone();
            let answer = answer.clone();
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let tx = tx.clone();
                let answer = answer.clone();
                async move {
                    let mut n: Notification = req
                        .headers()
                        .iter()
                        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                        .collect();
                    n.insert("x-body-length".into(), body.len().to_string());
                    n.insert("x-path".into(), req.path().to_owned());
                    let code = answer.load(Ordering::SeqCst);
                    let _ = tx.send(n);
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap())
                        .finish()
                }
            }))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}/notify"),
            rx,
            status,
            handle,
        }
    }

    /// Next notification, waiting at most 10 s.
    pub async fn next(&mut self) -> Notification {
        tokio::time::timeout(Duration::from_secs(10), self.rx.recv())
            .await
            .expect("a notification within 10 s")
            .expect("receiver open")
    }

    /// The next `n` notifications, each within the deadline of [`Receiver::next`].
    pub async fn take(&mut self, n: usize) -> Vec<Notification> {
        let mut out = Vec::new();
        for _ in 0..n {
            out.push(self.next().await);
        }
        out
    }

    /// Whatever arrived already, without waiting.
    pub fn drain(&mut self) -> Vec<Notification> {
        let mut out = Vec::new();
        while let Ok(n) = self.rx.try_recv() {
            out.push(n);
        }
        out
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

/// `X-Goog-Message-Number` of a notification.
pub fn number(n: &Notification) -> u64 {
    n["x-goog-message-number"].parse().unwrap()
}

/// Polls `check` until it is true or 10 s pass.
pub async fn eventually<F, Fut>(mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}
