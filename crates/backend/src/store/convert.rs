//! Conversions between the wire types of compass-core and what is stored: ObjectIds and BSON dates.
//!
//! Ids are stored as ObjectIds everywhere (the reference mixed strings and ObjectIds); dates that are
//! queried are stored as BSON dates (the reference compared strings).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use compass_core::{EventId, PriorityId, UserId};
use mongodb::bson::{self, oid::ObjectId};

/// The ObjectId behind a user id.
pub fn user_oid(user: &UserId) -> ObjectId {
    ObjectId::from_bytes(user.to_bytes())
}

/// The ObjectId behind an event id.
pub fn event_oid(event: &EventId) -> ObjectId {
    ObjectId::from_bytes(event.to_bytes())
}

/// The ObjectId behind a priority id.
pub fn priority_oid(priority: &PriorityId) -> ObjectId {
    ObjectId::from_bytes(priority.to_bytes())
}

/// The user id of a stored ObjectId.
pub fn user_id(oid: ObjectId) -> UserId {
    UserId::from_bytes(oid.bytes())
}

/// The event id of a stored ObjectId.
pub fn event_id(oid: ObjectId) -> EventId {
    EventId::from_bytes(oid.bytes())
}

/// The priority id of a stored ObjectId.
pub fn priority_id(oid: ObjectId) -> PriorityId {
    PriorityId::from_bytes(oid.bytes())
}

/// A chrono instant as a BSON date (millisecond precision).
pub fn to_bson_date(at: DateTime<Utc>) -> bson::DateTime {
    bson::DateTime::from_millis(at.timestamp_millis())
}

/// A BSON date as a chrono instant (dates outside chrono's range clamp to the epoch).
pub fn from_bson_date(at: bson::DateTime) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(at.timestamp_millis()).unwrap_or_default()
}

/// A calendar day stored as a BSON date at 00:00 UTC. Days are floating (they mean the same date in
/// every time zone), so queries compare them with days, never with instants.
pub fn day_to_bson(day: NaiveDate) -> bson::DateTime {
    to_bson_date(day.and_time(NaiveTime::MIN).and_utc())
}

/// The current time as a BSON date.
pub fn now() -> bson::DateTime {
    to_bson_date(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_object_ids() {
        let user = UserId::parse("5f1b2c3d4e5f60718293a4b5").unwrap();
        assert_eq!(user_oid(&user).to_hex(), user.as_str());
        assert_eq!(user_id(user_oid(&user)), user);
        let event = EventId::parse("0123456789abcdef01234567").unwrap();
        assert_eq!(event_id(event_oid(&event)), event);
    }

    #[test]
    fn days_are_midnight_utc() {
        let day = NaiveDate::from_ymd_opt(2025, 1, 5).unwrap();
        assert_eq!(
            day_to_bson(day).try_to_rfc3339_string().unwrap(),
            "2025-01-05T00:00:00Z"
        );
    }
}
