//! The public account transaction API (SPEC §6): identity checks and account applications.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::types::PublicOperation;
use super::{AtProblem, FLAVOR, Merchant, not_found, sca, types, validation};
use crate::http::page::Page;
use crate::http::problem::Problem;
use crate::http::wire::{Money, Text, Wire};
use crate::http::{AppState, read_store};
use crate::identity::IdentityStatus;
use crate::ledger::Entity;
use crate::ledger::{Application, Ledger, LedgerError, LedgerInfo};

const PUBLIC: &str = "/ledger/public-account-transaction/v1";

#[utoipa::path(get, operation_id = "publicEntry", path = "/ledger/public-account-transaction/v1/authentications", tag = "Public Account Transaction API",
    responses((status = 200, description = "The ledger's account offer and how to identify a consumer", body = types::PublicEntry), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn entry(
    State(state): State<AppState>,
    Merchant(meta): Merchant,
) -> Result<Json<types::PublicEntry>, AtProblem> {
    let profile = state
        .engine
        .read(meta.id, |l, _| {
            l.info.settings.account_offer_profile.clone()
        })
        .await?;
    Ok(Json(types::PublicEntry {
        account_offer: format!("/ledger/public-account-transaction/offers/{profile}"),
        operations: vec![
            PublicOperation::post(
                "onboard-upgrade-account",
                format!("{PUBLIC}/authentications/onboard-upgrade-account"),
            ),
            PublicOperation::post(
                "begin-bankid-se-authentication",
                format!("{PUBLIC}/authentications/begin-bankid-se-authentication"),
            ),
        ],
        id: format!("{PUBLIC}/authentications"),
    }))
}

#[utoipa::path(post, operation_id = "beginBankIdAuthentication", path = "/ledger/public-account-transaction/v1/authentications/begin-bankid-se-authentication", tag = "Public Account Transaction API",
    request_body = types::BankIdRequest,
    responses((status = 201, description = "An identity check under way: its orderRef and the page that answers it", body = types::IdentityCheck), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn begin_bankid(
    State(state): State<AppState>,
    Merchant(meta): Merchant,
    Wire { body, .. }: super::Body<types::BankIdRequest>,
) -> Result<Response, AtProblem> {
    let nci = &body.national_consumer_identifier;
    let who = nci.parse(state.engine.now().date(), "nationalConsumerIdentifier")?;
    if who.country_code != "SE" {
        return Err(validation(
            "nationalConsumerIdentifier.countryCode",
            "BankID SE needs a Swedish identity number",
        ));
    }
    let order = state.identity.begin(meta.id, &who);
    let body = types::IdentityCheck {
        id: format!("{PUBLIC}/authentications/{}", order.order_ref),
        order_ref: order.order_ref,
        status: IdentityStatus::Pending.as_str(),
        redirect_url: order.redirect_path,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[utoipa::path(get, operation_id = "getIdentityCheck", path = "/ledger/public-account-transaction/v1/authentications/{orderRef}", tag = "Public Account Transaction API",
    params(("orderRef" = String, Path)),
    responses((status = 200, description = "The identity check's state", body = types::IdentityCheckStatus), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn identity_status(
    State(state): State<AppState>,
    Merchant(meta): Merchant,
    Path(order_ref): Path<String>,
) -> Result<Json<types::IdentityCheckStatus>, AtProblem> {
    let (status, who) = state
        .identity
        .status(meta.id, &order_ref)
        .ok_or_else(|| not_found("Identity check"))?;
    Ok(Json(types::IdentityCheckStatus {
        id: format!("{PUBLIC}/authentications/{order_ref}"),
        order_ref,
        status: status.as_str(),
        national_consumer_identifier: who,
    }))
}

/// The test provider's approval page: a stand-in for the BankID app.
pub async fn identity_page(Path(order_ref): Path<String>) -> Response {
    let content = format!(
        "<h1>Confirm your identity</h1><p>Test identity provider: press Confirm to identify as \
         the person the shop asked about.</p><form method=\"post\"><div class=\"actions\">\
         <button class=\"approve\" name=\"decision\" value=\"approve\">Confirm</button>\
         <button class=\"decline\" name=\"decision\" value=\"decline\">Cancel</button>\
         </div></form><p class=\"note\">Order {}</p>",
        sca::escape(&order_ref)
    );
    sca::page_html(StatusCode::OK, "Confirm your identity", &content, None)
}

pub async fn identity_answer(
    State(state): State<AppState>,
    Path(order_ref): Path<String>,
    body: Bytes,
) -> Response {
    let Some(approve) = sca::decision(&body) else {
        return sca::undecided();
    };
    match state.identity.answer(&order_ref, approve) {
        Some(status) => {
            let title = format!("Identity check {}", status.as_str());
            let content = format!("<h1>{title}</h1><p>You can close this page.</p>");
            sca::page_html(StatusCode::OK, &title, &content, None)
        }
        None => sca::page_html(
            StatusCode::NOT_FOUND,
            "Unknown identity check",
            "<h1>Unknown identity check</h1><p>This link is not valid.</p>",
            None,
        ),
    }
}

fn application_path(ledger_no: &str, profile: &str, id: &str) -> String {
    format!("/ledger/credit-account-onboardings/v1/{ledger_no}/offers/{profile}/applications/{id}")
}

fn render(l: &LedgerInfo, a: &Application) -> types::Application {
    let profile = &l.settings.account_offer_profile;
    let id = application_path(&l.ledger_no, profile, &a.id);
    let sent = |field: &str| a.request.get(field).cloned().unwrap_or(Value::Null);
    let operations = if a.status == "awaiting-sign" {
        vec![PublicOperation::post(
            "sign-agreement",
            format!("{id}/sign-agreement"),
        )]
    } else {
        Vec::new()
    };
    types::Application {
        national_consumer_identifier: a.national_id.clone(),
        status: a.status.clone(),
        reason: a.reason.clone(),
        customer_no: a.customer_no.clone(),
        credit_limit: Money::of(a.credit_limit, l.scale()),
        email_address: a.email.clone(),
        cell_phone: a.phone.clone(),
        ip_address: sent("ipAddress").as_str().map(str::to_string),
        legal_address: sent("legalAddress"),
        kyc: sent("kyc"),
        account: a
            .account_no
            .as_ref()
            .map(|no| crate::http::credit_account::render::account_path(&l.ledger_no, no)),
        id,
        parent_href: format!(
            "/ledger/credit-account-onboardings/v1/{}/offers/{profile}",
            l.ledger_no
        ),
        operations,
    }
}

/// `[^@]+@[^\.]+\..+`, matched whole, as seed 004 gives it.
fn email_ok(s: &str) -> bool {
    let Some(at) = s.find('@') else { return false };
    let domain = &s[at + 1..];
    at > 0
        && domain
            .find('.')
            .is_some_and(|dot| dot > 0 && dot + 1 < domain.len())
}

/// `[a-z0-9.:/]*`, matched whole.
fn ip_ok(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".:/".contains(&b))
}

/// A text the property table requires: present and not empty.
fn required<const N: usize>(field: &str, text: Text<N>) -> Result<String, AtProblem> {
    text.given()
        .map(str::to_string)
        .ok_or_else(|| validation(field, "is required"))
}

#[utoipa::path(post, operation_id = "applyForAccount", path = "/ledger/public-account-transaction/v1/account-applications", tag = "Public Account Transaction API",
    request_body = types::ApplicationRequest,
    responses((status = 201, description = "Awaiting sign: the operation sign-agreement decides it", body = types::Application), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn apply(
    State(state): State<AppState>,
    Merchant(meta): Merchant,
    Wire {
        body: request,
        raw: body,
        ..
    }: super::Body<types::ApplicationRequest>,
) -> Result<Response, AtProblem> {
    let today = state.engine.now().date();
    let nci = &request.national_consumer_identifier;
    let national_id = nci.parse(today, "nationalConsumerIdentifier")?;
    let customer_no = required("customerNo", request.customer_no)?;
    let credit_limit = request.credit_limit.at(meta.scale, "creditLimit")?;
    if credit_limit.minor() <= 0 {
        return Err(validation("creditLimit", "must be greater than 0"));
    }
    let email = required("emailAddress", request.email_address)?;
    if !email_ok(&email) {
        return Err(validation("emailAddress", "must match [^@]+@[^\\.]+\\..+"));
    }
    let phone = required("cellPhone", request.cell_phone)?;
    if let Some(ip) = request.ip_address.as_ref().and_then(|ip| ip.given())
        && !ip_ok(ip)
    {
        return Err(validation("ipAddress", "must match [a-z0-9.:/]*"));
    }
    let address = request.legal_address;
    let name = required("legalAddress.name", address.name)?;
    crate::http::postal_address::checked(
        address.street_address,
        address.co_address,
        address.zip_code,
        address.city,
        address.country_code,
    )
    .map_err(|e| {
        let e = e.within("legalAddress");
        validation(&e.field, e.rule)
    })?;
    if request.kyc.questions.is_empty() {
        return Err(validation("kyc.questions", "must not be empty"));
    }
    let mut pep = false;
    for (i, q) in request.kyc.questions.into_iter().enumerate() {
        let at = format!("kyc.questions[{i}]");
        let code = required(&format!("{at}.code"), q.code)?;
        required(&format!("{at}.text"), q.text)?;
        let answer_code = required(&format!("{at}.answer.code"), q.answer.code)?;
        required(&format!("{at}.answer.text"), q.answer.text)?;
        if code.eq_ignore_ascii_case("IsPep") && answer_code.eq_ignore_ascii_case("true") {
            pep = true;
        }
    }
    let application = Application {
        id: uuid::Uuid::new_v4().to_string(),
        status: "awaiting-sign".into(),
        reason: None,
        national_id,
        customer_no,
        credit_limit,
        email,
        phone,
        name,
        pep,
        request: body,
        account_no: None,
        created_at: state.engine.now(),
    };
    let body = state
        .engine
        .execute(meta.id, move |l, _| {
            l.add_application(application).map(|a| render(&l.info, &a))
        })
        .await??;
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Applications by id, a page at a time, from the store: decided ones are not in memory.
#[utoipa::path(get, operation_id = "listApplications", path = "/ledger/public-account-transaction/v1/account-applications", tag = "Public Account Transaction API",
    params(("$top" = Option<u32>, Query), ("$skip" = Option<i64>, Query)),
    responses((status = 200, description = "A page of applications", body = crate::http::page::List<types::Application>), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Merchant(meta): Merchant,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<crate::http::page::List<types::Application>>, AtProblem> {
    let page = Page::from_query(&query)?;
    // Everything acknowledged is committed, so the store lists it; the info renders it.
    let info = state.engine.read(meta.id, |l, _| (*l.info).clone()).await?;
    let (id, window) = (meta.id, (page.top, page.skip));
    let (stored, total) = read_store(&state, "listing applications", move |s| {
        s.records_page(id, "application", window)
    })
    .await?;
    let mut items = Vec::with_capacity(stored.len());
    for (key, json) in &stored {
        let application = Ledger::stored_application(key, json).map_err(|e| {
            tracing::error!(error = %e, "a stored application is unreadable");
            AtProblem::internal()
        })?;
        items.push(render(&info, &application));
    }
    let path = format!("{PUBLIC}/account-applications");
    Ok(Json(page.list(&path, &[], items, total)))
}

#[utoipa::path(get, operation_id = "getApplication", path = "/ledger/public-account-transaction/v1/account-applications/{id}", tag = "Public Account Transaction API",
    params(("id" = String, Path)),
    responses((status = 200, description = "The application", body = types::Application), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Merchant(meta): Merchant,
    Path(id): Path<String>,
) -> Result<Json<types::Application>, AtProblem> {
    let body = state
        .engine
        .read(meta.id, move |l, _| {
            l.application(&id)?
                .map(|a| render(&l.info, &a))
                .ok_or(LedgerError::NotFound(Entity::Application))
        })
        .await??;
    Ok(Json(body))
}

/// The ledger's offer is `profile`, or 404.
fn offered(info: &LedgerInfo, profile: &str) -> Result<(), AtProblem> {
    if info.settings.account_offer_profile == profile {
        Ok(())
    } else {
        Err(not_found("Offer"))
    }
}

/// An application at its `@id`, under the credit-account onboarding offer it applied to.
#[utoipa::path(get, operation_id = "getApplicationInOffer", path = "/ledger/credit-account-onboardings/v1/{ledgerNo}/offers/{profile}/applications/{id}", tag = "Public Account Transaction API",
    params(("ledgerNo" = String, Path), ("profile" = String, Path), ("id" = String, Path)),
    responses((status = 200, description = "The application", body = types::Application), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn get_in_offer(
    State(state): State<AppState>,
    merchant: Merchant,
    Path((ledger, profile, id)): Path<(String, String, String)>,
) -> Result<Json<types::Application>, AtProblem> {
    let meta = merchant.ledger(&ledger)?.clone();
    let body = state
        .engine
        .read(meta.id, move |l, _| {
            offered(&l.info, &profile)?;
            let application = l.application(&id)?;
            Ok::<_, AtProblem>(
                application
                    .map(|a| render(&l.info, &a))
                    .ok_or(LedgerError::NotFound(Entity::Application))?,
            )
        })
        .await??;
    Ok(Json(body))
}

/// The ledger's account offer: what an application applies to. Seed 004 links to it (the
/// entry point's `accountOffer`, an application's `parentHREF`) without describing it; saldo
/// answers with the profile, its credit ceiling and the operation that applies.
fn offer(l: &LedgerInfo, id: String) -> types::Offer {
    types::Offer {
        id,
        profile: l.settings.account_offer_profile.clone(),
        currency: l.currency.clone(),
        max_credit_limit: Money::of(l.settings.max_credit_limit(l.scale()), l.scale()),
        operations: vec![PublicOperation::post(
            "add-application",
            format!("{PUBLIC}/account-applications"),
        )],
    }
}

/// The offer `profile` of the ledger `ledger_id`, named by its URL `id`.
async fn offer_at(
    state: &AppState,
    ledger_id: i64,
    profile: String,
    id: impl FnOnce(&LedgerInfo) -> String + Send + 'static,
) -> Result<Json<types::Offer>, AtProblem> {
    let body = state
        .engine
        .read(ledger_id, move |l, _| {
            offered(&l.info, &profile)?;
            Ok::<_, AtProblem>(offer(&l.info, id(&l.info)))
        })
        .await??;
    Ok(Json(body))
}

/// The token's ledger's offer, where the entry point's `accountOffer` leads.
#[utoipa::path(get, operation_id = "getAccountOffer", path = "/ledger/public-account-transaction/offers/{profile}", tag = "Public Account Transaction API",
    params(("profile" = String, Path)),
    responses((status = 200, description = "The offer", body = types::Offer), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn get_offer(
    State(state): State<AppState>,
    Merchant(meta): Merchant,
    Path(profile): Path<String>,
) -> Result<Json<types::Offer>, AtProblem> {
    let id = format!("/ledger/public-account-transaction/offers/{profile}");
    offer_at(&state, meta.id, profile, move |_| id).await
}

/// The offer under credit-account onboarding, where an application's `parentHREF` leads.
#[utoipa::path(get, operation_id = "getOnboardingOffer", path = "/ledger/credit-account-onboardings/v1/{ledgerNo}/offers/{profile}", tag = "Public Account Transaction API",
    params(("ledgerNo" = String, Path), ("profile" = String, Path)),
    responses((status = 200, description = "The offer", body = types::Offer), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn get_onboarding_offer(
    State(state): State<AppState>,
    merchant: Merchant,
    Path((ledger, profile)): Path<(String, String)>,
) -> Result<Json<types::Offer>, AtProblem> {
    let meta = merchant.ledger(&ledger)?.clone();
    let path = format!("offers/{profile}");
    offer_at(&state, meta.id, profile, move |info| {
        format!(
            "/ledger/credit-account-onboardings/v1/{}/{path}",
            info.ledger_no
        )
    })
    .await
}

/// Advertised by the entry point as seed 004 lists it, but not offered: upgrading an account
/// through onboarding is not part of saldo (SPEC §6 lists it as 501).
pub async fn onboard_upgrade_account() -> AtProblem {
    AtProblem(Problem::new(
        FLAVOR,
        StatusCode::NOT_IMPLEMENTED,
        "not-implemented",
        "onboard-upgrade-account is not implemented: apply for a new account with \
         POST /ledger/public-account-transaction/v1/account-applications",
    ))
}

/// The consumer signs: the application is decided (approved with an account, or rejected).
#[utoipa::path(post, operation_id = "signAgreement", path = "/ledger/credit-account-onboardings/v1/{ledgerNo}/offers/{profile}/applications/{id}/sign-agreement", tag = "Public Account Transaction API",
    params(("ledgerNo" = String, Path), ("profile" = String, Path), ("id" = String, Path)),
    responses((status = 200, description = "The application as decided", body = types::Application), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn sign(
    State(state): State<AppState>,
    merchant: Merchant,
    Path((ledger, profile, id)): Path<(String, String, String)>,
) -> Result<Json<types::Application>, AtProblem> {
    let meta = merchant.ledger(&ledger)?.clone();
    let body = state
        .engine
        .execute(meta.id, move |l, now| {
            offered(&l.info, &profile)?;
            let a = l.sign_agreement(&id, now)?;
            Ok::<_, AtProblem>(render(&l.info, &a))
        })
        .await??;
    Ok(Json(body))
}
