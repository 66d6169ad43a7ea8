//! Typed reads of single fields from a JSON object, each failing with an [`EventError`] naming the field.
//!
//! Absent and `null` both read as `None`, except in [`nullable_str`], which keeps them apart.

use serde_json::{Map, Value};

use crate::{EventError, Nullable};

/// The JSON object fields are read from.
pub(crate) type Object = Map<String, Value>;

/// An optional string (absent or `null` → `None`).
pub(crate) fn opt_str<'a>(
    obj: &'a Object,
    field: &'static str,
) -> Result<Option<&'a str>, EventError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(EventError::WrongType {
            field,
            expected: "a string",
        }),
    }
}

/// A required string.
pub(crate) fn req_str<'a>(obj: &'a Object, field: &'static str) -> Result<&'a str, EventError> {
    opt_str(obj, field)?.ok_or(EventError::Missing { field })
}

/// A string that may be absent, `null` or a value, kept apart.
pub(crate) fn nullable_str(
    obj: &Object,
    field: &'static str,
) -> Result<Nullable<String>, EventError> {
    match obj.get(field) {
        None => Ok(Nullable::Absent),
        Some(Value::Null) => Ok(Nullable::Null),
        Some(Value::String(s)) => Ok(Nullable::Value(s.clone())),
        Some(_) => Err(EventError::WrongType {
            field,
            expected: "a string or null",
        }),
    }
}

/// An optional boolean.
pub(crate) fn opt_bool(obj: &Object, field: &'static str) -> Result<Option<bool>, EventError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(EventError::WrongType {
            field,
            expected: "true or false",
        }),
    }
}

/// An optional integer.
pub(crate) fn opt_int(obj: &Object, field: &'static str) -> Result<Option<i64>, EventError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or(EventError::WrongType {
            field,
            expected: "an integer",
        }),
    }
}

/// An optional nested object.
pub(crate) fn opt_object<'a>(
    obj: &'a Object,
    field: &'static str,
) -> Result<Option<&'a Object>, EventError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(EventError::WrongType {
            field,
            expected: "an object",
        }),
    }
}
