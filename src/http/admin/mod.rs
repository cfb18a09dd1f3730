//! The admin API (SPEC §7): provisioning ledgers, customers, accounts, payments, credentials.

mod billing;
mod credentials;
mod error;
mod render;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::AppState;
use super::body::{self, BodyError, JsonBody};
use crate::http::body::Invalid;
use crate::ledger::Entity;
use crate::ledger::{
    LedgerError, LedgerInfo, NationalId, NewAccount, NewCustomer, Settings, currency_scale,
};
use crate::money::Amount;
use crate::secret;
use error::AdminError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/v1/ledgers", post(create_ledger))
        .route(
            "/admin/v1/ledgers/{ledger}",
            get(get_ledger).patch(patch_ledger),
        )
        .route(
            "/admin/v1/ledgers/{ledger}/customers",
            post(create_customer),
        )
        .route(
            "/admin/v1/ledgers/{ledger}/customers/{customer}",
            get(get_customer),
        )
        .route("/admin/v1/ledgers/{ledger}/accounts", post(create_account))
        .route(
            "/admin/v1/ledgers/{ledger}/accounts/{account}",
            get(get_account),
        )
        .route(
            "/admin/v1/ledgers/{ledger}/accounts/{account}/payments",
            post(receive_payment),
        )
        .route(
            "/admin/v1/ledgers/{ledger}/accounts/{account}/statement",
            get(billing::statement),
        )
        .route(
            "/admin/v1/ledgers/{ledger}/bill-runs",
            post(billing::bill_run),
        )
        .route(
            "/admin/v1/ledgers/{ledger}/payments",
            post(billing::payment_by_reference),
        )
        .route(
            "/admin/v1/ledgers/{ledger}/credentials",
            post(credentials::create),
        )
        .route(
            "/admin/v1/ledgers/{ledger}/credentials/{id}",
            delete(credentials::revoke),
        )
        .route(
            "/admin/v1/ledgers/{ledger}/recharge-providers/{reference}",
            patch(set_recharge_provider),
        )
}

/// The operator, holding the admin token.
struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = AdminError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AdminError> {
        let token = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| {
                AdminError::new(
                    StatusCode::UNAUTHORIZED,
                    "Unauthorized: admin bearer token required",
                )
            })?;
        if secret::constant_time_eq(
            &secret::sha256(token.trim().as_bytes()),
            &state.admin_token_sha256[..],
        ) {
            Ok(Admin)
        } else {
            Err(AdminError::new(
                StatusCode::UNAUTHORIZED,
                "Unauthorized: admin bearer token required",
            ))
        }
    }
}

/// The ledger a path names, with its currency's scale.
fn ledger_meta(state: &AppState, ledger_no: &str) -> Result<crate::engine::LedgerMeta, AdminError> {
    state
        .engine
        .ledger_id(ledger_no)
        .and_then(|id| state.engine.meta(id))
        .ok_or_else(|| AdminError::not_found("Ledger"))
}

fn ledger_id(state: &AppState, ledger_no: &str) -> Result<i64, AdminError> {
    state
        .engine
        .ledger_id(ledger_no)
        .ok_or_else(|| AdminError::not_found("Ledger"))
}

type Body = Result<JsonBody, BodyError>;

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AdminError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| AdminError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error"))
}

async fn create_ledger(
    State(state): State<AppState>,
    _: Admin,
    body: Body,
) -> Result<Response, AdminError> {
    let JsonBody(body) = body?;
    let ledger_no = body::required_string(&body, "ledgerNo", 16)?;
    if !ledger_no.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Invalid::new("ledgerNo", "must be a string of digits").into());
    }
    let name = body::required_string(&body, "name", 200)?;
    let currency = body::required_string(&body, "currency", 3)?.to_uppercase();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Invalid::new("currency", "must be an ISO 4217 code of three letters").into());
    }
    let settings = match body.get("settings").filter(|v| !v.is_null()) {
        Some(patch) => Settings::default().patched(patch, currency_scale(&currency))?,
        None => Settings::default(),
    };
    if state.engine.ledger_id(&ledger_no).is_some() {
        return Err(AdminError::new(
            StatusCode::CONFLICT,
            format!("ledgerNo {ledger_no} already exists"),
        ));
    }
    let info = LedgerInfo {
        id: 0,
        ledger_no,
        name,
        currency,
        settings,
    };
    let engine = state.engine.clone();
    let stored = blocking(move || engine.create_ledger(&info)).await??;
    Ok((StatusCode::CREATED, Json(render::ledger(&stored))).into_response())
}

async fn get_ledger(
    State(state): State<AppState>,
    _: Admin,
    Path(ledger): Path<String>,
) -> Result<Json<Value>, AdminError> {
    let id = ledger_id(&state, &ledger)?;
    let info = state.engine.read(id, |l, _| l.info.clone()).await?;
    Ok(Json(render::ledger(&info)))
}

async fn patch_ledger(
    State(state): State<AppState>,
    _: Admin,
    Path(ledger): Path<String>,
    body: Body,
) -> Result<Json<Value>, AdminError> {
    let id = ledger_id(&state, &ledger)?;
    let JsonBody(body) = body?;
    for key in body.as_object().into_iter().flat_map(|o| o.keys()) {
        if key != "settings" && key != "name" {
            return Err(
                Invalid::new(key.as_str(), "cannot be changed (name and settings can)").into(),
            );
        }
    }
    let name = body::opt_string(&body, "name", 200)?;
    let patch = body.get("settings").cloned().unwrap_or_else(|| json!({}));
    let info = state
        .engine
        .execute(id, move |l, _| {
            l.update_settings(&patch)?;
            if let Some(name) = name {
                l.info.get_mut().name = name;
            }
            Ok::<_, AdminError>(l.info.clone())
        })
        .await??;
    Ok(Json(render::ledger(&info)))
}

/// A customer's national identifier, validated (SE: personnummer) and canonical.
fn national_id(body: &Value, today: time::Date) -> Result<Option<NationalId>, Invalid> {
    const FIELD: &str = "nationalConsumerIdentifier";
    let Some(nid) = body.get(FIELD).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let value = body::required_string(nid, "value", 64)
        .map_err(|_| Invalid::new(format!("{FIELD}.value"), "is required"))?;
    let country = body::required_string(nid, "countryCode", 2).map_err(|_| {
        Invalid::new(
            format!("{FIELD}.countryCode"),
            "must be an ISO 3166-1 alpha-2 code",
        )
    })?;
    crate::http::national_id::parse(&value, &country, today, FIELD).map(Some)
}

async fn create_customer(
    State(state): State<AppState>,
    _: Admin,
    Path(ledger): Path<String>,
    body: Body,
) -> Result<Response, AdminError> {
    let id = ledger_id(&state, &ledger)?;
    let JsonBody(body) = body?;
    let new = NewCustomer {
        customer_no: body::required_string(&body, "customerNo", 64)?,
        name: body::required_string(&body, "name", 200)?,
        email: body::opt_string(&body, "email", 254)?,
        msisdn: body::opt_string(&body, "msisdn", 20)?,
        national_id: national_id(&body, state.engine.now().date())?,
        username: body::opt_string(&body, "username", 255)?,
        aliases: body::string_list(&body, "aliases", 100, 255)?,
        cards: body::string_list(&body, "cards", 100, 255)?,
        personal_number: body::opt_string(&body, "personalNumber", 255)?,
    };
    let customer = state
        .engine
        .execute(id, move |l, _| {
            l.create_customer(new).map(|c| render::customer(l, &c))
        })
        .await??;
    Ok((StatusCode::CREATED, Json(customer)).into_response())
}

async fn get_customer(
    State(state): State<AppState>,
    _: Admin,
    Path((ledger, customer)): Path<(String, String)>,
) -> Result<Json<Value>, AdminError> {
    let id = ledger_id(&state, &ledger)?;
    let body = state
        .engine
        .read(id, move |l, _| {
            l.customer_by_no(&customer)
                .map(|c| render::customer(l, c))
                .ok_or(LedgerError::NotFound(Entity::Customer))
        })
        .await??;
    Ok(Json(body))
}

async fn create_account(
    State(state): State<AppState>,
    _: Admin,
    Path(ledger): Path<String>,
    body: Body,
) -> Result<Response, AdminError> {
    let meta = ledger_meta(&state, &ledger)?;
    let (id, scale) = (meta.id, meta.scale);
    let JsonBody(body) = body?;
    let credit_limit = match body.get("creditLimit") {
        None | Some(Value::Null) => Amount::ZERO,
        Some(_) => body::amount(&body, "creditLimit", scale)?,
    };
    let new = NewAccount {
        customer_no: body::required_string(&body, "customerNo", 64)?,
        account_no: body::opt_string(&body, "accountNo", 32)?,
        credit_limit,
        profile_type: body::opt_string(&body, "accountProfileType", 64)?,
        alias: body::opt_string(&body, "accountAlias", 100)?,
        description: body::opt_string(&body, "description", 200)?,
    };
    let account = state
        .engine
        .execute(id, move |l, now| {
            l.create_account(new, now).map(|a| render::account(l, &a))
        })
        .await??;
    Ok((StatusCode::CREATED, Json(account)).into_response())
}

async fn get_account(
    State(state): State<AppState>,
    _: Admin,
    Path((ledger, account)): Path<(String, String)>,
) -> Result<Json<Value>, AdminError> {
    let id = ledger_id(&state, &ledger)?;
    let account = state
        .engine
        .read(id, move |l, _| {
            l.account_by_no(&account)
                .map(|a| render::account(l, a))
                .ok_or(LedgerError::NotFound(Entity::Account))
        })
        .await??;
    Ok(Json(account))
}

async fn receive_payment(
    State(state): State<AppState>,
    _: Admin,
    Path((ledger, account)): Path<(String, String)>,
    body: Body,
) -> Result<Response, AdminError> {
    let meta = ledger_meta(&state, &ledger)?;
    let (id, scale) = (meta.id, meta.scale);
    let JsonBody(body) = body?;
    let amount = body::amount(&body, "amount", scale)?;
    let description = body::opt_string(&body, "description", 200)?;
    let reference = body::opt_string(&body, "paymentReference", 64)?;
    let txn = state
        .engine
        .execute(id, move |l, now| {
            l.receive_payment(&account, amount, description, reference, now)
        })
        .await??;
    Ok((StatusCode::CREATED, Json(render::transaction(&txn, scale))).into_response())
}

/// Enables or disables a recharge provider of the ledger: `{"enabled": false}`.
async fn set_recharge_provider(
    State(state): State<AppState>,
    _: Admin,
    Path((ledger, reference)): Path<(String, String)>,
    body: Body,
) -> Result<Json<Value>, AdminError> {
    let id = ledger_id(&state, &ledger)?;
    let JsonBody(body) = body?;
    let enabled = match body.get("enabled") {
        Some(Value::Bool(b)) => *b,
        None | Some(Value::Null) => {
            return Err(Invalid::new("enabled", "is required").into());
        }
        Some(_) => return Err(Invalid::new("enabled", "must be true or false").into()),
    };
    let info = state
        .engine
        .execute(id, move |l, _| {
            l.info
                .settings
                .recharge_provider_enabled(&reference)
                .ok_or(LedgerError::NotFound(Entity::RechargeProvider))?;
            // Settings patch whole top-level keys: send the full map with this one changed.
            let mut providers = l.info.settings.recharge_providers.clone();
            providers.insert(reference, enabled);
            l.update_settings(&json!({ "rechargeProviders": providers }))?;
            Ok::<_, AdminError>(l.info.clone())
        })
        .await??;
    Ok(Json(render::ledger(&info)))
}
