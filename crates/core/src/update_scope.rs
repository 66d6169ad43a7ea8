//! [`UpdateScope`]: which part of a recurring series a change applies to (the `applyTo` query parameter).

wire_enum! {
    /// Which part of a recurring series an edit or delete applies to. The wire strings contain spaces.
    UpdateScope, "applyTo" {
        /// Only the targeted event (the default).
        ThisEvent => "This Event",
        /// The targeted instance and every later one.
        ThisAndFollowing => "This and Following Events",
        /// The whole series.
        AllEvents => "All Events",
    }
}

impl UpdateScope {
    /// Reads the `applyTo` query parameter. A missing or empty value, or the literal `undefined` that the
    /// reference web client sends when no scope was chosen, means [`UpdateScope::ThisEvent`] (the
    /// reference answers 500 there). Any other unknown value is an error.
    pub fn from_query(apply_to: Option<&str>) -> Result<Self, crate::UnknownValue> {
        match apply_to {
            None | Some("" | "undefined") => Ok(UpdateScope::ThisEvent),
            Some(value) => value.parse(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_strings_and_query_defaults() {
        assert_eq!(
            "This and Following Events".parse::<UpdateScope>(),
            Ok(UpdateScope::ThisAndFollowing)
        );
        assert_eq!(UpdateScope::from_query(None), Ok(UpdateScope::ThisEvent));
        assert_eq!(
            UpdateScope::from_query(Some("undefined")),
            Ok(UpdateScope::ThisEvent)
        );
        assert_eq!(
            UpdateScope::from_query(Some("All Events")),
            Ok(UpdateScope::AllEvents)
        );
        assert!(UpdateScope::from_query(Some("all events")).is_err());
        assert!(UpdateScope::from_query(Some("ALL_EVENTS")).is_err());
    }
}
