//! `POST …/top-ups`: a whole file of `username;amount` lines, checked line by line and then
//! applied in one commit on the ledger's writer, or refused with every problem listed.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{Admin, AdminError, Errors, ledger_meta, types};
use crate::http::AppState;
use crate::http::body::Invalid;
use crate::http::myq_external::ExternalErrorMessage;
use crate::http::wire::{self, Money};
use crate::ledger::{LineProblem, TopUpLine, Who};

/// A top-up file's body may be this large: 200,000 lines of about 60 bytes each, and room.
pub const BODY_LIMIT: usize = 32 * 1024 * 1024;
/// Lines in one top-up, so one commit stays bounded.
const MOST_LINES: usize = 200_000;
/// Problems listed in a refusal; the message counts them all.
const MOST_PROBLEMS: usize = 1_000;

#[utoipa::path(post, operation_id = "adminTopUp", path = "/admin/v1/ledgers/{ledger}/top-ups", tag = "Admin API",
    params(("ledger" = String, Path)),
    request_body = types::TopUp,
    responses(
        (status = 201, description = "Applied, every line in one commit", body = types::TopUpDone),
        (status = 200, description = "dryRun: every line is right; nothing changed", body = types::TopUpDone),
        (status = 422, description = "Lines break rules: nothing changed; every problem listed", body = types::TopUpRefused),
        Errors),
    security(("adminBearer" = [])))]
pub(super) async fn top_up(
    State(state): State<AppState>,
    _: Admin,
    Path(ledger): Path<String>,
    bytes: Bytes,
) -> Result<Response, AdminError> {
    let meta = ledger_meta(&state, &ledger)?;
    let body: types::TopUp = whole_file(&bytes)?;
    if body.lines.len() > MOST_LINES {
        return Err(Invalid::new("lines", format!("must be at most {MOST_LINES}")).into());
    }
    let description = super::required("description", body.description)?;
    let dry_run = body.dry_run.unwrap_or(false);
    let scale = meta.scale;
    let mut problems = Vec::new();
    let mut lines = Vec::with_capacity(body.lines.len());
    for (i, l) in body.lines.into_iter().enumerate() {
        let line = l.line.unwrap_or(i as u64 + 1);
        let handle = l.username.and_then(|t| t.given().map(str::to_string));
        let number = l.customer_no.and_then(|t| t.given().map(str::to_string));
        let who = match (handle, number) {
            (Some(handle), None) => Who::Handle(handle),
            (None, Some(no)) => Who::CustomerNo(no),
            _ => {
                problems.push(LineProblem {
                    line,
                    column: "username",
                    rule: "give a username or a customerNo, one of them".into(),
                });
                continue;
            }
        };
        match l.amount.at(scale, "amount") {
            Ok(amount) => lines.push(TopUpLine { line, who, amount }),
            Err(e) => problems.push(LineProblem {
                line,
                column: "amount",
                rule: e.rule,
            }),
        }
    }
    let count = lines.len() + problems.len();
    // Lines whose amount is unreadable are reported with the rest: the others are checked
    // against the ledger too, and nothing is applied.
    let unreadable = !problems.is_empty();
    let outcome = state
        .engine
        .execute(meta.id, move |l, now| {
            l.top_up(&lines, &description, dry_run || unreadable, now)
        })
        .await??;
    let outcome = match outcome {
        Ok(_) if unreadable => Err(Vec::new()),
        other => other,
    };
    match outcome {
        Ok(done) => {
            let status = if dry_run {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            let done = types::TopUpDone {
                dry_run,
                lines: done.lines,
                accounts: done.accounts,
                total: Money::of(done.total, scale),
            };
            Ok((status, Json(done)).into_response())
        }
        Err(mut found) => {
            found.append(&mut problems);
            found.sort_by_key(|p| p.line);
            Ok(refused(found, count))
        }
    }
}

/// A whole file's JSON body (beyond the usual body limit, so read here, not by `Wire`).
pub(super) fn whole_file<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, AdminError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| AdminError::new(StatusCode::BAD_REQUEST, format!("Malformed JSON: {e}")))?;
    Ok(wire::parse(&value)?)
}

/// 422 with every problem (the first `MOST_PROBLEMS`): nothing was applied.
pub(super) fn refused(problems: Vec<LineProblem>, lines: usize) -> Response {
    let message = format!(
        "{} of {lines} lines break a rule; nothing was applied",
        problems.len()
    );
    let listed = problems
        .into_iter()
        .take(MOST_PROBLEMS)
        .map(|p| types::LineProblem {
            line: p.line,
            column: p.column,
            rule: p.rule,
        })
        .collect();
    let body = types::TopUpRefused {
        error: ExternalErrorMessage { message },
        problems: listed,
    };
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}
