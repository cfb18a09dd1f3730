//! Pre-authorizations (`/authentications/{id}`) and the SCA redirect.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{AtProblem, Body, Merchant, json, once, types, validation};
use crate::http::AppState;
use crate::http::wire::{Money, Operation, Wire};
use crate::ledger::Entity;
use crate::ledger::{
    AuthStatus, Authentication, Ledger, LedgerError, PreAuthRequest, Resource, zone,
};
use crate::secret::{self, Secret};

pub fn path(ledger_no: &str, id: &str) -> String {
    format!("/ledger/account-transaction/v1/{ledger_no}/authentications/{id}")
}

/// The resource: the request as sent, with its id, status, validity and operations.
pub fn render(l: &Ledger, a: &Authentication) -> types::Authentication {
    let id = path(&l.info.ledger_no, &a.id);
    let sent = |field: &str| a.request.get(field).cloned().unwrap_or(Value::Null);
    let text = |field: &str| sent(field).as_str().unwrap_or_default().to_string();
    let operations = match (a.status, &a.used_by) {
        (AuthStatus::AwaitingSca, _) => vec![Operation::post("redirect", format!("{id}/redirect"))],
        (AuthStatus::Approved, None) => vec![Operation::post(
            "add-split-authorization",
            super::splits::collection(&l.info.ledger_no),
        )],
        _ => vec![],
    };
    let assessment = match sent("assesment") {
        Value::Null => sent("assessment"),
        given => given,
    };
    types::Authentication {
        id: id.clone(),
        customer: sent("customer"),
        seller_no: text("sellerNo"),
        seller_reference_id: text("sellerReferenceId"),
        profile_name: text("profileName"),
        authorization_amount: Money::of(a.amount, l.info.scale()),
        currency: text("currency"),
        external_reference: text("externalReference"),
        assesment: assessment,
        status: a.status.as_str(),
        valid_until: zone::rfc3339(&l.info.settings.time_zone, a.valid_until),
        operations,
    }
}

#[utoipa::path(post, operation_id = "createPreAuthorization", path = "/ledger/account-transaction/v1/{ledgerNo}/authentications/{authenticationId}", tag = "Account Transaction API",
    params(("ledgerNo" = String, Path, description = "The ledger's number, as the token's"), ("authenticationId" = String, Path, description = "Chosen by the merchant; a retry with the same body is safe")),
    request_body = types::PreAuthorizationRequest,
    responses((status = 201, description = "Created, or the existing one for a retry", body = types::Authentication), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    merchant: Merchant,
    Path((ledger, id)): Path<(String, String)>,
    Wire { body, raw, .. }: Body<types::PreAuthorizationRequest>,
) -> Result<Response, AtProblem> {
    let meta = merchant.ledger(&ledger)?.clone();
    super::client_id("authenticationId", &id)?;
    let customer = &body.customer;
    let today = state.engine.now().date();
    let nci = &customer.national_consumer_identifier;
    let national_id = match nci.value.given() {
        None => None,
        Some(value) => Some(crate::http::national_id::parse(
            value,
            &nci.country_code.0,
            today,
            "customer.nationalConsumerIdentifier",
        )?),
    };
    let customer_no = customer.customer_no.given().map(str::to_string);
    if customer_no.is_none() && national_id.is_none() {
        return Err(validation(
            "customer",
            "needs customerNo or nationalConsumerIdentifier",
        ));
    }
    let seller_no = body
        .seller_no
        .given()
        .ok_or_else(|| validation("sellerNo", "must not be empty"))?
        .to_string();
    let amount = body
        .authorization_amount
        .at(meta.scale, "authorizationAmount")?;
    if amount.minor() <= 0 {
        return Err(validation("authorizationAmount", "must be greater than 0"));
    }
    if !body.currency.0.eq_ignore_ascii_case(&meta.currency) {
        return Err(validation(
            "currency",
            format!("must be the ledger's currency {}", meta.currency),
        ));
    }
    let request = PreAuthRequest {
        id: id.clone(),
        customer_no,
        national_id,
        seller_no,
        amount,
        currency: body.currency.into_inner(),
        sca_status: body.assesment.sca_status.0,
        request: raw.clone(),
    };
    once(
        &state,
        meta.id,
        (Resource::Authentication, id.clone()),
        &raw,
        move |l, _| Ok(l.authentication(&id)?.map(|a| json(render(l, &a)))),
        move |l, now| {
            let auth = l.pre_authorize(request, now)?;
            Ok(json(render(l, &auth)))
        },
    )
    .await
}

#[utoipa::path(get, operation_id = "getPreAuthorization", path = "/ledger/account-transaction/v1/{ledgerNo}/authentications/{authenticationId}", tag = "Account Transaction API",
    params(("ledgerNo" = String, Path, description = "The ledger's number, as the token's"), ("authenticationId" = String, Path)),
    responses((status = 200, description = "The pre-authorization", body = types::Authentication), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    merchant: Merchant,
    Path((ledger, id)): Path<(String, String)>,
) -> Result<Json<types::Authentication>, AtProblem> {
    let meta = merchant.ledger(&ledger)?;
    let body = state
        .engine
        .read(meta.id, move |l, _| {
            l.authentication(&id)?
                .map(|a| render(l, &a))
                .ok_or(LedgerError::NotFound(Entity::Authentication))
        })
        .await??;
    Ok(Json(body))
}

#[utoipa::path(post, operation_id = "redirectPreAuthorization", path = "/ledger/account-transaction/v1/{ledgerNo}/authentications/{authenticationId}/redirect", tag = "Account Transaction API",
    params(("ledgerNo" = String, Path, description = "The ledger's number, as the token's"), ("authenticationId" = String, Path)),
    request_body = types::RedirectRequest,
    responses((status = 201, description = "The consumer's one-time approval link", body = types::Redirect), super::Errors),
    security(("ledgerBearer" = [])))]
/// `{"returnUrl", "redirectOptions"}` → a one-time link to saldo's approval page. Each call
/// issues a new link and voids the previous one.
pub async fn redirect(
    State(state): State<AppState>,
    merchant: Merchant,
    Path((ledger, id)): Path<(String, String)>,
    Wire { body, .. }: Body<types::RedirectRequest>,
) -> Result<Response, AtProblem> {
    let meta = merchant.ledger(&ledger)?.clone();
    let return_url = body.return_url.into_inner();
    let parsed = reqwest::Url::parse(&return_url)
        .map_err(|_| validation("returnUrl", "must be an absolute URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(validation("returnUrl", "must be an http or https URL"));
    }
    // The token names its ledger, so the page finds it without a ledger in the URL.
    let token = Secret::new(format!(
        "{}.{}",
        meta.ledger_no,
        Secret::generate().expose()
    ));
    let hash = secret::sha256_hex(token.expose().as_bytes());
    let auth_id = id.clone();
    state
        .engine
        .execute(meta.id, move |l, now| {
            l.start_sca(&auth_id, return_url, hash, now)
        })
        .await??;
    let url = format!(
        "{}/ledger/public-account-transaction/v1/sca/{}",
        state.public_url,
        token.expose()
    );
    let body = types::Redirect {
        id: format!("{}/redirect", path(&meta.ledger_no, &id)),
        redirect_url: url,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}
