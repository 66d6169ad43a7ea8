//! IANA time zones of events: a client's `timeZone` (compass-core checks only its syntax) or Google's
//! `start.timeZone`, resolved against the tz database the backend carries (`chrono-tz`). Parsed at the
//! boundary: an unknown name is refused (400) on the API and dropped (logged) on import.

use std::str::FromStr;

use chrono_tz::Tz;
use compass_core::TimeZoneName;

/// A zone name the tz database does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`timeZone` {0:?} is not a time zone of the IANA database (write e.g. America/Chicago)")]
pub struct UnknownTimeZone(pub String);

/// The zone named `name`.
pub fn resolve(name: &TimeZoneName) -> Result<Tz, UnknownTimeZone> {
    resolve_str(name.as_str())
}

/// The zone named by a raw string (Google's or a stored one).
pub fn resolve_str(name: &str) -> Result<Tz, UnknownTimeZone> {
    Tz::from_str(name).map_err(|_| UnknownTimeZone(name.to_owned()))
}

/// The wire name of a zone (`None` only if the database holds a name compass-core would refuse).
pub fn name_of(zone: Tz) -> Option<TimeZoneName> {
    TimeZoneName::parse(zone.name()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_resolve_and_unknown_ones_are_refused() {
        let chicago = TimeZoneName::parse("America/Chicago").unwrap();
        let zone = resolve(&chicago).unwrap();
        assert_eq!(name_of(zone), Some(chicago));
        let mars = TimeZoneName::parse("Mars/Olympus_Mons").unwrap();
        assert_eq!(
            resolve(&mars).unwrap_err().to_string(),
            "`timeZone` \"Mars/Olympus_Mons\" is not a time zone of the IANA database (write e.g. America/Chicago)"
        );
        // Every zone of the database has a name the wire accepts.
        assert!(chrono_tz::TZ_VARIANTS.iter().all(|z| name_of(*z).is_some()));
    }
}
