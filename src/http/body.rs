//! Request bodies: one extractor whose rejections each API renders in its own format, and
//! `Invalid`, the field and the rule a request broke.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde_json::Value;

/// A request field that broke a rule: the field's path (`cardHolder.name`) and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct Invalid {
    pub field: String,
    pub rule: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Invalid {
            field: field.into(),
            rule: rule.into(),
        }
    }

    /// The same error for a field read inside `parent` (`cardHolder` + `name` →
    /// `cardHolder.name`).
    pub fn within(self, parent: &str) -> Self {
        if parent.is_empty() {
            return self;
        }
        Invalid::new(format!("{parent}.{}", self.field), self.rule)
    }
}

/// The request body as JSON; an empty body reads as `{}`.
pub struct JsonBody(pub Value);

#[derive(Debug)]
pub enum BodyError {
    TooLarge,
    Malformed(String),
    /// A body sent as another media type (a form, plain text): the client did not mean JSON.
    NotJson(String),
    Unreadable,
}

impl BodyError {
    pub fn message(&self) -> String {
        match self {
            BodyError::TooLarge => format!(
                "Request body too large: at most {} bytes",
                super::BODY_LIMIT
            ),
            BodyError::Malformed(detail) => format!("Malformed JSON: {detail}"),
            BodyError::NotJson(given) => {
                format!("Content-Type: must be application/json, not {given}")
            }
            BodyError::Unreadable => "Request body could not be read".into(),
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = BodyError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let refused = refused_type(&req);
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                BodyError::TooLarge
            } else {
                BodyError::Unreadable
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(Value::Object(Default::default())));
        }
        if let Some(given) = refused {
            return Err(BodyError::NotJson(given));
        }
        let value: Value =
            serde_json::from_slice(&bytes).map_err(|e| BodyError::Malformed(e.to_string()))?;
        if !value.is_object() {
            return Err(BodyError::Malformed(
                "the body must be a JSON object".into(),
            ));
        }
        Ok(JsonBody(value))
    }
}

/// The request's media type without parameters, lower case, when it is not a JSON type. A
/// body without a `Content-Type` is read as JSON: some clients leave it out.
fn refused_type(req: &Request) -> Option<String> {
    let value = req.headers().get(axum::http::header::CONTENT_TYPE)?;
    let text = String::from_utf8_lossy(value.as_bytes());
    let essence = text.split(';').next().unwrap_or_default().trim();
    (!is_json(essence)).then(|| essence.to_ascii_lowercase())
}

/// `application/json`, or a JSON-based type such as `application/merge-patch+json`, in any
/// case.
fn is_json(essence: &str) -> bool {
    let starts = |prefix: &str| {
        essence
            .get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    };
    let ends = |suffix: &str| {
        essence
            .len()
            .checked_sub(suffix.len())
            .and_then(|at| essence.get(at..))
            .is_some_and(|s| s.eq_ignore_ascii_case(suffix))
    };
    essence.eq_ignore_ascii_case("application/json") || (starts("application/") && ends("+json"))
}

/// Used only when a handler takes `JsonBody` bare; API handlers take `Result<JsonBody, _>` and
/// render the error in their own format.
impl axum::response::IntoResponse for BodyError {
    fn into_response(self) -> axum::response::Response {
        crate::http::myq_external::MyqError::from(self).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::is_json;

    #[test]
    fn json_types_are_known_in_any_case_and_others_are_not() {
        for json in [
            "application/json",
            "Application/JSON",
            "application/merge-patch+json",
            "APPLICATION/PROBLEM+JSON",
        ] {
            assert!(is_json(json), "{json}");
        }
        for other in [
            "text/plain",
            "multipart/form-data",
            "application/x-www-form-urlencoded",
            "text/json+json",
            "+json",
            "application/jso",
            "",
        ] {
            assert!(!is_json(other), "{other}");
        }
    }
}
