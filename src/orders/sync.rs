//! Orders fed by another system (the ERP), by its own reference: checked like any input, created
//! with the source's lines and prices, and later updates applied field by field on the timeline.
//!
//! Rules: the source is the truth for what it sends, except where someone changed the order in
//! the portal since the source last synced it — then nothing is applied and the caller gets both
//! versions, for a person to decide ([`Applied::ChangedInPortal`]). Sending the same record again
//! changes nothing. Lines are matched by SKU, so commission computed on a line keeps its line; a
//! line the source stops sending stays at quantity 0 (see [`store::take_synced_lines`]).

use std::collections::BTreeMap;

use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::discussion::tell_followers;
use super::entity::{product, sales_order};
use super::model::{DEAL_TYPES, OrderStatus, PaymentStatus, ValidLine, ValidOrder, line_total};
use super::store::{self, Author, Change, NewOrder, Order};
use crate::integrations::webhooks;
use crate::orgs::entity::organization;
use crate::platform::api::FieldError;
use crate::platform::money::{Currency, Money};
use crate::platform::time::parse_day;

/// An order as a source sends it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SyncOrderInput {
    /// The source's own id of the order; the key that makes a record found again.
    pub external_reference: String,
    pub partner_id: Uuid,
    pub customer_name: String,
    pub partner_reference: Option<String>,
    /// ISO 4217.
    pub currency: String,
    /// An order status: `submitted`, `confirmed`, `in_production`, `shipped` …
    pub status: String,
    /// `not_invoiced`, `invoiced`, `partially_paid`, `paid`, `overdue` …; unchanged when absent.
    pub payment_status: Option<String>,
    /// When it was ordered (RFC 3339); now when absent.
    #[schema(format = DateTime)]
    pub ordered_at: Option<String>,
    #[schema(format = Date)]
    pub promised_date: Option<String>,
    /// `resale` (default), `registered_deal` or `referral`.
    pub deal_type: Option<String>,
    pub lines: Vec<SyncLineInput>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SyncLineInput {
    pub sku: String,
    pub quantity: i32,
    /// Net unit price before the line discount, in minor units.
    pub unit_price_minor: i64,
    /// Line discount in basis points; 0 when absent.
    #[serde(default)]
    pub discount_bp: i32,
}

/// A record that passed every check.
#[derive(Debug, Clone)]
pub struct SyncedOrder {
    pub external_reference: String,
    pub partner_id: Uuid,
    pub order: ValidOrder,
    pub status: OrderStatus,
    pub payment: Option<PaymentStatus>,
    pub ordered_at: Option<OffsetDateTime>,
    pub promised_date: Option<time::Date>,
    pub deal_type: &'static str,
}

/// The fields a source keeps in step after creation: what conflicts are about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub customer_name: String,
    pub partner_reference: Option<String>,
    pub status: String,
    pub payment_status: String,
    pub promised_date: Option<String>,
    /// The lines in words ([`lines_text`]); absent in conflicts filed before lines were synced.
    #[serde(default)]
    pub lines: String,
}

/// An order's lines as versions compare them and conflicts show them, by SKU:
/// "2 × NW-SW-1000 at EUR 120.00, less 2.5 %; …". Lines of quantity 0 (dropped by the source)
/// are left out.
pub fn lines_text<'a>(
    currency: &str,
    lines: impl IntoIterator<Item = (&'a str, i32, i64, i32)>,
) -> String {
    let mut lines: Vec<(String, i32, i64, i32)> = lines
        .into_iter()
        .filter(|(_, quantity, _, _)| *quantity != 0)
        .map(|(sku, q, price, discount)| (sku.trim().to_ascii_uppercase(), q, price, discount))
        .collect();
    lines.sort();
    lines
        .iter()
        .map(|(sku, quantity, price, discount_bp)| {
            let price = super::model::money(*price, currency);
            match discount_bp {
                0 => format!("{quantity} × {sku} at {price}"),
                bp => format!(
                    "{quantity} × {sku} at {price}, less {} %",
                    super::model::format_percent(*bp)
                ),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl Version {
    pub fn of(order: &Order, lines: &[store::OrderLine]) -> Version {
        Version {
            customer_name: order.customer_name.clone(),
            partner_reference: order.partner_reference.clone(),
            status: order.status.clone(),
            payment_status: order.payment_status.clone(),
            promised_date: order.promised_date.map(|d| d.to_string()),
            lines: lines_text(
                &order.currency,
                lines.iter().map(|l| {
                    (
                        l.sku.as_str(),
                        l.quantity,
                        l.unit_price_minor,
                        l.discount_bp,
                    )
                }),
            ),
        }
    }

    /// What the order would be after taking `synced`.
    pub fn incoming(order: &Order, synced: &SyncedOrder) -> Version {
        Version {
            customer_name: synced.order.customer_name.clone(),
            partner_reference: synced.order.partner_reference.clone(),
            status: synced.status.key().to_owned(),
            payment_status: synced
                .payment
                .map_or_else(|| order.payment_status.clone(), |p| p.key().to_owned()),
            promised_date: synced.promised_date.map(|d| d.to_string()),
            lines: lines_text(
                &order.currency,
                synced.order.lines.iter().map(|l| {
                    (
                        l.sku.as_str(),
                        l.quantity,
                        l.unit_price_minor,
                        l.discount_bp,
                    )
                }),
            ),
        }
    }
}

/// Checks one record; every fault against its field, named under `prefix` (`orders[3]`).
pub fn check(
    record: &SyncOrderInput,
    products: &BTreeMap<String, product::Model>,
    prefix: &str,
) -> Result<SyncedOrder, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut fault = |field: &str, code: &str, message: String| {
        errors.push(FieldError::new(&format!("{prefix}.{field}"), code, message));
    };
    let text = |value: &str| value.trim().to_owned();
    let reference = text(&record.external_reference);
    if reference.is_empty() || reference.chars().count() > 100 {
        fault(
            "external_reference",
            "required",
            "give the source's own order id, at most 100 characters".into(),
        );
    }
    let customer = text(&record.customer_name);
    if customer.is_empty() || customer.chars().count() > 200 {
        fault(
            "customer_name",
            "required",
            "name the end customer, at most 200 characters".into(),
        );
    }
    let currency = Currency::parse(record.currency.trim());
    if currency.is_err() {
        fault(
            "currency",
            "unknown",
            format!("\"{}\" is not a currency Portico knows", record.currency),
        );
    }
    let status = OrderStatus::parse(record.status.trim());
    if status.is_none() || status == Some(OrderStatus::Draft) {
        fault(
            "status",
            "unknown",
            format!(
                "\"{}\" is not a status a synced order can have",
                record.status
            ),
        );
    }
    let payment = match record.payment_status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(key) => {
            let parsed = PaymentStatus::parse(key);
            if parsed.is_none() {
                fault(
                    "payment_status",
                    "unknown",
                    format!("\"{key}\" is not a payment status"),
                );
            }
            parsed
        }
    };
    let ordered_at = match record.ordered_at.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(value) => {
            let parsed =
                OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339).ok();
            if parsed.is_none() {
                fault(
                    "ordered_at",
                    "not_a_moment",
                    "write it as RFC 3339, e.g. 2026-11-20T09:30:00Z".into(),
                );
            }
            parsed
        }
    };
    let promised_date = match record.promised_date.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(value) => {
            let parsed = parse_day(value);
            if parsed.is_none() {
                fault(
                    "promised_date",
                    "not_a_date",
                    "write the day as YYYY-MM-DD".into(),
                );
            }
            parsed
        }
    };
    let deal_type = match record.deal_type.as_deref().map(str::trim) {
        None | Some("") => Some("resale"),
        Some(key) => {
            let known = DEAL_TYPES.iter().copied().find(|d| *d == key);
            if known.is_none() {
                fault(
                    "deal_type",
                    "unknown",
                    format!("\"{key}\" is not resale, registered_deal or referral"),
                );
            }
            known
        }
    };
    if record.lines.is_empty() || record.lines.len() > super::model::MAX_LINES {
        fault(
            "lines",
            "count",
            format!("an order has 1 to {} lines", super::model::MAX_LINES),
        );
    }
    let mut lines = Vec::new();
    for (index, line) in record.lines.iter().enumerate() {
        let at = format!("lines[{index}]");
        let Some(product) = products.get(line.sku.trim()) else {
            fault(
                &format!("{at}.sku"),
                "unknown",
                format!("no product has SKU \"{}\"", line.sku),
            );
            continue;
        };
        if line.quantity <= 0 {
            fault(
                &format!("{at}.quantity"),
                "out_of_range",
                "must be at least 1".into(),
            );
        }
        if line.unit_price_minor < 0 {
            fault(
                &format!("{at}.unit_price_minor"),
                "out_of_range",
                "must not be negative".into(),
            );
        }
        if !(0..=10_000).contains(&line.discount_bp) {
            fault(
                &format!("{at}.discount_bp"),
                "out_of_range",
                "must be 0 to 10000 basis points".into(),
            );
        }
        let Ok(currency) = currency else { continue };
        let Some(total) = line_total(
            line.quantity,
            Money::new(line.unit_price_minor, currency),
            line.discount_bp,
        ) else {
            fault(
                &format!("{at}.quantity"),
                "out_of_range",
                "the line total is too large".into(),
            );
            continue;
        };
        lines.push(ValidLine {
            product_id: product.id,
            sku: product.sku.clone(),
            product_name: product.name.clone(),
            quantity: line.quantity,
            unit_price_minor: line.unit_price_minor,
            discount_bp: line.discount_bp,
            total_minor: total.minor,
        });
    }
    let (Ok(currency), Some(status), Some(deal_type), true) =
        (currency, status, deal_type, errors.is_empty())
    else {
        return Err(errors);
    };
    let total_minor = lines.iter().map(|l| l.total_minor).sum();
    Ok(SyncedOrder {
        external_reference: reference,
        partner_id: record.partner_id,
        order: ValidOrder {
            customer_name: customer,
            partner_reference: record
                .partner_reference
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned),
            currency,
            ship_to: None,
            lines,
            total_minor,
        },
        status,
        payment,
        ordered_at,
        promised_date,
        deal_type,
    })
}

/// Every product by SKU, for [`check`].
pub async fn products_by_sku(
    conn: &impl ConnectionTrait,
) -> Result<BTreeMap<String, product::Model>, DbErr> {
    Ok(product::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.sku.clone(), p))
        .collect())
}

/// The order a source sent under its reference, if any.
pub async fn find_synced(
    conn: &impl ConnectionTrait,
    source: &str,
    external_reference: &str,
) -> Result<Option<Order>, DbErr> {
    sales_order::Entity::find()
        .filter(sales_order::Column::Source.eq(source))
        .filter(sales_order::Column::SourceReference.eq(external_reference))
        .one(conn)
        .await
}

/// What became of a record.
#[derive(Debug)]
pub enum Applied {
    Created(Order),
    Updated(Order),
    Unchanged(Order),
    /// Changed in the portal since the source last synced it: nothing was applied.
    ChangedInPortal {
        order: Order,
        portal: Box<Version>,
    },
}

/// Writes a record: creates the order, or applies what changed. `overrule` applies even over a
/// change made in the portal (a person chose the source's version).
pub async fn apply(
    conn: &impl ConnectionTrait,
    source: &str,
    author: &Author,
    synced: &SyncedOrder,
    overrule: bool,
    at: OffsetDateTime,
) -> Result<Applied, DbErr> {
    let Some(order) = find_synced(conn, source, &synced.external_reference).await? else {
        let partner = organization::Entity::find_by_id(synced.partner_id)
            .one(conn)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(format!("partner {}", synced.partner_id)))?;
        let order = store::create_order(
            conn,
            NewOrder {
                partner: &partner,
                order: &synced.order,
                status: synced.status,
                source,
                source_reference: Some(&synced.external_reference),
                ordered_at: synced.ordered_at.unwrap_or(at),
                deal_type: synced.deal_type,
            },
            author,
        )
        .await?;
        let mut update = sales_order::ActiveModel {
            id: Set(order.id),
            synced_at: Set(Some(at)),
            ..Default::default()
        };
        if let Some(payment) = synced.payment {
            update.payment_status = Set(payment.key().to_owned());
        }
        update.promised_date = Set(synced.promised_date);
        sales_order::Entity::update(update).exec(conn).await?;
        return Ok(Applied::Created(reread(conn, order.id).await?));
    };
    let portal = Version::of(&order, &store::lines(conn, &order).await?);
    let incoming = Version::incoming(&order, synced);
    if portal == incoming {
        sales_order::Entity::update(sales_order::ActiveModel {
            id: Set(order.id),
            synced_at: Set(Some(at)),
            ..Default::default()
        })
        .exec(conn)
        .await?;
        return Ok(Applied::Unchanged(reread(conn, order.id).await?));
    }
    let changed_in_portal = order
        .synced_at
        .is_none_or(|synced_at| order.updated_at > synced_at);
    if changed_in_portal && !overrule {
        return Ok(Applied::ChangedInPortal {
            order,
            portal: Box::new(portal),
        });
    }
    update_fields(conn, &order, &portal, &incoming, synced, author, at).await?;
    Ok(Applied::Updated(reread(conn, order.id).await?))
}

async fn reread(conn: &impl ConnectionTrait, id: Uuid) -> Result<Order, DbErr> {
    sales_order::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("order {id}")))
}

/// Applies the source's version, each change on the timeline; a status change is told to the
/// order's followers and webhook subscribers like one made in the portal.
async fn update_fields(
    conn: &impl ConnectionTrait,
    order: &Order,
    portal: &Version,
    incoming: &Version,
    synced: &SyncedOrder,
    author: &Author,
    at: OffsetDateTime,
) -> Result<(), DbErr> {
    let mut order = order.clone();
    if portal.status != incoming.status {
        // The status first, through the one path that keeps dates and payment in step.
        store::change_status(conn, &order, synced.status, None, author, at).await?;
        tell_followers(
            conn,
            &order,
            Uuid::nil(),
            "order.status",
            format!(
                "Order {} is now {}",
                order.number,
                synced.status.label().to_lowercase()
            ),
            format!("Changed by {}.", author.label),
        )
        .await?;
        webhooks::tell(
            conn,
            &order,
            "order.status_changed",
            false,
            json!({ "from": portal.status, "to": incoming.status, "reason": null }),
        )
        .await?;
        order = reread(conn, order.id).await?;
    }
    let mut update = sales_order::ActiveModel {
        id: Set(order.id),
        synced_at: Set(Some(at)),
        updated_at: Set(at),
        ..Default::default()
    };
    let mut changes = Vec::new();
    if portal.customer_name != incoming.customer_name
        || portal.partner_reference != incoming.partner_reference
    {
        update.customer_name = Set(incoming.customer_name.clone());
        update.partner_reference = Set(incoming.partner_reference.clone());
        changes.push(Change {
            kind: "customer",
            from: Some(portal.customer_name.clone()),
            to: Some(incoming.customer_name.clone()),
            reason: None,
        });
    }
    // The status change may already have moved the payment status.
    if order.payment_status != incoming.payment_status {
        update.payment_status = Set(incoming.payment_status.clone());
        changes.push(Change {
            kind: "payment",
            from: Some(order.payment_status.clone()),
            to: Some(incoming.payment_status.clone()),
            reason: None,
        });
    }
    if portal.promised_date != incoming.promised_date {
        update.promised_date = Set(synced.promised_date);
        changes.push(Change {
            kind: "promised_date",
            from: portal.promised_date.clone(),
            to: incoming.promised_date.clone(),
            reason: None,
        });
    }
    sales_order::Entity::update(update).exec(conn).await?;
    for change in changes {
        store::record_change(conn, &order, author, at, change).await?;
    }
    if portal.lines != incoming.lines {
        store::take_synced_lines(conn, &order, &synced.order.lines, author, at).await?;
    }
    Ok(())
}
