//! Customers (with their MyQ identities), their accounts, and money received from them.

use std::collections::BTreeSet;

use time::OffsetDateTime;

use super::*;
use crate::money::Amount;

impl Ledger {
    pub(super) fn index_customer(&mut self, c: &Customer) {
        self.customer_by_no.insert(c.customer_no.clone(), c.id);
        for handle in c.username.iter().chain(c.aliases.iter()) {
            self.by_handle.insert(handle.to_lowercase(), c.id);
        }
        for card in &c.cards {
            self.by_card.insert(card.clone(), c.id);
        }
        if let Some(pn) = &c.personal_number {
            self.by_personal_number.insert(pn.clone(), c.id);
        }
    }

    pub fn create_customer(&mut self, new: NewCustomer) -> Result<Customer, LedgerError> {
        if self.customer_by_no.contains_key(&new.customer_no) {
            return Err(LedgerError::DuplicateId(Entity::Customer, new.customer_no));
        }
        let mut handles = BTreeSet::new();
        for (field, handle) in new
            .username
            .iter()
            .map(|u| (Identity::Username, u))
            .chain(new.aliases.iter().map(|a| (Identity::Alias, a)))
        {
            let key = handle.to_lowercase();
            if self.by_handle.contains_key(&key) || !handles.insert(key) {
                return Err(LedgerError::IdentityTaken(field, handle.clone()));
            }
        }
        let mut cards = BTreeSet::new();
        for card in &new.cards {
            if self.by_card.contains_key(card) || !cards.insert(card) {
                return Err(LedgerError::IdentityTaken(Identity::Card, card.clone()));
            }
        }
        if let Some(pn) = &new.personal_number
            && self.by_personal_number.contains_key(pn)
        {
            return Err(LedgerError::IdentityTaken(
                Identity::PersonalNumber,
                pn.clone(),
            ));
        }
        let customer = Customer {
            id: Self::next_id(&mut self.last_id.customer),
            customer_no: new.customer_no,
            name: new.name,
            email: new.email,
            msisdn: new.msisdn,
            national_id: new.national_id,
            username: new.username,
            aliases: new.aliases,
            cards: new.cards,
            personal_number: new.personal_number,
            default_account: None,
            pep: false,
            address: new.address,
        };
        self.index_customer(&customer);
        self.customers.insert(customer.id, customer.clone());
        Ok(customer)
    }

    pub fn create_account(
        &mut self,
        new: NewAccount,
        now: OffsetDateTime,
    ) -> Result<Account, LedgerError> {
        if new.credit_limit < Amount::ZERO {
            // A new account has no balance: a negative limit would start it overdrawn.
            return Err(LedgerError::NegativeCreditLimit);
        }
        let customer_id = self
            .customer_by_no
            .get(&new.customer_no)
            .copied()
            .ok_or(LedgerError::NotFound(Entity::Customer))?;
        let id = self.last_id.account + 1;
        let account_no = match new.account_no {
            Some(no) => no,
            None => format!("{}{:07}", self.info.ledger_no, id),
        };
        if self.account_by_no.contains_key(&account_no) {
            return Err(LedgerError::DuplicateId(
                Entity::Account,
                account_no.to_string(),
            ));
        }
        self.last_id.account = id;
        let account = Account {
            id,
            account_no,
            customer_id,
            status: AccountStatus::Open,
            credit_limit: new.credit_limit,
            balance: Amount::ZERO,
            reserved: Amount::ZERO,
            start_date: zone::date(&self.info.settings.time_zone, now),
            profile_type: new.profile_type,
            alias: new.alias,
            description: new.description,
            charity_donation: false,
            recurring: None,
        };
        let customer = self
            .customers
            .get_mut(&customer_id)
            .expect("indexed customer");
        if customer.default_account.is_none() {
            customer.default_account = Some(id);
        }
        self.account_by_no.insert(account.account_no.clone(), id);
        self.accounts.insert(id, account.clone());
        Ok(account)
    }

    /// Money received from the customer: a `payment` credit.
    pub fn receive_payment(
        &mut self,
        account_no: &str,
        amount: Amount,
        description: Option<String>,
        reference: Option<String>,
        now: OffsetDateTime,
    ) -> Result<Transaction, LedgerError> {
        if amount <= Amount::ZERO {
            return Err(LedgerError::NotPositive(Quantity::Amount));
        }
        let account_id = self
            .account_by_no
            .get(account_no)
            .copied()
            .ok_or(LedgerError::NotFound(Entity::Account))?;
        let description = description.unwrap_or_else(|| "Incoming payment".into());
        let reference = format!("incoming:{}", reference.unwrap_or_default());
        let posting = Posting {
            account_id,
            kind: TxnType::Payment,
            amount,
            description,
            reference,
            hold: None,
        };
        self.post(posting, now)
    }

    /// Money received with only a bill's OCR reference to say whose it is.
    pub fn receive_payment_by_reference(
        &mut self,
        reference: &str,
        amount: Amount,
        description: Option<String>,
        now: OffsetDateTime,
    ) -> Result<Transaction, LedgerError> {
        let account_id = self
            .account_of_reference(reference)?
            .ok_or(LedgerError::UnknownPaymentReference)?;
        let account_no = self.accounts[&account_id].account_no.clone();
        self.receive_payment(
            &account_no,
            amount,
            description,
            Some(reference.to_string()),
            now,
        )
    }
}
