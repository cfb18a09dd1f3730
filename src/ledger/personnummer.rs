//! Swedish personnummer and samordningsnummer (SPEC §5): 10 or 12 digits, with or without a
//! `-` or `+` separator, a real birth date, and a Luhn check digit.

use time::{Date, Month};

use super::luhn;

/// A valid Swedish identity number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Personnummer {
    pub birth_date: Date,
    /// The three serial digits and the check digit.
    pub tail: String,
    /// A samordningsnummer (coordination number): the day is written plus 60.
    pub coordination: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonnummerError {
    #[error("must be YYYYMMDD-NNNC, YYMMDD-NNNC or the same without separator")]
    Format,
    #[error("has a date that does not exist")]
    Date,
    #[error("has a wrong check digit")]
    CheckDigit,
    #[error("has serial number 000, which is never issued")]
    Serial,
}

impl Personnummer {
    /// Parses any accepted form. `today` decides the century of 10-digit forms: `-` means
    /// under 100 years old, `+` means 100 or older.
    pub fn parse(input: &str, today: Date) -> Result<Personnummer, PersonnummerError> {
        let s = input.trim();
        let (digits, plus) = match s.len() {
            10 | 12 => (s.to_string(), false),
            11 | 13 => {
                let sep = s.as_bytes()[s.len() - 5];
                // `+` marks a 10-digit number of someone 100 or older; a 12-digit number
                // carries its century and takes only `-`.
                if sep != b'-' && (sep != b'+' || s.len() == 13) {
                    return Err(PersonnummerError::Format);
                }
                (
                    format!("{}{}", &s[..s.len() - 5], &s[s.len() - 4..]),
                    sep == b'+',
                )
            }
            _ => return Err(PersonnummerError::Format),
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PersonnummerError::Format);
        }
        let num = |r: std::ops::Range<usize>| digits[r].parse::<i32>().expect("digits");
        let (year, rest) = if digits.len() == 12 {
            (num(0..4), &digits[4..])
        } else {
            let yy = num(0..2);
            let mut year = today.year() - today.year().rem_euclid(100) + yy;
            if year > today.year() {
                year -= 100;
            }
            if plus {
                year -= 100;
            }
            (year, &digits[2..])
        };
        if &rest[4..7] == "000" {
            return Err(PersonnummerError::Serial);
        }
        if !luhn::is_valid(&format!("{:02}{rest}", year.rem_euclid(100))) {
            return Err(PersonnummerError::CheckDigit);
        }
        let month = rest[0..2].parse::<u8>().expect("digits");
        let mut day = rest[2..4].parse::<u8>().expect("digits");
        let coordination = day > 60;
        if coordination {
            day -= 60;
        }
        let month = Month::try_from(month).map_err(|_| PersonnummerError::Date)?;
        let birth_date =
            Date::from_calendar_date(year, month, day).map_err(|_| PersonnummerError::Date)?;
        if birth_date > today {
            return Err(PersonnummerError::Date);
        }
        Ok(Personnummer {
            birth_date,
            tail: rest[4..].to_string(),
            coordination,
        })
    }

    /// The canonical 12-digit form with separator, `YYYYMMDD-NNNC` (as the seed writes it).
    pub fn canonical(&self) -> String {
        let day = self.birth_date.day() + if self.coordination { 60 } else { 0 };
        format!(
            "{:04}{:02}{:02}-{}",
            self.birth_date.year(),
            u8::from(self.birth_date.month()),
            day,
            self.tail
        )
    }

    /// Age in whole years on `today`.
    pub fn age_on(&self, today: Date) -> i32 {
        let b = self.birth_date;
        let had_birthday = (today.month(), today.day()) >= (b.month(), b.day());
        today.year() - b.year() - i32::from(!had_birthday)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 21);

    fn parse(s: &str) -> Result<Personnummer, PersonnummerError> {
        Personnummer::parse(s, TODAY)
    }

    /// A number with a correct check digit appended, for testing the other rules alone.
    fn with_check(ten_minus_one: &str) -> String {
        format!("{ten_minus_one}{}", luhn::check_digit(ten_minus_one))
    }

    #[test]
    fn valid_numbers_in_every_form() {
        for input in ["19121212-1212", "191212121212", "121212-1212", "1212121212"] {
            let p = parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            let expected = if input.len() >= 12 {
                date!(1912 - 12 - 12)
            } else {
                date!(2012 - 12 - 12)
            };
            assert_eq!(p.birth_date, expected, "{input}");
            assert!(!p.coordination);
        }
        assert_eq!(parse("19101010-1010").unwrap().canonical(), "19101010-1010");
        assert_eq!(parse("121212-1212").unwrap().canonical(), "20121212-1212");
    }

    #[test]
    fn plus_means_a_hundred_years_or_more() {
        let p = parse("121212+1212").unwrap();
        assert_eq!(p.birth_date, date!(1912 - 12 - 12));
        assert_eq!(p.age_on(TODAY), 113);
    }

    #[test]
    fn samordningsnummer_adds_sixty_to_the_day() {
        let p = parse("701063-2391").unwrap();
        assert!(p.coordination);
        assert_eq!(p.birth_date, date!(1970 - 10 - 03));
        assert_eq!(p.canonical(), "19701063-2391");
        assert!(parse("19701063-2391").is_ok());
    }

    #[test]
    fn wrong_check_digits_are_refused() {
        assert_eq!(parse("19121212-1213"), Err(PersonnummerError::CheckDigit));
        assert_eq!(parse("701063-2392"), Err(PersonnummerError::CheckDigit));
    }

    #[test]
    fn impossible_dates_are_refused() {
        for stem in [
            "990230123",
            "991301123",
            "990000123",
            "010229123",
            "990292123",
        ] {
            let n = with_check(stem);
            assert_eq!(parse(&n), Err(PersonnummerError::Date), "{n}");
        }
        // 2000 was a leap year, 2001 was not.
        assert!(parse(&format!("20{}", with_check("000229123"))).is_ok());
        // Not born yet.
        assert_eq!(
            parse(&format!("2099{}", &with_check("990101123")[2..])),
            Err(PersonnummerError::Date)
        );
    }

    #[test]
    fn malformed_input_is_a_format_error() {
        for input in [
            "",
            "12345",
            "19121212_1212",
            "1912121212121",
            "abcdefghij",
            "191212-12121",
        ] {
            assert_eq!(parse(input), Err(PersonnummerError::Format), "{input}");
        }
    }

    #[test]
    fn serial_000_and_a_plus_in_the_long_form_are_refused() {
        let serial = with_check("121212000");
        assert_eq!(parse(&serial), Err(PersonnummerError::Serial), "{serial}");
        assert_eq!(
            parse(&format!("19{}-{}", &serial[..6], &serial[6..])),
            Err(PersonnummerError::Serial)
        );
        assert_eq!(parse("19121212+1212"), Err(PersonnummerError::Format));
        assert!(parse("121212+1212").is_ok(), "the short form takes +");
    }

    #[test]
    fn age_counts_whole_years() {
        let p = parse("19121212-1212").unwrap();
        assert_eq!(p.age_on(date!(2012 - 12 - 11)), 99);
        assert_eq!(p.age_on(date!(2012 - 12 - 12)), 100);
    }
}
