//! The admin API (SPEC §7): provisioning ledgers, customers, accounts, payments, credentials.

mod billing;
mod credentials;
mod directory;
mod error;
pub(crate) mod events;
mod import;
mod once;
mod orders;
mod render;
mod top_up;
pub(crate) mod types;
mod webhooks;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use serde_json::json;

use super::AppState;
use super::body::Invalid;
use super::wire::{self, Text, Wire};
use crate::http::myq_external::ExternalErrorBody;
use crate::ledger::Entity;
use crate::ledger::{LedgerError, LedgerInfo, NewAccount, NewCustomer, Settings, currency_scale};
use crate::money::Amount;
use crate::secret;
use error::AdminError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/v1/ledgers",
            post(create_ledger).get(directory::ledgers),
        )
        .route(
            "/admin/v1/ledgers/{ledger}",
            get(get_ledger).patch(patch_ledger),
        )
        .route(
            "/admin/v1/ledgers/{ledger}/customers",
            post(create_customer).get(directory::customers),
        )
        .route(
            "/admin/v1/ledgers/{ledger}/customers/{customer}",
            get(get_customer).patch(directory::patch_customer),
        )
        .route(
            "/admin/v1/ledgers/{ledger}/accounts",
            post(create_account).get(directory::accounts),
        )
        .route(
            "/admin/v1/ledgers/{ledger}/accounts/{account}",
            get(get_account).patch(directory::patch_account),
        )
        .route(
            "/admin/v1/ledgers/{ledger}/accounts/{account}/payments",
            post(receive_payment),
        )
        .route(
            "/admin/v1/ledgers/{ledger}/accounts/{account}/adjustments",
            post(billing::adjust),
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
            "/admin/v1/ledgers/{ledger}/top-ups",
            post(top_up::top_up).layer(axum::extract::DefaultBodyLimit::max(top_up::BODY_LIMIT)),
        )
        .route(
            "/admin/v1/ledgers/{ledger}/imports/customers",
            post(import::customers).layer(axum::extract::DefaultBodyLimit::max(top_up::BODY_LIMIT)),
        )
        .route(
            "/admin/v1/ledgers/{ledger}/payment-orders",
            get(orders::list),
        )
        .route(
            "/admin/v1/ledgers/{ledger}/payment-orders/{bill}/executed",
            post(orders::executed),
        )
        .route(
            "/admin/v1/ledgers/{ledger}/payment-orders/{bill}/failed",
            post(orders::failed),
        )
        .route("/admin/v1/ledgers/{ledger}/events", get(events::list))
        .route(
            "/admin/v1/ledgers/{ledger}/webhooks",
            post(webhooks::create).get(webhooks::list),
        )
        .route(
            "/admin/v1/ledgers/{ledger}/webhooks/{id}",
            patch(webhooks::patch).delete(webhooks::delete),
        )
        .route(
            "/admin/v1/ledgers/{ledger}/webhooks/{id}/replay",
            post(webhooks::replay),
        )
        .route(
            "/admin/v1/ledgers/{ledger}/webhooks/{id}/deliveries",
            get(webhooks::deliveries),
        )
        .route(
            "/admin/v1/ledgers/{ledger}/credentials",
            post(credentials::create).get(credentials::list),
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
    let meta = state
        .engine
        .ledger_id(ledger_no)
        .and_then(|id| state.engine.meta(id))
        .ok_or_else(|| AdminError::not_found("Ledger"))?;
    super::record_ledger(ledger_no);
    Ok(meta)
}

fn ledger_id(state: &AppState, ledger_no: &str) -> Result<i64, AdminError> {
    let id = state
        .engine
        .ledger_id(ledger_no)
        .ok_or_else(|| AdminError::not_found("Ledger"))?;
    super::record_ledger(ledger_no);
    Ok(id)
}

/// A request body of the admin API, rejected in its format.
type Body<T> = Wire<T, AdminError>;

/// A required text: empty counts as not given.
fn required<const N: usize>(field: &str, text: Text<N>) -> Result<String, Invalid> {
    text.given()
        .map(str::to_string)
        .ok_or_else(|| Invalid::new(field, "is required"))
}

/// An optional text: empty counts as not given.
fn optional<const N: usize>(text: Option<Text<N>>) -> Option<String> {
    text.and_then(|t| t.given().map(str::to_string))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AdminError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| AdminError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error"))
}

/// The admin API's reference.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        create_ledger, get_ledger, patch_ledger, create_customer, get_customer, create_account,
        get_account, receive_payment, set_recharge_provider, billing::bill_run,
        billing::payment_by_reference, billing::statement, credentials::create,
        credentials::revoke, orders::list, orders::executed, orders::failed,
        directory::ledgers, directory::customers, directory::patch_customer,
        directory::accounts, directory::patch_account, credentials::list, billing::adjust,
        top_up::top_up, import::customers, events::list, webhooks::create, webhooks::list,
        webhooks::patch, webhooks::replay, webhooks::delete, webhooks::deliveries
    ),
    tags((name = "Admin API", description = "Provisioning ledgers, customers, accounts and credentials; payments received; bill runs and statements (SPEC §7)"))
)]
pub struct ApiDoc;

/// The admin API's errors: `{"error": {"message"}}` for every status.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum Errors {
    /// A field broke a rule (`<field>: <rule>`).
    #[response(status = 400)]
    BadRequest(ExternalErrorBody),
    /// No or a wrong admin token.
    #[response(status = 401)]
    Unauthorized(ExternalErrorBody),
    /// No such ledger, customer, account, provider or credential.
    #[response(status = 404)]
    NotFound(ExternalErrorBody),
    /// It exists already, or its state forbids the change.
    #[response(status = 409)]
    Conflict(ExternalErrorBody),
}

#[utoipa::path(post, operation_id = "adminCreateLedger", path = "/admin/v1/ledgers", tag = "Admin API",
    request_body = types::NewLedger,
    responses((status = 201, description = "The ledger", body = types::Ledger), Errors),
    security(("adminBearer" = [])))]
async fn create_ledger(
    State(state): State<AppState>,
    _: Admin,
    Wire { body, .. }: Body<types::NewLedger>,
) -> Result<Response, AdminError> {
    let ledger_no = required("ledgerNo", body.ledger_no)?;
    if !ledger_no.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Invalid::new("ledgerNo", "must be a string of digits").into());
    }
    let name = required("name", body.name)?;
    let currency = required("currency", body.currency)?.to_uppercase();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Invalid::new("currency", "must be an ISO 4217 code of three letters").into());
    }
    let settings = match body.settings.filter(|v| !v.is_null()) {
        Some(patch) => Settings::default().patched(&patch, currency_scale(&currency))?,
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

#[utoipa::path(get, operation_id = "adminGetLedger", path = "/admin/v1/ledgers/{ledger}", tag = "Admin API",
    params(("ledger" = String, Path)),
    responses((status = 200, description = "The ledger", body = types::Ledger), Errors),
    security(("adminBearer" = [])))]
async fn get_ledger(
    State(state): State<AppState>,
    _: Admin,
    Path(ledger): Path<String>,
) -> Result<Json<types::Ledger>, AdminError> {
    let id = ledger_id(&state, &ledger)?;
    let info = state.engine.read(id, |l, _| l.info.clone()).await?;
    Ok(Json(render::ledger(&info)))
}

#[utoipa::path(patch, operation_id = "adminPatchLedger", path = "/admin/v1/ledgers/{ledger}", tag = "Admin API",
    params(("ledger" = String, Path)),
    request_body = types::LedgerPatch,
    responses((status = 200, description = "The ledger as changed", body = types::Ledger), Errors),
    security(("adminBearer" = [])))]
async fn patch_ledger(
    State(state): State<AppState>,
    _: Admin,
    Path(ledger): Path<String>,
    Wire { body, .. }: Body<types::LedgerPatch>,
) -> Result<Json<types::Ledger>, AdminError> {
    let id = ledger_id(&state, &ledger)?;
    let name = match body.name {
        Some(name) if name.given().is_none() => {
            return Err(Invalid::new("name", "must not be empty").into());
        }
        name => optional(name),
    };
    let patch = body.settings.unwrap_or_else(|| json!({}));
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

#[utoipa::path(post, operation_id = "adminCreateCustomer", path = "/admin/v1/ledgers/{ledger}/customers", tag = "Admin API",
    params(("ledger" = String, Path)),
    request_body = types::NewCustomer,
    responses((status = 201, description = "The customer", body = types::Customer), Errors),
    security(("adminBearer" = [])))]
async fn create_customer(
    State(state): State<AppState>,
    _: Admin,
    Path(ledger): Path<String>,
    key: once::IdempotencyKey,
    Wire { body, raw, .. }: Body<types::NewCustomer>,
) -> Result<Response, AdminError> {
    let id = ledger_id(&state, &ledger)?;
    let today = state.engine.now().date();
    let new = NewCustomer {
        customer_no: required("customerNo", body.customer_no)?,
        name: required("name", body.name)?,
        email: optional(body.email),
        msisdn: optional(body.msisdn),
        national_id: body
            .national_consumer_identifier
            .map(|n| n.parse(today, "nationalConsumerIdentifier"))
            .transpose()?,
        username: optional(body.username),
        aliases: wire::texts("aliases", body.aliases)?,
        cards: wire::texts("cards", body.cards)?,
        personal_number: optional(body.personal_number),
        address: body
            .address
            .map(|a| a.checked().map_err(|e| e.within("address")))
            .transpose()?,
    };
    once::once(&state, id, key, &raw, StatusCode::CREATED, move |l, _| {
        l.create_customer(new).map(|c| render::customer(l, &c))
    })
    .await
}

#[utoipa::path(get, operation_id = "adminGetCustomer", path = "/admin/v1/ledgers/{ledger}/customers/{customer}", tag = "Admin API",
    params(("ledger" = String, Path), ("customer" = String, Path, description = "The customerNo")),
    responses((status = 200, description = "The customer", body = types::Customer), Errors),
    security(("adminBearer" = [])))]
async fn get_customer(
    State(state): State<AppState>,
    _: Admin,
    Path((ledger, customer)): Path<(String, String)>,
) -> Result<Json<types::Customer>, AdminError> {
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

#[utoipa::path(post, operation_id = "adminCreateAccount", path = "/admin/v1/ledgers/{ledger}/accounts", tag = "Admin API",
    params(("ledger" = String, Path)),
    request_body = types::NewAccount,
    responses((status = 201, description = "The account, as API C shows it", body = types::Account), Errors),
    security(("adminBearer" = [])))]
async fn create_account(
    State(state): State<AppState>,
    _: Admin,
    Path(ledger): Path<String>,
    key: once::IdempotencyKey,
    Wire { body, raw, .. }: Body<types::NewAccount>,
) -> Result<Response, AdminError> {
    let meta = ledger_meta(&state, &ledger)?;
    let (id, scale) = (meta.id, meta.scale);
    let credit_limit = match body.credit_limit {
        None => Amount::ZERO,
        Some(limit) => limit.at(scale, "creditLimit")?,
    };
    let new = NewAccount {
        customer_no: required("customerNo", body.customer_no)?,
        account_no: optional(body.account_no),
        credit_limit,
        profile_type: optional(body.account_profile_type),
        alias: optional(body.account_alias),
        description: optional(body.description),
    };
    once::once(&state, id, key, &raw, StatusCode::CREATED, move |l, now| {
        l.create_account(new, now).map(|a| render::account(l, &a))
    })
    .await
}

#[utoipa::path(get, operation_id = "adminGetAccount", path = "/admin/v1/ledgers/{ledger}/accounts/{account}", tag = "Admin API",
    params(("ledger" = String, Path), ("account" = String, Path, description = "The accountNo")),
    responses((status = 200, description = "The account, as API C shows it", body = types::Account), Errors),
    security(("adminBearer" = [])))]
async fn get_account(
    State(state): State<AppState>,
    _: Admin,
    Path((ledger, account)): Path<(String, String)>,
) -> Result<Json<types::Account>, AdminError> {
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

#[utoipa::path(post, operation_id = "adminReceivePayment", path = "/admin/v1/ledgers/{ledger}/accounts/{account}/payments", tag = "Admin API",
    params(("ledger" = String, Path), ("account" = String, Path, description = "The accountNo")),
    request_body = types::Payment,
    responses((status = 201, description = "The payment's posting", body = types::Transaction), Errors),
    security(("adminBearer" = [])))]
async fn receive_payment(
    State(state): State<AppState>,
    _: Admin,
    Path((ledger, account)): Path<(String, String)>,
    key: once::IdempotencyKey,
    Wire { body, raw, .. }: Body<types::Payment>,
) -> Result<Response, AdminError> {
    let meta = ledger_meta(&state, &ledger)?;
    let (id, scale) = (meta.id, meta.scale);
    let amount = body.amount.at(scale, "amount")?;
    let description = optional(body.description);
    let reference = optional(body.payment_reference);
    once::once(&state, id, key, &raw, StatusCode::CREATED, move |l, now| {
        let txn = l.receive_payment(&account, amount, description, reference, now)?;
        Ok(render::transaction(&txn, scale, &l.info.settings.time_zone))
    })
    .await
}

/// Enables or disables a recharge provider of the ledger: `{"enabled": false}`.
#[utoipa::path(patch, operation_id = "adminSetRechargeProvider", path = "/admin/v1/ledgers/{ledger}/recharge-providers/{reference}", tag = "Admin API",
    params(("ledger" = String, Path), ("reference" = String, Path, description = "The provider's reference: `external` or `voucher`")),
    request_body = types::RechargeProviderPatch,
    responses((status = 200, description = "The ledger as changed", body = types::Ledger), Errors),
    security(("adminBearer" = [])))]
async fn set_recharge_provider(
    State(state): State<AppState>,
    _: Admin,
    Path((ledger, reference)): Path<(String, String)>,
    Wire { body, .. }: Body<types::RechargeProviderPatch>,
) -> Result<Json<types::Ledger>, AdminError> {
    let id = ledger_id(&state, &ledger)?;
    let enabled = body.enabled;
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
