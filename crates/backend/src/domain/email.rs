//! Email addresses as account keys: parsed once at the boundary and normalised (trimmed, lower-cased),
//! so that `Ann@Example.com ` and `ann@example.com` are the same account.

use std::fmt;

/// Longest address accepted (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;

/// Why a string is not an acceptable email address.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EmailError {
    /// Empty after trimming.
    #[error("email is required")]
    Empty,
    /// Longer than [`MAX_EMAIL_LEN`].
    #[error("email is too long")]
    TooLong,
    /// Not of the form `local@domain.tld`.
    #[error("email is not a valid address")]
    Invalid,
}

/// A normalised email address (trimmed, lower-case, `local@domain` with a dotted domain).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses and normalises an address.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        if trimmed.len() > MAX_EMAIL_LEN {
            return Err(EmailError::TooLong);
        }
        let normalised = trimmed.to_lowercase();
        let (local, domain) = normalised.split_once('@').ok_or(EmailError::Invalid)?;
        let well_formed = !local.is_empty()
            && !domain.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !normalised
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'));
        if !well_formed {
            return Err(EmailError::Invalid);
        }
        Ok(Self(normalised))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_whitespace() {
        let email = Email::parse("  Ann.Lee+cal@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "ann.lee+cal@example.com");
        assert_eq!(email, Email::parse("ann.lee+cal@example.com").unwrap());
    }

    #[test]
    fn refuses_malformed_addresses() {
        assert_eq!(Email::parse("   ").unwrap_err(), EmailError::Empty);
        for bad in [
            "ann",
            "@example.com",
            "ann@",
            "ann@localhost",
            "ann@@example.com",
            "a b@example.com",
            "ann@example..com",
            "ann@.example.com",
            "ann@example.com.",
            "<ann@example.com>",
        ] {
            assert_eq!(Email::parse(bad).unwrap_err(), EmailError::Invalid, "{bad}");
        }
        let long = format!("{}@example.com", "a".repeat(MAX_EMAIL_LEN));
        assert_eq!(Email::parse(&long).unwrap_err(), EmailError::TooLong);
    }
}
