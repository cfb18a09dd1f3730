//! The domain's errors. Each API maps them onto its own wire format, exhaustively.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// A request field broke a rule; names the field.
    #[error("{field}: {rule}")]
    Invalid { field: String, rule: String },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("Insufficient credit")]
    InsufficientCredit,
    /// The operation is valid in general but not in the current state of a setting.
    #[error("{0}")]
    InvalidOperation(String),
    /// Understood but refused by a business rule; `code` names the rule for API D.
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },
    #[error("amount arithmetic overflow")]
    Overflow,
    /// What the request names could not be read back from the store; nothing was changed.
    #[error("the ledger's store is unavailable: {0}")]
    Unavailable(String),
}

impl LedgerError {
    pub fn invalid(field: impl Into<String>, rule: impl Into<String>) -> Self {
        LedgerError::Invalid {
            field: field.into(),
            rule: rule.into(),
        }
    }

    /// The same error for a field read inside `parent` (`cardHolder` + `name` →
    /// `cardHolder.name`); other errors are unchanged.
    pub fn within(self, parent: &str) -> Self {
        match self {
            LedgerError::Invalid { field, rule } if !parent.is_empty() => LedgerError::Invalid {
                field: format!("{parent}.{field}"),
                rule,
            },
            other => other,
        }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        LedgerError::Conflict(message.into())
    }
}

impl From<crate::money::Overflow> for LedgerError {
    fn from(_: crate::money::Overflow) -> Self {
        LedgerError::Overflow
    }
}
