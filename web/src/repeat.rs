//! The event form's "Repeat" settings and their RFC 5545 rule: every n days/weeks/months, on chosen
//! weekdays, ending never, on a date or after a number of times. The rule is validated by compass-core's
//! [`RecurrenceRule`] before it is sent.

use chrono::{NaiveDate, Weekday};
use compass_core::{RecurrenceRule, RuleError};

/// How often a series repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freq {
    /// `FREQ=DAILY`.
    Daily,
    /// `FREQ=WEEKLY`.
    Weekly,
    /// `FREQ=MONTHLY`.
    Monthly,
}

impl Freq {
    /// Every frequency the form offers.
    pub const ALL: [Freq; 3] = [Freq::Daily, Freq::Weekly, Freq::Monthly];

    /// The RRULE value.
    pub fn as_rrule(self) -> &'static str {
        match self {
            Freq::Daily => "DAILY",
            Freq::Weekly => "WEEKLY",
            Freq::Monthly => "MONTHLY",
        }
    }

    /// The word in the form ("days", ...).
    pub fn label(self) -> &'static str {
        match self {
            Freq::Daily => "days",
            Freq::Weekly => "weeks",
            Freq::Monthly => "months",
        }
    }
}

/// When a series ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepeatEnd {
    /// Never (the server materialises up to 730 instances).
    Never,
    /// On this day, inclusive (`UNTIL=YYYYMMDD`).
    On(NaiveDate),
    /// After this many occurrences (`COUNT=n`).
    After(u32),
}

/// The repeat settings of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    /// Unit.
    pub freq: Freq,
    /// Every `interval` units (at least 1).
    pub interval: u32,
    /// Weekdays (weekly only; empty = the start's weekday).
    pub weekdays: Vec<Weekday>,
    /// End.
    pub end: RepeatEnd,
}

/// The weekdays in the form's order (the week starts on Sunday).
pub const WEEKDAYS: [Weekday; 7] = [
    Weekday::Sun,
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
];

/// `MO`, `TU`, ...
pub fn weekday_code(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

fn weekday_from_code(code: &str) -> Option<Weekday> {
    WEEKDAYS.into_iter().find(|d| weekday_code(*d) == code)
}

impl Repeat {
    /// Weekly on the start's weekday, no end: what "Repeat" starts with.
    pub fn weekly_on(day: Weekday) -> Repeat {
        Repeat {
            freq: Freq::Weekly,
            interval: 1,
            weekdays: vec![day],
            end: RepeatEnd::Never,
        }
    }

    /// The rule lines (one `RRULE:` line), validated by compass-core.
    pub fn to_rule(&self) -> Result<RecurrenceRule, RuleError> {
        let mut parts = vec![
            format!("FREQ={}", self.freq.as_rrule()),
            format!("INTERVAL={}", self.interval.max(1)),
        ];
        if self.freq == Freq::Weekly && !self.weekdays.is_empty() {
            let days: Vec<&str> = WEEKDAYS
                .into_iter()
                .filter(|d| self.weekdays.contains(d))
                .map(weekday_code)
                .collect();
            parts.push(format!("BYDAY={}", days.join(",")));
        }
        match self.end {
            RepeatEnd::Never => {}
            RepeatEnd::On(day) => parts.push(format!("UNTIL={}", crate::time::compact_date(day))),
            RepeatEnd::After(count) => parts.push(format!("COUNT={}", count.max(1))),
        }
        RecurrenceRule::parse(&[format!("RRULE:{}", parts.join(";"))])
    }

    /// Reads the settings back from rule lines (the first `RRULE:` line); `None` when the rule uses
    /// something the form cannot show (e.g. `FREQ=YEARLY`), so the form leaves it untouched.
    pub fn from_rule(lines: &[String]) -> Option<Repeat> {
        let line = lines.iter().find_map(|l| l.strip_prefix("RRULE:"))?;
        let mut repeat = Repeat {
            freq: Freq::Weekly,
            interval: 1,
            weekdays: Vec::new(),
            end: RepeatEnd::Never,
        };
        let mut freq = None;
        for part in line.split(';') {
            let (key, value) = part.split_once('=')?;
            match key {
                "FREQ" => freq = Freq::ALL.into_iter().find(|f| f.as_rrule() == value),
                "INTERVAL" => repeat.interval = value.parse().ok()?,
                "BYDAY" => {
                    repeat.weekdays = value
                        .split(',')
                        .map(weekday_from_code)
                        .collect::<Option<Vec<_>>>()?
                }
                "COUNT" => repeat.end = RepeatEnd::After(value.parse().ok()?),
                "UNTIL" => {
                    let day = value.get(..8)?;
                    repeat.end = RepeatEnd::On(crate::time::parse_compact_date(day)?);
                }
                "WKST" => {}
                _ => return None,
            }
        }
        repeat.freq = freq?;
        Some(repeat)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn weekly_on_weekdays_with_a_count() {
        let repeat = Repeat {
            freq: Freq::Weekly,
            interval: 2,
            weekdays: vec![Weekday::Wed, Weekday::Mon],
            end: RepeatEnd::After(10),
        };
        let rule = repeat.to_rule().unwrap();
        assert_eq!(
            rule.lines(),
            ["RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=10"]
        );
        assert_eq!(Repeat::from_rule(rule.lines()), Some(repeat_sorted(repeat)));
    }

    fn repeat_sorted(mut repeat: Repeat) -> Repeat {
        repeat.weekdays.sort_by_key(|d| d.num_days_from_sunday());
        repeat
    }

    #[test]
    fn daily_until_a_date() {
        let end = NaiveDate::from_ymd_opt(2025, 3, 31).unwrap();
        let repeat = Repeat {
            freq: Freq::Daily,
            interval: 1,
            weekdays: vec![],
            end: RepeatEnd::On(end),
        };
        let rule = repeat.to_rule().unwrap();
        assert_eq!(rule.lines(), ["RRULE:FREQ=DAILY;INTERVAL=1;UNTIL=20250331"]);
        assert_eq!(Repeat::from_rule(rule.lines()), Some(repeat));
    }

    #[test]
    fn monthly_and_rules_the_form_cannot_show() {
        let repeat = Repeat {
            freq: Freq::Monthly,
            interval: 3,
            weekdays: vec![Weekday::Mon],
            end: RepeatEnd::Never,
        };
        // Weekdays only apply to weekly rules.
        assert_eq!(
            repeat.to_rule().unwrap().lines(),
            ["RRULE:FREQ=MONTHLY;INTERVAL=3"]
        );
        assert_eq!(Repeat::from_rule(&["RRULE:FREQ=YEARLY".into()]), None);
        assert_eq!(
            Repeat::from_rule(&["RRULE:FREQ=WEEKLY;UNTIL=20250331T000000Z;BYDAY=MO,WE,FR".into()])
                .unwrap()
                .end,
            RepeatEnd::On(NaiveDate::from_ymd_opt(2025, 3, 31).unwrap())
        );
    }
}
