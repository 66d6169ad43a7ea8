//! The side-by-side reference of the SSE benchmark: a minimal actix-web-lab SSE hub (`--server-lab`).
//!
//! What a small project would write from actix-web-lab's `sse` example: per user (here: per cookie value, no
//! authentication and no database), a list of `mpsc` senders; each connection is
//! `Sse::from_infallible_receiver` with a 25 s keep-alive; publishing `try_send`s an `sse::Event` (rendered
//! per connection by actix-web-lab) to every sender of every user. It speaks the same wire protocol as
//! Compass's stream for the benchmark's raw clients (`USER_METADATA` first, then `EVENT_CHANGED` with
//! `{"n":..,"t":..}`), so the same clients, N and rounds run against both in one benchmark run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer, Responder};
use actix_web_lab::sse;
use tokio::sync::mpsc;

/// Per-connection queue length (the same as Compass's default).
const QUEUE: usize = 64;

/// The minimal hub: senders by user key.
#[derive(Clone, Default)]
pub struct LabHub {
    clients: Arc<Mutex<HashMap<String, Vec<mpsc::Sender<sse::Event>>>>>,
}

impl LabHub {
    /// Publishes one `EVENT_CHANGED` per user (its data made by `data`) to each of the user's connections;
    /// a full or closed queue drops the connection.
    pub fn publish_round(&self, mut data: impl FnMut() -> String) {
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        for senders in clients.values_mut() {
            let event: sse::Event = sse::Data::new(data()).event("EVENT_CHANGED").into();
            senders.retain(|tx| tx.try_send(event.clone()).is_ok());
        }
    }

    /// Starts the server on a free 127.0.0.1 port (actix's default worker count, like Compass); returns the
    /// port and the server.
    pub fn serve(&self) -> std::io::Result<(u16, actix_web::dev::Server)> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let data = web::Data::new(self.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/api/events/stream", web::get().to(stream))
                .route("/api/user/metadata", web::get().to(metadata))
        })
        .disable_signals()
        .h1_allow_half_closed(false)
        .listen(listener)?
        .run();
        Ok((port, server))
    }
}

async fn stream(req: HttpRequest, hub: web::Data<LabHub>) -> impl Responder {
    let key = req
        .headers()
        .get("cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (tx, rx) = mpsc::channel(QUEUE);
    let _ = tx.try_send(sse::Data::new("{}").event("USER_METADATA").into());
    hub.clients
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(key)
        .or_default()
        .push(tx);
    sse::Sse::from_infallible_receiver(rx).with_keep_alive(Duration::from_secs(25))
}

/// The probe route: a trivial JSON answer (no session, no database).
async fn metadata() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body("{}")
}
