//! Pre-authorizations (`/authentications/{id}`) and the SCA redirect.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{AtProblem, Merchant, once, validation};
use crate::http::AppState;
use crate::http::body::{self, BodyError, JsonBody};
use crate::ledger::Entity;
use crate::ledger::{
    AuthStatus, Authentication, Ledger, LedgerError, PreAuthRequest, Resource, ScaStatus, zone,
};
use crate::secret::{self, Secret};

type Body = Result<JsonBody, BodyError>;

pub fn path(ledger_no: &str, id: &str) -> String {
    format!("/ledger/account-transaction/v1/{ledger_no}/authentications/{id}")
}

/// The resource: the request as sent, with its id, status, validity and operations.
pub fn render(l: &Ledger, a: &Authentication) -> Value {
    let id = path(&l.info.ledger_no, &a.id);
    let mut resource = a.request.clone();
    let obj = resource
        .as_object_mut()
        .expect("stored requests are objects");
    obj.insert("@id".into(), json!(id));
    obj.insert(
        "authorizationAmount".into(),
        a.amount.fixed_json(l.info.scale()),
    );
    obj.insert("status".into(), json!(a.status.as_str()));
    obj.insert(
        "validUntil".into(),
        json!(zone::rfc3339(&l.info.settings.time_zone, a.valid_until)),
    );
    let operations = match (a.status, &a.used_by) {
        (AuthStatus::AwaitingSca, _) => {
            vec![json!({"rel": "redirect", "method": "POST", "href": format!("{id}/redirect")})]
        }
        (AuthStatus::Approved, None) => vec![json!({
            "rel": "add-split-authorization", "method": "POST",
            "href": format!("/ledger/account-transaction/v1/{}/split-authorizations", l.info.ledger_no),
        })],
        _ => vec![],
    };
    obj.insert("operations".into(), Value::Array(operations));
    resource
}

fn object<'a>(body: &'a Value, field: &str) -> Result<Option<&'a Value>, AtProblem> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v)),
        Some(_) => Err(validation(field, "must be an object")),
    }
}

pub async fn create(
    State(state): State<AppState>,
    merchant: Merchant,
    Path((ledger, id)): Path<(String, String)>,
    body: Body,
) -> Result<Response, AtProblem> {
    let meta = merchant.ledger(&ledger)?.clone();
    let JsonBody(body) = body?;
    if id.is_empty() || id.len() > 64 {
        return Err(validation("authenticationId", "must be 1 to 64 characters"));
    }
    let customer =
        object(&body, "customer")?.ok_or_else(|| validation("customer", "is required"))?;
    let customer_no =
        body::opt_string(customer, "customerNo", 50).map_err(|e| e.within("customer"))?;
    let today = state.engine.now().date();
    let national_id = match object(customer, "nationalConsumerIdentifier")? {
        None => None,
        Some(nci) => {
            const FIELD: &str = "customer.nationalConsumerIdentifier";
            let value = body::required_string(nci, "value", 64)
                .map_err(|_| validation(&format!("{FIELD}.value"), "is required"))?;
            let country = body::required_string(nci, "countryCode", 2).map_err(|_| {
                validation(
                    &format!("{FIELD}.countryCode"),
                    "must be an ISO 3166-1 alpha-2 code",
                )
            })?;
            Some(crate::http::national_id::parse(
                &value, &country, today, FIELD,
            )?)
        }
    };
    if customer_no.is_none() && national_id.is_none() {
        return Err(validation(
            "customer",
            "needs customerNo or nationalConsumerIdentifier",
        ));
    }
    for field in ["email", "msisdn"] {
        body::opt_string(customer, field, 254).map_err(|e| e.within("customer"))?;
    }
    let seller_no = body::required_string(&body, "sellerNo", 50)?;
    for field in ["sellerReferenceId", "profileName", "externalReference"] {
        body::opt_string(&body, field, 100)?;
    }
    let amount = body::amount(&body, "authorizationAmount", meta.scale)?;
    if amount.minor() <= 0 {
        return Err(validation("authorizationAmount", "must be greater than 0"));
    }
    let currency = body::required_string(&body, "currency", 3)?;
    if !currency.eq_ignore_ascii_case(&meta.currency) {
        return Err(validation(
            "currency",
            format!("must be the ledger's currency {}", meta.currency),
        ));
    }
    // The seed spells it `assesment`; `assessment` is accepted too.
    let assessment = match object(&body, "assesment")? {
        Some(a) => Some(a),
        None => object(&body, "assessment")?,
    };
    let sca_status = match assessment {
        Some(a) => body::opt_string(a, "scaStatus", 25).map_err(|e| e.within("assesment"))?,
        None => None,
    };
    let sca_status = match sca_status {
        None => ScaStatus::None,
        Some(s) => ScaStatus::parse(&s).ok_or_else(|| {
            validation(
                "assesment.scaStatus",
                "must be one of None, Required, Exempted",
            )
        })?,
    };
    let request = PreAuthRequest {
        id: id.clone(),
        customer_no,
        national_id,
        seller_no,
        amount,
        currency,
        sca_status,
        request: body.clone(),
    };
    once(
        &state,
        meta.id,
        (Resource::Authentication, id.clone()),
        &body,
        move |l, _| Ok(l.authentication(&id)?.map(|a| render(l, &a))),
        move |l, now| {
            let auth = l.pre_authorize(request, now)?;
            Ok(render(l, &auth))
        },
    )
    .await
}

pub async fn get(
    State(state): State<AppState>,
    merchant: Merchant,
    Path((ledger, id)): Path<(String, String)>,
) -> Result<Json<Value>, AtProblem> {
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

/// `{"returnUrl", "redirectOptions"}` → a one-time link to saldo's approval page. Each call
/// issues a new link and voids the previous one.
pub async fn redirect(
    State(state): State<AppState>,
    merchant: Merchant,
    Path((ledger, id)): Path<(String, String)>,
    body: Body,
) -> Result<Response, AtProblem> {
    let meta = merchant.ledger(&ledger)?.clone();
    let JsonBody(body) = body?;
    let return_url = body::required_string(&body, "returnUrl", 2000)?;
    let parsed = reqwest::Url::parse(&return_url)
        .map_err(|_| validation("returnUrl", "must be an absolute URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(validation("returnUrl", "must be an http or https URL"));
    }
    object(&body, "redirectOptions")?;
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
    let body =
        json!({ "@id": format!("{}/redirect", path(&meta.ledger_no, &id)), "redirectUrl": url });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}
