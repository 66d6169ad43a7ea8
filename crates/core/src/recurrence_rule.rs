//! [`RecurrenceRule`]: the validated `recurrence.rule` of a series — RFC 5545 lines such as
//! `RRULE:FREQ=WEEKLY;BYDAY=MO,WE`.
//!
//! The validator is written here (not taken from the `rrule` crate) so that compass-core stays small and
//! dependency-light for wasm32; it checks syntax and value ranges, while expanding occurrences is the
//! backend's job. Accepted lines: `RRULE:` and `EXRULE:` (RFC 5545 recurrence rule parts, upper case),
//! `RDATE` and `EXDATE` (optionally with `;`-parameters, then `:` and a comma list of `YYYYMMDD` or
//! `YYYYMMDDTHHMMSS[Z]` values). `DTSTART` lines are refused: the series starts at the event's `startDate`.
//! Error messages count lines from 1; the `line` fields of [`RuleError`] are 0-based indexes.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Most lines a rule may have.
pub const MAX_RULE_LINES: usize = 20;
/// Longest line a rule may have, in bytes.
pub const MAX_RULE_LINE_LEN: usize = 2_000;

/// Why a rule line is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The rule has no lines.
    #[error("must contain at least one line")]
    Empty,
    /// The rule has more than [`MAX_RULE_LINES`] lines.
    #[error("has more than {MAX_RULE_LINES} lines")]
    TooManyLines,
    /// A line is longer than [`MAX_RULE_LINE_LEN`].
    #[error("line {} is longer than {MAX_RULE_LINE_LEN} bytes", .line + 1)]
    LineTooLong {
        /// Index of the line (0-based).
        line: usize,
    },
    /// A line does not start with `RRULE:`, `EXRULE:`, `RDATE` or `EXDATE`.
    #[error("line {} must start with RRULE:, EXRULE:, RDATE or EXDATE", .line + 1)]
    UnknownLine {
        /// Index of the line.
        line: usize,
    },
    /// A rule part is not `NAME=VALUE`.
    #[error("line {}: part {part:?} is not NAME=VALUE", .line + 1)]
    MalformedPart {
        /// Index of the line.
        line: usize,
        /// The offending part.
        part: String,
    },
    /// A rule part name is not an RFC 5545 one.
    #[error("line {}: unknown rule part {name:?}", .line + 1)]
    UnknownPart {
        /// Index of the line.
        line: usize,
        /// The unknown name.
        name: String,
    },
    /// A rule part appears twice.
    #[error("line {}: rule part {name} appears twice", .line + 1)]
    DuplicatePart {
        /// Index of the line.
        line: usize,
        /// The repeated name.
        name: String,
    },
    /// `FREQ` is missing.
    #[error("line {}: FREQ is required", .line + 1)]
    MissingFreq {
        /// Index of the line.
        line: usize,
    },
    /// Both `COUNT` and `UNTIL` are given.
    #[error("line {}: COUNT and UNTIL cannot both be given", .line + 1)]
    CountAndUntil {
        /// Index of the line.
        line: usize,
    },
    /// A rule part has a value outside its grammar or range.
    #[error("line {}: invalid {name} value {value:?}", .line + 1)]
    InvalidValue {
        /// Index of the line.
        line: usize,
        /// The rule part name.
        name: String,
        /// The offending value.
        value: String,
    },
}

/// A validated, non-empty list of RFC 5545 recurrence lines.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecurrenceRule(Vec<String>);

impl RecurrenceRule {
    /// Validates the lines of a rule.
    pub fn parse<S: AsRef<str>>(lines: &[S]) -> Result<Self, RuleError> {
        if lines.is_empty() {
            return Err(RuleError::Empty);
        }
        if lines.len() > MAX_RULE_LINES {
            return Err(RuleError::TooManyLines);
        }
        for (index, line) in lines.iter().enumerate() {
            validate_line(index, line.as_ref())?;
        }
        Ok(RecurrenceRule(
            lines.iter().map(|l| l.as_ref().to_owned()).collect(),
        ))
    }

    /// The lines, as written on the wire.
    pub fn lines(&self) -> &[String] {
        &self.0
    }
}

impl fmt::Display for RecurrenceRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

impl Serialize for RecurrenceRule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RecurrenceRule {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let lines = Vec::<String>::deserialize(deserializer)?;
        Self::parse(&lines).map_err(serde::de::Error::custom)
    }
}

/// Validates one line of a rule.
fn validate_line(line: usize, text: &str) -> Result<(), RuleError> {
    if text.len() > MAX_RULE_LINE_LEN {
        return Err(RuleError::LineTooLong { line });
    }
    if let Some(parts) = text
        .strip_prefix("RRULE:")
        .or_else(|| text.strip_prefix("EXRULE:"))
    {
        return validate_rule_parts(line, parts);
    }
    for name in ["RDATE", "EXDATE"] {
        if let Some(rest) = text.strip_prefix(name) {
            if rest.starts_with(':') || rest.starts_with(';') {
                return validate_date_list(line, name, rest);
            }
        }
    }
    Err(RuleError::UnknownLine { line })
}

/// Validates the `;NAME=VALUE` parameters and `:` value list of an `RDATE`/`EXDATE` line.
fn validate_date_list(line: usize, name: &str, rest: &str) -> Result<(), RuleError> {
    let invalid = || RuleError::InvalidValue {
        line,
        name: name.to_owned(),
        value: rest.to_owned(),
    };
    let (params, values) = rest.rsplit_once(':').ok_or_else(invalid)?;
    for param in params.split(';').skip(1) {
        let (key, value) = param.split_once('=').ok_or_else(invalid)?;
        if key.is_empty() || value.is_empty() {
            return Err(invalid());
        }
    }
    if values.split(',').all(is_rfc5545_date_or_date_time) {
        Ok(())
    } else {
        Err(invalid())
    }
}

/// True for `YYYYMMDD`, `YYYYMMDDTHHMMSS` or `YYYYMMDDTHHMMSSZ` that name a real date and time.
fn is_rfc5545_date_or_date_time(value: &str) -> bool {
    if value.len() == 8 && value.bytes().all(|b| b.is_ascii_digit()) {
        return crate::date_text::parse_compact_ymd(value).is_some();
    }
    let bare = value.strip_suffix('Z').unwrap_or(value);
    bare.len() == 15
        && bare.as_bytes().get(8) == Some(&b'T')
        && bare
            .bytes()
            .enumerate()
            .all(|(i, b)| i == 8 || b.is_ascii_digit())
        && crate::date_text::is_compact_date_time(bare)
}

/// Parses an integer list where each item satisfies `ok`.
fn int_list(value: &str, ok: impl Fn(i32) -> bool) -> bool {
    !value.is_empty()
        && value.split(',').all(|item| {
            let digits = item.strip_prefix(['+', '-']).unwrap_or(item);
            !digits.is_empty()
                && digits.len() <= 3
                && digits.bytes().all(|b| b.is_ascii_digit())
                && item.parse::<i32>().is_ok_and(&ok)
        })
}

/// A positive integer without sign.
fn positive(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 9
        && value.bytes().all(|b| b.is_ascii_digit())
        && value.parse::<u32>().is_ok_and(|n| n > 0)
}

const WEEKDAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

/// One `BYDAY` item: `[+|-][1..53]` followed by a weekday.
fn by_day_item(item: &str) -> bool {
    if item.len() < 2 || !item.is_char_boundary(item.len() - 2) {
        return false;
    }
    let (ordinal, day) = item.split_at(item.len() - 2);
    WEEKDAYS.contains(&day)
        && (ordinal.is_empty() || int_list(ordinal, |n| n != 0 && (-53..=53).contains(&n)))
}

/// Validates the `NAME=VALUE;...` parts of an `RRULE`/`EXRULE` line.
fn validate_rule_parts(line: usize, parts: &str) -> Result<(), RuleError> {
    let mut seen: Vec<&str> = Vec::new();
    for part in parts.split(';') {
        let (name, value) = part
            .split_once('=')
            .filter(|(n, v)| !n.is_empty() && !v.is_empty())
            .ok_or_else(|| RuleError::MalformedPart {
                line,
                part: part.to_owned(),
            })?;
        if seen.contains(&name) {
            return Err(RuleError::DuplicatePart {
                line,
                name: name.to_owned(),
            });
        }
        let valid = match name {
            "FREQ" => [
                "SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY",
            ]
            .contains(&value),
            "UNTIL" => is_rfc5545_date_or_date_time(value),
            "COUNT" | "INTERVAL" => positive(value),
            "BYSECOND" => int_list(value, |n| (0..=60).contains(&n)),
            "BYMINUTE" => int_list(value, |n| (0..=59).contains(&n)),
            "BYHOUR" => int_list(value, |n| (0..=23).contains(&n)),
            "BYDAY" => value.split(',').all(by_day_item),
            "BYMONTHDAY" => int_list(value, |n| n != 0 && (-31..=31).contains(&n)),
            "BYYEARDAY" | "BYSETPOS" => int_list(value, |n| n != 0 && (-366..=366).contains(&n)),
            "BYWEEKNO" => int_list(value, |n| n != 0 && (-53..=53).contains(&n)),
            "BYMONTH" => int_list(value, |n| (1..=12).contains(&n)),
            "WKST" => WEEKDAYS.contains(&value),
            _ => {
                return Err(RuleError::UnknownPart {
                    line,
                    name: name.to_owned(),
                })
            }
        };
        if !valid {
            return Err(RuleError::InvalidValue {
                line,
                name: name.to_owned(),
                value: value.to_owned(),
            });
        }
        seen.push(name);
    }
    if !seen.contains(&"FREQ") {
        return Err(RuleError::MissingFreq { line });
    }
    if seen.contains(&"COUNT") && seen.contains(&"UNTIL") {
        return Err(RuleError::CountAndUntil { line });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(lines: &[&str]) {
        assert!(RecurrenceRule::parse(lines).is_ok(), "rejected {lines:?}");
    }

    fn bad(lines: &[&str]) -> RuleError {
        RecurrenceRule::parse(lines).expect_err("accepted a bad rule")
    }

    #[test]
    fn accepts_reference_and_google_rules() {
        ok(&["RRULE:FREQ=WEEKLY;BYDAY=MO,WE"]);
        ok(&["RRULE:FREQ=WEEKLY;COUNT=12;INTERVAL=1;BYDAY=SU"]);
        ok(&["RRULE:FREQ=WEEKLY;INTERVAL=2;WKST=SU"]);
        ok(&["RRULE:FREQ=MONTHLY;COUNT=3;INTERVAL=1;WKST=SU"]);
        ok(&["RRULE:FREQ=DAILY;UNTIL=20250301T000000Z"]);
        ok(&["RRULE:FREQ=DAILY;UNTIL=20250301"]);
        ok(&["RRULE:FREQ=MONTHLY;BYDAY=-1FR,+2MO;BYSETPOS=1"]);
        ok(&[
            "EXDATE;TZID=America/Chicago:20250106T090000,20250108T090000",
            "RRULE:FREQ=WEEKLY;BYDAY=MO,WE",
            "RDATE;VALUE=DATE:20250110",
        ]);
    }

    #[test]
    fn rejects_malformed_rules() {
        assert_eq!(bad(&[]), RuleError::Empty);
        assert_eq!(bad(&["FREQ=WEEKLY"]), RuleError::UnknownLine { line: 0 });
        assert_eq!(
            bad(&["DTSTART:20250101T000000Z", "RRULE:FREQ=DAILY"]),
            RuleError::UnknownLine { line: 0 }
        );
        assert_eq!(bad(&["RRULE:BYDAY=MO"]), RuleError::MissingFreq { line: 0 });
        assert_eq!(
            bad(&["RRULE:FREQ=DAILY;COUNT=3;UNTIL=20250101"]),
            RuleError::CountAndUntil { line: 0 }
        );
        assert!(matches!(
            bad(&["RRULE:FREQ=FORTNIGHTLY"]),
            RuleError::InvalidValue { .. }
        ));
        assert!(matches!(
            bad(&["RRULE:FREQ=DAILY;COUNT=0"]),
            RuleError::InvalidValue { .. }
        ));
        assert!(matches!(
            bad(&["RRULE:FREQ=DAILY;BYDAY=XX"]),
            RuleError::InvalidValue { .. }
        ));
        assert!(matches!(
            bad(&["RRULE:FREQ=DAILY;BYDAY=0MO"]),
            RuleError::InvalidValue { .. }
        ));
        assert!(matches!(
            bad(&["RRULE:FREQ=DAILY;BYMONTH=13"]),
            RuleError::InvalidValue { .. }
        ));
        assert!(matches!(
            bad(&["RRULE:FREQ=DAILY;UNTIL=20250230"]),
            RuleError::InvalidValue { .. }
        ));
        assert!(matches!(
            bad(&["RRULE:FREQ=DAILY;FOO=1"]),
            RuleError::UnknownPart { .. }
        ));
        assert!(matches!(
            bad(&["RRULE:FREQ=DAILY;;"]),
            RuleError::MalformedPart { .. }
        ));
        assert!(matches!(
            bad(&["RRULE:FREQ=DAILY;FREQ=DAILY"]),
            RuleError::DuplicatePart { .. }
        ));
        assert!(matches!(
            bad(&["EXDATE:2025"]),
            RuleError::InvalidValue { .. }
        ));
        assert!(matches!(
            bad(&["rrule:freq=daily"]),
            RuleError::UnknownLine { .. }
        ));
        assert!(matches!(
            bad(&["RRULE:FREQ=DAILY;BYDAY=éé"]),
            RuleError::InvalidValue { .. }
        ));
        let long = format!("RRULE:FREQ=DAILY;BYMONTH={}", "1,".repeat(1_500));
        assert_eq!(bad(&[long.as_str()]), RuleError::LineTooLong { line: 0 });
        let many = vec!["RRULE:FREQ=DAILY"; MAX_RULE_LINES + 1];
        assert_eq!(bad(&many), RuleError::TooManyLines);
    }

    #[test]
    fn serde_is_a_string_array() {
        let rule: RecurrenceRule = serde_json::from_str(r#"["RRULE:FREQ=DAILY"]"#).unwrap();
        assert_eq!(
            serde_json::to_string(&rule).unwrap(),
            r#"["RRULE:FREQ=DAILY"]"#
        );
        assert!(serde_json::from_str::<RecurrenceRule>("[]").is_err());
    }
}
