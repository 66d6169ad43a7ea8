//! [`Priority`]: the colour category of an event (`priority` on the wire).

wire_enum! {
    /// The colour category of an event. (Not the legacy `/api/priority` labels, which say `relations`.)
    #[derive(Default)]
    Priority, "priority" {
        /// No category (the default).
        #[default]
        Unassigned => "unassigned",
        /// Work.
        Work => "work",
        /// Self.
        Myself => "self",
        /// Relationships.
        Relationships => "relationships",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_strings_round_trip_and_unknown_is_an_error() {
        for priority in Priority::ALL {
            assert_eq!(priority.as_str().parse::<Priority>(), Ok(*priority));
            assert_eq!(serde_json::to_value(priority).unwrap(), priority.as_str());
        }
        assert!("relations".parse::<Priority>().is_err());
        assert_eq!(Priority::default(), Priority::Unassigned);
    }
}
