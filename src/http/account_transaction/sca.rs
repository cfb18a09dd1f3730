//! The consumer's strong-customer-authentication page: a one-time link showing seller, amount
//! and currency, with Approve and Decline. Self-contained HTML under a strict CSP.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::http::AppState;
use crate::ledger::ScaRefusal;
use crate::secret::{self, Secret};

/// Escapes text for HTML element content and attribute values.
pub(super) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

const STYLE: &str = "
body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;background:#f3f4f6;color:#111827}
main{max-width:26rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.35rem;margin:0 0 1rem}
dl{display:grid;grid-template-columns:auto 1fr;gap:.4rem 1rem;margin:0 0 1.5rem}
dt{color:#4b5563}dd{margin:0;font-weight:600}
.amount{font-size:1.6rem}
.actions{display:flex;gap:.75rem}
button{flex:1;font:inherit;font-weight:600;padding:.8rem;border-radius:8px;border:2px solid transparent;cursor:pointer}
button:focus-visible{outline:3px solid #2563eb;outline-offset:2px}
.approve{background:#047857;color:#fff}.decline{background:#fff;color:#991b1b;border-color:#991b1b}
p.note{color:#4b5563;font-size:.9rem;margin:1.25rem 0 0}";

/// A complete page; `form_origin` is where the form may post and redirect to.
pub(super) fn page_html(
    status: StatusCode,
    title: &str,
    content: &str,
    form_origin: Option<&str>,
) -> Response {
    let nonce = Secret::generate();
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title}</title><style nonce=\"{n}\">{STYLE}</style></head>\
         <body><main>{content}</main></body></html>",
        title = escape(title),
        n = nonce.expose(),
    );
    let csp = format!(
        "default-src 'none'; style-src 'nonce-{}'; form-action 'self'{}; frame-ancestors 'none'; base-uri 'none'",
        nonce.expose(),
        form_origin.map(|o| format!(" {o}")).unwrap_or_default()
    );
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn refusal(r: ScaRefusal) -> Response {
    let (status, title, text) = match r {
        ScaRefusal::Unknown => (
            StatusCode::NOT_FOUND,
            "Link not valid",
            "This approval link is not valid. Please return to the shop and try again.",
        ),
        ScaRefusal::Used => (
            StatusCode::GONE,
            "Link already used",
            "This approval link has already been used. Your answer was recorded; you can close this page.",
        ),
        ScaRefusal::Expired => (
            StatusCode::GONE,
            "Purchase expired",
            "The time to approve this purchase has run out. Please return to the shop and start again.",
        ),
    };
    page_html(
        status,
        title,
        &format!("<h1>{title}</h1><p>{text}</p>"),
        None,
    )
}

/// The origin (scheme://host[:port]) of a URL, for the CSP.
fn origin(url: &str) -> Option<String> {
    let u = reqwest::Url::parse(url).ok()?;
    Some(u.origin().ascii_serialization())
}

/// The ledger a link's token belongs to: tokens are `{ledgerNo}.{random}`.
fn ledger_of(state: &AppState, token: &str) -> Option<i64> {
    token
        .split_once('.')
        .and_then(|(ledger_no, _)| state.engine.ledger_id(ledger_no))
}

pub async fn page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let hash = secret::sha256_hex(token.as_bytes());
    let Some(ledger_id) = ledger_of(&state, &token) else {
        return refusal(ScaRefusal::Unknown);
    };
    let view = state
        .engine
        .read(ledger_id, move |l, now| {
            l.sca_view(&hash, now).map(|a| {
                (
                    l.info.name.clone(),
                    a.seller_no.clone(),
                    a.amount.fixed(l.info.scale()),
                    a.currency.to_uppercase(),
                    a.return_url.clone().unwrap_or_default(),
                )
            })
        })
        .await;
    let (ledger, seller, amount, currency, return_url) = match view {
        Ok(Ok(v)) => v,
        Ok(Err(r)) => return refusal(r),
        Err(_) => return refusal(ScaRefusal::Unknown),
    };
    let content = format!(
        "<h1>Approve your purchase</h1>\
         <dl><dt>Seller</dt><dd>{seller}</dd><dt>Amount</dt><dd class=\"amount\" id=\"amount\">{amount} {currency}</dd>\
         <dt>Credit from</dt><dd>{ledger}</dd></dl>\
         <form method=\"post\"><div class=\"actions\">\
         <button class=\"approve\" type=\"submit\" name=\"decision\" value=\"approve\" id=\"approve\">Approve</button>\
         <button class=\"decline\" type=\"submit\" name=\"decision\" value=\"decline\" id=\"decline\">Decline</button>\
         </div></form><p class=\"note\">Approving lets {seller} charge this amount to your credit account.</p>",
        seller = escape(&seller),
        amount = escape(&amount),
        currency = escape(&currency),
        ledger = escape(&ledger),
    );
    page_html(
        StatusCode::OK,
        "Approve your purchase",
        &content,
        origin(&return_url).as_deref(),
    )
}

/// The form's `decision`: `Some(true)` to approve, `Some(false)` to decline, `None` for
/// anything else, which `undecided` answers.
pub fn decision(body: &[u8]) -> Option<bool> {
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    match form.get("decision").map(String::as_str) {
        Some("approve") => Some(true),
        Some("decline") => Some(false),
        _ => None,
    }
}

/// A 400 page asking for one of the two answers; nothing was decided.
pub fn undecided() -> Response {
    page_html(
        StatusCode::BAD_REQUEST,
        "Choose an answer",
        "<h1>Choose an answer</h1><p>Please go back and press one of the two buttons.</p>",
        None,
    )
}

pub async fn decide(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let Some(approve) = decision(&body) else {
        return undecided();
    };
    let hash = secret::sha256_hex(token.as_bytes());
    let Some(ledger_id) = ledger_of(&state, &token) else {
        return refusal(ScaRefusal::Unknown);
    };
    let decided = state
        .engine
        .execute(ledger_id, move |l, now| l.sca_decide(&hash, approve, now))
        .await;
    let auth = match decided {
        Ok(Ok(a)) => a,
        Ok(Err(r)) => return refusal(r),
        Err(_) => return refusal(ScaRefusal::Unknown),
    };
    let Some(mut url) = auth
        .return_url
        .as_deref()
        .and_then(|u| reqwest::Url::parse(u).ok())
    else {
        return refusal(ScaRefusal::Unknown);
    };
    url.query_pairs_mut()
        .append_pair("status", auth.status.as_str())
        .append_pair("authenticationId", &auth.id);
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(url.as_str()) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}
