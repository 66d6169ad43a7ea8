//! [`ErrorCode`]: the stable machine-readable `code` of an error body (`ErrorBody::code`), one value per
//! refusal a client may want to tell apart. The backend sends these; the web app matches on them.

wire_enum! {
    /// A stable error code sent in `ErrorBody::code`.
    ErrorCode, "error code" {
        /// `POST /api/event` with an `_id` that is already used (409).
        EventIdTaken => "EVENT_ID_TAKEN",
        /// Google sign-in or connect on an instance without Google credentials (503).
        GoogleNotConfigured => "GOOGLE_NOT_CONFIGURED",
        /// The Google account is already linked to another Compass user (409).
        GoogleAccountAlreadyConnected => "GOOGLE_ACCOUNT_ALREADY_CONNECTED",
        /// Connect with a Google account whose email differs from the signed-in account's (409).
        GoogleConnectEmailMismatch => "GOOGLE_CONNECT_EMAIL_MISMATCH",
        /// Google has not verified the email that matches an existing account (409).
        GoogleEmailNotVerified => "GOOGLE_EMAIL_NOT_VERIFIED",
        /// Google could not be reached or answered unexpectedly (503).
        GoogleUnavailable => "GOOGLE_UNAVAILABLE",
        /// Google access was revoked and Google-derived data removed.
        GoogleRevoked => "GOOGLE_REVOKED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_their_wire_strings() {
        for code in ErrorCode::ALL {
            assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(*code));
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::String(code.as_str().to_owned())
            );
        }
        assert!("NOPE".parse::<ErrorCode>().is_err());
    }
}
