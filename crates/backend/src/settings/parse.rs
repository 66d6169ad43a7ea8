//! Small parsers shared by the settings modules: URLs that must be http(s), blank-as-absent strings.

use url::Url;

use super::SettingsError;

/// Parses a URL that must be http(s) with a host.
pub(super) fn parse_http_url(key: &'static str, raw: &str) -> Result<Url, SettingsError> {
    let url = Url::parse(raw.trim()).map_err(|e| SettingsError::Invalid {
        key,
        reason: format!("not a URL ({e})"),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(SettingsError::Invalid {
            key,
            reason: "must be an http:// or https:// URL with a host".into(),
        });
    }
    Ok(url)
}

/// Parses one of the URL constants above; they are valid (a unit test parses each), so this cannot fail.
#[allow(clippy::expect_used)]
pub(super) fn fixed_url(raw: &str) -> Url {
    Url::parse(raw).expect("built-in URL constants are valid")
}

/// Treats blank strings (and the reference's literal `"undefined"`) as absent.
pub(super) fn non_blank(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty() && v != "undefined")
}
