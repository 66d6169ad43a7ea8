//! Priority labels as submitted and as sent: validation of a submitted label ([`PriorityInput`]) and the
//! wire form of a stored one ([`to_wire`]).
//!
//! A label is `{_id, user, name, ...}`: `name` is required (trimmed, 1–100 characters) and unique per
//! user; other keys (e.g. `color`) are kept as the client sent them, as in the reference, except the
//! server-owned `_id` and `user`. Nested values are limited to keep the documents small and flat.

use mongodb::bson::{self, Bson, Document};
use serde_json::{Map, Value};

use crate::store::priorities::PriorityDoc;

/// Longest accepted `name`, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Most extra keys a label may carry.
pub const MAX_EXTRA_KEYS: usize = 16;

/// A validated submitted label.
#[derive(Debug, Clone, PartialEq)]
pub struct PriorityInput {
    /// Label text, trimmed, not empty.
    pub name: String,
    /// Other client fields (never `_id`, `user` or `name`; keys are non-empty, do not start with `$`
    /// and contain no `.` or NUL, which BSON keys cannot hold).
    pub extra: Document,
}

/// Why a submitted label is invalid: the field and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` {message}")]
pub struct PriorityInputError {
    /// The JSON field (`""` for the body itself).
    pub field: String,
    /// What is wrong.
    pub message: &'static str,
}

fn err(field: impl Into<String>, message: &'static str) -> PriorityInputError {
    PriorityInputError {
        field: field.into(),
        message,
    }
}

impl PriorityInput {
    /// Parses `{name, ...}`.
    pub fn parse(body: &Value) -> Result<Self, PriorityInputError> {
        let obj = body
            .as_object()
            .ok_or_else(|| err("", "the body must be a JSON object"))?;
        let name = match obj.get("name") {
            Some(Value::String(name)) => name.trim(),
            None | Some(Value::Null) => return Err(err("name", "is required")),
            Some(_) => return Err(err("name", "must be a string")),
        };
        if name.is_empty() {
            return Err(err("name", "must not be empty"));
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(err("name", "is longer than 100 characters"));
        }
        let mut extra = Document::new();
        for (key, value) in obj {
            if matches!(key.as_str(), "_id" | "user" | "name") {
                continue;
            }
            if key.starts_with('$') || key.contains(['.', '\0']) || key.is_empty() {
                return Err(err(key.clone(), "is not an allowed field name"));
            }
            if matches!(value, Value::Object(_) | Value::Array(_)) {
                return Err(err(
                    key.clone(),
                    "must be a string, number, boolean or null",
                ));
            }
            let value = bson::to_bson(value).map_err(|_| err(key.clone(), "cannot be stored"))?;
            extra.insert(key.clone(), value);
        }
        if extra.len() > MAX_EXTRA_KEYS {
            return Err(err("", "has more than 16 fields besides name"));
        }
        Ok(PriorityInput {
            name: name.to_owned(),
            extra,
        })
    }
}

/// The wire form `{_id, user, name, ...extra}` (ids as hex strings).
pub fn to_wire(doc: &PriorityDoc) -> Value {
    let mut out = Map::new();
    out.insert("_id".into(), doc.id.to_hex().into());
    out.insert("user".into(), doc.user.to_hex().into());
    out.insert("name".into(), doc.name.clone().into());
    for (key, value) in &doc.extra {
        if matches!(key.as_str(), "_id" | "user" | "name") {
            continue;
        }
        let value = match value {
            Bson::ObjectId(oid) => Value::String(oid.to_hex()),
            other => other.clone().into_relaxed_extjson(),
        };
        out.insert(key.clone(), value);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_names_the_bad_field() {
        let ok = PriorityInput::parse(&json!({"name": " work ", "color": "#ff0000", "user": "x"}))
            .unwrap();
        assert_eq!(ok.name, "work");
        assert_eq!(ok.extra.get_str("color").unwrap(), "#ff0000");
        assert!(!ok.extra.contains_key("user"));
        let field = |v: Value| PriorityInput::parse(&v).unwrap_err().field;
        assert_eq!(field(json!({})), "name");
        assert_eq!(field(json!({"name": "  "})), "name");
        assert_eq!(field(json!({"name": 3})), "name");
        assert_eq!(field(json!({"name": "a", "$set": 1})), "$set");
        assert_eq!(field(json!({"name": "a", "deep": {"x": 1}})), "deep");
        assert_eq!(field(json!([1])), "");
        assert_eq!(
            field(json!({ "name": "x".repeat(MAX_NAME_CHARS + 1) })),
            "name"
        );
    }
}
