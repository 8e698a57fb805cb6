//! Scoped queries over orders and the catalogue. Every function that reads an order takes the
//! caller's `Scope`; an order outside it answers 404 like a missing one. Every change writes a
//! timeline row in the same transaction.

use std::collections::{BTreeSet, HashMap};

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use time::{Date, OffsetDateTime, Time};
use uuid::Uuid;

use super::entity::{
    order_document, order_event, order_line, price_list, price_list_entry, product, sales_order,
};
use super::model::{Offer, OrderStatus, PaymentStatus, Terms, ValidOrder};
use crate::orgs::entity::organization;
use crate::orgs::store::Organization;
use crate::platform::api::Keyset;
use crate::platform::db::{Db, contains_ignoring_case};
use crate::platform::error::AppError;
use crate::platform::scope::{Partners, Permission, Scope};
use crate::platform::{ids, numbers};

pub use order_document::Model as OrderDocument;
pub use order_event::Model as OrderEvent;
pub use order_line::Model as OrderLine;
pub use sales_order::Model as Order;

/// The first readable order number of a deployment.
const FIRST_ORDER_NUMBER: i64 = 10_001;

pub use crate::platform::web::Author;

/// How the order list is sorted; each has a keyset cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Newest,
    Oldest,
    LargestTotal,
    SmallestTotal,
}

impl Sort {
    pub const ALL: [Sort; 4] = [
        Sort::Newest,
        Sort::Oldest,
        Sort::LargestTotal,
        Sort::SmallestTotal,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Sort::Newest => "newest",
            Sort::Oldest => "oldest",
            Sort::LargestTotal => "total_desc",
            Sort::SmallestTotal => "total_asc",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Newest => "Newest first",
            Sort::Oldest => "Oldest first",
            Sort::LargestTotal => "Largest total first",
            Sort::SmallestTotal => "Smallest total first",
        }
    }

    pub fn parse(key: &str) -> Sort {
        Sort::ALL
            .into_iter()
            .find(|s| s.key() == key)
            .unwrap_or(Sort::Newest)
    }

    fn descending(self) -> bool {
        matches!(self, Sort::Newest | Sort::LargestTotal)
    }
}

/// A checked order list query: what the filter bar asked for, parsed.
#[derive(Debug, Clone, Default)]
pub struct OrderQuery {
    pub statuses: Vec<OrderStatus>,
    pub blocked: Option<bool>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub customer: String,
    pub text: String,
    pub partner: Option<Uuid>,
    pub sort: Option<Sort>,
    /// Keyset: rows after this one in the sort order.
    pub after: Option<Keyset>,
}

/// Where a page of the list ended: the sort value (the moment ordered, or the total) and id of
/// its last row.
fn cursor_of(order: &Order, sort: Sort) -> Keyset {
    match sort {
        Sort::Newest | Sort::Oldest => Keyset::at(order.ordered_at, order.id),
        Sort::LargestTotal | Sort::SmallestTotal => Keyset {
            value: order.total_minor,
            id: order.id,
        },
    }
}

fn query_condition(query: &OrderQuery) -> Condition {
    let mut condition = Condition::all();
    if !query.statuses.is_empty() {
        condition = condition.add(
            sales_order::Column::Status.is_in(query.statuses.iter().map(|s| s.key().to_owned())),
        );
    }
    match query.blocked {
        Some(true) => condition = condition.add(sales_order::Column::BlockedAt.is_not_null()),
        Some(false) => condition = condition.add(sales_order::Column::BlockedAt.is_null()),
        None => {}
    }
    if let Some(from) = query.from {
        condition = condition
            .add(sales_order::Column::OrderedAt.gte(OffsetDateTime::new_utc(from, Time::MIDNIGHT)));
    }
    if let Some(to) = query.to {
        let next = to.next_day().unwrap_or(to);
        condition = condition
            .add(sales_order::Column::OrderedAt.lt(OffsetDateTime::new_utc(next, Time::MIDNIGHT)));
    }
    if !query.customer.trim().is_empty() {
        condition = condition.add(contains_ignoring_case(
            sales_order::Column::CustomerName,
            query.customer.trim(),
        ));
    }
    let text = query.text.trim();
    if let Some(number) = order_number(text) {
        // An order number: the unique index finds it at once.
        condition = condition.add(sales_order::Column::Number.eq(number));
    } else if !text.is_empty() {
        condition = condition.add(
            Condition::any()
                .add(contains_ignoring_case(sales_order::Column::Number, text))
                .add(contains_ignoring_case(
                    sales_order::Column::CustomerName,
                    text,
                ))
                .add(contains_ignoring_case(
                    sales_order::Column::PartnerReference,
                    text,
                ))
                .add(contains_ignoring_case(
                    sales_order::Column::SourceReference,
                    text,
                )),
        );
    }
    if let Some(partner) = query.partner {
        condition = condition.add(sales_order::Column::PartnerId.eq(partner));
    }
    condition
}

/// "ord-10423" → "ORD-10423" when the text is a whole order number.
fn order_number(text: &str) -> Option<String> {
    let upper = text.to_ascii_uppercase();
    let digits = upper.strip_prefix("ORD-")?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some(upper)
}

fn cursor_condition(sort: Sort, cursor: Keyset) -> Condition {
    let (equal, beyond) = match sort {
        Sort::Newest | Sort::Oldest => {
            let at = cursor.moment();
            let beyond = if sort.descending() {
                sales_order::Column::OrderedAt.lt(at)
            } else {
                sales_order::Column::OrderedAt.gt(at)
            };
            (sales_order::Column::OrderedAt.eq(at), beyond)
        }
        Sort::LargestTotal | Sort::SmallestTotal => {
            let beyond = if sort.descending() {
                sales_order::Column::TotalMinor.lt(cursor.value)
            } else {
                sales_order::Column::TotalMinor.gt(cursor.value)
            };
            (sales_order::Column::TotalMinor.eq(cursor.value), beyond)
        }
    };
    let id_beyond = if sort.descending() {
        sales_order::Column::Id.lt(cursor.id)
    } else {
        sales_order::Column::Id.gt(cursor.id)
    };
    Condition::any()
        .add(beyond)
        .add(Condition::all().add(equal).add(id_beyond))
}

/// One page of the orders the caller may read, and the cursor of the next page if any.
pub async fn list_orders(
    db: &Db,
    scope: &Scope,
    query: &OrderQuery,
    limit: u64,
) -> Result<(Vec<Order>, Option<Keyset>), AppError> {
    let partners = scope.partners(Permission::OrdersRead)?;
    let sort = query.sort.unwrap_or(Sort::Newest);
    let mut condition = query_condition(query);
    if let Some(after) = query.after {
        condition = condition.add(cursor_condition(sort, after));
    }
    // A few partners (a distributor and its resellers): one index walk per partner for just the
    // sort keys, merged here, then the page's rows by id; instead of sorting every order of all
    // of them in the database, or reading a page of whole rows per partner.
    let mut rows = match &partners {
        Partners::Only(ids) if (2..=MERGED_PARTNERS).contains(&ids.len()) => {
            let mut merged = Vec::new();
            for id in ids {
                let own = condition
                    .clone()
                    .add(sales_order::Column::PartnerId.eq(*id));
                merged.extend(sorted_keys(db, own, sort, limit + 1).await?);
            }
            let in_order = |a: &Keyset, b: &Keyset| {
                let ordering = a.value.cmp(&b.value).then(a.id.cmp(&b.id));
                if sort.descending() {
                    ordering.reverse()
                } else {
                    ordering
                }
            };
            merged.sort_by(in_order);
            merged.truncate(usize::try_from(limit + 1).unwrap_or(usize::MAX));
            let mut page = sales_order::Entity::find()
                .filter(sales_order::Column::Id.is_in(merged.iter().map(|key| key.id)))
                .all(db)
                .await?;
            page.sort_by(|a, b| in_order(&cursor_of(a, sort), &cursor_of(b, sort)));
            page
        }
        _ => {
            sorted_page(
                db,
                partners
                    .condition(sales_order::Column::PartnerId)
                    .add(condition),
                sort,
                limit + 1,
            )
            .await?
        }
    };
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|last| cursor_of(last, sort))
    } else {
        None
    };
    Ok((rows, next))
}

/// Up to this many partners are listed by merging one query per partner.
const MERGED_PARTNERS: usize = 64;

async fn sorted_page(
    db: &Db,
    condition: Condition,
    sort: Sort,
    limit: u64,
) -> Result<Vec<Order>, DbErr> {
    let (sort_column, order) = ordering(sort);
    sales_order::Entity::find()
        .filter(condition)
        .order_by(sort_column, order.clone())
        .order_by(sales_order::Column::Id, order)
        .limit(limit)
        .all(db)
        .await
}

/// The sort keys of the first `limit` orders matching `condition`, as [`sorted_page`] orders them.
async fn sorted_keys(
    db: &Db,
    condition: Condition,
    sort: Sort,
    limit: u64,
) -> Result<Vec<Keyset>, DbErr> {
    let (sort_column, order) = ordering(sort);
    let query = sales_order::Entity::find()
        .select_only()
        .column(sort_column)
        .column(sales_order::Column::Id)
        .filter(condition)
        .order_by(sort_column, order.clone())
        .order_by(sales_order::Column::Id, order)
        .limit(limit);
    Ok(match sort {
        Sort::Newest | Sort::Oldest => query
            .into_tuple::<(OffsetDateTime, Uuid)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(at, id)| Keyset::at(at, id))
            .collect(),
        Sort::LargestTotal | Sort::SmallestTotal => query
            .into_tuple::<(i64, Uuid)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(value, id)| Keyset { value, id })
            .collect(),
    })
}

/// The column a sort orders by, and its direction (ties go by id the same way).
fn ordering(sort: Sort) -> (sales_order::Column, sea_orm::Order) {
    let order = if sort.descending() {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    let column = match sort {
        Sort::Newest | Sort::Oldest => sales_order::Column::OrderedAt,
        Sort::LargestTotal | Sort::SmallestTotal => sales_order::Column::TotalMinor,
    };
    (column, order)
}

/// One order the caller may read, or 404.
pub async fn find_order(db: &Db, scope: &Scope, id: Uuid) -> Result<Order, AppError> {
    let partners = scope.partners(Permission::OrdersRead)?;
    sales_order::Entity::find_by_id(id)
        .filter(partners.condition(sales_order::Column::PartnerId))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// A partner's latest orders the caller may read, newest first.
pub async fn recent_for_partner(
    db: &Db,
    scope: &Scope,
    partner_id: Uuid,
    limit: u64,
) -> Result<Vec<Order>, AppError> {
    let partners = scope.partners(Permission::OrdersRead)?;
    if !partners.contains(partner_id) {
        return Ok(Vec::new());
    }
    Ok(sales_order::Entity::find()
        .filter(sales_order::Column::PartnerId.eq(partner_id))
        .order_by_desc(sales_order::Column::OrderedAt)
        .limit(limit)
        .all(db)
        .await?)
}

pub async fn lines(db: &impl ConnectionTrait, order: &Order) -> Result<Vec<OrderLine>, DbErr> {
    order_line::Entity::find()
        .filter(order_line::Column::PartnerId.eq(order.partner_id))
        .filter(order_line::Column::OrderId.eq(order.id))
        .order_by_asc(order_line::Column::Position)
        .all(db)
        .await
}

/// The order's timeline, newest first.
pub async fn timeline(db: &Db, order: &Order) -> Result<Vec<OrderEvent>, DbErr> {
    order_event::Entity::find()
        .filter(order_event::Column::PartnerId.eq(order.partner_id))
        .filter(order_event::Column::OrderId.eq(order.id))
        .order_by_desc(order_event::Column::At)
        .order_by_desc(order_event::Column::Id)
        .all(db)
        .await
}

pub async fn documents(
    db: &impl ConnectionTrait,
    order: &Order,
) -> Result<Vec<OrderDocument>, DbErr> {
    order_document::Entity::find()
        .filter(order_document::Column::PartnerId.eq(order.partner_id))
        .filter(order_document::Column::OrderId.eq(order.id))
        .order_by_desc(order_document::Column::UploadedAt)
        .all(db)
        .await
}

/// Where the order is in its life (a stored key Portico does not know reads as a draft).
pub fn status_of(order: &Order) -> OrderStatus {
    OrderStatus::parse(&order.status).unwrap_or(OrderStatus::Draft)
}

/// A timeline row: what changed on the order, from → to, and why.
pub struct Change<'a> {
    pub kind: &'a str,
    pub from: Option<String>,
    pub to: Option<String>,
    pub reason: Option<String>,
}

pub async fn record_change(
    conn: &impl ConnectionTrait,
    order: &Order,
    author: &Author,
    at: OffsetDateTime,
    change: Change<'_>,
) -> Result<(), DbErr> {
    order_event::ActiveModel {
        id: Set(ids::new_id()),
        order_id: Set(order.id),
        partner_id: Set(order.partner_id),
        at: Set(at),
        actor_user_id: Set(author.user_id),
        actor_label: Set(author.label.clone()),
        kind: Set(change.kind.to_owned()),
        from_value: Set(change.from),
        to_value: Set(change.to),
        reason: Set(change.reason),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Everything the validation of an order needs: the partner's status, and every product with
/// its net price from the price list for `currency` (the partner's own, else its tier's, else
/// the standard one).
pub async fn terms_for(
    db: &impl ConnectionTrait,
    partner: &Organization,
    currency: &str,
) -> Result<Terms, DbErr> {
    let lists = price_list::Entity::find()
        .filter(price_list::Column::Currency.eq(currency))
        .all(db)
        .await?;
    let chosen = lists
        .iter()
        .find(|l| l.partner_id == Some(partner.id))
        .or_else(|| {
            lists
                .iter()
                .find(|l| l.partner_id.is_none() && l.tier.is_some() && l.tier == partner.tier)
        })
        .or_else(|| {
            lists
                .iter()
                .find(|l| l.partner_id.is_none() && l.tier.is_none())
        });
    let prices: HashMap<Uuid, i64> = match chosen {
        Some(list) => price_list_entry::Entity::find()
            .filter(price_list_entry::Column::PriceListId.eq(list.id))
            .all(db)
            .await?
            .into_iter()
            .map(|e| (e.product_id, e.unit_price_minor))
            .collect(),
        None => HashMap::new(),
    };
    let offers = product::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| {
            let offer = Offer {
                product_id: p.id,
                sku: p.sku.to_ascii_uppercase(),
                name: p.name,
                active: p.active,
                min_order_quantity: p.min_order_quantity,
                pack_size: p.pack_size,
                unit_price_minor: prices.get(&p.id).copied(),
            };
            (offer.sku.clone(), offer)
        })
        .collect();
    Ok(Terms {
        partner_status: partner.status.clone(),
        partner_name: partner.name.clone(),
        price_list: chosen.map(|l| (l.name.clone(), l.max_discount_bp)),
        offers,
    })
}

/// The currencies the catalogue has price lists in, for the order form.
pub async fn price_list_currencies(db: &Db) -> Result<Vec<String>, DbErr> {
    let currencies: BTreeSet<String> = price_list::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.currency)
        .collect();
    Ok(currencies.into_iter().collect())
}

/// Active products by product line and name, for the catalogue shown beside the order form.
pub async fn active_products(db: &Db) -> Result<Vec<product::Model>, DbErr> {
    product::Entity::find()
        .filter(product::Column::Active.eq(true))
        .order_by_asc(product::Column::ProductLine)
        .order_by_asc(product::Column::Name)
        .all(db)
        .await
}

/// Where a new order comes from, and what it says about itself.
pub struct NewOrder<'a> {
    /// The ordering partner as it is now: its tier and type are kept on the order.
    pub partner: &'a organization::Model,
    pub order: &'a ValidOrder,
    pub status: OrderStatus,
    pub source: &'a str,
    pub source_reference: Option<&'a str>,
    pub ordered_at: OffsetDateTime,
    /// resale, registered_deal or referral.
    pub deal_type: &'a str,
}

/// Writes a checked order with its lines and its first timeline row.
pub async fn create_order(
    conn: &impl ConnectionTrait,
    new: NewOrder<'_>,
    author: &Author,
) -> Result<Order, DbErr> {
    let number = numbers::next(conn, "order", FIRST_ORDER_NUMBER).await?;
    let at = new.ordered_at;
    let order = sales_order::ActiveModel {
        id: Set(ids::new_id()),
        number: Set(format!("ORD-{number}")),
        partner_id: Set(new.partner.id),
        customer_name: Set(new.order.customer_name.clone()),
        partner_reference: Set(new.order.partner_reference.clone()),
        status: Set(new.status.key().to_owned()),
        blocked_reason: Set(None),
        blocked_owner: Set(None),
        blocked_at: Set(None),
        currency: Set(new.order.currency.code().to_owned()),
        total_minor: Set(new.order.total_minor),
        payment_status: Set(PaymentStatus::NotInvoiced.key().to_owned()),
        ordered_at: Set(at),
        promised_date: Set(None),
        shipped_at: Set(None),
        delivered_at: Set(None),
        source: Set(new.source.to_owned()),
        source_reference: Set(new.source_reference.map(str::to_owned)),
        synced_at: Set((new.source != "portal").then_some(at)),
        ship_to: Set(new.order.ship_to.clone()),
        created_by: Set(author.user_id),
        created_at: Set(at),
        updated_at: Set(at),
        deal_type: Set(new.deal_type.to_owned()),
        partner_tier: Set(new.partner.tier.clone()),
        partner_type: Set(new.partner.partner_type.clone()),
    }
    .insert(conn)
    .await?;
    insert_lines(conn, &order, &new.order.lines).await?;
    record_change(
        conn,
        &order,
        author,
        at,
        Change {
            kind: "created",
            from: None,
            to: Some(new.status.key().to_owned()),
            reason: None,
        },
    )
    .await?;
    Ok(order)
}

/// Applies `update` only while the order is still as the caller read it (same status, blocked
/// state and last change): of two people acting at once, the second is told instead of
/// overwriting.
async fn update_unless_changed(
    conn: &impl ConnectionTrait,
    order: &Order,
    update: sales_order::ActiveModel,
) -> Result<bool, DbErr> {
    let blocked = if order.blocked_at.is_some() {
        sales_order::Column::BlockedAt.is_not_null()
    } else {
        sales_order::Column::BlockedAt.is_null()
    };
    let result = sales_order::Entity::update_many()
        .set(update)
        .filter(sales_order::Column::Id.eq(order.id))
        .filter(sales_order::Column::Status.eq(order.status.as_str()))
        .filter(blocked)
        .filter(sales_order::Column::UpdatedAt.eq(order.updated_at))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Moves the order to `to`; the payment status and the shipped/delivered dates follow. False
/// when someone changed the order since the caller read it.
pub async fn change_status(
    conn: &impl ConnectionTrait,
    order: &Order,
    to: OrderStatus,
    reason: Option<String>,
    author: &Author,
    at: OffsetDateTime,
) -> Result<bool, DbErr> {
    let mut update = sales_order::ActiveModel {
        status: Set(to.key().to_owned()),
        updated_at: Set(at),
        ..Default::default()
    };
    if to == OrderStatus::Submitted {
        update.ordered_at = Set(at);
    }
    if to == OrderStatus::Shipped {
        update.shipped_at = Set(Some(at));
    }
    if to == OrderStatus::Delivered {
        update.delivered_at = Set(Some(at));
    }
    // A closed order waits on nobody: its block goes with it, on the timeline.
    let lifts_block = order.blocked_at.is_some() && !to.is_open();
    if lifts_block {
        update.blocked_reason = Set(None);
        update.blocked_owner = Set(None);
        update.blocked_at = Set(None);
    }
    let payment = PaymentStatus::parse(&order.payment_status).unwrap_or(PaymentStatus::NotInvoiced);
    let new_payment = to.payment_status_on_entry(payment);
    if let Some(new_payment) = new_payment {
        update.payment_status = Set(new_payment.key().to_owned());
    }
    if !update_unless_changed(conn, order, update).await? {
        return Ok(false);
    }
    record_change(
        conn,
        order,
        author,
        at,
        Change {
            kind: "status",
            from: Some(order.status.clone()),
            to: Some(to.key().to_owned()),
            reason,
        },
    )
    .await?;
    if lifts_block {
        let change = Change {
            kind: "unblocked",
            from: order.blocked_reason.clone(),
            to: None,
            reason: Some(format!("The order was {}.", to.label().to_lowercase())),
        };
        record_change(conn, order, author, at, change).await?;
    }
    if let Some(new_payment) = new_payment.filter(|p| *p != payment) {
        record_change(
            conn,
            order,
            author,
            at,
            Change {
                kind: "payment",
                from: Some(payment.key().to_owned()),
                to: Some(new_payment.key().to_owned()),
                reason: None,
            },
        )
        .await?;
    }
    Ok(true)
}

/// "3 lines · EUR 1,250.00": how the timeline sums up an order's lines.
fn lines_summary(count: usize, total_minor: i64, currency: &str) -> String {
    let total = super::model::money(total_minor, currency);
    match count {
        1 => format!("1 line · {total}"),
        n => format!("{n} lines · {total}"),
    }
}

/// Replaces a draft's details and lines; the timeline records the lines and customer before
/// and after. False when the order is no longer the draft the caller read.
pub async fn revise_draft(
    conn: &impl ConnectionTrait,
    order: &Order,
    revised: &ValidOrder,
    author: &Author,
    at: OffsetDateTime,
) -> Result<bool, DbErr> {
    let before = lines(conn, order).await?;
    let update = sales_order::ActiveModel {
        customer_name: Set(revised.customer_name.clone()),
        partner_reference: Set(revised.partner_reference.clone()),
        currency: Set(revised.currency.code().to_owned()),
        ship_to: Set(revised.ship_to.clone()),
        total_minor: Set(revised.total_minor),
        updated_at: Set(at),
        ..Default::default()
    };
    if !update_unless_changed(conn, order, update).await? {
        return Ok(false);
    }
    order_line::Entity::delete_many()
        .filter(order_line::Column::PartnerId.eq(order.partner_id))
        .filter(order_line::Column::OrderId.eq(order.id))
        .exec(conn)
        .await?;
    insert_lines(conn, order, &revised.lines).await?;
    if order.customer_name != revised.customer_name {
        let change = Change {
            kind: "customer",
            from: Some(order.customer_name.clone()),
            to: Some(revised.customer_name.clone()),
            reason: None,
        };
        record_change(conn, order, author, at, change).await?;
    }
    let unchanged = before.len() == revised.lines.len()
        && before.iter().zip(&revised.lines).all(|(old, new)| {
            old.sku == new.sku && old.quantity == new.quantity && old.discount_bp == new.discount_bp
        })
        && order.currency == revised.currency.code();
    if !unchanged {
        let change = Change {
            kind: "lines",
            from: Some(lines_summary(
                before.len(),
                order.total_minor,
                &order.currency,
            )),
            to: Some(lines_summary(
                revised.lines.len(),
                revised.total_minor,
                revised.currency.code(),
            )),
            reason: None,
        };
        record_change(conn, order, author, at, change).await?;
    }
    Ok(true)
}

/// Takes a source's lines onto a synced order. A line of a SKU the order has (the n-th of that
/// SKU, where one stands on several lines) is updated in place and a new one is added after the
/// others, so commission already computed on a line keeps pointing at it; a line the source no
/// longer sends stays, at quantity 0 and total 0, so the next accrual writes its correction
/// instead of leaving its commission behind. The order's total follows; the timeline records
/// the lines before and after.
pub async fn take_synced_lines(
    conn: &impl ConnectionTrait,
    order: &Order,
    incoming: &[super::model::ValidLine],
    author: &Author,
    at: OffsetDateTime,
) -> Result<(), DbErr> {
    let before = lines(conn, order).await?;
    let product_lines = product_lines_of(conn, incoming).await?;
    let mut position = before.iter().map(|l| l.position).max().unwrap_or(0);
    let mut total_minor = 0_i64;
    // A SKU may stand on several lines: the n-th line of a SKU is matched with its n-th line.
    let keys = |skus: Vec<&str>| -> Vec<(String, usize)> {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        skus.into_iter()
            .map(|sku| {
                let n = seen.entry(sku).or_default();
                *n += 1;
                (sku.to_owned(), *n)
            })
            .collect()
    };
    let before_keys = keys(before.iter().map(|l| l.sku.as_str()).collect());
    let incoming_keys = keys(incoming.iter().map(|l| l.sku.as_str()).collect());
    for (line, key) in before.iter().zip(&before_keys) {
        let taken = incoming_keys
            .iter()
            .position(|k| k == key)
            .map(|index| &incoming[index]);
        let (quantity, unit_price_minor, discount_bp, total) =
            taken.map_or((0, line.unit_price_minor, line.discount_bp, 0), |new| {
                (
                    new.quantity,
                    new.unit_price_minor,
                    new.discount_bp,
                    new.total_minor,
                )
            });
        total_minor += total;
        if (quantity, unit_price_minor, discount_bp, total)
            == (
                line.quantity,
                line.unit_price_minor,
                line.discount_bp,
                line.total_minor,
            )
        {
            continue;
        }
        order_line::Entity::update(order_line::ActiveModel {
            id: Set(line.id),
            quantity: Set(quantity),
            unit_price_minor: Set(unit_price_minor),
            discount_bp: Set(discount_bp),
            total_minor: Set(total),
            ..Default::default()
        })
        .exec(conn)
        .await?;
    }
    for (new, _) in incoming
        .iter()
        .zip(&incoming_keys)
        .filter(|(_, key)| !before_keys.contains(key))
    {
        position += 1;
        total_minor += new.total_minor;
        new_line(order, position, new, &product_lines)
            .insert(conn)
            .await?;
    }
    sales_order::Entity::update(sales_order::ActiveModel {
        id: Set(order.id),
        total_minor: Set(total_minor),
        ..Default::default()
    })
    .exec(conn)
    .await?;
    let change = Change {
        kind: "lines",
        from: Some(lines_summary(
            before.iter().filter(|l| l.quantity != 0).count(),
            order.total_minor,
            &order.currency,
        )),
        to: Some(lines_summary(incoming.len(), total_minor, &order.currency)),
        reason: None,
    };
    record_change(conn, order, author, at, change).await
}

/// The product line of each of these products, as it stands now.
async fn product_lines_of(
    conn: &impl ConnectionTrait,
    lines: &[super::model::ValidLine],
) -> Result<HashMap<Uuid, String>, DbErr> {
    Ok(product::Entity::find()
        .select_only()
        .column(product::Column::Id)
        .column(product::Column::ProductLine)
        .filter(product::Column::Id.is_in(lines.iter().map(|l| l.product_id)))
        .into_tuple::<(Uuid, String)>()
        .all(conn)
        .await?
        .into_iter()
        .collect())
}

async fn insert_lines(
    conn: &impl ConnectionTrait,
    order: &Order,
    valid: &[super::model::ValidLine],
) -> Result<(), DbErr> {
    let product_lines = product_lines_of(conn, valid).await?;
    for (position, line) in valid.iter().enumerate() {
        let position = i32::try_from(position + 1).unwrap_or(i32::MAX);
        new_line(order, position, line, &product_lines)
            .insert(conn)
            .await?;
    }
    Ok(())
}

/// A checked line as the order's row at `position`, with the product line it is sold under.
fn new_line(
    order: &Order,
    position: i32,
    line: &super::model::ValidLine,
    product_lines: &HashMap<Uuid, String>,
) -> order_line::ActiveModel {
    order_line::ActiveModel {
        id: Set(ids::new_id()),
        order_id: Set(order.id),
        partner_id: Set(order.partner_id),
        position: Set(position),
        product_id: Set(line.product_id),
        sku: Set(line.sku.clone()),
        product_name: Set(line.product_name.clone()),
        quantity: Set(line.quantity),
        unit_price_minor: Set(line.unit_price_minor),
        discount_bp: Set(line.discount_bp),
        total_minor: Set(line.total_minor),
        product_line: Set(product_lines.get(&line.product_id).cloned()),
    }
}

/// Marks the order blocked, with why and who must act; false when it changed meanwhile.
pub async fn block(
    conn: &impl ConnectionTrait,
    order: &Order,
    reason: &str,
    owner: &str,
    author: &Author,
    at: OffsetDateTime,
) -> Result<bool, DbErr> {
    let update = sales_order::ActiveModel {
        blocked_reason: Set(Some(reason.to_owned())),
        blocked_owner: Set(Some(owner.to_owned())),
        blocked_at: Set(Some(at)),
        updated_at: Set(at),
        ..Default::default()
    };
    if !update_unless_changed(conn, order, update).await? {
        return Ok(false);
    }
    record_change(
        conn,
        order,
        author,
        at,
        Change {
            kind: "blocked",
            from: None,
            to: Some(owner.to_owned()),
            reason: Some(reason.to_owned()),
        },
    )
    .await?;
    Ok(true)
}

/// Lifts the block, saying how it was resolved.
pub async fn unblock(
    conn: &impl ConnectionTrait,
    order: &Order,
    resolution: &str,
    author: &Author,
    at: OffsetDateTime,
) -> Result<bool, DbErr> {
    let update = sales_order::ActiveModel {
        blocked_reason: Set(None),
        blocked_owner: Set(None),
        blocked_at: Set(None),
        updated_at: Set(at),
        ..Default::default()
    };
    if !update_unless_changed(conn, order, update).await? {
        return Ok(false);
    }
    record_change(
        conn,
        order,
        author,
        at,
        Change {
            kind: "unblocked",
            from: order.blocked_reason.clone(),
            to: None,
            reason: Some(resolution.to_owned()),
        },
    )
    .await?;
    Ok(true)
}

/// Sets or moves the promised delivery date.
pub async fn promise(
    conn: &impl ConnectionTrait,
    order: &Order,
    date: Date,
    reason: Option<String>,
    author: &Author,
    at: OffsetDateTime,
) -> Result<bool, DbErr> {
    let update = sales_order::ActiveModel {
        promised_date: Set(Some(date)),
        updated_at: Set(at),
        ..Default::default()
    };
    if !update_unless_changed(conn, order, update).await? {
        return Ok(false);
    }
    record_change(
        conn,
        order,
        author,
        at,
        Change {
            kind: "promised_date",
            from: order.promised_date.map(|d| d.to_string()),
            to: Some(date.to_string()),
            reason,
        },
    )
    .await?;
    Ok(true)
}

/// Records a document stored in the file store under its content address.
pub struct NewDocument<'a> {
    pub kind: &'a str,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i64,
    pub sha256: &'a str,
}

pub async fn add_document(
    conn: &impl ConnectionTrait,
    order: &Order,
    document: NewDocument<'_>,
    author: &Author,
    at: OffsetDateTime,
) -> Result<OrderDocument, DbErr> {
    let saved = order_document::ActiveModel {
        id: Set(ids::new_id()),
        order_id: Set(order.id),
        partner_id: Set(order.partner_id),
        kind: Set(document.kind.to_owned()),
        file_name: Set(document.file_name.to_owned()),
        content_type: Set(document.content_type.to_owned()),
        size_bytes: Set(document.size_bytes),
        sha256: Set(document.sha256.to_owned()),
        uploaded_by: Set(author.user_id),
        uploaded_label: Set(author.label.clone()),
        uploaded_at: Set(at),
    }
    .insert(conn)
    .await?;
    record_change(
        conn,
        order,
        author,
        at,
        Change {
            kind: "document",
            from: None,
            to: Some(format!("{} ({})", document.file_name, document.kind)),
            reason: None,
        },
    )
    .await?;
    Ok(saved)
}

/// One document of an order the caller already found through its scope.
pub async fn find_document(db: &Db, order: &Order, id: Uuid) -> Result<OrderDocument, AppError> {
    order_document::Entity::find_by_id(id)
        .filter(order_document::Column::PartnerId.eq(order.partner_id))
        .filter(order_document::Column::OrderId.eq(order.id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Numbers of one partner's orders by id, for pages that already found something of that
/// partner through the caller's scope (a commission statement, say).
pub async fn numbers_of(
    db: &Db,
    partner_id: Uuid,
    ids: &[Uuid],
) -> Result<std::collections::BTreeMap<Uuid, String>, DbErr> {
    let mut numbers = std::collections::BTreeMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(Uuid, String)> = sales_order::Entity::find()
            .select_only()
            .column(sales_order::Column::Id)
            .column(sales_order::Column::Number)
            .filter(sales_order::Column::PartnerId.eq(partner_id))
            .filter(sales_order::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        numbers.extend(rows);
    }
    Ok(numbers)
}

/// "Line 2: 12 × NW-CL-1300 Cloud Router 1300" for one of a partner's order lines.
pub async fn describe_line(
    db: &Db,
    partner_id: Uuid,
    line_id: Uuid,
) -> Result<Option<String>, DbErr> {
    Ok(order_line::Entity::find_by_id(line_id)
        .filter(order_line::Column::PartnerId.eq(partner_id))
        .one(db)
        .await?
        .map(|l| {
            format!(
                "Line {}: {} × {} {}",
                l.position, l.quantity, l.sku, l.product_name
            )
        }))
}
