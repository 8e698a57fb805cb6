//! The rules of an order, without HTTP or SQL: its statuses and who moves them, how a line is
//! priced, and what a partner's order must satisfy before it is accepted.

use std::collections::HashMap;

use uuid::Uuid;

use crate::platform::money::{Currency, Money};

/// Where an order is in its life. Stored by [`OrderStatus::key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    Draft,
    Submitted,
    Confirmed,
    InFulfilment,
    Shipped,
    Delivered,
    Invoiced,
    Paid,
    Cancelled,
    Returned,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 10] = [
        OrderStatus::Draft,
        OrderStatus::Submitted,
        OrderStatus::Confirmed,
        OrderStatus::InFulfilment,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Invoiced,
        OrderStatus::Paid,
        OrderStatus::Cancelled,
        OrderStatus::Returned,
    ];

    pub fn key(self) -> &'static str {
        match self {
            OrderStatus::Draft => "draft",
            OrderStatus::Submitted => "submitted",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::InFulfilment => "in_fulfilment",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Invoiced => "invoiced",
            OrderStatus::Paid => "paid",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Returned => "returned",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OrderStatus::Draft => "Draft",
            OrderStatus::Submitted => "Submitted",
            OrderStatus::Confirmed => "Confirmed",
            OrderStatus::InFulfilment => "In fulfilment",
            OrderStatus::Shipped => "Shipped",
            OrderStatus::Delivered => "Delivered",
            OrderStatus::Invoiced => "Invoiced",
            OrderStatus::Paid => "Paid",
            OrderStatus::Cancelled => "Cancelled",
            OrderStatus::Returned => "Returned",
        }
    }

    pub fn parse(key: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|s| s.key() == key)
    }

    /// The badge colour family (UI.md): neutral, blue, amber, red, green.
    pub fn tone(self) -> &'static str {
        match self {
            OrderStatus::Draft => "neutral",
            OrderStatus::Submitted => "amber",
            OrderStatus::Confirmed | OrderStatus::InFulfilment | OrderStatus::Shipped => "blue",
            OrderStatus::Delivered | OrderStatus::Invoiced | OrderStatus::Paid => "green",
            OrderStatus::Cancelled | OrderStatus::Returned => "red",
        }
    }

    /// Where vendor operations may move an order next. Confirming and rejecting a submitted
    /// order have their own actions, with a reason for a rejection.
    pub fn next_for_operations(self) -> &'static [OrderStatus] {
        use OrderStatus as S;
        match self {
            S::Confirmed => &[S::InFulfilment, S::Cancelled],
            S::InFulfilment => &[S::Shipped, S::Cancelled],
            S::Shipped => &[S::Delivered, S::Returned],
            S::Delivered => &[S::Invoiced, S::Returned],
            S::Invoiced => &[S::Paid, S::Returned],
            S::Paid => &[S::Returned],
            S::Draft | S::Submitted | S::Cancelled | S::Returned => &[],
        }
    }

    /// A partner may withdraw an order until the vendor has confirmed it.
    pub fn partner_may_cancel(self) -> bool {
        matches!(self, OrderStatus::Draft | OrderStatus::Submitted)
    }

    /// Open orders are the ones somebody still has to act on.
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            OrderStatus::Paid | OrderStatus::Cancelled | OrderStatus::Returned
        )
    }

    /// What the payment status becomes when an order reaches this status, if it changes.
    pub fn payment_status_on_entry(self, current: PaymentStatus) -> Option<PaymentStatus> {
        match self {
            OrderStatus::Invoiced => Some(PaymentStatus::Unpaid),
            OrderStatus::Paid => Some(PaymentStatus::Paid),
            OrderStatus::Returned if current == PaymentStatus::Paid => {
                Some(PaymentStatus::Refunded)
            }
            OrderStatus::Returned if current == PaymentStatus::Unpaid => {
                Some(PaymentStatus::Credited)
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    NotInvoiced,
    Unpaid,
    Paid,
    Refunded,
    /// Invoiced, then returned before payment: nothing is owed.
    Credited,
}

impl PaymentStatus {
    pub fn key(self) -> &'static str {
        match self {
            PaymentStatus::NotInvoiced => "not_invoiced",
            PaymentStatus::Unpaid => "unpaid",
            PaymentStatus::Paid => "paid",
            PaymentStatus::Refunded => "refunded",
            PaymentStatus::Credited => "credited",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PaymentStatus::NotInvoiced => "Not invoiced yet",
            PaymentStatus::Unpaid => "Invoiced, unpaid",
            PaymentStatus::Paid => "Paid",
            PaymentStatus::Refunded => "Refunded",
            PaymentStatus::Credited => "Credited (returned before payment)",
        }
    }

    pub fn parse(key: &str) -> Option<PaymentStatus> {
        [
            PaymentStatus::NotInvoiced,
            PaymentStatus::Unpaid,
            PaymentStatus::Paid,
            PaymentStatus::Refunded,
            PaymentStatus::Credited,
        ]
        .into_iter()
        .find(|s| s.key() == key)
    }
}

/// Where an order came from; data from another system shows its source and last sync.
pub fn source_label(source: &str) -> &'static str {
    match source {
        "erp" => "from ERP",
        "import" => "imported",
        _ => "entered in the portal",
    }
}

/// How an order came about, a commission rule condition: resold from stock, won on a
/// registered deal, or referred to the vendor.
pub const DEAL_TYPES: [&str; 3] = ["resale", "registered_deal", "referral"];

pub fn deal_type_label(key: &str) -> &'static str {
    match key {
        "registered_deal" => "registered deal",
        "referral" => "referral",
        _ => "resale",
    }
}

/// The demo's and the scale generator's mix of deal types from a dice roll: mostly resale,
/// some registered deals, a few referrals.
pub fn deal_type_for(roll: u64) -> &'static str {
    match roll % 10 {
        0 | 1 => "registered_deal",
        2 => "referral",
        _ => "resale",
    }
}

/// An amount as pages, mails and the timeline show it; an unknown stored currency shows its
/// code and minor units.
pub fn money(minor: i64, currency: &str) -> String {
    match Currency::parse(currency) {
        Ok(currency) => Money::new(minor, currency).to_string(),
        Err(_) => format!("{currency} {minor} (minor units)"),
    }
}

/// A line's total: quantity × unit price, less the line discount, rounded half away from zero.
pub fn line_total(quantity: i32, unit_price: Money, discount_bp: i32) -> Option<Money> {
    let gross = unit_price.minor.checked_mul(i64::from(quantity))?;
    let net = Money::new(gross, unit_price.currency)
        .apply_basis_points(10_000 - i64::from(discount_bp))
        .ok()?;
    Some(net)
}

/// "2.5" (percent) → 250 basis points; at most two decimals, 0 to 100.
pub fn parse_percent(text: &str) -> Option<i32> {
    let text = text.trim().trim_end_matches('%').trim();
    if text.is_empty() {
        return Some(0);
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || fraction.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || whole.len() > 3
    {
        return None;
    }
    let whole: i32 = whole.parse().ok()?;
    let fraction: i32 = format!("{fraction:0<2}").parse().ok()?;
    let bp = whole * 100 + fraction;
    (bp <= 10_000).then_some(bp)
}

/// Basis points as the percent a person typed: 250 → "2.5".
pub fn format_percent(bp: i32) -> String {
    let whole = bp / 100;
    let fraction = bp % 100;
    match fraction {
        0 => whole.to_string(),
        f if f % 10 == 0 => format!("{whole}.{}", f / 10),
        f => format!("{whole}.{f:02}"),
    }
}

/// One line as the partner typed it.
#[derive(Debug, Clone, Default)]
pub struct LineInput {
    pub sku: String,
    pub quantity: String,
    pub discount: String,
}

/// The order form as typed; kept as typed so the form can show it again with its errors.
#[derive(Debug, Clone, Default)]
pub struct OrderInput {
    pub customer_name: String,
    pub partner_reference: String,
    pub currency: String,
    pub ship_to: String,
    pub lines: Vec<LineInput>,
}

impl OrderInput {
    /// Reads the form body: single fields by name, lines as repeated `sku`/`quantity`/`discount`
    /// fields in the order the form lists them.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> OrderInput {
        let mut input = OrderInput::default();
        let (mut skus, mut quantities, mut discounts) = (Vec::new(), Vec::new(), Vec::new());
        for (name, value) in pairs {
            match name.as_str() {
                "customer_name" => input.customer_name = value,
                "partner_reference" => input.partner_reference = value,
                "currency" => input.currency = value,
                "ship_to" => input.ship_to = value,
                "sku" => skus.push(value),
                "quantity" => quantities.push(value),
                "discount" => discounts.push(value),
                _ => {}
            }
        }
        for (i, sku) in skus.into_iter().enumerate() {
            input.lines.push(LineInput {
                sku,
                quantity: quantities.get(i).cloned().unwrap_or_default(),
                discount: discounts.get(i).cloned().unwrap_or_default(),
            });
        }
        input
    }

    /// Lines with anything typed in them; blank rows of the form are not lines.
    fn filled_lines(&self) -> impl Iterator<Item = (usize, &LineInput)> {
        self.lines.iter().enumerate().filter(|(_, l)| {
            !(l.sku.trim().is_empty()
                && l.quantity.trim().is_empty()
                && l.discount.trim().is_empty())
        })
    }
}

/// What a product may be ordered at by this partner.
#[derive(Debug, Clone)]
pub struct Offer {
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub active: bool,
    pub min_order_quantity: i32,
    pub pack_size: i32,
    /// The net price from the partner's price list; `None` when the list does not carry it.
    pub unit_price_minor: Option<i64>,
}

/// The partner's terms for one currency.
#[derive(Debug, Clone)]
pub struct Terms {
    pub partner_status: String,
    pub partner_name: String,
    /// The price list for the order's currency, if the partner has one: (name, max discount).
    pub price_list: Option<(String, i32)>,
    /// Every product by upper-case SKU.
    pub offers: HashMap<String, Offer>,
}

/// A problem with one field of the order form.
pub use crate::platform::web::FormError as FieldError;

fn error(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidLine {
    pub product_id: Uuid,
    pub sku: String,
    pub product_name: String,
    pub quantity: i32,
    pub unit_price_minor: i64,
    pub discount_bp: i32,
    pub total_minor: i64,
}

/// An order that satisfies every rule; only this reaches the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidOrder {
    pub customer_name: String,
    pub partner_reference: Option<String>,
    pub currency: Currency,
    pub ship_to: Option<String>,
    pub lines: Vec<ValidLine>,
    pub total_minor: i64,
}

/// Longest text accepted in single-line fields.
const MAX_FIELD: usize = 200;
/// Most lines on one order.
pub const MAX_LINES: usize = 100;

/// Checks the order against the partner's status, price list, discount limit and quantity
/// rules; every problem is reported, each against its field.
pub fn validate(input: &OrderInput, terms: &Terms) -> Result<ValidOrder, Vec<FieldError>> {
    let mut errors = Vec::new();
    if terms.partner_status != "active" {
        errors.push(error(
            "customer_name",
            format!(
                "{} is {} in the program, so it cannot order. Your partner manager can tell you \
                 what is needed to become active.",
                terms.partner_name, terms.partner_status
            ),
        ));
    }
    let customer_name = input.customer_name.trim();
    if customer_name.is_empty() {
        errors.push(error(
            "customer_name",
            "Enter the end customer's name: the order, its invoice and any commission are booked to them.",
        ));
    } else if customer_name.chars().count() > MAX_FIELD {
        errors.push(error(
            "customer_name",
            format!("The customer's name is too long: at most {MAX_FIELD} characters."),
        ));
    }
    let partner_reference = input.partner_reference.trim();
    if partner_reference.chars().count() > 60 {
        errors.push(error(
            "partner_reference",
            "Your reference is too long: at most 60 characters.",
        ));
    }
    let currency = match Currency::parse(&input.currency) {
        Ok(currency) => Some(currency),
        Err(_) => {
            errors.push(error("currency", "Choose the order's currency."));
            None
        }
    };
    let max_discount_bp = match (&terms.price_list, currency) {
        (Some((_, max)), _) => *max,
        (None, Some(currency)) => {
            errors.push(error(
                "currency",
                format!(
                    "There is no price list in {} for {}. Choose another currency, or ask your \
                     partner manager for one.",
                    currency.code(),
                    terms.partner_name
                ),
            ));
            0
        }
        (None, None) => 0,
    };
    let filled: Vec<(usize, &LineInput)> = input.filled_lines().collect();
    if filled.is_empty() {
        errors.push(error(
            "sku-1",
            "Add at least one line: a SKU and a quantity.",
        ));
    }
    if filled.len() > MAX_LINES {
        errors.push(error(
            "sku-1",
            format!("An order holds at most {MAX_LINES} lines; split it into several orders."),
        ));
    }
    let mut lines = Vec::new();
    let mut seen = HashMap::new();
    for (index, line) in filled {
        let row = index + 1;
        if let Some(valid) = validate_line(row, line, terms, currency, max_discount_bp, &mut errors)
        {
            if let Some(first) = seen.insert(valid.sku.clone(), row) {
                errors.push(error(
                    format!("sku-{row}"),
                    format!(
                        "Line {row}: {} is already on line {first}; change the quantity there instead.",
                        valid.sku
                    ),
                ));
                continue;
            }
            lines.push(valid);
        }
    }
    let total_minor = lines
        .iter()
        .try_fold(0_i64, |sum, line| sum.checked_add(line.total_minor));
    if total_minor.is_none() {
        errors.push(error("sku-1", "The order's total is too large."));
    }
    match (errors.is_empty(), currency, total_minor) {
        (true, Some(currency), Some(total_minor)) => Ok(ValidOrder {
            customer_name: customer_name.to_owned(),
            partner_reference: (!partner_reference.is_empty())
                .then(|| partner_reference.to_owned()),
            currency,
            ship_to: Some(input.ship_to.trim())
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            lines,
            total_minor,
        }),
        _ => Err(errors),
    }
}

fn validate_line(
    row: usize,
    line: &LineInput,
    terms: &Terms,
    currency: Option<Currency>,
    max_discount_bp: i32,
    errors: &mut Vec<FieldError>,
) -> Option<ValidLine> {
    let sku = line.sku.trim().to_ascii_uppercase();
    let before = errors.len();
    let offer = if sku.is_empty() {
        errors.push(error(
            format!("sku-{row}"),
            format!("Line {row}: enter a SKU."),
        ));
        None
    } else {
        match terms.offers.get(&sku) {
            None => {
                errors.push(error(
                    format!("sku-{row}"),
                    format!("Line {row}: there is no product with SKU {sku} in the catalogue."),
                ));
                None
            }
            Some(offer) if !offer.active => {
                errors.push(error(
                    format!("sku-{row}"),
                    format!(
                        "Line {row}: {sku} ({}) is no longer sold; choose its successor in the catalogue.",
                        offer.name
                    ),
                ));
                None
            }
            Some(offer) if offer.unit_price_minor.is_none() && terms.price_list.is_some() => {
                errors.push(error(
                    format!("sku-{row}"),
                    format!(
                        "Line {row}: {sku} is not on your price list in {}; ask your partner manager to add it.",
                        currency.map_or("this currency", Currency::code)
                    ),
                ));
                None
            }
            Some(offer) => Some(offer),
        }
    };
    let quantity = match line.quantity.trim().parse::<i32>() {
        Ok(quantity) if quantity > 0 => Some(quantity),
        _ => {
            errors.push(error(
                format!("quantity-{row}"),
                format!("Line {row}: the quantity must be a whole number above 0."),
            ));
            None
        }
    };
    if let (Some(offer), Some(quantity)) = (offer, quantity) {
        if quantity < offer.min_order_quantity {
            errors.push(error(
                format!("quantity-{row}"),
                format!(
                    "Line {row}: the minimum order quantity for SKU {sku} is {}.",
                    offer.min_order_quantity
                ),
            ));
        } else if offer.pack_size > 1 && quantity % offer.pack_size != 0 {
            errors.push(error(
                format!("quantity-{row}"),
                format!(
                    "Line {row}: quantity must be a multiple of {} (pack size) for SKU {sku}.",
                    offer.pack_size
                ),
            ));
        }
    }
    let discount_bp = match parse_percent(&line.discount) {
        Some(bp) if bp <= max_discount_bp => Some(bp),
        Some(_) => {
            errors.push(error(
                format!("discount-{row}"),
                format!(
                    "Line {row}: the discount may be at most {} % on your price list.",
                    format_percent(max_discount_bp)
                ),
            ));
            None
        }
        None => {
            errors.push(error(
                format!("discount-{row}"),
                format!("Line {row}: write the discount as a percentage, e.g. 2.5."),
            ));
            None
        }
    };
    if errors.len() > before {
        return None;
    }
    let (offer, quantity, discount_bp, currency) = (offer?, quantity?, discount_bp?, currency?);
    let unit_price_minor = offer.unit_price_minor?;
    let Some(total) = line_total(
        quantity,
        Money::new(unit_price_minor, currency),
        discount_bp,
    ) else {
        errors.push(error(
            format!("quantity-{row}"),
            format!("Line {row}: the line's total is too large."),
        ));
        return None;
    };
    Some(ValidLine {
        product_id: offer.product_id,
        sku,
        product_name: offer.name.clone(),
        quantity,
        unit_price_minor,
        discount_bp,
        total_minor: total.minor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms() -> Terms {
        let offer = |sku: &str, active: bool, min: i32, pack: i32, price: Option<i64>| Offer {
            product_id: Uuid::now_v7(),
            sku: sku.into(),
            name: format!("Product {sku}"),
            active,
            min_order_quantity: min,
            pack_size: pack,
            unit_price_minor: price,
        };
        let offers = [
            offer("NW-1000", true, 1, 1, Some(12_345)),
            offer("NW-2040", true, 12, 12, Some(999)),
            offer("NW-OLD", false, 1, 1, Some(100)),
            offer("NW-NOPRICE", true, 1, 1, None),
        ]
        .into_iter()
        .map(|o| (o.sku.clone(), o))
        .collect();
        Terms {
            partner_status: "active".into(),
            partner_name: "Harbour Systems".into(),
            price_list: Some(("Gold EUR".into(), 1_000)),
            offers,
        }
    }

    fn input(lines: &[(&str, &str, &str)]) -> OrderInput {
        OrderInput {
            customer_name: "Stadtwerke Kiel".into(),
            partner_reference: "PO-77".into(),
            currency: "EUR".into(),
            ship_to: String::new(),
            lines: lines
                .iter()
                .map(|(sku, quantity, discount)| LineInput {
                    sku: (*sku).into(),
                    quantity: (*quantity).into(),
                    discount: (*discount).into(),
                })
                .collect(),
        }
    }

    fn messages(result: Result<ValidOrder, Vec<FieldError>>) -> Vec<String> {
        result
            .expect_err("should be refused")
            .into_iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect()
    }

    #[test]
    fn a_valid_order_is_priced_from_the_price_list() {
        let order = validate(
            &input(&[("nw-1000", "3", "2.5"), ("", "", ""), ("NW-2040", "24", "")]),
            &terms(),
        )
        .unwrap();
        assert_eq!(order.lines.len(), 2, "blank rows are not lines");
        // 3 × 123.45 = 370.35, less 2.5 % = 361.09125 → 361.09
        assert_eq!(order.lines[0].total_minor, 36_109);
        assert_eq!(order.lines[0].sku, "NW-1000");
        assert_eq!(order.lines[1].total_minor, 23_976);
        assert_eq!(order.total_minor, 36_109 + 23_976);
        assert_eq!(order.partner_reference.as_deref(), Some("PO-77"));
    }

    #[test]
    fn every_rule_names_its_field_and_says_how_to_fix_it() {
        let found = messages(validate(
            &input(&[
                ("NW-2040", "13", ""),
                ("NW-2040", "6", ""),
                ("NW-9999", "1", ""),
                ("NW-OLD", "1", ""),
                ("NW-1000", "0", ""),
                ("NW-1000", "1", "12"),
                ("NW-NOPRICE", "1", "abc"),
            ]),
            &terms(),
        ));
        let expect = [
            "quantity-1: Line 1: quantity must be a multiple of 12 (pack size) for SKU NW-2040.",
            "quantity-2: Line 2: the minimum order quantity for SKU NW-2040 is 12.",
            "sku-3: Line 3: there is no product with SKU NW-9999 in the catalogue.",
            "sku-4: Line 4: NW-OLD (Product NW-OLD) is no longer sold; choose its successor in the catalogue.",
            "quantity-5: Line 5: the quantity must be a whole number above 0.",
            "discount-6: Line 6: the discount may be at most 10 % on your price list.",
            "sku-7: Line 7: NW-NOPRICE is not on your price list in EUR; ask your partner manager to add it.",
            "discount-7: Line 7: write the discount as a percentage, e.g. 2.5.",
        ];
        for message in expect {
            assert!(
                found.contains(&message.to_owned()),
                "missing {message:?} in {found:#?}"
            );
        }
    }

    #[test]
    fn the_same_sku_twice_is_refused() {
        let found = messages(validate(
            &input(&[("NW-1000", "1", ""), ("nw-1000", "2", "")]),
            &terms(),
        ));
        assert_eq!(
            found,
            ["sku-2: Line 2: NW-1000 is already on line 1; change the quantity there instead."]
        );
    }

    #[test]
    fn required_fields_and_partner_status() {
        let mut terms = terms();
        terms.partner_status = "suspended".into();
        let mut empty = input(&[]);
        empty.customer_name = "  ".into();
        let found = messages(validate(&empty, &terms));
        assert!(found[0].contains("Harbour Systems is suspended in the program"));
        assert!(
            found
                .iter()
                .any(|m| m.starts_with("customer_name: Enter the end customer's name"))
        );
        assert!(
            found
                .iter()
                .any(|m| m == "sku-1: Add at least one line: a SKU and a quantity.")
        );
    }

    #[test]
    fn a_currency_without_price_list_is_refused() {
        let mut terms = terms();
        terms.price_list = None;
        let mut order = input(&[("NW-1000", "1", "")]);
        order.currency = "USD".into();
        let found = messages(validate(&order, &terms));
        assert!(
            found
                .iter()
                .any(|m| m
                    .starts_with("currency: There is no price list in USD for Harbour Systems"))
        );
    }

    #[test]
    fn percentages_parse_to_basis_points() {
        assert_eq!(parse_percent(""), Some(0));
        assert_eq!(parse_percent("2.5"), Some(250));
        assert_eq!(parse_percent("12.25 %"), Some(1_225));
        assert_eq!(parse_percent("100"), Some(10_000));
        assert_eq!(parse_percent("100.01"), None);
        assert_eq!(parse_percent("-1"), None);
        assert_eq!(parse_percent("1.234"), None);
        assert_eq!(format_percent(250), "2.5");
        assert_eq!(format_percent(1_225), "12.25");
        assert_eq!(format_percent(1_000), "10");
    }

    #[test]
    fn statuses_round_trip_and_move_forward_only() {
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.key()), Some(status));
            assert!(!status.next_for_operations().contains(&OrderStatus::Draft));
        }
        assert!(OrderStatus::Submitted.partner_may_cancel());
        assert!(!OrderStatus::Confirmed.partner_may_cancel());
        assert_eq!(
            OrderStatus::Returned.payment_status_on_entry(PaymentStatus::Paid),
            Some(PaymentStatus::Refunded)
        );
        assert_eq!(
            OrderStatus::Returned.payment_status_on_entry(PaymentStatus::Unpaid),
            Some(PaymentStatus::Credited),
            "nothing is owed on goods returned before payment"
        );
        assert_eq!(
            PaymentStatus::parse("credited"),
            Some(PaymentStatus::Credited)
        );
    }
}
