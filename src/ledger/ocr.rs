//! OCR payment references for bills (SPEC §1.6): digits ending in a Luhn check digit, so a
//! bank can reject a mistyped reference before the money moves.

use super::luhn;

/// The reference for bill `bill_no` of ledger `ledger_no`: ledger digits, the bill number
/// zero-padded to eight digits, and the check digit. Unique per bill within the ledger.
pub fn reference(ledger_no: &str, bill_no: i64) -> String {
    let body = format!("{ledger_no}{bill_no:08}");
    format!("{body}{}", luhn::check_digit(&body))
}

/// Account references are numbered from here, above any bill number a ledger reaches.
pub const ACCOUNT_BASE: i64 = 90_000_000;

/// The account's own payment reference (`bankPayment.paymentReference`): payments quoting it
/// count towards the account's open bills like a bill's reference does.
pub fn account_reference(ledger_no: &str, account_id: i64) -> String {
    reference(ledger_no, ACCOUNT_BASE + account_id)
}

/// The bill number a reference of ledger `ledger_no` names, if it is one of its references.
pub fn bill_no(ledger_no: &str, reference: &str) -> Option<i64> {
    let body = reference.strip_prefix(ledger_no)?;
    let digits = body.get(..body.len().checked_sub(1)?)?;
    let no: i64 = digits.parse().ok()?;
    (digits.len() >= 8 && reference == self::reference(ledger_no, no)).then_some(no)
}

pub fn is_valid(reference: &str) -> bool {
    luhn::is_valid(reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_carry_a_check_digit_and_differ_per_bill() {
        let a = reference("501", 1);
        let b = reference("501", 2);
        assert_eq!(&a[..11], "50100000001");
        assert!(is_valid(&a) && is_valid(&b));
        assert_ne!(a, b);
        assert_eq!(bill_no("501", &a), Some(1));
        assert_eq!(
            bill_no("501", &reference("501", 123_456_789)),
            Some(123_456_789)
        );
        assert_eq!(bill_no("502", &a), None, "another ledger's");
        assert_eq!(bill_no("501", "5010000000"), None, "too short");
        // Any single mistyped digit is caught.
        for i in 0..a.len() {
            let mut wrong = a.clone().into_bytes();
            wrong[i] = if wrong[i] == b'9' { b'0' } else { wrong[i] + 1 };
            assert!(!is_valid(std::str::from_utf8(&wrong).unwrap()), "{i}");
        }
    }
}
