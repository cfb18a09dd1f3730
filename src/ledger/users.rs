//! Finding customers the way MyQ's users API does (SPEC §4).

use super::{Customer, Ledger};

/// `GET /users/find` filters; every one given must match.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Matches the username or an alias, case-insensitively.
    pub username: Option<String>,
    pub card: Option<String>,
    /// The personal number.
    pub code: Option<String>,
    /// Case-insensitive.
    pub email: Option<String>,
}

impl UserFilter {
    pub fn is_empty(&self) -> bool {
        self.username.is_none()
            && self.card.is_none()
            && self.code.is_none()
            && self.email.is_none()
    }

    fn matches(&self, c: &Customer, by_handle: Option<i64>, by_card: Option<i64>) -> bool {
        (self.username.is_none() || by_handle == Some(c.id))
            && (self.card.is_none() || by_card == Some(c.id))
            && self
                .code
                .as_ref()
                .is_none_or(|code| c.personal_number.as_ref() == Some(code))
            && self.email.as_ref().is_none_or(|email| {
                c.email
                    .as_ref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
            })
    }
}

impl Ledger {
    /// Customers matching every filter given, by id.
    pub fn find_customers(&self, filter: &UserFilter) -> Vec<&Customer> {
        let by_handle = filter
            .username
            .as_ref()
            .and_then(|u| self.by_handle.get(&u.to_lowercase()).copied());
        let by_card = filter
            .card
            .as_ref()
            .and_then(|c| self.by_card.get(c).copied());
        // An indexed filter narrows to at most one candidate; otherwise scan.
        let mut found: Vec<&Customer> = match (&filter.username, &filter.card) {
            (Some(_), _) => by_handle
                .and_then(|id| self.customers.get(&id))
                .into_iter()
                .collect(),
            (None, Some(_)) => by_card
                .and_then(|id| self.customers.get(&id))
                .into_iter()
                .collect(),
            (None, None) => self.customers.values().collect(),
        };
        found.retain(|c| filter.matches(c, by_handle, by_card));
        found.sort_by_key(|c| c.id);
        found
    }

    /// The customer whose username or alias is `handle`, in any case.
    pub fn customer_by_handle(&self, handle: &str) -> Option<&Customer> {
        self.by_handle
            .get(&handle.to_lowercase())
            .and_then(|id| self.customers.get(id))
    }

    /// The customer's accounts, default first.
    pub fn accounts_of(&self, customer_id: i64) -> Vec<&super::Account> {
        let default = self
            .customers
            .get(&customer_id)
            .and_then(|c| c.default_account);
        let mut accounts: Vec<&super::Account> = self
            .accounts
            .values()
            .filter(|a| a.customer_id == customer_id)
            .collect();
        accounts.sort_by_key(|a| (Some(a.id) != default, a.id));
        accounts
    }
}
