//! A failed Google sign-in or connect: the server redirects back to the app with `?auth_error=<code>`.
//! [`take_from_search`] reads the code and gives the query without it (the app then replaces the URL with
//! `history.replaceState`, so a reload or a shared link does not show the message again); [`message`] is
//! what the person reads.

/// The query parameter the server sets.
pub const PARAM: &str = "auth_error";

/// The sentence for a code (unknown codes get a general one).
pub fn message(code: &str) -> &'static str {
    match code {
        "access_denied" => "Google sign-in was cancelled, so nothing was connected. You can try again any time.",
        "missing_calendar_scope" => {
            "Missing Google Calendar permissions. Please try again and grant all requested permissions."
        }
        "invalid_state" => {
            "The Google sign-in expired or was started in another tab. Please try again."
        }
        "exchange_failed" => {
            "Google did not confirm the sign-in. Please try again in a moment."
        }
        "account_conflict" | "google_account_in_use" => {
            "This Google account is already connected to another Compass user."
        }
        "email_mismatch" => {
            "The Google account's email does not match the signed-in Compass account."
        }
        "not_configured" | "google_not_configured" => {
            "Google sign-in is not available on this Compass server."
        }
        _ => "Google authorization could not be completed. Please try again.",
    }
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
                // Codes are snake-case ASCII; anything else reads as unknown.
                let clean = value
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
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
            take_from_search("?auth_error=access_denied"),
            (Some("access_denied".into()), String::new())
        );
        assert_eq!(
            take_from_search("?a=1&auth_error=invalid_state&b=2"),
            (Some("invalid_state".into()), "?a=1&b=2".into())
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
        for code in [
            "access_denied",
            "missing_calendar_scope",
            "invalid_state",
            "exchange_failed",
        ] {
            assert_ne!(message(code), message("something_new"), "{code}");
        }
        assert_eq!(
            message("something_new"),
            "Google authorization could not be completed. Please try again."
        );
    }
}
