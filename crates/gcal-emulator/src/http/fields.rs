//! Response shaping by query parameters. Partial responses: Google's `fields` (`items(id,start/dateTime),nextSyncToken`,
//! `*`, `a/b` or `a.b`, `a(b,c)`), parsed into a selection tree and applied to a JSON answer: arrays apply the selection to
//! each element, a selected field the answer lacks is left out, a malformed selection is 400 `invalidParameter`.
//! And `maxAttendees`: an event with more attendees than that keeps only the user's own entry and gets
//! `attendeesOmitted: true`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::ApiError;

/// A parsed selection: field name to what of it is kept (`None`: all of it). `*` selects every field.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Selection(BTreeMap<String, Option<Selection>>);

fn invalid(text: &str) -> ApiError {
    ApiError::new(
        400,
        "global",
        "invalidParameter",
        format!("Invalid field selection {text}"),
    )
    .at("parameter", "fields")
}

impl Selection {
    /// Parses a `fields` value.
    pub(crate) fn parse(text: &str) -> Result<Self, ApiError> {
        let chars: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
        let mut pos = 0;
        let sel = parse_list(&chars, &mut pos).ok_or_else(|| invalid(text))?;
        if pos == chars.len() {
            Ok(sel)
        } else {
            Err(invalid(text))
        }
    }

    /// Adds `path` (with an optional sub-selection at its end), merging with what is there.
    fn add(&mut self, path: &[String], sub: Option<Selection>) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        let entry = self.0.entry(first.clone());
        if rest.is_empty() {
            match (entry, sub) {
                (std::collections::btree_map::Entry::Vacant(v), sub) => {
                    v.insert(sub);
                }
                (std::collections::btree_map::Entry::Occupied(mut o), Some(sub)) => {
                    if let Some(existing) = o.get_mut() {
                        for (k, v) in sub.0 {
                            existing.0.insert(k, v);
                        }
                    }
                }
                (std::collections::btree_map::Entry::Occupied(mut o), None) => {
                    o.insert(None);
                }
            }
            return;
        }
        let slot = entry.or_insert_with(|| Some(Selection::default()));
        if let Some(inner) = slot {
            inner.add(rest, sub);
        }
    }

    /// Keeps the selected parts of `value`.
    pub(crate) fn apply(&self, value: &Value) -> Value {
        match value {
            Value::Array(items) => Value::Array(items.iter().map(|i| self.apply(i)).collect()),
            Value::Object(map) => {
                if self.0.contains_key("*") {
                    return value.clone();
                }
                let mut out = Map::new();
                for (key, sub) in &self.0 {
                    if let Some(v) = map.get(key) {
                        let kept = match sub {
                            Some(sub) => sub.apply(v),
                            None => v.clone(),
                        };
                        out.insert(key.clone(), kept);
                    }
                }
                Value::Object(out)
            }
            other => other.clone(),
        }
    }
}

/// `list := item (',' item)*`
fn parse_list(chars: &[char], pos: &mut usize) -> Option<Selection> {
    let mut sel = Selection::default();
    loop {
        let (path, sub) = parse_item(chars, pos)?;
        sel.add(&path, sub);
        if chars.get(*pos) == Some(&',') {
            *pos += 1;
        } else {
            return Some(sel);
        }
    }
}

/// `item := name (('/' | '.') name)* ['(' list ')']`
fn parse_item(chars: &[char], pos: &mut usize) -> Option<(Vec<String>, Option<Selection>)> {
    let mut path = vec![parse_name(chars, pos)?];
    while matches!(chars.get(*pos), Some('/' | '.')) {
        *pos += 1;
        path.push(parse_name(chars, pos)?);
    }
    let sub = if chars.get(*pos) == Some(&'(') {
        *pos += 1;
        let inner = parse_list(chars, pos)?;
        if chars.get(*pos) != Some(&')') {
            return None;
        }
        *pos += 1;
        Some(inner)
    } else {
        None
    };
    Some((path, sub))
}

fn parse_name(chars: &[char], pos: &mut usize) -> Option<String> {
    if chars.get(*pos) == Some(&'*') {
        *pos += 1;
        return Some("*".to_owned());
    }
    let start = *pos;
    while chars
        .get(*pos)
        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
    {
        *pos += 1;
    }
    (start < *pos).then(|| chars[start..*pos].iter().collect())
}

/// How a request asks its answer to be shaped: `fields` and `maxAttendees`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Shape {
    fields: Option<Selection>,
    max_attendees: Option<usize>,
}

impl Shape {
    /// Reads (and checks) the shaping parameters of a request, before it does anything.
    pub(crate) fn requested(params: &[(String, String)]) -> Result<Self, ApiError> {
        let value = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v);
        let fields = value("fields").map(|v| Selection::parse(v)).transpose()?;
        let max_attendees = value("maxAttendees")
            .map(|v| {
                v.parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                    ApiError::invalid_param("maxAttendees", "Invalid value for: maxAttendees")
                })
            })
            .transpose()?;
        Ok(Self {
            fields,
            max_attendees,
        })
    }

    /// The answer as asked for.
    pub(crate) fn apply(&self, mut value: Value) -> Value {
        if let Some(max) = self.max_attendees {
            match value.get_mut("items").and_then(Value::as_array_mut) {
                Some(items) => items.iter_mut().for_each(|e| limit_attendees(e, max)),
                None => limit_attendees(&mut value, max),
            }
        }
        match &self.fields {
            Some(sel) => sel.apply(&value),
            None => value,
        }
    }
}

/// Google's `maxAttendees`: beyond `max` attendees, only the participant's own entry (`self`, or the organizer's
/// email, which is the calendar's) is kept, and `attendeesOmitted` is set.
fn limit_attendees(event: &mut Value, max: usize) {
    let organizer = event["organizer"]["email"]
        .as_str()
        .map(str::to_ascii_lowercase);
    let Some(attendees) = event.get_mut("attendees").and_then(Value::as_array_mut) else {
        return;
    };
    if attendees.len() <= max {
        return;
    }
    attendees.retain(|a| {
        a["self"] == Value::Bool(true)
            || a["email"].as_str().map(str::to_ascii_lowercase) == organizer
    });
    event["attendeesOmitted"] = Value::Bool(true);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Selection;

    fn pick(fields: &str, value: serde_json::Value) -> serde_json::Value {
        Selection::parse(fields)
            .map(|s| s.apply(&value))
            .unwrap_or_default()
    }

    #[test]
    fn selections_follow_google_syntax() {
        let v = json!({"kind": "k", "items": [{"id": "a", "start": {"dateTime": "t", "timeZone": "z"}, "x": 1}],
                       "nextSyncToken": "s"});
        assert_eq!(
            pick("items(id),nextSyncToken", v.clone()),
            json!({"items": [{"id": "a"}], "nextSyncToken": "s"})
        );
        assert_eq!(
            pick("items/start/dateTime", v.clone()),
            json!({"items": [{"start": {"dateTime": "t"}}]})
        );
        assert_eq!(
            pick("items(start(timeZone),id)", v.clone()),
            json!({"items": [{"id": "a", "start": {"timeZone": "z"}}]})
        );
        assert_eq!(pick("*", v.clone()), v);
        assert_eq!(
            pick("items.start.timeZone", v.clone()),
            json!({"items": [{"start": {"timeZone": "z"}}]})
        );
        assert_eq!(
            pick("items/id,items/x", v.clone()),
            json!({"items": [{"id": "a", "x": 1}]})
        );
        assert_eq!(pick("kind,items", v.clone())["items"], v["items"]);
        for bad in ["items(id", "", "a,,b", "a/", "items)"] {
            assert!(Selection::parse(bad).is_err(), "{bad}");
        }
    }
}
