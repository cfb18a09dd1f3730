//! The bill as a PDF: who bills whom, the bill's dates and amounts, every transaction it
//! covers, and how to pay. Drawn with printpdf's built-in Helvetica, so no font files ship.

use printpdf::{BuiltinFont, IndirectFontRef, Mm, PdfDocument, PdfLayerReference};

use crate::ledger::{Bill, BillType, Settings, Transaction};

/// What the document says besides the bill itself.
pub struct BillParty<'a> {
    pub ledger_name: &'a str,
    pub currency: &'a str,
    pub scale: u32,
    pub customer_name: &'a str,
    pub customer_no: &'a str,
    pub account_no: &'a str,
    pub settings: &'a Settings,
}

const LINES_PER_PAGE: usize = 38;

fn title(kind: BillType) -> &'static str {
    match kind {
        BillType::Bill => "Bill",
        BillType::Reminder1 => "Reminder",
        BillType::Reminder2 => "Second reminder",
        BillType::Collection => "Notice before collection",
    }
}

/// Built-in PDF fonts cover Latin-1 only; anything else is shown as `?`.
fn latin1(text: &str) -> String {
    text.chars()
        .map(|c| if (c as u32) < 256 { c } else { '?' })
        .collect()
}

struct Writer {
    layer: PdfLayerReference,
    font: IndirectFontRef,
    bold: IndirectFontRef,
    y: f32,
}

impl Writer {
    fn text(&mut self, x: f32, size: f32, bold: bool, text: &str) {
        let font = if bold { &self.bold } else { &self.font };
        self.layer
            .use_text(latin1(text), size, Mm(x), Mm(self.y), font);
    }

    fn line(&mut self, size: f32, bold: bool, text: &str) {
        self.text(20.0, size, bold, text);
        self.y -= size * 0.5;
    }
}

pub fn render(
    party: &BillParty<'_>,
    bill: &Bill,
    transactions: &[Transaction],
) -> Result<Vec<u8>, printpdf::Error> {
    let money = |a: crate::money::Amount| format!("{} {}", a.fixed(party.scale), party.currency);
    // A reminder is about its chain's original bill (SPEC §1.6), and says so first.
    let heading = match bill.origin {
        Some(origin) => format!("{} about bill {origin}", title(bill.bill_type)),
        None => format!("{} {}", title(bill.bill_type), bill.bill_no),
    };
    let (doc, page, layer) = PdfDocument::new(&heading, Mm(210.0), Mm(297.0), "bill");
    let font = doc.add_builtin_font(BuiltinFont::Helvetica)?;
    let bold = doc.add_builtin_font(BuiltinFont::HelveticaBold)?;
    let mut w = Writer {
        layer: doc.get_page(page).get_layer(layer),
        font,
        bold,
        y: 275.0,
    };

    w.line(20.0, true, party.ledger_name);
    w.y -= 4.0;
    w.line(16.0, true, &heading);
    w.y -= 2.0;
    w.line(
        10.0,
        false,
        &format!(
            "Customer: {} (customer no {})",
            party.customer_name, party.customer_no
        ),
    );
    w.line(10.0, false, &format!("Account: {}", party.account_no));
    w.line(
        10.0,
        false,
        &format!(
            "Bill no: {}    Bill date: {}    Due date: {}",
            bill.bill_no, bill.bill_date, bill.due_date
        ),
    );
    w.y -= 4.0;
    w.line(11.0, true, "Transactions");
    let mut on_page = 0;
    for t in transactions {
        if on_page == LINES_PER_PAGE {
            let (next_page, next_layer) = doc.add_page(Mm(210.0), Mm(297.0), "bill");
            w.layer = doc.get_page(next_page).get_layer(next_layer);
            w.y = 275.0;
            on_page = 0;
        }
        let description: String = t.description.chars().take(70).collect();
        w.text(20.0, 9.0, false, &t.date.to_string());
        w.text(45.0, 9.0, false, &description);
        w.text(160.0, 9.0, false, &money(t.amount));
        w.y -= 5.0;
        on_page += 1;
    }
    if transactions.is_empty() {
        w.line(9.0, false, "No new transactions in this period.");
    }
    if bill.fee.minor() > 0 {
        w.line(9.0, false, &format!("Reminder fee: {}", money(bill.fee)));
    }
    w.y -= 4.0;
    w.line(
        11.0,
        true,
        &format!("Amount on this bill: {}", money(bill.amount)),
    );
    w.line(
        11.0,
        true,
        &format!("Minimum amount to pay: {}", money(bill.minimum)),
    );
    w.y -= 4.0;
    w.line(11.0, true, "Payment details");
    let s = party.settings;
    if let Some(no) = &s.bank_account_no {
        w.line(10.0, false, &format!("{}: {no}", s.bank_account_type));
    }
    if let Some(iban) = &s.iban {
        w.line(
            10.0,
            false,
            &format!("IBAN: {iban}    BIC: {}", s.bic.clone().unwrap_or_default()),
        );
    }
    w.line(
        10.0,
        false,
        &format!("Payment reference (OCR): {}", bill.reference),
    );
    w.line(
        10.0,
        false,
        &format!("Pay by {} at the latest.", bill.due_date),
    );
    doc.save_to_bytes()
}
