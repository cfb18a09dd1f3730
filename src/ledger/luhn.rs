//! The Luhn (mod 10) check digit, used by Swedish identity numbers and OCR references.

/// The check digit for `digits` (ASCII digits only; anything else is ignored by callers that
/// have validated first).
pub fn check_digit(digits: &str) -> u8 {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let doubled = d * 2;
                doubled / 10 + doubled % 10
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// Whether the last digit of `digits` is the Luhn check digit of the rest.
pub fn is_valid(digits: &str) -> bool {
    digits.len() >= 2
        && digits.bytes().all(|b| b.is_ascii_digit())
        && check_digit(&digits[..digits.len() - 1]) == digits.as_bytes()[digits.len() - 1] - b'0'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_check_digits() {
        assert_eq!(check_digit("121212121"), 2);
        assert_eq!(check_digit("101010101"), 0);
        assert_eq!(check_digit("7992739871"), 3);
        assert!(is_valid("79927398713"));
        assert!(!is_valid("79927398714"));
        assert!(!is_valid("7"));
        assert!(!is_valid("12a4"));
    }
}
