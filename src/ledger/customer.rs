//! Customers (with their MyQ identities), their accounts, and money received from them.

use std::collections::BTreeSet;

use time::OffsetDateTime;

use super::*;
use crate::money::Amount;

/// The identities a customer is found by, which no two customers share.
struct Identities<'a> {
    username: Option<&'a String>,
    aliases: &'a [String],
    cards: &'a [String],
    personal_number: Option<&'a String>,
}

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
        let identities = Identities {
            username: new.username.as_ref(),
            aliases: &new.aliases,
            cards: &new.cards,
            personal_number: new.personal_number.as_ref(),
        };
        self.check_identities(None, &identities)?;
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

    /// Changes a customer as the operator asks; the identities stay unique across customers
    /// (usernames and aliases case-insensitively), and nothing changes if one is taken.
    pub fn update_customer(
        &mut self,
        customer_no: &str,
        change: CustomerChange,
    ) -> Result<Customer, LedgerError> {
        let id = *self
            .customer_by_no
            .get(customer_no)
            .ok_or(LedgerError::NotFound(Entity::Customer))?;
        let old = self.customers[&id].clone();
        let mut next = old.clone();
        let CustomerChange {
            name,
            email,
            msisdn,
            address,
            username,
            aliases,
            cards,
            personal_number,
        } = change;
        next.name = name.unwrap_or(next.name);
        next.email = email.unwrap_or(next.email);
        next.msisdn = msisdn.unwrap_or(next.msisdn);
        next.address = address.unwrap_or(next.address);
        next.username = username.unwrap_or(next.username);
        next.aliases = aliases.unwrap_or(next.aliases);
        next.cards = cards.unwrap_or(next.cards);
        next.personal_number = personal_number.unwrap_or(next.personal_number);
        let identities = Identities {
            username: next.username.as_ref(),
            aliases: &next.aliases,
            cards: &next.cards,
            personal_number: next.personal_number.as_ref(),
        };
        self.check_identities(Some(id), &identities)?;
        self.drop_identities(&old);
        self.index_customer(&next);
        self.customers.insert(id, next.clone());
        Ok(next)
    }

    /// Refuses identities another customer than `owner` holds, or given twice.
    fn check_identities(
        &self,
        owner: Option<i64>,
        ids: &Identities<'_>,
    ) -> Result<(), LedgerError> {
        let free = |holder: Option<&i64>| holder.is_none() || holder == owner.as_ref();
        let mut handles = BTreeSet::new();
        for (field, handle) in ids
            .username
            .into_iter()
            .map(|u| (Identity::Username, u))
            .chain(ids.aliases.iter().map(|a| (Identity::Alias, a)))
        {
            let key = handle.to_lowercase();
            if !free(self.by_handle.get(&key)) || !handles.insert(key) {
                return Err(LedgerError::IdentityTaken(field, handle.clone()));
            }
        }
        let mut cards = BTreeSet::new();
        for card in ids.cards {
            if !free(self.by_card.get(card)) || !cards.insert(card) {
                return Err(LedgerError::IdentityTaken(Identity::Card, card.clone()));
            }
        }
        if let Some(pn) = ids.personal_number
            && !free(self.by_personal_number.get(pn))
        {
            return Err(LedgerError::IdentityTaken(
                Identity::PersonalNumber,
                pn.clone(),
            ));
        }
        Ok(())
    }

    /// Removes the customer's identities from the indexes, as a change of this job.
    fn drop_identities(&mut self, c: &Customer) {
        for handle in c.username.iter().chain(c.aliases.iter()) {
            self.by_handle.remove(&handle.to_lowercase());
        }
        for card in &c.cards {
            self.by_card.remove(card);
        }
        if let Some(pn) = &c.personal_number {
            self.by_personal_number.remove(pn);
        }
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
            low_balance_threshold: None,
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

    /// The operator's correction: a credit (`amount` positive) or a debit (negative) with its
    /// reason. A debit may not take more than the available credit, as any other debit.
    pub fn adjust(
        &mut self,
        account_no: &str,
        amount: Amount,
        reason: String,
        now: OffsetDateTime,
    ) -> Result<Transaction, LedgerError> {
        if amount == Amount::ZERO {
            return Err(LedgerError::NotPositive(Quantity::Amount));
        }
        let account_id = self.account_id(account_no)?;
        let account = &self.accounts[&account_id];
        if account.status == AccountStatus::Closed {
            return Err(LedgerError::AccountNotOpen(AccountStatus::Closed));
        }
        if amount.is_negative() && amount.checked_neg()? > account.available() {
            return Err(LedgerError::InsufficientCredit);
        }
        let posting = Posting {
            account_id,
            kind: TxnType::Adjustment,
            amount,
            description: reason,
            reference: "adjustment".into(),
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
