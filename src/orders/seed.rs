//! The demo's catalogue and a year of orders for every trading partner: every status, realistic
//! timelines (partner placing, operations confirming, shipping, invoicing, payment), ERP-fed
//! orders with their sync time, blockers with an owner, and invoices and delivery notes.
//! Orders go through the same validation as the order form, so the demo never shows an order
//! the portal would refuse.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::entity::{price_list, price_list_entry, product, product_price, sales_order};
use super::model::{self, LineInput, OrderInput, OrderStatus, PaymentStatus};
use super::store::{self, Author, Change, NewDocument, NewOrder, Order};
use crate::platform::files::FileStore;
use crate::platform::ids;
use crate::platform::money::{Currency, Money};
use crate::platform::scope::Side;
use crate::platform::threads::{self, NewMessage, Participant, Subject};

/// (product line, SKU prefix, unit, [(name, list price in EUR cents, minimum, pack size)])
type LineSpec = (
    &'static str,
    &'static str,
    &'static str,
    [(&'static str, i64, i32, i32); 12],
);

const CATALOGUE: [LineSpec; 5] = [
    (
        "Switching",
        "SW",
        "each",
        [
            ("Edge 8-port PoE switch", 38_900, 1, 1),
            ("Edge 24-port PoE switch", 89_900, 1, 1),
            ("Edge 48-port PoE switch", 149_900, 1, 1),
            ("Core 24-port 10G switch", 429_000, 1, 1),
            ("Core 48-port 25G switch", 899_000, 1, 1),
            ("Aggregation 32-port 100G switch", 1_590_000, 1, 1),
            ("Industrial 8-port DIN switch", 64_900, 1, 1),
            ("Stacking kit (2 cables)", 12_900, 1, 1),
            ("Redundant power supply 600 W", 34_900, 1, 1),
            ("SFP+ 10G SR optic", 4_900, 4, 4),
            ("SFP28 25G LR optic", 18_900, 4, 4),
            ("DAC cable 3 m", 2_900, 10, 10),
        ],
    ),
    (
        "Wireless",
        "WL",
        "each",
        [
            ("Indoor Wi-Fi 6 access point", 34_900, 1, 1),
            ("Indoor Wi-Fi 6E access point", 52_900, 1, 1),
            ("Indoor Wi-Fi 7 access point", 79_900, 1, 1),
            ("Outdoor Wi-Fi 6 access point", 89_900, 1, 1),
            ("High-density stadium access point", 129_900, 1, 1),
            ("Wall-plate access point", 24_900, 1, 1),
            ("Wireless controller appliance", 349_000, 1, 1),
            ("Ceiling mount kit", 1_900, 10, 10),
            ("Pole mount kit", 4_900, 5, 5),
            ("PoE injector 60 W", 5_900, 5, 5),
            ("External antenna 6 dBi", 7_900, 4, 4),
            ("Site survey kit", 99_000, 1, 1),
        ],
    ),
    (
        "Security Appliances",
        "SA",
        "each",
        [
            ("Firewall 100 (branch)", 69_900, 1, 1),
            ("Firewall 400 (mid-size office)", 249_000, 1, 1),
            ("Firewall 1200 (campus)", 890_000, 1, 1),
            ("Firewall 4000 (data centre)", 2_450_000, 1, 1),
            ("SD-WAN edge 50", 49_900, 1, 1),
            ("SD-WAN edge 500", 189_000, 1, 1),
            ("VPN concentrator", 159_000, 1, 1),
            ("Secure access gateway", 329_000, 1, 1),
            ("Hardware security module", 1_190_000, 1, 1),
            ("Rack kit for appliances", 8_900, 1, 1),
            ("LTE backup module", 29_900, 1, 1),
            ("Firewall 300 (discontinued)", 199_000, 1, 1),
        ],
    ),
    (
        "Cloud Licences",
        "CL",
        "licence/year",
        [
            ("Cloud management, per device", 9_900, 12, 12),
            ("Advanced threat protection, per device", 19_900, 12, 12),
            ("Secure web gateway, per user", 3_900, 25, 25),
            ("Zero-trust access, per user", 5_900, 25, 25),
            ("Network analytics, per site", 29_900, 1, 1),
            ("Log retention 1 year, per device", 4_900, 12, 12),
            ("SD-WAN orchestration, per edge", 14_900, 5, 5),
            ("Wi-Fi location analytics, per AP", 2_900, 25, 25),
            ("Email security, per mailbox", 2_400, 50, 50),
            ("Backup for configurations, per site", 9_900, 1, 1),
            ("Compliance reporting, per tenant", 99_000, 1, 1),
            ("API access, per tenant", 49_000, 1, 1),
        ],
    ),
    (
        "Services & Support",
        "SV",
        "day",
        [
            ("Installation, per day", 120_000, 1, 1),
            ("Design workshop, per day", 150_000, 1, 1),
            ("Migration service, per day", 135_000, 1, 1),
            ("Health check, per site", 90_000, 1, 1),
            ("Remote configuration, per device", 15_000, 1, 1),
            ("Technical account manager, per month", 450_000, 1, 1),
            (
                "Next-business-day replacement, per device-year",
                9_900,
                1,
                1,
            ),
            ("4-hour replacement, per device-year", 29_900, 1, 1),
            ("Premium support, per device-year", 19_900, 1, 1),
            ("Training voucher, per person", 69_000, 1, 1),
            ("Certification exam voucher", 25_000, 1, 1),
            ("Project management, per day", 110_000, 1, 1),
        ],
    ),
];

/// Pounds per euro for the demo's GBP prices.
const GBP_PER_EUR_BP: i64 = 8_600;

/// (tier, net price in basis points of list, largest line discount)
const TIER_LISTS: [(Option<&str>, i64, i32); 4] = [
    (None, 10_000, 500),
    (Some("Silver"), 9_000, 500),
    (Some("Gold"), 8_200, 800),
    (Some("Platinum"), 7_500, 1_000),
];

fn gtin(seed: u64) -> String {
    let digits: Vec<u32> = format!("500{:09}", seed % 1_000_000_000)
        .chars()
        .filter_map(|c| c.to_digit(10))
        .collect();
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { *d } else { d * 3 })
        .sum();
    let check = (10 - sum % 10) % 10;
    format!(
        "{}{check}",
        digits.iter().map(u32::to_string).collect::<String>()
    )
}

/// The catalogue in EUR and GBP with a standard list, one list per tier and one partner's own.
pub async fn seed_catalogue(
    conn: &impl ConnectionTrait,
    own_list_partner: (Uuid, &str),
    at: OffsetDateTime,
) -> Result<(), DbErr> {
    let mut products = Vec::new();
    for (line_index, (line, prefix, unit, items)) in CATALOGUE.iter().enumerate() {
        for (index, (name, eur, minimum, pack)) in items.iter().enumerate() {
            let sku = format!("NW-{prefix}-{}", 1_000 + line_index * 100 + index * 10);
            let hardware = *unit == "each";
            let saved = product::ActiveModel {
                id: Set(ids::new_id()),
                sku: Set(sku),
                gtin: Set(hardware.then(|| gtin((line_index * 100 + index) as u64 * 7_919))),
                name: Set((*name).to_owned()),
                product_line: Set((*line).to_owned()),
                unit: Set((*unit).to_owned()),
                min_order_quantity: Set(*minimum),
                pack_size: Set(*pack),
                active: Set(!name.contains("discontinued")),
                created_at: Set(at),
            }
            .insert(conn)
            .await?;
            products.push((saved.id, *eur));
        }
    }
    for (currency, rate) in [("EUR", 10_000), ("GBP", GBP_PER_EUR_BP)] {
        let code = Currency::parse(currency).map_err(|e| DbErr::Custom(e.to_string()))?;
        let list_price = |eur: i64| -> Result<i64, DbErr> {
            let converted = Money::new(eur, code)
                .apply_basis_points(rate)
                .map_err(|e| DbErr::Custom(e.to_string()))?;
            // Whole currency units: list prices end in .00.
            Ok((converted.minor + 50) / 100 * 100)
        };
        for (product_id, eur) in &products {
            product_price::ActiveModel {
                product_id: Set(*product_id),
                currency: Set(currency.to_owned()),
                list_price_minor: Set(list_price(*eur)?),
            }
            .insert(conn)
            .await?;
        }
        let own = (Some(own_list_partner.0), None, 7_200, 1_200);
        let lists = TIER_LISTS
            .iter()
            .map(|(tier, net, max)| (None, *tier, *net, *max))
            .chain(std::iter::once(own));
        for (partner_id, tier, net_bp, max_discount_bp) in lists {
            let name = match (partner_id, tier) {
                (Some(_), _) => format!("{} {currency}", own_list_partner.1),
                (None, Some(tier)) => format!("{tier} {currency}"),
                (None, None) => format!("Standard {currency}"),
            };
            let list = price_list::ActiveModel {
                id: Set(ids::new_id()),
                name: Set(name),
                partner_id: Set(partner_id),
                tier: Set(tier.map(str::to_owned)),
                currency: Set(currency.to_owned()),
                max_discount_bp: Set(max_discount_bp),
                created_at: Set(at),
            }
            .insert(conn)
            .await?;
            for (product_id, eur) in &products {
                let net = Money::new(list_price(*eur)?, code)
                    .apply_basis_points(net_bp)
                    .map_err(|e| DbErr::Custom(e.to_string()))?;
                price_list_entry::ActiveModel {
                    price_list_id: Set(list.id),
                    product_id: Set(*product_id),
                    unit_price_minor: Set(net.minor),
                }
                .insert(conn)
                .await?;
            }
        }
    }
    Ok(())
}

/// A small deterministic generator: the demo looks the same every time.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// 0 ≤ n < bound.
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A trading partner of the demo and who orders for it.
pub struct DemoBuyer {
    pub partner_id: Uuid,
    pub name: String,
    pub country: String,
    pub orders: usize,
    /// The partner's person who places orders: (user id, display name).
    pub buyer: (Uuid, String),
    /// No orders after this many days ago (a suspended partner).
    pub stopped_days_ago: i64,
}

const CUSTOMERS: [&str; 24] = [
    "Stadtwerke Kiel",
    "Klinikum Augsburg",
    "Hotel Alpenrose",
    "Brauerei Maisel",
    "Universidad de Granada",
    "Ayuntamiento de Vigo",
    "Lisbon Marina Group",
    "Farmácia Central",
    "Northgate Schools Trust",
    "Harbourside Logistics",
    "Pennine Water",
    "Yorkshire Building Society",
    "Gemeente Utrecht",
    "Rijksmuseum Services",
    "Café Lumière",
    "Groupe Hospitalier Lyon",
    "Bergen Havn",
    "Alpine Ski Resorts",
    "Rheinbahn",
    "Messe Düsseldorf",
    "Costa Hoteles",
    "Banco Solana",
    "Dublin City Libraries",
    "Vienna Airport Services",
];

const BLOCKERS: [(&str, &str); 5] = [
    (
        "Credit limit reached: open invoices exceed the agreed limit. Pay the overdue invoice or agree a temporary increase.",
        "Northwind credit control",
    ),
    (
        "Export-control screening of the end customer is pending (line 1 is a dual-use item).",
        "Northwind trade compliance",
    ),
    (
        "Delivery address incomplete: building number and loading dock are missing.",
        "PARTNER",
    ),
    (
        "Line 1 is on allocation: the factory confirms quantities on the 3rd of next month.",
        "Northwind operations",
    ),
    (
        "The licence renewal needs the existing contract number; please send it in the order's thread.",
        "PARTNER",
    ),
];

/// One step of an order's life: days after it was placed, the status reached, and why.
fn path(dice: &mut Dice) -> Vec<(i64, OrderStatus, Option<&'static str>)> {
    use OrderStatus as S;
    let roll = dice.below(100);
    if roll < 5 {
        return vec![(
            1,
            S::Cancelled,
            Some("Rejected: duplicate of an order placed the same day."),
        )];
    }
    if roll < 9 {
        return vec![
            (1, S::Confirmed, None),
            (
                2,
                S::Cancelled,
                Some("Customer withdrew the project before shipment."),
            ),
        ];
    }
    let mut steps = vec![
        (1 + dice.below(2) as i64, S::Confirmed, None),
        (3 + dice.below(3) as i64, S::InFulfilment, None),
        (7 + dice.below(4) as i64, S::Shipped, None),
        (11 + dice.below(4) as i64, S::Delivered, None),
        (16, S::Invoiced, None),
        (46 + dice.below(30) as i64, S::Paid, None),
    ];
    if roll < 14 {
        steps.truncate(4);
        steps.push((
            25,
            S::Returned,
            Some("Customer returned the goods: wrong power supply variant."),
        ));
    }
    steps
}

/// Orders for every buyer over the last year, each with its timeline.
pub async fn seed_orders(
    conn: &impl ConnectionTrait,
    files: &FileStore,
    buyers: &[DemoBuyer],
    operations: &Author,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let mut dice = Dice(0x005e_ed0f_0de5_a1e5);
    let erp = Author {
        user_id: None,
        label: "ERP sync (Northwind SAP)".to_owned(),
    };
    // Each buyer's terms, then every order of the year in the order it was placed, so order
    // numbers grow with time as they would in a real program.
    let mut books = Vec::new();
    let mut plan = Vec::new();
    for (buyer_index, buyer) in buyers.iter().enumerate() {
        let currency = if buyer.country == "GB" { "GBP" } else { "EUR" };
        let partner = crate::orgs::entity::organization::Entity::find_by_id(buyer.partner_id)
            .one(conn)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo partner {} missing", buyer.name))?;
        let mut terms = store::terms_for(conn, &partner, currency).await?;
        // Its history was made while it was active.
        terms.partner_status = "active".to_owned();
        let placing = Author {
            user_id: Some(buyer.buyer.0),
            label: format!("{} ({})", buyer.buyer.1, buyer.name),
        };
        books.push((currency, terms, placing, false, partner));
        for index in 0..buyer.orders {
            // Denser towards today, so recent orders are still on their way; a suspended
            // partner stopped ordering.
            let span = 365 - buyer.stopped_days_ago;
            let from_end = (buyer.orders - 1 - index) as i64;
            let days_ago = buyer.stopped_days_ago
                + span * from_end * from_end / (buyer.orders * buyer.orders) as i64;
            let placed =
                now - Duration::days(days_ago) - Duration::minutes(dice.below(600) as i64 + 60);
            plan.push((placed, days_ago, buyer_index, index));
        }
    }
    plan.sort_by_key(|(placed, ..)| *placed);
    for (placed, days_ago, buyer_index, index) in plan {
        let buyer = &buyers[buyer_index];
        let (currency, terms, placing, blocked_one, partner) = &mut books[buyer_index];
        let currency: &str = currency;
        let offers: Vec<&model::Offer> = {
            let mut offers: Vec<&model::Offer> = terms
                .offers
                .values()
                .filter(|o| o.active && o.unit_price_minor.is_some())
                .collect();
            offers.sort_by(|a, b| a.sku.cmp(&b.sku));
            offers
        };
        {
            let mut input = OrderInput {
                customer_name: (*dice.pick(&CUSTOMERS)).to_owned(),
                partner_reference: format!("PO-{}-{:04}", placed.year(), 100 + index * 7),
                currency: currency.to_owned(),
                ship_to: String::new(),
                lines: Vec::new(),
            };
            for _ in 0..=dice.below(3) {
                let offer = *dice.pick(&offers);
                if input.lines.iter().any(|l| l.sku == offer.sku) {
                    continue;
                }
                let packs = 1 + dice.below(4) as i32;
                let quantity = (offer.min_order_quantity.max(offer.pack_size) * packs).max(1);
                let max = terms.price_list.as_ref().map_or(0, |(_, max)| *max);
                let discount = if dice.below(4) == 0 { max / 2 } else { 0 };
                input.lines.push(LineInput {
                    sku: offer.sku.clone(),
                    quantity: quantity.to_string(),
                    discount: model::format_percent(discount),
                });
            }
            let valid = model::validate(&input, terms).map_err(|errors| {
                anyhow::anyhow!("demo order for {} is invalid: {errors:?}", buyer.name)
            })?;
            let from_erp = dice.below(10) < 3;
            let draft = days_ago <= 6 && dice.below(5) == 0;
            let (author, source, source_reference) = if from_erp && !draft {
                (
                    &erp,
                    "erp",
                    Some(format!(
                        "SO-{}-{:05}",
                        placed.year(),
                        40_000 + dice.below(50_000)
                    )),
                )
            } else {
                (&*placing, "portal", None)
            };
            let first = if draft {
                OrderStatus::Draft
            } else {
                OrderStatus::Submitted
            };
            let mut order = store::create_order(
                conn,
                NewOrder {
                    partner,
                    order: &valid,
                    status: first,
                    source,
                    source_reference: source_reference.as_deref(),
                    ordered_at: placed,
                    deal_type: model::deal_type_for(index as u64),
                },
                author,
            )
            .await?;
            if draft {
                continue;
            }
            let mut last_change = placed;
            for (after_days, status, reason) in path(&mut dice) {
                let at =
                    placed + Duration::days(after_days) + Duration::minutes(dice.below(300) as i64);
                if at > now {
                    break;
                }
                let who = if status == OrderStatus::Cancelled
                    && reason.is_some_and(|r| r.starts_with("Customer"))
                {
                    &*placing
                } else {
                    operations
                };
                step(conn, &mut order, status, reason, who, at).await?;
                if status == OrderStatus::Confirmed {
                    let promised = (placed + Duration::days(8)).date();
                    store::record_change(
                        conn,
                        &order,
                        operations,
                        at,
                        Change {
                            kind: "promised_date",
                            from: None,
                            to: Some(promised.to_string()),
                            reason: None,
                        },
                    )
                    .await?;
                    order.promised_date = Some(promised);
                }
                if status == OrderStatus::Shipped && days_ago < 40 {
                    add_text_document(
                        conn,
                        files,
                        &order,
                        "delivery note",
                        &delivery_note(&order, &valid),
                        operations,
                        at,
                    )
                    .await?;
                }
                if status == OrderStatus::Invoiced && days_ago < 120 {
                    add_text_document(
                        conn,
                        files,
                        &order,
                        "invoice",
                        &invoice(&order, &valid),
                        operations,
                        at,
                    )
                    .await?;
                }
                last_change = at;
            }
            let status = OrderStatus::parse(&order.status).unwrap_or(OrderStatus::Draft);
            // Some open orders wait on somebody, and each partner has at least one that does.
            let blockable = matches!(
                status,
                OrderStatus::Submitted | OrderStatus::Confirmed | OrderStatus::InFulfilment
            );
            if blockable && (!*blocked_one || dice.below(6) == 0) {
                *blocked_one = true;
                let (reason, owner) = *dice.pick(&BLOCKERS);
                let owner = if owner == "PARTNER" {
                    format!("{} (you)", buyer.name)
                } else {
                    owner.to_owned()
                };
                let at = (last_change + Duration::hours(3)).min(now - Duration::minutes(5));
                store::record_change(
                    conn,
                    &order,
                    operations,
                    at,
                    Change {
                        kind: "blocked",
                        from: None,
                        to: Some(owner.clone()),
                        reason: Some(reason.to_owned()),
                    },
                )
                .await?;
                discuss_block(conn, &order, reason, placing, operations, at, now).await?;
                order.blocked_reason = Some(reason.to_owned());
                order.blocked_owner = Some(owner);
                order.blocked_at = Some(at);
                last_change = at;
            }
            if status == OrderStatus::Delivered && dice.below(3) == 0 {
                let asked = last_change + Duration::hours(2);
                if asked < now {
                    let answered = (asked + Duration::hours(5)).min(now);
                    let exchange = [
                        (
                            &*placing,
                            "Could you send the serial numbers of this delivery? The customer needs them for their asset register.",
                            asked,
                        ),
                        (
                            operations,
                            "The serial numbers are on the packing list in each box. Tell us here if one is missing and we will look it up.",
                            answered,
                        ),
                    ];
                    for (who, text, at) in exchange {
                        say(conn, &order, who, text, false, at).await?;
                    }
                }
            }
            order.updated_at = last_change;
            if source == "erp" {
                order.synced_at = Some(last_change + Duration::minutes(4));
            }
            let saved: sales_order::ActiveModel = order.into();
            saved.reset_all().update(conn).await?;
        }
    }
    Ok(())
}

/// A message in the order's discussion, as its author wrote it at `at`.
async fn say(
    conn: &impl ConnectionTrait,
    order: &Order,
    who: &Author,
    text: &str,
    internal: bool,
    at: OffsetDateTime,
) -> Result<(), DbErr> {
    let side = if who.label.ends_with("(Northwind Networks)") {
        Side::Vendor
    } else {
        Side::Partner
    };
    let participant = Participant {
        user_id: who.user_id.unwrap_or_default(),
        label: who.label.clone(),
        side,
    };
    let subject = Subject {
        object_type: "order",
        object_id: order.id,
        partner_id: order.partner_id,
    };
    let message = NewMessage {
        body: text,
        internal,
        attachment: None,
        at,
    };
    threads::post(conn, &subject, &participant, message, &[]).await?;
    Ok(())
}

/// Operations explain a block, note something for colleagues, and the partner answers.
async fn discuss_block(
    conn: &impl ConnectionTrait,
    order: &Order,
    reason: &str,
    partner: &Author,
    operations: &Author,
    at: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<(), DbErr> {
    let exchange = [
        (operations, format!("We have put this order on hold. {reason} We will update you here as soon as it moves."), false, at + Duration::minutes(10)),
        (operations, "Checked the account: payments have always been on time. Release as soon as the check clears; do not promise a new date before that.".to_owned(), true, at + Duration::minutes(20)),
        (partner, "Thanks for the notice. We have told the customer; please let us know the moment it moves.".to_owned(), false, at + Duration::hours(26)),
    ];
    for (who, text, internal, when) in exchange {
        if when < now {
            say(conn, order, who, &text, internal, when).await?;
        }
    }
    Ok(())
}

/// Moves the demo order one step, as operations would, with its timeline rows.
async fn step(
    conn: &impl ConnectionTrait,
    order: &mut Order,
    to: OrderStatus,
    reason: Option<&str>,
    author: &Author,
    at: OffsetDateTime,
) -> Result<(), DbErr> {
    store::record_change(
        conn,
        order,
        author,
        at,
        Change {
            kind: "status",
            from: Some(order.status.clone()),
            to: Some(to.key().to_owned()),
            reason: reason.map(str::to_owned),
        },
    )
    .await?;
    let payment = PaymentStatus::parse(&order.payment_status).unwrap_or(PaymentStatus::NotInvoiced);
    if let Some(next) = to
        .payment_status_on_entry(payment)
        .filter(|p| *p != payment)
    {
        store::record_change(
            conn,
            order,
            author,
            at,
            Change {
                kind: "payment",
                from: Some(payment.key().to_owned()),
                to: Some(next.key().to_owned()),
                reason: None,
            },
        )
        .await?;
        order.payment_status = next.key().to_owned();
    }
    order.status = to.key().to_owned();
    match to {
        OrderStatus::Shipped => order.shipped_at = Some(at),
        OrderStatus::Delivered => order.delivered_at = Some(at),
        _ => {}
    }
    Ok(())
}

fn invoice(order: &Order, valid: &model::ValidOrder) -> String {
    let mut text = format!(
        "NORTHWIND NETWORKS LTD — INVOICE INV-{}\nOrder {} · customer {}\n\n",
        &order.number[4..],
        order.number,
        order.customer_name
    );
    for line in &valid.lines {
        text.push_str(&format!(
            "{:<14} {:<48} {:>5} × {:>16} = {:>16}\n",
            line.sku,
            line.product_name,
            line.quantity,
            model::money(line.unit_price_minor, &order.currency),
            model::money(line.total_minor, &order.currency)
        ));
    }
    text.push_str(&format!(
        "\nTotal due within 30 days: {}\n",
        model::money(order.total_minor, &order.currency)
    ));
    text
}

fn delivery_note(order: &Order, valid: &model::ValidOrder) -> String {
    let mut text = format!(
        "NORTHWIND NETWORKS LTD — DELIVERY NOTE for order {}\nShip to: {}\n\n",
        order.number, order.customer_name
    );
    for line in &valid.lines {
        text.push_str(&format!(
            "{:<14} {:<48} {:>5}\n",
            line.sku, line.product_name, line.quantity
        ));
    }
    text
}

async fn add_text_document(
    conn: &impl ConnectionTrait,
    files: &FileStore,
    order: &Order,
    kind: &str,
    text: &str,
    author: &Author,
    at: OffsetDateTime,
) -> anyhow::Result<()> {
    let stored = files.put(bytes::Bytes::from(text.to_owned())).await?;
    let prefix = if kind == "invoice" { "INV" } else { "DN" };
    let file_name = format!("{prefix}-{}.txt", &order.number[4..]);
    store::add_document(
        conn,
        order,
        NewDocument {
            kind,
            file_name: &file_name,
            content_type: "text/plain; charset=utf-8",
            size_bytes: stored.size_bytes,
            sha256: &stored.sha256,
        },
        author,
        at,
    )
    .await?;
    Ok(())
}
