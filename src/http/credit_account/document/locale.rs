//! What a document says, in the ledger's language, with that language's number and date
//! formats: Swedish `1 234,50` and `2026-11-22`, English `1,234.50` and `22 Nov 2026`.

use time::Date;

use crate::ledger::{BillType, Language};
use crate::money::Amount;

/// The fixed texts of a document in one language.
pub struct Texts {
    pub bill_no: &'static str,
    pub reminder_no: &'static str,
    pub reminder_date: &'static str,
    pub bill_date: &'static str,
    pub due_date: &'static str,
    pub customer_no: &'static str,
    pub account_no: &'static str,
    pub org_no: &'static str,
    pub questions: &'static str,
    pub summary: &'static str,
    pub previous_balance: &'static str,
    pub payments: &'static str,
    pub purchases: &'static str,
    pub credits: &'static str,
    pub adjustments: &'static str,
    pub fees: &'static str,
    pub interest: &'static str,
    pub new_balance: &'static str,
    pub to_pay: &'static str,
    pub minimum: &'static str,
    pub pay_by: &'static str,
    pub ocr: &'static str,
    pub pay_more: &'static str,
    pub transactions: &'static str,
    pub date: &'static str,
    pub description: &'static str,
    pub debit: &'static str,
    pub credit: &'static str,
    pub nothing_new: &'static str,
    pub payment: &'static str,
    pub pay_to: &'static str,
    pub amount: &'static str,
    pub quote_ocr: &'static str,
    pub page: &'static str,
    pub of: &'static str,
    pub overdue: &'static str,
    pub reminder_fee: &'static str,
    pub to_pay_now: &'static str,
    pub new_due_date: &'static str,
    pub total_debt: &'static str,
    /// `{bill}`, `{date}` and `{due}` are the original bill's number, date and due date.
    pub reminder_about: &'static str,
    pub reminder_ask: &'static str,
    pub reminder_paid: &'static str,
    pub collection_warning: &'static str,
}

const EN: Texts = Texts {
    bill_no: "Bill no",
    reminder_no: "Reminder no",
    reminder_date: "Date",
    bill_date: "Bill date",
    due_date: "Due date",
    customer_no: "Customer no",
    account_no: "Account no",
    org_no: "Org. no",
    questions: "Questions about your bill?",
    summary: "Summary",
    previous_balance: "Previous balance",
    payments: "Payments",
    purchases: "Purchases",
    credits: "Credits and returns",
    adjustments: "Adjustments",
    fees: "Fees",
    interest: "Interest",
    new_balance: "New balance",
    to_pay: "To pay",
    minimum: "Minimum amount to pay",
    pay_by: "Pay by",
    ocr: "OCR reference",
    pay_more: "You may pay more, up to the new balance.",
    transactions: "Transactions",
    date: "Date",
    description: "Description",
    debit: "Debit",
    credit: "Credit",
    nothing_new: "No new transactions in this period.",
    payment: "Payment",
    pay_to: "Pay to",
    amount: "Amount",
    quote_ocr: "Always quote the OCR reference when you pay.",
    page: "Page",
    of: "of",
    overdue: "Overdue amount",
    reminder_fee: "Reminder fee",
    to_pay_now: "To pay now",
    new_due_date: "New due date",
    total_debt: "Outstanding on bill {bill}",
    reminder_about: "We have not received full payment of bill {bill} of {date}, due {due}.",
    reminder_ask: "Please pay the amount below by the new due date.",
    reminder_paid: "If you have paid in the last few days, please disregard this reminder.",
    collection_warning: "If we have not received payment by {due}, the debt will be passed on for collection.",
};

const SV: Texts = Texts {
    bill_no: "Fakturanr",
    reminder_no: "Påminnelsenr",
    reminder_date: "Datum",
    bill_date: "Fakturadatum",
    due_date: "Förfallodag",
    customer_no: "Kundnr",
    account_no: "Kontonr",
    org_no: "Org.nr",
    questions: "Frågor om din faktura?",
    summary: "Sammanställning",
    previous_balance: "Föregående saldo",
    payments: "Inbetalningar",
    purchases: "Köp",
    credits: "Krediteringar och returer",
    adjustments: "Justeringar",
    fees: "Avgifter",
    interest: "Ränta",
    new_balance: "Nytt saldo",
    to_pay: "Att betala",
    minimum: "Lägsta belopp att betala",
    pay_by: "Betala senast",
    ocr: "OCR-nummer",
    pay_more: "Du kan betala mer, upp till nytt saldo.",
    transactions: "Transaktioner",
    date: "Datum",
    description: "Beskrivning",
    debit: "Debet",
    credit: "Kredit",
    nothing_new: "Inga nya transaktioner under perioden.",
    payment: "Betalning",
    pay_to: "Betala till",
    amount: "Belopp",
    quote_ocr: "Ange alltid OCR-numret när du betalar.",
    page: "Sida",
    of: "av",
    overdue: "Förfallet belopp",
    reminder_fee: "Påminnelseavgift",
    to_pay_now: "Att betala nu",
    new_due_date: "Ny förfallodag",
    total_debt: "Kvar att betala på faktura {bill}",
    reminder_about: "Vi har inte fått full betalning av faktura {bill} av den {date}, förfallen {due}.",
    reminder_ask: "Betala beloppet nedan senast den nya förfallodagen.",
    reminder_paid: "Om du har betalat de senaste dagarna kan du bortse från denna påminnelse.",
    collection_warning: "Har vi inte fått betalt senast {due} lämnas skulden till inkasso.",
};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A language's texts and formats.
#[derive(Clone, Copy)]
pub struct Locale(pub Language);

impl Locale {
    pub fn texts(self) -> &'static Texts {
        match self.0 {
            Language::Sv => &SV,
            Language::En => &EN,
        }
    }

    pub fn title(self, kind: BillType) -> &'static str {
        match (self.0, kind) {
            (Language::Sv, BillType::Bill) => "Faktura",
            (Language::Sv, BillType::Reminder1) => "Påminnelse",
            (Language::Sv, BillType::Reminder2) => "Andra påminnelse",
            (Language::Sv, BillType::Collection) => "Inkassovarsel",
            (Language::En, BillType::Bill) => "Bill",
            (Language::En, BillType::Reminder1) => "Reminder",
            (Language::En, BillType::Reminder2) => "Second reminder",
            (Language::En, BillType::Collection) => "Notice before collection",
        }
    }

    /// The name of the kind of account the creditor is paid to.
    pub fn bank_account_kind(self, code: &str) -> &'static str {
        match (self.0, code) {
            (_, "BGSE") => "Bankgiro",
            (_, "PGSE") => "Plusgiro",
            (Language::Sv, "PKSE") => "Personkonto",
            (Language::En, "PKSE") => "Personal account",
            (Language::Sv, _) => "Bankkonto",
            (Language::En, _) => "Bank account",
        }
    }

    /// An amount with the language's grouping and decimal marks.
    pub fn money(self, amount: Amount, scale: u32) -> String {
        let (group, decimal) = match self.0 {
            Language::Sv => (' ', ','),
            Language::En => (',', '.'),
        };
        let fixed = amount.fixed(scale);
        let (sign, digits) = match fixed.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", fixed.as_str()),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(group);
            }
            grouped.push(c);
        }
        if fraction.is_empty() {
            format!("{sign}{grouped}")
        } else {
            format!("{sign}{grouped}{decimal}{fraction}")
        }
    }

    pub fn date(self, date: Date) -> String {
        match self.0 {
            Language::Sv => date.to_string(),
            Language::En => format!(
                "{} {} {}",
                date.day(),
                MONTHS[usize::from(u8::from(date.month())) - 1],
                date.year()
            ),
        }
    }
}

/// `template` with each `{name}` replaced by its value.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut text = template.to_string();
    for (name, value) in values {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn numbers_and_dates_follow_the_language() {
        let sv = Locale(Language::Sv);
        let en = Locale(Language::En);
        let a = Amount::from_minor(123_456_789);
        assert_eq!(sv.money(a, 2), "1 234 567,89");
        assert_eq!(en.money(a, 2), "1,234,567.89");
        assert_eq!(en.money(Amount::from_minor(-5), 2), "-0.05");
        assert_eq!(sv.money(Amount::from_minor(-100_000), 2), "-1 000,00");
        assert_eq!(en.money(Amount::from_minor(99_999), 0), "99,999");
        assert_eq!(sv.date(date!(2026 - 03 - 05)), "2026-03-05");
        assert_eq!(en.date(date!(2026 - 03 - 05)), "5 Mar 2026");
    }

    #[test]
    fn placeholders_are_filled() {
        let text = fill(
            EN.reminder_about,
            &[
                ("bill", "7"),
                ("date", "1 Jan 2026"),
                ("due", "31 Jan 2026"),
            ],
        );
        assert_eq!(
            text,
            "We have not received full payment of bill 7 of 1 Jan 2026, due 31 Jan 2026."
        );
    }
}
