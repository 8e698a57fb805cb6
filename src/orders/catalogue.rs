//! `/catalogue`: the products partners can order, by product line, with list prices and — for a
//! partner — its own net price and discount limit from the price list that applies to it; vendor
//! staff see every price list with whom it applies to.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use sea_orm::EntityTrait;
use serde::Deserialize;
use uuid::Uuid;

use super::entity::{price_list, product_price};
use super::model::{format_percent, money};
use super::store;
use crate::AppState;
use crate::orgs::store as orgs;
use crate::platform::error::AppResult;
use crate::platform::scope::{Permission, Scope, Side};
use crate::platform::web::{Chrome, PageContext, render};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CatalogueFilter {
    q: String,
    line: String,
    currency: String,
}

struct ProductRow {
    sku: String,
    gtin: String,
    name: String,
    product_line: String,
    unit: String,
    minimum: i32,
    pack: i32,
    list_price: String,
    your_price: String,
}

struct PriceListRow {
    name: String,
    applies_to: String,
    currency: String,
    max_discount: String,
}

#[derive(Template)]
#[template(path = "orders/catalogue.html")]
struct CataloguePage {
    chrome: Chrome,
    filter: CatalogueFilter,
    lines: Vec<String>,
    currencies: Vec<String>,
    rows: Vec<ProductRow>,
    price_lists: Vec<PriceListRow>,
    /// For a partner: the list its prices come from, and its discount limit.
    own_terms: Option<String>,
    can_order: bool,
}

pub async fn page(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Query(filter): Query<CatalogueFilter>,
) -> AppResult<Response> {
    scope.require(Permission::OrdersRead)?;
    let currencies = store::price_list_currencies(&state.db).await?;
    let currency = if currencies.contains(&filter.currency) {
        filter.currency.clone()
    } else {
        currencies.first().cloned().unwrap_or_default()
    };
    let products = store::active_products(&state.db).await?;
    let mut lines: Vec<String> = products.iter().map(|p| p.product_line.clone()).collect();
    lines.dedup();
    let list_prices: HashMap<Uuid, i64> = product_price::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .filter(|p| p.currency == currency)
        .map(|p| (p.product_id, p.list_price_minor))
        .collect();
    // A partner sees its own terms; vendor staff the lists themselves.
    let (terms, own_terms) = if scope.side() == Side::Partner {
        let partner = orgs::find_partner(&state.db, &scope, scope.organization_id).await?;
        let terms = store::terms_for(&state.db, &partner, &currency).await?;
        let summary = terms.price_list.as_ref().map(|(name, max)| {
            format!(
                "Your prices come from the price list \"{name}\"; you may give up to {} % discount per line.",
                format_percent(*max)
            )
        });
        (Some(terms), summary)
    } else {
        (None, None)
    };
    let text = filter.q.trim().to_lowercase();
    let rows = products
        .into_iter()
        .filter(|p| filter.line.is_empty() || p.product_line == filter.line)
        .filter(|p| {
            text.is_empty()
                || p.name.to_lowercase().contains(&text)
                || p.sku.to_lowercase().contains(&text)
        })
        .map(|p| {
            let your_price = terms
                .as_ref()
                .and_then(|t| t.offers.get(&p.sku.to_ascii_uppercase()))
                .and_then(|o| o.unit_price_minor)
                .map(|minor| money(minor, &currency))
                .unwrap_or_default();
            ProductRow {
                list_price: list_prices
                    .get(&p.id)
                    .map(|minor| money(*minor, &currency))
                    .unwrap_or_default(),
                your_price,
                sku: p.sku,
                gtin: p.gtin.unwrap_or_default(),
                name: p.name,
                product_line: p.product_line,
                unit: p.unit,
                minimum: p.min_order_quantity,
                pack: p.pack_size,
            }
        })
        .collect();
    let price_lists = if scope.side() == Side::Vendor {
        let names: HashMap<Uuid, String> = orgs::partner_names(&state.db, &scope)
            .await
            .unwrap_or_default()
            .into_iter()
            .collect();
        // A partner's own list is shown only to staff who may see that partner.
        let mut lists: Vec<price_list::Model> = price_list::Entity::find()
            .all(&state.db)
            .await?
            .into_iter()
            .filter(|l| l.partner_id.is_none_or(|id| names.contains_key(&id)))
            .collect();
        lists.sort_by(|a, b| (&a.currency, &a.name).cmp(&(&b.currency, &b.name)));
        lists
            .into_iter()
            .map(|l| PriceListRow {
                applies_to: match (l.partner_id, &l.tier) {
                    (Some(id), _) => names
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| "one partner".to_owned()),
                    (None, Some(tier)) => format!("{tier} tier"),
                    (None, None) => "every partner without a list of its own".to_owned(),
                },
                max_discount: format!("{} %", format_percent(l.max_discount_bp)),
                name: l.name,
                currency: l.currency,
            })
            .collect()
    } else {
        Vec::new()
    };
    render(&CataloguePage {
        chrome: Chrome::new(&state.instance, &context),
        filter: CatalogueFilter { currency, ..filter },
        lines,
        currencies,
        rows,
        price_lists,
        own_terms,
        can_order: scope.can(Permission::OrdersWrite),
    })
}
