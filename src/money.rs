//! Money as integer minor units. Parsing is exact (from the JSON number's own text), and every
//! arithmetic operation is checked: an overflow is an error, never a wrap.

use std::fmt;

/// Largest accepted magnitude in major units (SPEC §1.8).
const MAX_MAJOR: i64 = 1_000_000_000_000;

/// An amount in minor units of the ledger's currency. Signed: debts and debits are negative
/// where a signed quantity is meant (balances, postings).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct Amount(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("must be a number")]
    NotANumber,
    #[error("must have at most {0} decimals")]
    TooPrecise(u32),
    #[error("must not be negative")]
    Negative,
    #[error("must be at most 1000000000000")]
    TooLarge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("amount arithmetic overflow")]
pub struct Overflow;

impl Amount {
    pub const ZERO: Amount = Amount(0);

    pub const fn from_minor(minor: i64) -> Self {
        Amount(minor)
    }

    pub const fn minor(self) -> i64 {
        self.0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn checked_add(self, other: Amount) -> Result<Amount, Overflow> {
        self.0.checked_add(other.0).map(Amount).ok_or(Overflow)
    }

    pub fn checked_sub(self, other: Amount) -> Result<Amount, Overflow> {
        self.0.checked_sub(other.0).map(Amount).ok_or(Overflow)
    }

    pub fn checked_neg(self) -> Result<Amount, Overflow> {
        self.0.checked_neg().map(Amount).ok_or(Overflow)
    }

    /// Parses the text of a JSON number (`12`, `12.5`, `-3`, `1.25e2`) exactly, with `scale`
    /// decimals allowed (the currency's exponent). Values that are only exact with more
    /// decimals are refused rather than rounded: money is never rounded on input.
    pub fn parse(text: &str, scale: u32) -> Result<Amount, AmountError> {
        let (negative, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exponent) = match body.find(['e', 'E']) {
            Some(i) => {
                let exp_text = &body[i + 1..];
                let exp_text = exp_text.strip_prefix('+').unwrap_or(exp_text);
                let exponent: i64 = if exp_text.is_empty()
                    || !exp_text
                        .trim_start_matches('-')
                        .bytes()
                        .all(|b| b.is_ascii_digit())
                {
                    return Err(AmountError::NotANumber);
                } else {
                    // An absurd exponent is simply out of range, whatever its exact size.
                    exp_text.parse().unwrap_or(if exp_text.starts_with('-') {
                        i64::MIN / 2
                    } else {
                        i64::MAX / 2
                    })
                };
                (&body[..i], exponent)
            }
            None => (body, 0),
        };
        let (int_part, frac_part) = match mantissa.split_once('.') {
            Some((i, f)) => (i, f),
            None => (mantissa, ""),
        };
        if int_part.is_empty()
            || !int_part.bytes().all(|b| b.is_ascii_digit())
            || !frac_part.bytes().all(|b| b.is_ascii_digit())
            || (mantissa.contains('.') && frac_part.is_empty())
        {
            return Err(AmountError::NotANumber);
        }
        // All digits as one integer string, with the decimal point `point` places from the right.
        let digits: String = format!("{int_part}{frac_part}");
        let digits = digits.trim_start_matches('0');
        let point = frac_part.len() as i64 - exponent;
        // Shift to minor units: we need `point <= scale` after dropping trailing zeros.
        let trimmed = digits.trim_end_matches('0');
        let dropped = (digits.len() - trimmed.len()) as i64;
        let effective_point = point - dropped;
        if trimmed.is_empty() {
            return Ok(Amount(0));
        }
        if effective_point > scale as i64 {
            return Err(if negative {
                AmountError::Negative
            } else {
                AmountError::TooPrecise(scale)
            });
        }
        let zeros = scale as i64 - effective_point;
        // The largest valid value has 13 integer digits plus `scale` decimals.
        if trimmed.len() as i64 + zeros > 13 + scale as i64 {
            return Err(if negative {
                AmountError::Negative
            } else {
                AmountError::TooLarge
            });
        }
        let mut minor: i64 = trimmed.parse().map_err(|_| AmountError::TooLarge)?;
        for _ in 0..zeros {
            minor = minor.checked_mul(10).ok_or(AmountError::TooLarge)?;
        }
        if negative {
            return Err(AmountError::Negative);
        }
        if minor > MAX_MAJOR * 10i64.pow(scale) {
            return Err(AmountError::TooLarge);
        }
        Ok(Amount(minor))
    }

    /// Renders with exactly `scale` decimals (`2000.00`, `-1900.00`): APIs C and D.
    pub fn fixed(self, scale: u32) -> String {
        let unit = 10i64.pow(scale);
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let unit = unit as u64;
        if scale == 0 {
            return format!("{sign}{abs}");
        }
        format!(
            "{sign}{}.{:0width$}",
            abs / unit,
            abs % unit,
            width = scale as usize
        )
    }

    /// Renders as the shortest exact decimal (`10`, `12.5`, `0.05`): APIs A and B.
    pub fn plain(self, scale: u32) -> String {
        let fixed = self.fixed(scale);
        if scale == 0 {
            return fixed;
        }
        let trimmed = fixed.trim_end_matches('0');
        trimmed.trim_end_matches('.').to_string()
    }

    /// The amount as a JSON number with the shortest exact rendering.
    pub fn plain_json(self, scale: u32) -> serde_json::Value {
        serde_json::Value::Number(
            self.plain(scale)
                .parse()
                .expect("rendered decimal is a number"),
        )
    }

    /// The amount as a JSON number with exactly `scale` decimals.
    pub fn fixed_json(self, scale: u32) -> serde_json::Value {
        serde_json::Value::Number(
            self.fixed(scale)
                .parse()
                .expect("rendered decimal is a number"),
        )
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.fixed(2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_decimals() {
        let cases = [
            ("12", 1200),
            ("12.5", 1250),
            ("12.50", 1250),
            ("0", 0),
            ("0.01", 1),
            ("0.0", 0),
            ("12.500", 1250),
            ("1.25e2", 12500),
            ("125E-2", 125),
            ("1e12", 100_000_000_000_000),
            ("1000000000000.00", 100_000_000_000_000),
        ];
        for (text, minor) in cases {
            assert_eq!(Amount::parse(text, 2), Ok(Amount(minor)), "{text}");
        }
    }

    #[test]
    fn refuses_what_is_not_exact_money() {
        let cases = [
            ("1.234", AmountError::TooPrecise(2)),
            ("0.001", AmountError::TooPrecise(2)),
            ("-5", AmountError::Negative),
            ("-0.5", AmountError::Negative),
            ("1e300", AmountError::TooLarge),
            ("1e-300", AmountError::TooPrecise(2)),
            ("1000000000000.01", AmountError::TooLarge),
            ("99999999999999999999999", AmountError::TooLarge),
            ("abc", AmountError::NotANumber),
            ("", AmountError::NotANumber),
            ("1.", AmountError::NotANumber),
            (".5", AmountError::NotANumber),
            ("1e", AmountError::NotANumber),
            ("NaN", AmountError::NotANumber),
        ];
        for (text, err) in cases {
            assert_eq!(Amount::parse(text, 2), Err(err), "{text}");
        }
    }

    #[test]
    fn renders_fixed_and_plain() {
        assert_eq!(Amount(200000).fixed(2), "2000.00");
        assert_eq!(Amount(-190000).fixed(2), "-1900.00");
        assert_eq!(Amount(5).fixed(2), "0.05");
        assert_eq!(Amount(-5).fixed(2), "-0.05");
        assert_eq!(Amount(1000).plain(2), "10");
        assert_eq!(Amount(1250).plain(2), "12.5");
        assert_eq!(Amount(5).plain(2), "0.05");
        assert_eq!(Amount(0).plain(2), "0");
        assert_eq!(Amount(-1250).plain(2), "-12.5");
        assert_eq!(Amount(42).plain(0), "42");
        assert_eq!(Amount(1250).plain_json(2).to_string(), "12.5");
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(Amount(i64::MAX).checked_add(Amount(1)), Err(Overflow));
        assert_eq!(Amount(i64::MIN).checked_sub(Amount(1)), Err(Overflow));
        assert_eq!(Amount(3).checked_sub(Amount(5)), Ok(Amount(-2)));
    }

    proptest::proptest! {
        /// Whatever a client sends, parsing answers; it never panics or loops on an exponent.
        #[test]
        fn parsing_any_text_never_panics(text in "\\PC{0,40}", number in "-?[0-9]{0,25}(\\.[0-9]{0,25})?([eE][+-]?[0-9]{0,25})?") {
            let _ = Amount::parse(&text, 2);
            let _ = Amount::parse(&number, 2);
            let _ = Amount::parse(&number, 0);
        }

        #[test]
        fn render_then_parse_round_trips(minor in 0i64..=100_000_000_000_000) {
            let a = Amount(minor);
            proptest::prop_assert_eq!(Amount::parse(&a.fixed(2), 2), Ok(a));
            proptest::prop_assert_eq!(Amount::parse(&a.plain(2), 2), Ok(a));
        }
    }
}
