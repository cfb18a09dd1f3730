//! Credentials of a ledger's API clients: created with their secret shown once, revoked.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{Admin, AdminError, Body, blocking, ledger_id};
use crate::http::AppState;
use crate::http::body::Invalid;
use crate::http::body::{self, JsonBody};
use crate::http::credentials::{LEDGER_BEARER, MYQ_BASIC, MYQ_OAUTH, SCOPES};

pub(super) async fn create(
    State(state): State<AppState>,
    _: Admin,
    Path(ledger): Path<String>,
    body: Body,
) -> Result<Response, AdminError> {
    let id = ledger_id(&state, &ledger)?;
    let JsonBody(body) = body?;
    let kind = body::required_string(&body, "kind", 32)?;
    match kind.as_str() {
        MYQ_BASIC => {
            let login = body::required_string(&body, "login", 64)?;
            if login.contains(':') {
                return Err(Invalid::new("login", "must not contain ':'").into());
            }
            let credentials = state.credentials.clone();
            let (cred_id, password) = {
                let login = login.clone();
                blocking(move || credentials.create_basic(id, MYQ_BASIC, &login)).await??
            };
            Ok((
                StatusCode::CREATED,
                Json(json!({"id": cred_id, "kind": kind, "login": login, "password": password.expose()})),
            )
                .into_response())
        }
        MYQ_OAUTH => {
            let scopes = body::string_list(&body, "scopes", 8, 32)?;
            if scopes.is_empty() {
                return Err(
                    Invalid::new("scopes", "must name at least one scope (credit, users)").into(),
                );
            }
            if let Some(bad) = scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
                return Err(Invalid::new(
                    "scopes",
                    format!("{bad} is not a scope (credit, users)"),
                )
                .into());
            }
            let credentials = state.credentials.clone();
            let granted = scopes.clone();
            let (cred_id, client_id, secret) =
                blocking(move || credentials.create_oauth_client(id, granted)).await??;
            Ok((
                StatusCode::CREATED,
                Json(json!({
                    "id": cred_id, "kind": kind, "clientId": client_id,
                    "clientSecret": secret.expose(), "scopes": scopes,
                })),
            )
                .into_response())
        }
        LEDGER_BEARER => {
            let credentials = state.credentials.clone();
            let (cred_id, token) = blocking(move || credentials.create_ledger_bearer(id)).await??;
            Ok((
                StatusCode::CREATED,
                Json(json!({"id": cred_id, "kind": kind, "token": token.expose()})),
            )
                .into_response())
        }
        _ => Err(Invalid::new(
            "kind",
            "must be myq-basic, myq-oauth-client or ledger-bearer",
        )
        .into()),
    }
}

pub(super) async fn revoke(
    State(state): State<AppState>,
    _: Admin,
    Path((ledger, cred)): Path<(String, String)>,
) -> Result<StatusCode, AdminError> {
    let id = ledger_id(&state, &ledger)?;
    let cred: i64 = cred
        .parse()
        .map_err(|_| AdminError::not_found("Credential"))?;
    let credentials = state.credentials.clone();
    if blocking(move || credentials.revoke(id, cred)).await?? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AdminError::not_found("Credential"))
    }
}
