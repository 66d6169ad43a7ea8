//! [`SyncSettings`]: the Google sync engine's tuning (push-notification address, worker tick, polling
//! backstop, watch lifetime).

use std::time::Duration;

use url::Url;

/// The path Google posts push notifications to (under the public URL).
pub const NOTIFICATION_PATH: &str = "/api/sync/gcal/notifications";

/// Google sync tuning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSettings {
    /// Where Google posts notifications (`--notification-url`); `None` derives it from the public URL.
    pub notification_url: Option<Url>,
    /// How often the worker looks for dirty calendars and pending imports when nothing woke it.
    pub tick: Duration,
    /// A calendar not synced for this long is synced anyway (catches lost notifications).
    pub backstop: Duration,
    /// Lifetime asked for new watch channels.
    pub watch_ttl: Duration,
    /// Watches expiring within this margin are renewed.
    pub watch_renew_margin: Duration,
    /// Run the background worker (tests that inspect raw state may turn it off).
    pub worker: bool,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            notification_url: None,
            tick: Duration::from_secs(1),
            backstop: Duration::from_secs(15 * 60),
            watch_ttl: Duration::from_secs(7 * 24 * 3600),
            watch_renew_margin: Duration::from_secs(24 * 3600),
            worker: true,
        }
    }
}

impl SyncSettings {
    /// The address for watch channels: the configured one, else the public URL's notification path;
    /// `None` unless Google could use it (https) or it is a loopback address (the emulator).
    pub fn usable_notification_url(&self, public_url: &Url) -> Option<Url> {
        let url = match &self.notification_url {
            Some(url) => url.clone(),
            None => {
                let mut url = public_url.clone();
                url.set_path(NOTIFICATION_PATH);
                url.set_query(None);
                url
            }
        };
        let loopback = match url.host() {
            Some(url::Host::Domain(d)) => d == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        (url.scheme() == "https" || loopback).then_some(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notification_url_needs_https_or_loopback() {
        let settings = SyncSettings::default();
        let of = |s: &str| settings.usable_notification_url(&Url::parse(s).ok()?);
        assert_eq!(
            of("https://compass.example/").map(|u| u.to_string()),
            Some("https://compass.example/api/sync/gcal/notifications".into())
        );
        assert!(of("http://127.0.0.1:3000/").is_some());
        assert!(of("http://localhost:3000/").is_some());
        assert!(of("http://compass.example/").is_none());
    }
}
