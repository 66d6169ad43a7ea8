//! The Google body of a Compass event (the reference's `toGcal`, backend spec §3.5): `summary`,
//! `description`, `start`/`end` (`date` or `dateTime` as stored), `status: confirmed`,
//! `extendedProperties.private` `{origin, priority, compassId}`, the rule of a series base. `timeZone` is
//! the event's IANA zone (`timeZone` stored on it: the zone Compass expands the series in, so Google expands
//! it the same way across DST); without one it is derived from the stored UTC offset (`Etc/GMT∓N` for whole
//! hours, `UTC` else, [`zone_for_offset`]) — never the server's zone (§15 item 14). Used by
//! [`super::to_google`].

use chrono::FixedOffset;
use compass_core::EventDate;
use serde_json::{json, Map, Value};

use crate::google::calendar::{Event, EventStatus, ExtendedProperties};
use crate::store::events::EventDoc;

/// The IANA zone Google expands a timed event in, derived from its UTC offset (`Etc/GMT-2` for +02:00 — POSIX signs are inverted —, `UTC` for +00:00
/// and for offsets that are not whole hours).
pub fn zone_for_offset(offset: FixedOffset) -> String {
    let seconds = offset.local_minus_utc();
    if seconds == 0 || seconds % 3600 != 0 {
        return "UTC".to_owned();
    }
    let hours = seconds / 3600;
    if !(-12..=14).contains(&hours) {
        return "UTC".to_owned();
    }
    // Etc/GMT-2 is two hours *ahead* of UTC.
    if hours > 0 {
        format!("Etc/GMT-{hours}")
    } else {
        format!("Etc/GMT+{}", -hours)
    }
}

/// `start`/`end` as Google wants them, timed ones in `zone` when the event has one. `patch`: the other form
/// is cleared with `null` (a patch merges).
fn date_json(date: EventDate, zone: Option<&str>, patch: bool) -> Value {
    match date {
        EventDate::Day(day) => {
            let mut at = json!({ "date": day.format("%Y-%m-%d").to_string() });
            if patch {
                at["dateTime"] = Value::Null;
                at["timeZone"] = Value::Null;
            }
            at
        }
        EventDate::Timed(instant) => {
            let mut at = json!({
                "dateTime": instant.to_rfc3339(),
                "timeZone": zone
                    .map(str::to_owned)
                    .unwrap_or_else(|| zone_for_offset(*instant.offset())),
            });
            if patch {
                at["date"] = Value::Null;
            }
            at
        }
    }
}

/// The Google body of a Compass event (the reference's `toGcal`, §3.5). `patch`: for `events.patch`
/// (fields Compass does not hold are cleared explicitly: the other date form, a former rule).
pub fn google_body(doc: &EventDoc, patch: bool) -> Event {
    let mut extra = Map::new();
    let zone = doc.time_zone.as_deref();
    extra.insert("start".into(), date_json(doc.start_date(), zone, patch));
    extra.insert("end".into(), date_json(doc.end_date(), zone, patch));
    let instance = doc.base_id().is_some();
    let rule = doc.recurrence.as_ref().and_then(|r| r.rule.clone());
    if patch && !instance && rule.is_none() {
        extra.insert("recurrence".into(), Value::Null);
    }
    let private = [
        ("origin", doc.origin.as_str().to_owned()),
        ("priority", doc.priority.as_str().to_owned()),
        ("compassId", doc.id.to_hex()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Event {
        status: Some(EventStatus::Confirmed),
        summary: Some(doc.title.clone().unwrap_or_default()),
        description: Some(doc.description.clone().unwrap_or_default()),
        recurrence: if instance { None } else { rule },
        extended_properties: Some(ExtendedProperties {
            private: Some(private),
            shared: None,
        }),
        extra,
        ..Event::default()
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn whole_hour_offsets_map_to_etc_zones_with_posix_signs() {
        let zone = |h: i32| {
            zone_for_offset(
                FixedOffset::east_opt(h * 3600)
                    .unwrap_or(FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!())),
            )
        };
        assert_eq!(zone(2), "Etc/GMT-2");
        assert_eq!(zone(-5), "Etc/GMT+5");
        assert_eq!(zone(0), "UTC");
        let half = FixedOffset::east_opt(5 * 3600 + 1800).expect("a valid offset");
        assert_eq!(zone_for_offset(half), "UTC");
    }
}
