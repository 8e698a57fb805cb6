//! Partner list (a tree) and partner detail pages for vendor staff.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use uuid::Uuid;

use super::store::{self, Organization};
use crate::AppState;
use crate::identity;
use crate::platform::error::{AppError, AppResult};
use crate::platform::scope::{Permission, Role, Scope};
use crate::platform::time::format_date;
use crate::platform::web::{Chrome, PageContext, render};

/// The colour family of a status word (the word is always printed too).
pub fn status_tone(status: &str) -> &'static str {
    match status {
        "onboarding" => "blue",
        "active" => "green",
        "suspended" => "amber",
        "terminated" => "red",
        _ => "neutral",
    }
}

pub(crate) fn partner_type_label(partner_type: Option<&str>) -> &'static str {
    match partner_type {
        Some("distributor") => "Distributor",
        Some("reseller") => "Reseller",
        Some("referral") => "Referral partner",
        Some("agency") => "Agency",
        Some("integrator") => "Integrator",
        _ => "Partner",
    }
}

struct PartnerRow {
    id: Uuid,
    name: String,
    depth: usize,
    partner_type: &'static str,
    tier: String,
    status: String,
    status_tone: &'static str,
    country: String,
}

#[derive(Template)]
#[template(path = "orgs/list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<PartnerRow>,
    filter: store::PartnerFilter,
    filtered: bool,
    types: Vec<(&'static str, &'static str)>,
    statuses: &'static [&'static str],
    tiers: Vec<String>,
    countries: Vec<String>,
    can_add: bool,
}

const STATUSES: &[&str] = &[
    "applicant",
    "onboarding",
    "active",
    "suspended",
    "terminated",
];

/// Parents before their children, siblings by name; a partner whose parent the caller cannot
/// see starts a tree of its own.
fn tree_order(partners: Vec<Organization>) -> Vec<(usize, Organization)> {
    let visible: BTreeSet<Uuid> = partners.iter().map(|p| p.id).collect();
    let mut children: BTreeMap<Option<Uuid>, Vec<Organization>> = BTreeMap::new();
    for partner in partners {
        let parent = partner.parent_id.filter(|p| visible.contains(p));
        children.entry(parent).or_default().push(partner);
    }
    let mut ordered = Vec::new();
    let mut stack: Vec<(usize, Organization)> = children
        .remove(&None)
        .unwrap_or_default()
        .into_iter()
        .rev()
        .map(|p| (0, p))
        .collect();
    while let Some((depth, partner)) = stack.pop() {
        if let Some(kids) = children.remove(&Some(partner.id)) {
            stack.extend(kids.into_iter().rev().map(|k| (depth + 1, k)));
        }
        ordered.push((depth, partner));
    }
    ordered
}

pub async fn list(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Query(filter): Query<store::PartnerFilter>,
) -> AppResult<Response> {
    // The choices come from everything the caller may see, not just what the filter kept.
    let visible = store::list_partners(&state.db, &scope, &store::PartnerFilter::default()).await?;
    let distinct = |field: fn(&Organization) -> Option<&str>| -> Vec<String> {
        let set: BTreeSet<String> = visible
            .iter()
            .filter_map(|p| field(p).map(str::to_owned))
            .collect();
        set.into_iter().collect()
    };
    let tiers = distinct(|p| p.tier.as_deref());
    let countries = distinct(|p| Some(p.country.as_str()));
    let filtered = [
        &filter.q,
        &filter.partner_type,
        &filter.status,
        &filter.tier,
        &filter.country,
    ]
    .iter()
    .any(|v| !v.trim().is_empty());
    let partners = if filtered {
        store::list_partners(&state.db, &scope, &filter).await?
    } else {
        visible
    };
    let rows = tree_order(partners)
        .into_iter()
        .map(|(depth, p)| PartnerRow {
            id: p.id,
            depth,
            partner_type: partner_type_label(p.partner_type.as_deref()),
            tier: p.tier.unwrap_or_default(),
            status_tone: status_tone(&p.status),
            status: p.status,
            country: p.country,
            name: p.name,
        })
        .collect();
    render(&ListPage {
        chrome: Chrome::new(&state.instance, &context),
        rows,
        filter,
        filtered,
        types: super::model::PARTNER_TYPES
            .iter()
            .map(|t| (*t, partner_type_label(Some(t))))
            .collect(),
        statuses: STATUSES,
        tiers,
        countries,
        can_add: scope.can(Permission::PartnersManage),
    })
}

struct HistoryEntry {
    who: String,
    when: String,
    when_exact: String,
    from: String,
    to: String,
    reason: String,
}

struct CertificationRow {
    id: Uuid,
    name: String,
    issuer: String,
    valid_until: String,
    /// "valid", "expires soon" (within 60 days) or "expired".
    validity: &'static str,
    tone: &'static str,
}

fn certification_row(c: store::Certification, today: time::Date) -> CertificationRow {
    let (validity, tone) = match c.valid_until {
        None => ("no expiry", "neutral"),
        Some(until) if until < today => ("expired", "red"),
        Some(until) if until < today + time::Duration::days(60) => ("expires soon", "amber"),
        Some(_) => ("valid", "green"),
    };
    CertificationRow {
        id: c.id,
        valid_until: c.valid_until.map_or_else(
            || "—".to_owned(),
            |d| format_date(d.midnight().assume_utc()),
        ),
        name: c.name,
        issuer: c.issuer,
        validity,
        tone,
    }
}

struct Person {
    id: Uuid,
    name: String,
    email: String,
    role: &'static str,
    status: String,
    last_sign_in: String,
}

#[derive(Template)]
#[template(path = "orgs/detail.html")]
struct DetailPage {
    chrome: Chrome,
    partner: Organization,
    partner_type: &'static str,
    status_tone: &'static str,
    history: Vec<HistoryEntry>,
    /// `None` when the viewer may not see the partner's users.
    people: Option<Vec<Person>>,
    can_view_as: bool,
    can_see_orders: bool,
    can_see_statements: bool,
    can_adjust_commission: bool,
    can_edit: bool,
    markets: Vec<String>,
    capabilities: Vec<String>,
    certifications: Vec<CertificationRow>,
    /// Vendor management: statuses it may move to, its managers and who else could be one.
    can_manage: bool,
    next_statuses: &'static [&'static str],
    managers: Vec<(Uuid, String)>,
    assignable: Vec<(Uuid, String)>,
    partner_types: Vec<(&'static str, &'static str)>,
    flash: Option<String>,
}

pub async fn detail(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Query(query): Query<crate::platform::web::Notice>,
) -> AppResult<Response> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let partner = store::find_partner(&state.db, &scope, id).await?;
    let changes = store::status_history(&state.db, &partner).await?;
    let actor_ids: Vec<Uuid> = changes.iter().filter_map(|c| c.actor_user_id).collect();
    let actors = identity::store::names_of(&state.db, &actor_ids).await?;
    let history = changes
        .into_iter()
        .map(|change| HistoryEntry {
            // Changes recorded without a person (imports, the demo) are the program's own.
            who: change
                .actor_user_id
                .and_then(|id| actors.get(&id).cloned())
                .unwrap_or_else(|| state.instance.vendor_name.clone()),
            when: format_date(change.at),
            when_exact: change.at.to_string(),
            from: change.from_status.unwrap_or_else(|| "—".into()),
            to: change.to_status,
            reason: change.reason,
        })
        .collect();
    let people = if scope
        .partners(Permission::UsersRead)
        .is_ok_and(|p| p.contains(partner.id))
    {
        let users = identity::store::users_of(&state.db, partner.id).await?;
        Some(
            users
                .into_iter()
                .map(|u| Person {
                    id: u.id,
                    role: Role::parse(&u.role).map_or("Unknown role", Role::label),
                    last_sign_in: u
                        .last_login_at
                        .map_or_else(|| "never".to_owned(), format_date),
                    name: u.display_name,
                    email: u.email,
                    status: u.status,
                })
                .collect(),
        )
    } else {
        None
    };
    let can_view_as = scope
        .partners(Permission::UsersViewAs)
        .is_ok_and(|p| p.contains(partner.id));
    let reaches = |permission| {
        scope
            .partners(permission)
            .is_ok_and(|p| p.contains(partner.id))
    };
    let can_manage = reaches(Permission::PartnersManage);
    let (mut managers, mut assignable) = (Vec::new(), Vec::new());
    if can_manage {
        let assigned = identity::store::managers_of(&state.db, partner.id).await?;
        assignable = identity::store::assignable_staff(&state.db)
            .await?
            .into_iter()
            .filter(|s| !assigned.iter().any(|a| a.id == s.id))
            .map(|s| (s.id, s.display_name))
            .collect();
        managers = assigned
            .into_iter()
            .map(|m| (m.id, m.display_name))
            .collect();
    }
    let today = crate::platform::time::now().date();
    let certifications = store::certifications(&state.db, partner.id)
        .await?
        .into_iter()
        .map(|c| certification_row(c, today))
        .collect();
    render(&DetailPage {
        chrome: Chrome::new(&state.instance, &context),
        markets: store::entries(partner.markets.as_deref()),
        capabilities: store::entries(partner.capabilities.as_deref()),
        certifications,
        partner_type: partner_type_label(partner.partner_type.as_deref()),
        status_tone: status_tone(&partner.status),
        history,
        people,
        can_view_as,
        can_see_orders: scope.can(Permission::OrdersRead),
        can_see_statements: scope.can(Permission::CommissionsRead),
        can_adjust_commission: scope.can(Permission::SettlementsApprove),
        can_edit: reaches(Permission::ProfileWrite),
        can_manage,
        next_statuses: super::model::next_statuses(&partner.status),
        managers,
        assignable,
        partner_types: super::model::PARTNER_TYPES
            .iter()
            .map(|t| (*t, partner_type_label(Some(t))))
            .collect(),
        flash: query.done,
        partner,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(name: &str, parent: Option<Uuid>) -> Organization {
        Organization {
            id: Uuid::now_v7(),
            parent_id: parent,
            kind: "partner".into(),
            name: name.into(),
            legal_name: name.into(),
            partner_type: None,
            tier: None,
            status: "active".into(),
            country: "DE".into(),
            website: None,
            registration_number: None,
            tax_number: None,
            descendants_visible: false,
            created_at: crate::platform::time::now(),
            address: None,
            billing_address: None,
            markets: None,
            capabilities: None,
        }
    }

    #[test]
    fn children_follow_their_parent() {
        let vendor = Uuid::now_v7();
        let alpha = org("Alpha", Some(vendor));
        let beta = org("Beta", Some(vendor));
        let alpha_child = org("Alpha Reseller", Some(alpha.id));
        let names: Vec<(usize, String)> =
            tree_order(vec![alpha.clone(), beta.clone(), alpha_child.clone()])
                .into_iter()
                .map(|(depth, o)| (depth, o.name))
                .collect();
        assert_eq!(
            names,
            vec![
                (0, "Alpha".to_owned()),
                (1, "Alpha Reseller".to_owned()),
                (0, "Beta".to_owned())
            ]
        );
    }
}
