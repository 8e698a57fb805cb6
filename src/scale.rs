//! Large demo programs, for measuring Portico at the size of a real channel: `portico demo
//! --scale large` adds to the demo program 1,984 generated partners (2,000 in all), ten users
//! each (about 20,000), about 1,000,000 orders with three lines on average, each with its
//! timeline, 10,000 support tickets, a library of 1,000 assets and a year of commission lines
//! and statements (settled as the scheduled run would). Deterministic: the same program every
//! time. Rows go in with multi-row inserts in batches, so it builds in minutes, not hours.

use std::collections::HashMap;
use std::time::Instant;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement, Value,
};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::assets::store::Uploader;
use crate::identity::entity::user;
use crate::orders::entity::{
    order_event, order_line, price_list, price_list_entry, product, sales_order,
};
use crate::orders::model::{OrderStatus, PaymentStatus, deal_type_for};
use crate::orgs::entity::organization;
use crate::platform::db::{Db, begin_write};
use crate::platform::files::FileStore;
use crate::platform::scope::Role;
use crate::platform::{ids, numbers, time::now};

/// How big a demo program is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// The demo: 16 partners, a few hundred orders.
    Small,
    /// 2,000 partners, ~20,000 users, ~1,000,000 orders.
    Large,
}

const PARTNERS: usize = 1_984;
const USERS_PER_PARTNER: usize = 10;
const ORDERS_PER_PARTNER: usize = 504;
/// Assets in the library (the demo has 80).
const LIBRARY: usize = 1_000;
/// Orders written per transaction.
const BATCH: usize = 1_000;

const COUNTRIES: [&str; 12] = [
    "DE", "GB", "FR", "ES", "IT", "NL", "AT", "PL", "SE", "PT", "BE", "DK",
];
const TIERS: [&str; 4] = ["Registered", "Silver", "Gold", "Platinum"];
const CUSTOMERS: [&str; 8] = [
    "City Hospital",
    "Regional Water",
    "Harbour Logistics",
    "State University",
    "Alpine Hotels",
    "Metro Transit",
    "Trade Fair Services",
    "County Schools",
];

/// Same xorshift as the small demo: deterministic and cheap.
struct Dice(u64);

impl Dice {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound.max(1)
    }
}

struct Offer {
    product_id: Uuid,
    sku: String,
    name: String,
    product_line: String,
    price: i64,
    quantity_step: i32,
}

/// What was built and how long it took.
pub struct Grown {
    pub partners: usize,
    pub users: usize,
    pub orders: usize,
    /// Assets in the library, the demo's included.
    pub assets: usize,
    pub tickets: usize,
    /// The year of commission lines and statements settled over them.
    pub settled: crate::commissions::SettleReport,
    pub seconds: f64,
}

/// Adds the large program to a freshly seeded demo database.
pub async fn grow(db: &Db, files: &FileStore, password_hash: &str) -> anyhow::Result<Grown> {
    let started = Instant::now();
    let vendor = organization::Entity::find()
        .filter(organization::Column::Kind.eq("vendor"))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo program has no vendor"))?;
    let at = now();
    let mut dice = Dice(0x0bad_5eed_cafe_f00d);

    // Partners: every tenth a distributor, the nine after it its resellers.
    let mut partners: Vec<organization::ActiveModel> = Vec::with_capacity(PARTNERS);
    let mut partner_tiers = Vec::with_capacity(PARTNERS);
    let mut distributor = vendor.id;
    for index in 0..PARTNERS {
        let id = ids::new_id();
        let is_distributor = index % 10 == 0;
        let tier = TIERS[index % TIERS.len()];
        let partner_type = if is_distributor {
            "distributor"
        } else {
            "reseller"
        };
        let name = format!(
            "Partner {index:04} {}",
            if is_distributor {
                "Distribution"
            } else {
                "Systems"
            }
        );
        partners.push(organization::ActiveModel {
            id: Set(id),
            parent_id: Set(Some(if is_distributor {
                vendor.id
            } else {
                distributor
            })),
            kind: Set("partner".to_owned()),
            legal_name: Set(format!("{name} Ltd")),
            name: Set(name),
            partner_type: Set(Some(partner_type.to_owned())),
            tier: Set(Some(tier.to_owned())),
            status: Set("active".to_owned()),
            country: Set(COUNTRIES[index % COUNTRIES.len()].to_owned()),
            website: Set(None),
            registration_number: Set(None),
            tax_number: Set(None),
            descendants_visible: Set(is_distributor),
            created_at: Set(at - Duration::days(400)),
            address: Set(None),
            billing_address: Set(None),
            markets: Set(None),
            capabilities: Set(None),
        });
        partner_tiers.push((id, tier, partner_type));
        if is_distributor {
            distributor = id;
        }
    }
    for chunk in partners.chunks(500) {
        organization::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }

    // Users: an administrator, sales, finance, marketing and read-only people per partner.
    const ROLES: [Role; USERS_PER_PARTNER] = [
        Role::PartnerAdmin,
        Role::Sales,
        Role::Sales,
        Role::Sales,
        Role::Sales,
        Role::PartnerFinance,
        Role::PartnerFinance,
        Role::PartnerMarketing,
        Role::ReadOnly,
        Role::ReadOnly,
    ];
    let mut buyers = HashMap::new();
    let mut users = Vec::with_capacity(PARTNERS * USERS_PER_PARTNER);
    for (index, (partner_id, _, _)) in partner_tiers.iter().enumerate() {
        for (n, role) in ROLES.iter().enumerate() {
            let id = ids::new_id();
            let email = if n == 0 {
                format!("admin@p{index:04}.example")
            } else {
                format!("user{n}@p{index:04}.example")
            };
            if n == 1 {
                buyers.insert(*partner_id, (id, format!("Sales {n} (Partner {index:04})")));
            }
            users.push(user::ActiveModel {
                id: Set(id),
                organization_id: Set(*partner_id),
                email: Set(email),
                display_name: Set(format!("Person {n} of partner {index:04}")),
                password_hash: Set(Some(password_hash.to_owned())),
                role: Set(role.key().to_owned()),
                status: Set("active".to_owned()),
                created_at: Set(at - Duration::days(300)),
                last_login_at: Set(None),
                totp_secret: Set(None),
                totp_pending_secret: Set(None),
                totp_last_step: Set(None),
            });
        }
    }
    for chunk in users.chunks(1_000) {
        user::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }

    // Each tier's EUR prices, from the demo's price lists.
    let products: HashMap<Uuid, product::Model> = product::Entity::find()
        .filter(product::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut offers: HashMap<&str, Vec<Offer>> = HashMap::new();
    for tier in TIERS {
        let list = price_list::Entity::find()
            .filter(price_list::Column::Currency.eq("EUR"))
            .filter(price_list::Column::PartnerId.is_null())
            .filter(if tier == "Registered" {
                price_list::Column::Tier.is_null()
            } else {
                price_list::Column::Tier.eq(tier)
            })
            .one(db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no EUR price list for {tier}"))?;
        let mut entries: Vec<Offer> = price_list_entry::Entity::find()
            .filter(price_list_entry::Column::PriceListId.eq(list.id))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|e| {
                let p = products.get(&e.product_id)?;
                Some(Offer {
                    product_id: p.id,
                    sku: p.sku.clone(),
                    name: p.name.clone(),
                    product_line: p.product_line.clone(),
                    price: e.unit_price_minor,
                    quantity_step: p.min_order_quantity.max(p.pack_size).max(1),
                })
            })
            .collect();
        entries.sort_by(|a, b| a.sku.cmp(&b.sku));
        offers.insert(tier, entries);
    }

    // Orders, oldest first so numbers grow with time.
    let operations = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Operations.key()))
        .one(db)
        .await?
        .map(|u| (u.id, format!("{} (Northwind Networks)", u.display_name)));
    let mut plan: Vec<(i64, usize)> = Vec::with_capacity(PARTNERS * ORDERS_PER_PARTNER);
    for partner in 0..PARTNERS {
        for _ in 0..ORDERS_PER_PARTNER {
            plan.push((dice.below(365 * 24 * 60) as i64, partner));
        }
    }
    plan.sort_by_key(|(minutes_ago, _)| std::cmp::Reverse(*minutes_ago));
    let first_number = numbers::next(db, "order", 10_001).await?;
    let mut number = first_number;
    for chunk in plan.chunks(BATCH) {
        let mut orders = Vec::with_capacity(BATCH);
        let mut lines = Vec::with_capacity(BATCH * 3);
        let mut events = Vec::with_capacity(BATCH * 2);
        for (minutes_ago, partner) in chunk {
            let (partner_id, tier, partner_type) = partner_tiers[*partner];
            let placed = at - Duration::minutes(*minutes_ago);
            let days_ago = minutes_ago / (24 * 60);
            let roll = dice.below(100);
            let status = match days_ago {
                d if d > 60 && roll < 5 => OrderStatus::Cancelled,
                d if d > 60 && roll < 9 => OrderStatus::Returned,
                d if d > 60 => OrderStatus::Paid,
                d if d > 30 => OrderStatus::Invoiced,
                d if d > 20 => OrderStatus::Delivered,
                d if d > 10 => OrderStatus::Shipped,
                d if d > 5 => OrderStatus::InFulfilment,
                d if d > 2 => OrderStatus::Confirmed,
                _ => OrderStatus::Submitted,
            };
            let blocked =
                status.is_open() && status != OrderStatus::Shipped && roll.is_multiple_of(50);
            let order_id = ids::new_id();
            let catalogue = &offers[tier];
            let mut total = 0_i64;
            for position in 0..(1 + dice.below(5)) {
                let offer = &catalogue[dice.below(catalogue.len() as u64) as usize];
                let quantity = offer.quantity_step * (1 + dice.below(3) as i32);
                let line_total = offer.price * i64::from(quantity);
                total += line_total;
                lines.push(order_line::ActiveModel {
                    id: Set(ids::new_id()),
                    order_id: Set(order_id),
                    partner_id: Set(partner_id),
                    position: Set(position as i32 + 1),
                    product_id: Set(offer.product_id),
                    sku: Set(offer.sku.clone()),
                    product_name: Set(offer.name.clone()),
                    quantity: Set(quantity),
                    unit_price_minor: Set(offer.price),
                    discount_bp: Set(0),
                    total_minor: Set(line_total),
                    product_line: Set(Some(offer.product_line.clone())),
                });
            }
            let (buyer_id, buyer_label) = buyers[&partner_id].clone();
            let changed = placed + Duration::days((days_ago / 2).min(40));
            events.push(order_event::ActiveModel {
                id: Set(ids::new_id()),
                order_id: Set(order_id),
                partner_id: Set(partner_id),
                at: Set(placed),
                actor_user_id: Set(Some(buyer_id)),
                actor_label: Set(buyer_label),
                kind: Set("created".to_owned()),
                from_value: Set(None),
                to_value: Set(Some("submitted".to_owned())),
                reason: Set(None),
            });
            if status != OrderStatus::Submitted {
                events.push(order_event::ActiveModel {
                    id: Set(ids::new_id()),
                    order_id: Set(order_id),
                    partner_id: Set(partner_id),
                    at: Set(changed),
                    actor_user_id: Set(operations.as_ref().map(|o| o.0)),
                    actor_label: Set(operations
                        .as_ref()
                        .map_or_else(|| "Operations".to_owned(), |o| o.1.clone())),
                    kind: Set("status".to_owned()),
                    from_value: Set(Some("submitted".to_owned())),
                    to_value: Set(Some(status.key().to_owned())),
                    reason: Set(None),
                });
            }
            let payment = match status {
                OrderStatus::Paid => PaymentStatus::Paid,
                OrderStatus::Invoiced => PaymentStatus::Unpaid,
                OrderStatus::Returned => PaymentStatus::Refunded,
                _ => PaymentStatus::NotInvoiced,
            };
            let shipped = matches!(
                status,
                OrderStatus::Shipped
                    | OrderStatus::Delivered
                    | OrderStatus::Invoiced
                    | OrderStatus::Paid
                    | OrderStatus::Returned
            );
            orders.push(sales_order::ActiveModel {
                id: Set(order_id),
                number: Set(format!("ORD-{number}")),
                partner_id: Set(partner_id),
                customer_name: Set(CUSTOMERS[dice.below(CUSTOMERS.len() as u64) as usize].to_owned()),
                partner_reference: Set(Some(format!("PO-{number}"))),
                status: Set(status.key().to_owned()),
                blocked_reason: Set(blocked.then(|| "Credit limit reached: pay the overdue invoice or agree a temporary increase.".to_owned())),
                blocked_owner: Set(blocked.then(|| "Northwind credit control".to_owned())),
                blocked_at: Set(blocked.then_some(changed)),
                currency: Set("EUR".to_owned()),
                total_minor: Set(total),
                payment_status: Set(payment.key().to_owned()),
                ordered_at: Set(placed),
                promised_date: Set(None),
                shipped_at: Set(shipped.then_some(changed)),
                delivered_at: Set(None),
                source: Set(if roll < 30 { "erp" } else { "portal" }.to_owned()),
                source_reference: Set((roll < 30).then(|| format!("SO-{number}"))),
                synced_at: Set((roll < 30).then_some(changed)),
                ship_to: Set(None),
                created_by: Set(Some(buyer_id)),
                created_at: Set(placed),
                updated_at: Set(changed),
                deal_type: Set(deal_type_for(roll).to_owned()),
                partner_tier: Set(Some(tier.to_owned())),
                partner_type: Set(Some(partner_type.to_owned())),
            });
            number += 1;
        }
        let txn = begin_write(db).await?;
        for part in orders.chunks(500) {
            sales_order::Entity::insert_many(part.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        for part in lines.chunks(1_500) {
            order_line::Entity::insert_many(part.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        for part in events.chunks(1_500) {
            order_event::Entity::insert_many(part.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
    }
    // Later orders continue the series after the last one written here.
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE number_sequence SET next_value = $1 WHERE name = 'order'",
        [Value::from(number - 1)],
    ))
    .await?;
    let requesters: Vec<(Uuid, &str, Uuid, String)> = partner_tiers
        .iter()
        .map(|(id, tier, _)| {
            let (buyer, label) = buyers[id].clone();
            (*id, *tier, buyer, label)
        })
        .collect();
    let tickets = crate::support::seed::grow(db, &requesters, at).await?;
    let assets = grow_library(db, files, at).await?;
    crate::platform::db::refresh_planner_statistics(db).await?;
    // A year of commission statements: every complete period of every plan since the orders
    // began, as the scheduled run would have prepared them.
    let settled = crate::commissions::settle_all(
        db,
        (Some(at.date() - Duration::days(366)), at.date()),
        &crate::commissions::store::Actor {
            user_id: None,
            label: "Commission run (scale data)".to_owned(),
        },
    )
    .await?;
    crate::platform::db::refresh_planner_statistics(db).await?;
    Ok(Grown {
        partners: PARTNERS,
        users: PARTNERS * USERS_PER_PARTNER,
        orders: plan.len(),
        tickets,
        assets,
        settled,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Grows the library to `LIBRARY` assets, uploaded by the vendor's marketing manager.
async fn grow_library(db: &Db, files: &FileStore, at: OffsetDateTime) -> anyhow::Result<usize> {
    let marketing = user::Entity::find()
        .filter(user::Column::Role.eq(Role::VendorMarketing.key()))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo program has no vendor marketing manager"))?;
    let owner = Uploader {
        user_id: marketing.id,
        label: marketing.display_name,
    };
    let txn = begin_write(db).await?;
    crate::assets::seed::grow_library(&txn, files, &owner, LIBRARY, at).await?;
    txn.commit().await?;
    Ok(LIBRARY)
}
