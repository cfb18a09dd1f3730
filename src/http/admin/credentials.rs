//! Credentials of a ledger's API clients: created with their secret shown once, revoked.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::types::{Credential, CredentialKind, ListedCredential, NewCredential};
use super::{Admin, AdminError, Body, Errors, blocking, ledger_id};
use crate::http::AppState;
use crate::http::body::Invalid;
use crate::http::credentials::{LEDGER_BEARER, MYQ_BASIC, MYQ_OAUTH, SCOPES};
use crate::http::wire::{self, Wire};

impl CredentialKind {
    fn as_str(self) -> &'static str {
        match self {
            CredentialKind::MyqBasic => MYQ_BASIC,
            CredentialKind::MyqOauthClient => MYQ_OAUTH,
            CredentialKind::LedgerBearer => LEDGER_BEARER,
        }
    }
}

/// A credential of `kind` with none of its secrets filled in yet.
fn shown(id: i64, kind: CredentialKind) -> Credential {
    Credential {
        id,
        kind: kind.as_str(),
        login: None,
        password: None,
        client_id: None,
        client_secret: None,
        scopes: None,
        token: None,
    }
}

/// Refuses a field that belongs to another kind of credential.
fn only_for(
    field: &str,
    given: bool,
    kind: CredentialKind,
    owner: CredentialKind,
) -> Result<(), Invalid> {
    if given && kind != owner {
        return Err(Invalid::new(
            field,
            format!("is only for kind {}", owner.as_str()),
        ));
    }
    Ok(())
}

#[utoipa::path(post, operation_id = "adminCreateCredential", path = "/admin/v1/ledgers/{ledger}/credentials", tag = "Admin API",
    params(("ledger" = String, Path)),
    request_body = NewCredential,
    responses((status = 201, description = "The credential, with its secret shown this once", body = Credential), Errors),
    security(("adminBearer" = [])))]
pub(super) async fn create(
    State(state): State<AppState>,
    _: Admin,
    Path(ledger): Path<String>,
    Wire { body, .. }: Body<NewCredential>,
) -> Result<Response, AdminError> {
    let id = ledger_id(&state, &ledger)?;
    let kind = body.kind;
    only_for(
        "login",
        body.login.is_some(),
        kind,
        CredentialKind::MyqBasic,
    )?;
    only_for(
        "scopes",
        body.scopes.is_some(),
        kind,
        CredentialKind::MyqOauthClient,
    )?;
    let credentials = state.credentials.clone();
    let created = match kind {
        CredentialKind::MyqBasic => {
            let login = super::required("login", body.login.unwrap_or_default())?;
            if login.contains(':') {
                return Err(Invalid::new("login", "must not contain ':'").into());
            }
            let (cred_id, password) = {
                let login = login.clone();
                blocking(move || credentials.create_basic(id, MYQ_BASIC, &login)).await??
            };
            Credential {
                login: Some(login),
                password: Some(password.expose().to_string()),
                ..shown(cred_id, kind)
            }
        }
        CredentialKind::MyqOauthClient => {
            let scopes = wire::texts("scopes", body.scopes)?;
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
            let granted = scopes.clone();
            let (cred_id, client_id, secret) =
                blocking(move || credentials.create_oauth_client(id, granted)).await??;
            Credential {
                client_id: Some(client_id),
                client_secret: Some(secret.expose().to_string()),
                scopes: Some(scopes),
                ..shown(cred_id, kind)
            }
        }
        CredentialKind::LedgerBearer => {
            let (cred_id, token) = blocking(move || credentials.create_ledger_bearer(id)).await??;
            Credential {
                token: Some(token.expose().to_string()),
                ..shown(cred_id, kind)
            }
        }
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

#[utoipa::path(delete, operation_id = "adminRevokeCredential", path = "/admin/v1/ledgers/{ledger}/credentials/{id}", tag = "Admin API",
    params(("ledger" = String, Path), ("id" = i64, Path)),
    responses((status = 204, description = "Revoked: it no longer signs anything in"), Errors),
    security(("adminBearer" = [])))]
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

#[utoipa::path(get, operation_id = "adminListCredentials", path = "/admin/v1/ledgers/{ledger}/credentials", tag = "Admin API",
    params(("ledger" = String, Path)),
    responses((status = 200, description = "The ledger's active credentials by id, without their secrets", body = super::types::List<ListedCredential>), Errors),
    security(("adminBearer" = [])))]
pub(super) async fn list(
    State(state): State<AppState>,
    _: Admin,
    Path(ledger): Path<String>,
) -> Result<Json<super::types::List<ListedCredential>>, AdminError> {
    let id = ledger_id(&state, &ledger)?;
    let tz = state
        .engine
        .read(id, |l, _| l.info.settings.time_zone.clone())
        .await?;
    let credentials = state.credentials.clone();
    let rows = blocking(move || credentials.list(id)).await??;
    let at = |t: Option<time::OffsetDateTime>| t.map(|t| crate::ledger::zone::rfc3339(&tz, t));
    let items: Vec<ListedCredential> = rows
        .into_iter()
        .map(|r| ListedCredential {
            id: r.id,
            login: (r.kind == MYQ_BASIC).then(|| r.login.clone()),
            client_id: (r.kind == MYQ_OAUTH).then(|| r.login.clone()),
            scopes: (r.kind == MYQ_OAUTH).then(|| r.scopes.clone()),
            created_at: at(r.created_at),
            last_used_at: at(r.last_used_at),
            kind: r.kind,
        })
        .collect();
    let total = items.len();
    Ok(Json(super::types::List {
        items,
        total,
        limit: total,
        offset: 0,
    }))
}
