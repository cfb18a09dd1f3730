//! National consumer identifiers in request bodies (`{value, countryCode}`).

use time::Date;

use super::body::Invalid;
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
