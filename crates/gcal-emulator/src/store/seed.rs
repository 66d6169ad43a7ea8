//! A fresh store built from the configuration's seed (users, their calendars and events): at start-up and
//! on the control API's reset.

use crate::clock::Clock;
use crate::config::{EmulatorConfig, Seed};
use crate::error::EmulatorError;

use super::Store;

/// Builds a store holding the configuration's seed, reading `clock`.
pub(crate) fn fresh_store(config: &EmulatorConfig, clock: Clock) -> Result<Store, EmulatorError> {
    let mut store = Store::new(config, clock);
    if let Some(seed) = &config.seed {
        apply_seed(&mut store, seed)?;
    }
    Ok(store)
}

fn apply_seed(store: &mut Store, seed: &Seed) -> Result<(), EmulatorError> {
    let fail = |what: &str, e: crate::error::ApiError| {
        EmulatorError::Seed(format!("{what}: {}", e.message))
    };
    for u in &seed.users {
        let user = store
            .ensure_user(&u.email, u.name.as_deref(), u.time_zone.as_deref())
            .map_err(|e| fail(&u.email, e))?;
        for ev in &u.events {
            store
                .insert_event(&user.email, "primary", ev)
                .map_err(|e| fail("event", e))?;
        }
        for c in &u.calendars {
            let zone = c
                .time_zone
                .clone()
                .or_else(|| u.time_zone.clone())
                .unwrap_or_else(|| "UTC".to_owned());
            let entry = store
                .create_calendar(&user.email, c.id.as_deref(), &c.summary, &zone, false)
                .map_err(|e| fail(&c.summary, e))?;
            let cal_id = entry
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            for ev in &c.events {
                store
                    .insert_event(&user.email, &cal_id, ev)
                    .map_err(|e| fail("event", e))?;
            }
        }
    }
    Ok(())
}
