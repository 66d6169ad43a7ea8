//! The JSON error body the backend answers with: `{result, message, code?}`.
//!
//! `result` is a short title, `message` a sentence for people, `code` an optional stable machine-readable code
//! (e.g. `GOOGLE_REVOKED`). Bodies never carry stack traces or internal causes.

use serde::{Deserialize, Serialize};

use crate::ErrorCode;

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Short title of the failure, e.g. `Event not found`.
    pub result: String,
    /// What happened, in words a person can read.
    pub message: String,
    /// A stable code clients may match on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl ErrorBody {
    /// A body without a code.
    pub fn new(result: impl Into<String>, message: impl Into<String>) -> Self {
        ErrorBody {
            result: result.into(),
            message: message.into(),
            code: None,
        }
    }

    /// The same body with a stable code.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// The same body with one of the contract's [`ErrorCode`]s.
    pub fn with_error_code(self, code: ErrorCode) -> Self {
        self.with_code(code.as_str())
    }

    /// The code as an [`ErrorCode`], when it is one the contract knows.
    pub fn error_code(&self) -> Option<ErrorCode> {
        self.code.as_deref().and_then(|code| code.parse().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn code_is_omitted_when_absent() {
        let body = ErrorBody::new("Event not found", "No such event");
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"result": "Event not found", "message": "No such event"})
        );
        let coded = body.with_code("NOT_FOUND");
        assert_eq!(serde_json::to_value(&coded).unwrap()["code"], "NOT_FOUND");
        assert_eq!(coded.error_code(), None);
        let typed = ErrorBody::new("Conflict", "taken").with_error_code(ErrorCode::EventIdTaken);
        assert_eq!(
            serde_json::to_value(&typed).unwrap()["code"],
            "EVENT_ID_TAKEN"
        );
        assert_eq!(typed.error_code(), Some(ErrorCode::EventIdTaken));
    }
}
