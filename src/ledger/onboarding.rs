//! Public account applications (SPEC §6): stored as sent, decided by the ledger's credit
//! policy when the applicant signs.

use super::Entity;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::personnummer::Personnummer;
use super::{
    Address, BillType, Ledger, LedgerError, NationalId, NewAccount, NewCustomer, Resource,
};
use crate::money::Amount;
use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Application {
    pub id: String,
    /// `awaiting-sign`, `approved` or `rejected`.
    pub status: String,
    pub reason: Option<String>,
    pub national_id: NationalId,
    pub customer_no: String,
    pub credit_limit: Amount,
    pub email: String,
    pub phone: String,
    pub name: String,
    pub pep: bool,
    /// The request as the applicant sent it, echoed in the resource.
    pub request: serde_json::Value,
    pub account_no: Option<String>,
    pub created_at: OffsetDateTime,
}

impl Ledger {
    pub fn add_application(
        &mut self,
        application: Application,
    ) -> Result<Application, LedgerError> {
        self.fault_in(Resource::Application, &application.id)?;
        if self.applications.contains_key(&application.id) {
            return Err(LedgerError::DuplicateId(
                Entity::Application,
                application.id,
            ));
        }
        self.applications
            .insert(application.id.clone(), application.clone());
        Ok(application)
    }

    /// An application, held (awaiting signature) or stored (decided).
    pub fn application(&self, id: &str) -> Result<Option<Cow<'_, Application>>, LedgerError> {
        match self.applications.get(id) {
            Some(a) => Ok(Some(Cow::Borrowed(a))),
            None => Ok(self.archived(Resource::Application, id)?.map(Cow::Owned)),
        }
    }

    /// A stored application record, read outside the ledger (a listing from the store).
    pub fn stored_application(key: &str, json: &str) -> Result<Application, String> {
        super::records::parse_record("application", key, json)
    }

    /// Runs the credit policy: adult applicant, limit within the ledger's maximum, no account
    /// of the applicant in collection. Approval creates (or reuses) the customer and opens an
    /// account. Signing a decided application again changes nothing.
    pub fn sign_agreement(
        &mut self,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<Application, LedgerError> {
        self.fault_in(Resource::Application, id)?;
        let app = self
            .applications
            .get(id)
            .ok_or(LedgerError::NotFound(Entity::Application))?
            .clone();
        if app.status != "awaiting-sign" {
            return Ok(app);
        }
        let today = super::zone::date(&self.info.settings.time_zone, now);
        let existing = self
            .customers
            .values()
            .find(|c| c.national_id.as_ref() == Some(&app.national_id))
            .map(|c| c.id);
        let adult = app.national_id.country_code != "SE"
            || Personnummer::parse(&app.national_id.value, today)
                .is_ok_and(|p| p.age_on(today) >= 18);
        let max = self.info.settings.max_credit_limit(self.info.scale());
        let in_collection = existing.is_some_and(|cid| {
            self.bills.values().any(|b| {
                b.open
                    && b.bill_type == BillType::Collection
                    && self
                        .accounts
                        .get(&b.account_id)
                        .is_some_and(|a| a.customer_id == cid)
            })
        });
        let clash = existing.is_none() && self.customer_by_no(&app.customer_no).is_some();
        let reason = if !adult {
            Some("The applicant must be 18 or older".to_string())
        } else if app.credit_limit > max {
            Some(format!(
                "The ledger grants at most {}",
                max.fixed(self.info.scale())
            ))
        } else if in_collection {
            Some("The applicant has an account in collection".to_string())
        } else if clash {
            Some(format!(
                "customerNo {} belongs to another customer",
                app.customer_no
            ))
        } else {
            None
        };
        if let Some(reason) = reason {
            let a = self.applications.get_mut(id).expect("found above");
            a.status = "rejected".into();
            a.reason = Some(reason);
            let a = a.clone();
            return Ok(a);
        }
        let customer_id = match existing {
            Some(cid) => cid,
            None => {
                self.create_customer(NewCustomer {
                    customer_no: app.customer_no.clone(),
                    name: app.name.clone(),
                    email: Some(app.email.clone()),
                    msisdn: Some(app.phone.clone()),
                    national_id: Some(app.national_id.clone()),
                    username: None,
                    aliases: Vec::new(),
                    cards: Vec::new(),
                    personal_number: None,
                    address: legal_address(&app.request),
                })?
                .id
            }
        };
        if app.pep {
            // Kept for enhanced due diligence; not a reason to reject.
            self.customers
                .get_mut(&customer_id)
                .expect("known customer")
                .pep = true;
        }
        let customer_no = self.customers[&customer_id].customer_no.clone();
        let account = self.create_account(
            NewAccount {
                customer_no,
                account_no: None,
                credit_limit: app.credit_limit,
                profile_type: Some(self.info.settings.account_offer_profile.clone()),
                alias: None,
                description: None,
            },
            now,
        )?;
        let a = self.applications.get_mut(id).expect("found above");
        a.status = "approved".into();
        a.account_no = Some(account.account_no);
        let a = a.clone();
        Ok(a)
    }
}

/// The applicant's `legalAddress`, checked when the application came in, as the customer's
/// postal address: its `name` is the customer's, empty lines are no lines.
fn legal_address(request: &serde_json::Value) -> Option<Address> {
    let mut address: Address = serde_json::from_value(request["legalAddress"].clone()).ok()?;
    address.street_address = address.street_address.filter(|s| !s.is_empty());
    address.co_address = address.co_address.filter(|s| !s.is_empty());
    address.country_code = address.country_code.to_uppercase();
    Some(address)
}
