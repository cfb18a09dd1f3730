//! A postal address on the wire, with seed 004's `legalAddress` names and rules, shared by
//! account applications and admin customers.

use serde::Deserialize;
use utoipa::ToSchema;

use super::body::Invalid;
use super::wire::Text;
use crate::ledger::Address;

/// A customer's address as the admin API takes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAddress {
    pub street_address: Option<Text<35>>,
    pub co_address: Option<Text<35>>,
    /// Without whitespace.
    pub zip_code: Text<15>,
    pub city: Text<30>,
    /// ISO 3166-1 alpha-2.
    pub country_code: Text<2>,
}

impl NewAddress {
    /// The address, or the first rule it breaks, with field names relative to the address.
    pub fn checked(self) -> Result<Address, Invalid> {
        checked(
            self.street_address,
            self.co_address,
            self.zip_code,
            self.city,
            self.country_code,
        )
    }
}

/// Checks the parts of an address in the order the seed's table lists them.
pub fn checked(
    street: Option<Text<35>>,
    co: Option<Text<35>>,
    zip: Text<15>,
    city: Text<30>,
    country: Text<2>,
) -> Result<Address, Invalid> {
    let required = |field: &str, text: Option<&str>| {
        text.map(str::to_string)
            .ok_or_else(|| Invalid::new(field, "is required"))
    };
    let city = required("city", city.given())?;
    let zip_code = required("zipCode", zip.given())?;
    if zip_code.chars().any(char::is_whitespace) {
        return Err(Invalid::new("zipCode", "must not contain whitespace"));
    }
    let country_code = required("countryCode", country.given())?.to_uppercase();
    if !super::country::is_assigned(&country_code) {
        return Err(Invalid::new(
            "countryCode",
            "must be an ISO 3166-1 alpha-2 code",
        ));
    }
    let given = |t: Option<Text<35>>| t.and_then(|t| t.given().map(str::to_string));
    Ok(Address {
        street_address: given(street),
        co_address: given(co),
        zip_code,
        city,
        country_code,
    })
}
