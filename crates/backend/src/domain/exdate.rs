//! The `EXDATE` values Compass writes into a series' rule to exclude one occurrence, and how one is taken back
//! out: shared by the write planner (`events`, which excludes an occurrence when an instance is deleted) and the
//! Google sync (`sync`, which takes the exclusion back when Google holds the instance after all).

use chrono::Utc;
use compass_core::EventDate;

/// The `EXDATE` line prefix and value Compass writes for the occurrence at `at`: `EXDATE;VALUE=DATE:` and
/// `YYYYMMDD` for all-day series, `EXDATE:` and a UTC date-time otherwise.
pub fn value_of(at: EventDate) -> (&'static str, String) {
    match at {
        EventDate::Day(day) => ("EXDATE;VALUE=DATE:", day.format("%Y%m%d").to_string()),
        EventDate::Timed(dt) => (
            "EXDATE:",
            dt.with_timezone(&Utc).format("%Y%m%dT%H%M%SZ").to_string(),
        ),
    }
}

/// The rule without the exclusion of the occurrence at `at` in the form [`value_of`] gives (an `EXDATE` line
/// left without values goes); `None` when the rule has no such exclusion.
pub fn without(lines: &[String], at: EventDate) -> Option<Vec<String>> {
    let (prefix, value) = value_of(at);
    let mut found = false;
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let Some(values) = line.strip_prefix(prefix) else {
            out.push(line.clone());
            continue;
        };
        let kept: Vec<&str> = values.split(',').filter(|v| *v != value).collect();
        found |= kept.len() < values.split(',').count();
        if !kept.is_empty() {
            out.push(format!("{prefix}{}", kept.join(",")));
        }
    }
    found.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|l| (*l).to_owned()).collect()
    }

    fn timed(at: &str) -> EventDate {
        EventDate::Timed(chrono::DateTime::parse_from_rfc3339(at).expect("a date-time"))
    }

    #[test]
    fn without_takes_back_only_the_exclusion_of_that_occurrence() {
        let rule = lines(&[
            "RRULE:FREQ=DAILY;COUNT=4",
            "EXDATE:20250108T150000Z,20250106T150000Z",
        ]);
        let back = without(&rule, timed("2025-01-08T09:00:00-06:00")).expect("excluded");
        assert_eq!(
            back,
            ["RRULE:FREQ=DAILY;COUNT=4", "EXDATE:20250106T150000Z"]
        );
        let none = without(&back, timed("2025-01-06T15:00:00Z")).expect("excluded");
        assert_eq!(none, ["RRULE:FREQ=DAILY;COUNT=4"]);
        assert_eq!(without(&none, timed("2025-01-07T15:00:00Z")), None);
        let days = lines(&["RRULE:FREQ=DAILY;COUNT=3", "EXDATE;VALUE=DATE:20250102"]);
        let day = |d: &str| EventDate::Day(d.parse().expect("a day"));
        assert_eq!(without(&days, day("2025-01-03")), None);
        assert_eq!(
            without(&days, day("2025-01-02")).expect("excluded"),
            ["RRULE:FREQ=DAILY;COUNT=3"]
        );
    }
}
