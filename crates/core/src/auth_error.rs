//! [`AuthErrorCode`]: why a Google sign-in or connect did not complete. The OAuth callback is a top-level
//! browser navigation, so the backend never answers it with JSON: on any failure it redirects the browser to
//! the app with the code in the query string, `/?auth_error=<CODE>` ([`AUTH_ERROR_PARAM`]). The web app reads
//! the parameter, parses it with [`AuthErrorCode::from_str`](std::str::FromStr) and shows
//! [`AuthErrorCode::message`].

/// The query parameter that carries the code on the redirect back to the app.
pub const AUTH_ERROR_PARAM: &str = "auth_error";

wire_enum! {
    /// Why a Google sign-in or connect failed (sent as `/?auth_error=<CODE>`).
    AuthErrorCode, "auth error code" {
        /// Google sign-in is not configured on this server.
        GoogleNotConfigured => "GOOGLE_NOT_CONFIGURED",
        /// The attempt expired, was already used, or was started in another browser.
        GoogleSigninExpired => "GOOGLE_SIGNIN_EXPIRED",
        /// The user cancelled at Google (or Google refused the request).
        GoogleAccessDenied => "GOOGLE_ACCESS_DENIED",
        /// Google came back without an authorization code.
        GoogleCodeMissing => "GOOGLE_CODE_MISSING",
        /// Google rejected the authorization code (expired or reused: `invalid_grant`). Nothing was changed.
        GoogleCodeRejected => "GOOGLE_CODE_REJECTED",
        /// The user did not grant the Google Calendar permission. No grant was stored.
        GooglePermissionsMissing => "GOOGLE_PERMISSIONS_MISSING",
        /// Google issued no refresh token (offline access).
        GoogleOfflineAccessMissing => "GOOGLE_OFFLINE_ACCESS_MISSING",
        /// Google did not share a usable email address.
        GoogleEmailMissing => "GOOGLE_EMAIL_MISSING",
        /// Google has not verified the email that matches an existing account.
        GoogleEmailNotVerified => "GOOGLE_EMAIL_NOT_VERIFIED",
        /// The Google account is already linked to another Compass account.
        GoogleAccountAlreadyConnected => "GOOGLE_ACCOUNT_ALREADY_CONNECTED",
        /// Connect with a Google account whose email differs from the signed-in account's.
        GoogleConnectEmailMismatch => "GOOGLE_CONNECT_EMAIL_MISMATCH",
        /// Google could not be reached or answered unexpectedly.
        GoogleUnavailable => "GOOGLE_UNAVAILABLE",
        /// Connect finished without the session that started it (signed out, or another account).
        NotSignedIn => "NOT_SIGNED_IN",
        /// Anything else (the server failed; the cause is in its log).
        ServerError => "SERVER_ERROR",
    }
}

impl AuthErrorCode {
    /// A sentence the web app can show for this code.
    pub const fn message(self) -> &'static str {
        match self {
            Self::GoogleNotConfigured => "Google sign-in is not available on this Compass server.",
            Self::GoogleSigninExpired => {
                "Google sign-in expired or was started in another browser. Please try again."
            }
            Self::GoogleAccessDenied => "Google sign-in was cancelled.",
            Self::GoogleCodeMissing | Self::GoogleCodeRejected => {
                "Google authorization could not be completed. Please try again."
            }
            Self::GooglePermissionsMissing => {
                "Missing Google Calendar permissions. Please grant all requested permissions."
            }
            Self::GoogleOfflineAccessMissing => {
                "Google did not grant offline access. Please try again."
            }
            Self::GoogleEmailMissing => "Google did not share a valid email address.",
            Self::GoogleEmailNotVerified => "Google has not verified this email address.",
            Self::GoogleAccountAlreadyConnected => {
                "Google account is already connected to another Compass user"
            }
            Self::GoogleConnectEmailMismatch => {
                "Google account email does not match the signed-in Compass account"
            }
            Self::GoogleUnavailable => "Google is unavailable, try again shortly.",
            Self::NotSignedIn => "Your session ended. Please sign in and try again.",
            Self::ServerError => "Something went wrong. Please try again.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_have_messages() {
        for code in AuthErrorCode::ALL {
            assert_eq!(code.as_str().parse::<AuthErrorCode>(), Ok(*code));
            assert!(!code.message().is_empty());
        }
        assert!("google_code_rejected".parse::<AuthErrorCode>().is_err());
    }
}
