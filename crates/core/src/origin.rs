//! [`Origin`]: where an event came from (`origin` on the wire).

wire_enum! {
    /// Where an event came from. Provenance for display and for Google round-trips; which events Google
    /// owns is decided by the event's Google ids, not by this value.
    Origin, "origin" {
        /// Created in Compass.
        Compass => "compass",
        /// Arrived through a Google push notification.
        Google => "google",
        /// Arrived through a full or incremental Google import.
        GoogleImport => "googleimport",
        /// Unknown provenance (the reference's fallback when writing to Google).
        Unsure => "unsure",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_strings_round_trip_and_unknown_is_an_error() {
        for origin in Origin::ALL {
            assert_eq!(origin.as_str().parse::<Origin>(), Ok(*origin));
        }
        let err = "Compass".parse::<Origin>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "origin must be one of `compass`, `google`, `googleimport`, `unsure`"
        );
        assert!(serde_json::from_str::<Origin>("\"gcal\"").is_err());
    }
}
