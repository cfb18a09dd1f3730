//! `POST /api/auth/token`: the OAuth2 client credentials grant, JSON or form-encoded.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{V3Error, types};
use crate::http::AppState;
use crate::http::body::BodyError;
use crate::http::credentials::{GrantError, decode_basic};
use crate::http::wire;

/// The request, from a form body or a JSON object.
fn parameters(headers: &HeaderMap, body: &Bytes) -> Result<types::TokenRequest, V3Error> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let value = if is_form {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|e| V3Error::bad_request(format!("Malformed form body: {e}")))?;
        Value::Object(
            pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        )
    } else if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| V3Error::from(BodyError::Malformed(e.to_string())))?;
        if !value.is_object() {
            return Err(BodyError::Malformed("the body must be a JSON object".into()).into());
        }
        value
    };
    Ok(wire::parse(&value)?)
}

#[utoipa::path(post, operation_id = "grantToken", path = "/api/auth/token", tag = "MyQ X REST API v3",
    request_body(content(
        (types::TokenRequest = "application/json"),
        (types::TokenRequest = "application/x-www-form-urlencoded"),
    )),
    responses((status = 200, description = "An access token (not to be cached)", body = types::Token), super::Errors))]
pub async fn grant(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, V3Error> {
    let params = parameters(&headers, &body)?;
    match params.grant_type.as_ref().map(|g| g.0.as_str()) {
        Some("client_credentials") => {}
        Some(other) => {
            return Err(V3Error::bad_request(format!(
                "grant_type: unsupported grant type '{other}' (only client_credentials)"
            )));
        }
        None => return Err(V3Error::bad_request("grant_type: is required")),
    }
    // RFC 6749 lets the client authenticate in the body or with HTTP Basic.
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(decode_basic);
    let (client_id, client_secret) = match (params.client_id, params.client_secret, basic) {
        (Some(id), Some(secret), _) => (id, secret.into_inner()),
        (_, _, Some((id, secret))) => (id, secret),
        _ => {
            return Err(V3Error::unauthorized(
                "Invalid client: client_id and client_secret are required",
            ));
        }
    };
    let requested = params
        .scope
        .map(|s| {
            s.0.split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty());
    let grant = state
        .credentials
        .grant(&client_id, &client_secret, requested)
        .await
        .map_err(|e| match e {
            GrantError::InvalidClient => V3Error::unauthorized("Invalid client credentials"),
            GrantError::InvalidScope(scope) => V3Error::bad_request(format!(
                "scope: the client holds none of the requested scopes '{scope}'"
            )),
            GrantError::Store(e) => {
                tracing::error!(error = %e, "storing an access token failed");
                V3Error::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error")
            }
        })?;
    let body = types::Token {
        access_token: grant.access_token.expose().to_string(),
        token_type: "Bearer",
        expires_in: grant.expires_in,
        scope: grant.scopes.join(" "),
    };
    let mut response = Json(body).into_response();
    // RFC 6749 §5.1: responses carrying tokens must not be cached.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
