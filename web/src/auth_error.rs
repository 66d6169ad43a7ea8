//! A failed Google sign-in or connect: the server redirects back to the app with `?auth_error=<code>`.
//! [`take_from_search`] reads the code and gives the query without it (the app then replaces the URL with
//! `history.replaceState`, so a reload or a shared link does not show the message again); [`message`] is
//! what the person reads (`compass_core::AuthErrorCode::message`).

use compass_core::AuthErrorCode;

/// The query parameter the server sets.
pub const PARAM: &str = compass_core::AUTH_ERROR_PARAM;

/// What the person reads for a code: the server's codes are `compass_core::AuthErrorCode` (its
/// `message()`); a code this build does not know gets a general sentence.
pub fn message(code: &str) -> &'static str {
    code.parse::<AuthErrorCode>()
        .map(AuthErrorCode::message)
        .unwrap_or("Google authorization could not be completed. Please try again.")
}

/// Splits `location.search` (with or without its `?`) into the error code, when there is one, and the
/// search string to keep (`""` or `?a=b…`, other parameters in their order).
pub fn take_from_search(search: &str) -> (Option<String>, String) {
    let mut code = None;
    let kept: Vec<&str> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if key == PARAM {
                // Codes are upper snake-case ASCII; anything else reads as unknown.
                let clean = value
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
                code = Some(if clean {
                    value.to_owned()
                } else {
                    String::new()
                });
                false
            } else {
                true
            }
        })
        .collect();
    let rest = if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    };
    (code, rest)
}

/// Reads the code from the page's URL and removes it (`history.replaceState`, path and hash kept).
pub fn take_from_location() -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    {
        let window = web_sys::window()?;
        let location = window.location();
        let (code, rest) = take_from_search(&location.search().ok()?);
        if code.is_some() {
            let url = format!(
                "{}{rest}{}",
                location.pathname().unwrap_or_default(),
                location.hash().unwrap_or_default()
            );
            if let Ok(history) = window.history() {
                let _ =
                    history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
            }
        }
        code
    }
    #[cfg(not(target_arch = "wasm32"))]
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_taken_and_the_rest_kept() {
        assert_eq!(
            take_from_search("?auth_error=GOOGLE_ACCESS_DENIED"),
            (Some("GOOGLE_ACCESS_DENIED".into()), String::new())
        );
        assert_eq!(
            take_from_search("?a=1&auth_error=GOOGLE_SIGNIN_EXPIRED&b=2"),
            (Some("GOOGLE_SIGNIN_EXPIRED".into()), "?a=1&b=2".into())
        );
        assert_eq!(take_from_search("?a=1"), (None, "?a=1".into()));
        assert_eq!(take_from_search(""), (None, String::new()));
        assert_eq!(
            take_from_search("?auth_error=%3Cscript%3E").0.as_deref(),
            Some("")
        );
    }

    #[test]
    fn every_code_has_a_sentence_and_unknown_ones_a_general_one() {
        for code in AuthErrorCode::ALL {
            assert_eq!(message(code.as_str()), code.message(), "{code:?}");
        }
        assert_ne!(
            message("GOOGLE_PERMISSIONS_MISSING"),
            message("SOMETHING_NEW")
        );
        assert_eq!(
            message("SOMETHING_NEW"),
            "Google authorization could not be completed. Please try again."
        );
    }
}
