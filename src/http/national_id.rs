//! National consumer identifiers in request bodies (`{value, countryCode}`).

use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::body::Invalid;
use super::wire::Text;
use crate::ledger::NationalId;
use crate::ledger::personnummer::Personnummer;

/// Validates a national consumer identifier sent as `{field}.value` and
/// `{field}.countryCode`. Swedish ones must be a valid personnummer or samordningsnummer and
/// are kept in their canonical `YYYYMMDD-NNNC` form; other countries are kept as sent.
pub fn parse(
    value: &str,
    country_code: &str,
    today: Date,
    field: &str,
) -> Result<NationalId, Invalid> {
    let country = country_code.to_uppercase();
    if !super::country::is_assigned(&country) {
        return Err(Invalid::new(
            format!("{field}.countryCode"),
            "must be an ISO 3166-1 alpha-2 code",
        ));
    }
    let value = if country == "SE" {
        Personnummer::parse(value, today)
            .map_err(|_| {
                Invalid::new(
                    format!("{field}.value"),
                    "Not a valid SE nationalConsumerIdentifier",
                )
            })?
            .canonical()
    } else if value.trim().is_empty() || value.chars().count() > 64 {
        return Err(Invalid::new(
            format!("{field}.value"),
            "must be 1 to 64 characters",
        ));
    } else {
        value.to_string()
    };
    Ok(NationalId {
        value,
        country_code: country,
    })
}

/// A national consumer identifier as every API sends it.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NationalIdentifier {
    /// A Swedish personnummer: `YYYYMMDD-NNNN`, `YYMMDD-NNNN` or either without the dash.
    pub value: Text<64>,
    /// ISO 3166-1 alpha-2; `SE` is the one saldo checks numbers for.
    pub country_code: Text<2>,
}

impl NationalIdentifier {
    /// The identifier validated and canonical, its errors named under `field`.
    pub fn parse(&self, today: Date, field: &str) -> Result<NationalId, Invalid> {
        parse(&self.value.0, &self.country_code.0, today, field)
    }
}
