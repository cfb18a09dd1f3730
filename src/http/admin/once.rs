//! `Idempotency-Key` on the admin API's POSTs: the first request with a key is carried out
//! and its answer kept in the same ledger job; a retry with the same key, method, path and
//! body gets that answer again (marked `Idempotent-Replayed: true`), and the key with anything
//! else is a 409. Credentials and ledgers are outside it: a credential's secret is never kept,
//! and a ledger's number already refuses a second creation.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use time::OffsetDateTime;

use super::AdminError;
use crate::http::AppState;
use crate::http::body::Invalid;
use crate::ledger::{AdminAnswer, Ledger, LedgerError};
use crate::secret;

/// The request's `Idempotency-Key`, if it sent one, with its method and path.
pub struct IdempotencyKey(Option<(String, String)>);

impl FromRequestParts<AppState> for IdempotencyKey {
    type Rejection = AdminError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, AdminError> {
        let Some(value) = parts.headers.get("idempotency-key") else {
            return Ok(IdempotencyKey(None));
        };
        let key = value
            .to_str()
            .ok()
            .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| {
                Invalid::new(
                    "Idempotency-Key",
                    "must be 1 to 255 visible ASCII characters",
                )
            })?;
        let request = format!("{} {}", parts.method, parts.uri.path());
        Ok(IdempotencyKey(Some((key.to_string(), request))))
    }
}

impl IdempotencyKey {
    /// The key and the hash of the whole request, once its body is read.
    fn with_body(self, body: &serde_json::Value) -> Option<(String, String)> {
        let (key, request) = self.0?;
        let text = format!("{request}\n{body}");
        Some((key, secret::sha256_hex(text.as_bytes())))
    }
}

/// Runs `op` on the ledger's writer under the request's key: answered `status` with the JSON
/// of what `op` returns, or the kept answer of an earlier identical request.
pub async fn once<T, F>(
    state: &AppState,
    ledger_id: i64,
    key: IdempotencyKey,
    body: &serde_json::Value,
    status: StatusCode,
    op: F,
) -> Result<Response, AdminError>
where
    T: Serialize,
    F: FnOnce(&mut Ledger, OffsetDateTime) -> Result<T, LedgerError> + Send + 'static,
{
    let keyed = key.with_body(body);
    let (status, json, replayed) = state
        .engine
        .execute(ledger_id, move |l, now| {
            if let Some((key, hash)) = &keyed
                && let Some(kept) = l.admin_answer(key)?
            {
                if &kept.request_sha256 != hash {
                    return Err(LedgerError::IdempotencyKeyReused);
                }
                return Ok((kept.status, kept.body, true));
            }
            let json = serde_json::to_string(&op(l, now)?).expect("answers serialize");
            if let Some((key, request_sha256)) = keyed {
                let answer = AdminAnswer {
                    request_sha256,
                    status: status.as_u16(),
                    body: json.clone(),
                    created_at: now,
                };
                l.keep_admin_answer(key, answer);
            }
            Ok((status.as_u16(), json, false))
        })
        .await??;
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut response = (status, json).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}
