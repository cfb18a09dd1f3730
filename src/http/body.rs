//! Request bodies: one extractor whose rejections each API renders in its own format, and
//! field readers whose errors name the field and the rule it broke.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde_json::Value;

use crate::money::Amount;

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
            BodyError::Unreadable => "Request body could not be read".into(),
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = BodyError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
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

fn present<'a>(body: &'a Value, field: &str) -> Option<&'a Value> {
    body.get(field).filter(|v| !v.is_null())
}

/// A required non-negative amount with at most `scale` decimals.
pub fn amount(body: &Value, field: &str, scale: u32) -> Result<Amount, Invalid> {
    match present(body, field) {
        None => Err(Invalid::new(field, "is required")),
        Some(Value::Number(n)) => {
            Amount::parse(&n.to_string(), scale).map_err(|e| Invalid::new(field, e.to_string()))
        }
        Some(_) => Err(Invalid::new(field, "must be a number")),
    }
}

/// An optional string of at most `max_len` characters; empty counts as absent.
pub fn opt_string(body: &Value, field: &str, max_len: usize) -> Result<Option<String>, Invalid> {
    match present(body, field) {
        None => Ok(None),
        Some(Value::String(s)) if s.chars().count() > max_len => Err(Invalid::new(
            field,
            format!("must be at most {max_len} characters"),
        )),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Invalid::new(field, "must be a string")),
    }
}

pub fn required_string(body: &Value, field: &str, max_len: usize) -> Result<String, Invalid> {
    opt_string(body, field, max_len)?.ok_or_else(|| Invalid::new(field, "is required"))
}

/// An optional list of strings; nulls and empty strings inside are skipped.
pub fn string_list(
    body: &Value,
    field: &str,
    max_items: usize,
    max_len: usize,
) -> Result<Vec<String>, Invalid> {
    match present(body, field) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) if items.len() > max_items => Err(Invalid::new(
            field,
            format!("must have at most {max_items} items"),
        )),
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::Null => {}
                    Value::String(s) if s.chars().count() > max_len => {
                        return Err(Invalid::new(
                            format!("{field}[{i}]"),
                            format!("must be at most {max_len} characters"),
                        ));
                    }
                    Value::String(s) if s.is_empty() => {}
                    Value::String(s) => out.push(s.clone()),
                    _ => {
                        return Err(Invalid::new(format!("{field}[{i}]"), "must be a string"));
                    }
                }
            }
            Ok(out)
        }
        Some(_) => Err(Invalid::new(field, "must be an array of strings")),
    }
}

/// Used only when a handler takes `JsonBody` bare; API handlers take `Result<JsonBody, _>` and
/// render the error in their own format.
impl axum::response::IntoResponse for BodyError {
    fn into_response(self) -> axum::response::Response {
        crate::http::myq_external::MyqError::from(self).into_response()
    }
}
