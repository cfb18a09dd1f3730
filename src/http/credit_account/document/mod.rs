//! A bill or reminder as a PDF a customer can read (SPEC §1.6): creditor and customer address
//! blocks, the dates, a summary from the previous balance to the new one, what to pay and how,
//! and every transaction billed, in the ledger's language. Drawn with printpdf's built-in
//! Helvetica, so no font files ship.

mod locale;
mod page;
mod summary;

use crate::ledger::{Address, Bill, BillType, Settings, Transaction};
use crate::money::Amount;
use locale::{Locale, Texts, fill};
use page::{Canvas, LEFT, RIGHT, fitted};
use summary::Summary;

/// Who bills whom, besides the bill itself.
pub struct BillParty<'a> {
    pub ledger_name: &'a str,
    pub currency: &'a str,
    pub scale: u32,
    pub customer_name: &'a str,
    pub customer_no: &'a str,
    pub customer_address: Option<&'a Address>,
    pub account_no: &'a str,
    pub settings: &'a Settings,
    /// For a reminder: the bill whose debt it is about.
    pub origin: Option<&'a Bill>,
}

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("drawing the PDF: {0}")]
    Pdf(#[from] printpdf::Error),
    #[error("a document's figures overflow")]
    Overflow(#[from] crate::money::Overflow),
}

/// The right half of the page, where the title, the facts and the customer's address go.
const MIDDLE: f32 = 120.0;
const ROW: f32 = 4.6;
/// The summary and to-pay boxes are at least this tall, for the to-pay box's three lines.
const BOX_HEIGHT: f32 = 47.0;
/// Transaction rows on the first page stop above the payment block.
const FIRST_PAGE_BOTTOM: f32 = 80.0;
const NEXT_PAGE_TOP: f32 = 258.0;
const NEXT_PAGE_BOTTOM: f32 = 28.0;

struct Doc<'a> {
    canvas: Canvas,
    party: &'a BillParty<'a>,
    bill: &'a Bill,
    locale: Locale,
    t: &'static Texts,
}

pub fn render(
    party: &BillParty<'_>,
    bill: &Bill,
    transactions: &[Transaction],
) -> Result<Vec<u8>, DocumentError> {
    let locale = Locale(party.settings.language());
    let summary = Summary::of(bill, transactions)?;
    let mut doc = Doc {
        canvas: Canvas::new(&format!(
            "{} {}",
            locale.title(bill.bill_type),
            bill.bill_no
        ))?,
        party,
        bill,
        locale,
        t: locale.texts(),
    };
    doc.header(0);
    doc.addresses();
    let boxes_bottom = if bill.bill_type == BillType::Bill {
        doc.bill_summary(&summary)
    } else {
        doc.reminder_summary(&summary)?
    };
    doc.transactions(boxes_bottom - 8.0, transactions);
    doc.payment_block();
    doc.footers();
    Ok(doc.canvas.doc.save_to_bytes()?)
}

impl Doc<'_> {
    fn money(&self, amount: Amount) -> String {
        self.locale.money(amount, self.party.scale)
    }

    fn with_currency(&self, amount: Amount) -> String {
        format!("{} {}", self.money(amount), self.party.currency)
    }

    fn creditor(&self) -> &str {
        self.party
            .settings
            .creditor_name
            .as_deref()
            .unwrap_or(self.party.ledger_name)
    }

    fn is_reminder(&self) -> bool {
        self.bill.bill_type != BillType::Bill
    }

    /// Creditor top left; title and the document's facts top right.
    fn header(&self, page: usize) {
        let (c, t, s) = (&self.canvas, self.t, self.party.settings);
        c.text(page, (LEFT, 277.0), 14.0, true, self.creditor());
        c.text(
            page,
            (MIDDLE, 277.0),
            16.0,
            true,
            self.locale.title(self.bill.bill_type),
        );
        if page > 0 {
            return;
        }
        let mut y = 271.0;
        for line in &s.creditor_address {
            c.text(page, (LEFT, y), 9.0, false, line);
            y -= 4.2;
        }
        if let Some(org) = &s.creditor_organization_no {
            c.text(page, (LEFT, y), 9.0, false, &format!("{} {org}", t.org_no));
        }
        let (no, date) = if self.is_reminder() {
            (t.reminder_no, t.reminder_date)
        } else {
            (t.bill_no, t.bill_date)
        };
        let facts = [
            (no, self.bill.bill_no.to_string()),
            (date, self.locale.date(self.bill.bill_date)),
            (t.due_date, self.locale.date(self.bill.due_date)),
            (t.customer_no, self.party.customer_no.to_string()),
            (t.account_no, self.party.account_no.to_string()),
        ];
        let mut y = 270.0;
        for (label, value) in facts {
            c.text(page, (MIDDLE, y), 9.0, false, label);
            c.text(page, (MIDDLE + 32.0, y), 9.0, true, &value);
            y -= 4.4;
        }
    }

    /// The customer's address where an envelope's window shows it; the creditor's contact
    /// lines beside it.
    fn addresses(&self) {
        let c = &self.canvas;
        let mut y = 236.0;
        c.text(0, (MIDDLE, y), 10.5, true, self.party.customer_name);
        for line in address_lines(self.party.customer_address) {
            y -= 4.8;
            c.text(0, (MIDDLE, y), 10.5, false, &line);
        }
        let contact = &self.party.settings.creditor_contact;
        if !contact.is_empty() {
            let mut y = 236.0;
            c.text(0, (LEFT, y), 9.0, true, self.t.questions);
            for line in contact {
                y -= 4.2;
                c.text(0, (LEFT, y), 9.0, false, line);
            }
        }
    }

    /// The way from the previous balance to the new one, and what to pay by when; returns
    /// the boxes' lower edge.
    fn bill_summary(&self, s: &Summary) -> f32 {
        let t = self.t;
        let mut rows = vec![
            (t.previous_balance, s.previous),
            (t.payments, s.payments),
            (t.purchases, s.purchases),
        ];
        for (label, figure) in [(t.credits, s.credits), (t.adjustments, s.adjustments)] {
            if figure != Amount::ZERO {
                rows.push((label, figure));
            }
        }
        rows.extend([(t.fees, s.fees), (t.interest, s.interest)]);
        let top = 205.0;
        let bottom = self.figures_box(top, &rows, (t.new_balance, s.new_balance));
        self.to_pay_box((top, bottom), (t.minimum, self.bill.minimum), t.pay_by);
        self.canvas
            .text(0, (MIDDLE, bottom - 4.5), 8.0, false, t.pay_more);
        bottom - 4.5
    }

    /// Which bill and due date the reminder is about, what is overdue, the fee and interest,
    /// and the new due date; returns the boxes' lower edge.
    fn reminder_summary(&self, s: &Summary) -> Result<f32, DocumentError> {
        let (c, t) = (&self.canvas, self.t);
        let origin = self.party.origin.unwrap_or(self.bill);
        let about = fill(
            t.reminder_about,
            &[
                ("bill", &origin.bill_no.to_string()),
                ("date", &self.locale.date(origin.bill_date)),
                ("due", &self.locale.date(origin.due_date)),
            ],
        );
        let last = if self.bill.bill_type == BillType::Collection {
            fill(
                t.collection_warning,
                &[("due", &self.locale.date(self.bill.due_date))],
            )
        } else {
            t.reminder_paid.to_string()
        };
        let mut y = 205.0;
        for line in [about.as_str(), t.reminder_ask, last.as_str()] {
            c.text(0, (LEFT, y), 10.0, false, line);
            y -= 5.2;
        }
        let rows = [
            (t.overdue, s.overdue(self.bill)?),
            (t.reminder_fee, s.fees),
            (t.interest, s.interest),
        ];
        let top = y - 3.0;
        let bottom = self.figures_box(top, &rows, (t.to_pay_now, self.bill.minimum));
        self.to_pay_box(
            (top, bottom),
            (t.to_pay_now, self.bill.minimum),
            t.new_due_date,
        );
        c.text(
            0,
            (MIDDLE, bottom - 4.5),
            8.0,
            false,
            &format!(
                "{}: {}",
                fill(t.total_debt, &[("bill", &origin.bill_no.to_string())]),
                self.with_currency(self.bill.amount)
            ),
        );
        Ok(bottom - 4.5)
    }

    /// A framed list of figures under a total; returns the frame's lower edge.
    fn figures_box(&self, top: f32, rows: &[(&str, Amount)], total: (&str, Amount)) -> f32 {
        let c = &self.canvas;
        let right = 102.0;
        c.text(0, (LEFT + 3.0, top - 6.0), 10.0, true, self.t.summary);
        let mut y = top - 12.5;
        for (label, amount) in rows {
            c.text(0, (LEFT + 3.0, y), 9.0, false, label);
            c.text_right(0, (right, y), 9.0, false, &self.money(*amount));
            y -= 5.0;
        }
        c.rule(0, LEFT + 3.0, right, y + 2.6);
        y -= 1.5;
        c.text(0, (LEFT + 3.0, y), 9.5, true, total.0);
        c.text_right(0, (right, y), 9.5, true, &self.with_currency(total.1));
        // As tall as the to-pay box beside it needs, however few the figures.
        let bottom = (y - 4.0).min(top - BOX_HEIGHT);
        c.frame(0, (LEFT, bottom), (105.0, top));
        bottom
    }

    /// The amount, the date to pay by and the OCR reference, large.
    fn to_pay_box(&self, (top, bottom): (f32, f32), amount: (&str, Amount), by: &str) {
        let c = &self.canvas;
        let x = MIDDLE - 2.0;
        c.frame(0, (x - 3.0, bottom), (RIGHT, top));
        c.text(0, (x, top - 6.0), 10.0, true, self.t.to_pay);
        let mut y = top - 12.5;
        let lines = [
            (amount.0, self.with_currency(amount.1), 14.0),
            (by, self.locale.date(self.bill.due_date), 12.0),
            (self.t.ocr, self.bill.reference.clone(), 12.0),
        ];
        for (label, value, size) in lines {
            c.text(0, (x, y), 8.5, false, label);
            c.text(0, (x, y - size * 0.45), size, true, &value);
            y -= 12.0;
        }
    }

    /// Every transaction billed, a row each with positive amounts in debit and credit
    /// columns, continued on further pages as needed.
    fn transactions(&mut self, top: f32, transactions: &[Transaction]) {
        let mut page = 0;
        let mut y = self.table_head(page, top);
        if transactions.is_empty() {
            self.canvas
                .text(page, (LEFT, y), 8.5, false, self.t.nothing_new);
        }
        for txn in transactions {
            let bottom = if page == 0 {
                FIRST_PAGE_BOTTOM
            } else {
                NEXT_PAGE_BOTTOM
            };
            if y < bottom {
                page = self.canvas.add_page();
                self.header(page);
                y = self.table_head(page, NEXT_PAGE_TOP);
            }
            self.row(page, y, txn);
            y -= ROW;
        }
    }

    /// The table's heading and column names; returns where the first row goes.
    fn table_head(&self, page: usize, top: f32) -> f32 {
        let (c, t) = (&self.canvas, self.t);
        c.text(page, (LEFT, top), 10.0, true, t.transactions);
        let y = top - 6.0;
        let currency = self.party.currency;
        c.text(page, (LEFT, y), 8.5, true, t.date);
        c.text(page, (LEFT + 24.0, y), 8.5, true, t.description);
        c.text_right(
            page,
            (160.0, y),
            8.5,
            true,
            &format!("{} {currency}", t.debit),
        );
        c.text_right(
            page,
            (RIGHT, y),
            8.5,
            true,
            &format!("{} {currency}", t.credit),
        );
        c.rule(page, LEFT, RIGHT, y - 1.6);
        y - 5.6
    }

    fn row(&self, page: usize, y: f32, txn: &Transaction) {
        let c = &self.canvas;
        c.text(page, (LEFT, y), 8.5, false, &self.locale.date(txn.date));
        let description = fitted(&txn.description, 8.5, 108.0);
        c.text(page, (LEFT + 24.0, y), 8.5, false, &description);
        // Charges are debits, money in is credit; both are shown as positive amounts.
        let (column, shown) = match txn.amount.checked_neg() {
            Ok(charge) if txn.amount.is_negative() => (160.0, charge),
            _ => (RIGHT, txn.amount),
        };
        c.text_right(page, (column, y), 8.5, false, &self.money(shown));
    }

    /// Where and how to pay, at the foot of the first page.
    fn payment_block(&self) {
        let (c, t, s) = (&self.canvas, self.t, self.party.settings);
        c.rule(0, LEFT, RIGHT, 72.0);
        c.text(0, (LEFT, 66.0), 11.0, true, t.payment);
        let mut y = 60.0;
        if let Some(no) = &s.bank_account_no {
            c.text(0, (LEFT, y), 8.5, false, t.pay_to);
            let kind = self.locale.bank_account_kind(&s.bank_account_type);
            c.text(0, (LEFT, y - 5.5), 11.0, true, &format!("{kind} {no}"));
            y -= 11.0;
        }
        if let Some(iban) = &s.iban {
            c.text(0, (LEFT, y), 9.0, false, &format!("IBAN {iban}"));
            y -= 4.5;
        }
        if let Some(bic) = &s.bic {
            c.text(0, (LEFT, y), 9.0, false, &format!("BIC {bic}"));
            y -= 4.5;
        }
        c.text(0, (LEFT, y), 9.0, false, self.creditor());
        let amount = self.with_currency(self.bill.minimum);
        let right = [
            (t.ocr, self.bill.reference.clone(), MIDDLE),
            (t.amount, amount, MIDDLE + 40.0),
        ];
        for (label, value, x) in right {
            c.text(0, (x, 60.0), 8.5, false, label);
            c.text(0, (x, 54.5), 12.0, true, &value);
        }
        c.text(0, (MIDDLE, 48.0), 8.5, false, t.pay_by);
        let due = self.locale.date(self.bill.due_date);
        c.text(0, (MIDDLE, 42.5), 12.0, true, &due);
        c.text(0, (LEFT, 33.0), 8.0, false, t.quote_ocr);
    }

    /// The creditor and page numbers at the foot of every page.
    fn footers(&self) {
        let (c, t) = (&self.canvas, self.t);
        let pages = c.page_count();
        let mut who = self.creditor().to_string();
        if let Some(org) = &self.party.settings.creditor_organization_no {
            who = format!("{who} - {} {org}", t.org_no);
        }
        for page in 0..pages {
            c.text(page, (LEFT, 15.0), 7.5, false, &who);
            let numbers = format!("{} {} {} {pages}", t.page, page + 1, t.of);
            c.text_right(page, (RIGHT, 15.0), 7.5, false, &numbers);
        }
    }
}

/// The lines of a postal address under the name: c/o, street, postcode and town, and the
/// country when it is not Sweden (the seeds' creditors are Swedish).
fn address_lines(address: Option<&Address>) -> Vec<String> {
    let Some(a) = address else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    if let Some(co) = &a.co_address {
        let lower = co.to_lowercase();
        lines.push(if lower.starts_with("c/o") {
            co.clone()
        } else {
            format!("c/o {co}")
        });
    }
    lines.extend(a.street_address.clone());
    let swedish = a.zip_code.len() == 5 && a.zip_code.bytes().all(|b| b.is_ascii_digit());
    let zip = if a.country_code == "SE" && swedish {
        format!("{} {}", &a.zip_code[..3], &a.zip_code[3..])
    } else {
        a.zip_code.clone()
    };
    lines.push(format!("{zip} {}", a.city.to_uppercase()));
    if a.country_code != "SE" {
        lines.push(a.country_code.clone());
    }
    lines
}
