//! Scoped queries over organisations.

use sea_orm::{ColumnTrait, Condition, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::entity::{organization, status_change};
use crate::platform::db::{Db, contains_ignoring_case};
use crate::platform::error::AppError;
use crate::platform::scope::{Permission, Scope};

pub use organization::Model as Organization;
pub use status_change::Model as StatusChange;

/// The SQL form of "these partners": nothing extra for all, an `IN` list otherwise.
/// Narrows the partner list; empty fields do not filter.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct PartnerFilter {
    /// Part of the trading or legal name.
    pub q: String,
    pub partner_type: String,
    pub status: String,
    pub tier: String,
    pub country: String,
}

/// Partner organisations the caller may see that pass the filter.
fn filtered_partners(
    scope: &Scope,
    filter: &PartnerFilter,
) -> Result<sea_orm::Select<organization::Entity>, AppError> {
    let partners = scope.partners(Permission::PartnersRead)?;
    let mut query = organization::Entity::find()
        .filter(organization::Column::Kind.eq("partner"))
        .filter(partners.condition(organization::Column::Id));
    let text = filter.q.trim();
    if !text.is_empty() {
        query = query.filter(
            Condition::any()
                .add(contains_ignoring_case(organization::Column::Name, text))
                .add(contains_ignoring_case(
                    organization::Column::LegalName,
                    text,
                )),
        );
    }
    for (column, value) in [
        (organization::Column::PartnerType, &filter.partner_type),
        (organization::Column::Status, &filter.status),
        (organization::Column::Tier, &filter.tier),
        (organization::Column::Country, &filter.country),
    ] {
        if !value.trim().is_empty() {
            query = query.filter(column.eq(value.trim()));
        }
    }
    Ok(query)
}

/// Partner organisations the caller may see, by name.
pub async fn list_partners(
    db: &Db,
    scope: &Scope,
    filter: &PartnerFilter,
) -> Result<Vec<Organization>, AppError> {
    Ok(filtered_partners(scope, filter)?
        .order_by_asc(organization::Column::Name)
        .all(db)
        .await?)
}

/// A page of [`list_partners`], by name then id: at most `limit` after the partner `after`
/// (the previous page's last). `None` when `after` is no partner the caller sees.
pub async fn partners_page(
    db: &Db,
    scope: &Scope,
    filter: &PartnerFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Option<Vec<Organization>>, AppError> {
    use sea_orm::QuerySelect;
    let mut query = filtered_partners(scope, filter)?;
    if let Some(after) = after {
        let partners = scope.partners(Permission::PartnersRead)?;
        let Some(last) = organization::Entity::find_by_id(after)
            .filter(organization::Column::Kind.eq("partner"))
            .filter(partners.condition(organization::Column::Id))
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        query = query.filter(
            Condition::any()
                .add(organization::Column::Name.gt(last.name.clone()))
                .add(
                    Condition::all()
                        .add(organization::Column::Name.eq(last.name))
                        .add(organization::Column::Id.gt(after)),
                ),
        );
    }
    Ok(Some(
        query
            .order_by_asc(organization::Column::Name)
            .order_by_asc(organization::Column::Id)
            .limit(limit)
            .all(db)
            .await?,
    ))
}

/// Ids and names of the partners the caller may see, by name: the light form of
/// [`list_partners`] for pick lists.
pub async fn partner_names(db: &Db, scope: &Scope) -> Result<Vec<(Uuid, String)>, AppError> {
    Ok(partner_names_query(scope)?.into_tuple().all(db).await?)
}

/// [`partner_names`] while there are at most `at_most` of them (a list short enough to pick
/// from), else `None`, without reading thousands of names to find that out.
async fn partner_names_up_to(
    db: &Db,
    scope: &Scope,
    at_most: u64,
) -> Result<Option<Vec<(Uuid, String)>>, AppError> {
    use sea_orm::QuerySelect;
    let names: Vec<(Uuid, String)> = partner_names_query(scope)?
        .limit(at_most + 1)
        .into_tuple()
        .all(db)
        .await?;
    Ok((names.len() as u64 <= at_most).then_some(names))
}

/// How many partners a vendor list offers to pick from; beyond that, staff come from the
/// partner's own page with it chosen, and the list names it.
const PARTNER_CHOICES: u64 = 200;

/// A vendor list's partner filter.
#[derive(Debug, Default)]
pub struct PartnerPick {
    /// Every partner in scope while there are at most [`PARTNER_CHOICES`], else none.
    pub options: Vec<(Uuid, String)>,
    /// The chosen partner's name, when there are too many to offer.
    pub chosen: Option<String>,
}

/// The partner filter for a list filtered by `chosen` (an id as the query string has it);
/// empty when the caller may not read partners.
pub async fn partner_pick(db: &Db, scope: &Scope, chosen: &str) -> PartnerPick {
    match partner_names_up_to(db, scope, PARTNER_CHOICES).await {
        Ok(Some(options)) => PartnerPick {
            options,
            chosen: None,
        },
        Ok(None) => {
            let chosen = match Uuid::parse_str(chosen.trim()) {
                Ok(id) => find_partner(db, scope, id).await.ok().map(|p| p.name),
                Err(_) => None,
            };
            PartnerPick {
                options: Vec::new(),
                chosen,
            }
        }
        Err(_) => PartnerPick::default(),
    }
}

fn partner_names_query(scope: &Scope) -> Result<sea_orm::Select<organization::Entity>, AppError> {
    use sea_orm::QuerySelect;
    let partners = scope.partners(Permission::PartnersRead)?;
    Ok(organization::Entity::find()
        .select_only()
        .column(organization::Column::Id)
        .column(organization::Column::Name)
        .filter(organization::Column::Kind.eq("partner"))
        .filter(partners.condition(organization::Column::Id))
        .order_by_asc(organization::Column::Name))
}

/// One partner organisation, or 404 when it is missing or outside the caller's scope.
pub async fn find_partner(db: &Db, scope: &Scope, id: Uuid) -> Result<Organization, AppError> {
    find_partner_within(db, scope, Permission::PartnersRead, id).await
}

/// A partner within the reach of `permission`: a token that may order for a partner need not
/// also hold `partners.read` to be told the partner's status.
pub async fn find_partner_within(
    db: &Db,
    scope: &Scope,
    permission: Permission,
    id: Uuid,
) -> Result<Organization, AppError> {
    let partners = scope.partners(permission)?;
    if !partners.contains(id) {
        return Err(AppError::NotFound);
    }
    organization::Entity::find_by_id(id)
        .filter(organization::Column::Kind.eq("partner"))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// The status history of an organisation the caller already found through its scope, newest
/// first.
pub async fn status_history(
    db: &Db,
    organization: &Organization,
) -> Result<Vec<StatusChange>, DbErr> {
    status_change::Entity::find()
        .filter(status_change::Column::OrganizationId.eq(organization.id))
        .order_by_desc(status_change::Column::At)
        .all(db)
        .await
}

/// A new organisation, as the demo or an admin action gives it.
pub struct NewOrganization<'a> {
    pub parent_id: Option<Uuid>,
    pub kind: &'a str,
    pub name: &'a str,
    pub legal_name: &'a str,
    pub partner_type: Option<&'a str>,
    pub tier: Option<&'a str>,
    pub country: &'a str,
    pub website: Option<&'a str>,
    pub descendants_visible: bool,
    pub markets: &'a [&'a str],
    pub capabilities: &'a [&'a str],
}

/// A list as stored: one entry per line; `None` for an empty list.
pub fn lines(items: &[impl AsRef<str>]) -> Option<String> {
    let joined = items
        .iter()
        .map(|i| i.as_ref().trim())
        .filter(|i| !i.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    (!joined.is_empty()).then_some(joined)
}

/// The entries of a stored list.
pub fn entries(stored: Option<&str>) -> Vec<String> {
    stored
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .filter(|l| !l.is_empty())
        .collect()
}

/// Writes the organisation with its first status; `history` is the path it took there, oldest
/// first, as (status, reason, when).
pub async fn create_organization(
    conn: &impl sea_orm::ConnectionTrait,
    new: NewOrganization<'_>,
    history: &[(&str, &str, time::OffsetDateTime)],
) -> Result<Organization, DbErr> {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let created_at = history
        .first()
        .map_or_else(crate::platform::time::now, |(_, _, at)| *at);
    let status = history.last().map_or("applicant", |(status, _, _)| status);
    let organization = organization::ActiveModel {
        id: Set(crate::platform::ids::new_id()),
        parent_id: Set(new.parent_id),
        kind: Set(new.kind.to_owned()),
        name: Set(new.name.to_owned()),
        legal_name: Set(new.legal_name.to_owned()),
        partner_type: Set(new.partner_type.map(str::to_owned)),
        tier: Set(new.tier.map(str::to_owned)),
        status: Set(status.to_owned()),
        country: Set(new.country.to_owned()),
        website: Set(new.website.map(str::to_owned)),
        registration_number: Set(None),
        tax_number: Set(None),
        descendants_visible: Set(new.descendants_visible),
        created_at: Set(created_at),
        address: Set(None),
        billing_address: Set(None),
        markets: Set(lines(new.markets)),
        capabilities: Set(lines(new.capabilities)),
    }
    .insert(conn)
    .await?;
    let mut previous: Option<&str> = None;
    for (status, reason, at) in history {
        status_change::ActiveModel {
            id: Set(crate::platform::ids::new_id()),
            organization_id: Set(organization.id),
            from_status: Set(previous.map(str::to_owned)),
            to_status: Set((*status).to_owned()),
            reason: Set((*reason).to_owned()),
            actor_user_id: Set(None),
            at: Set(*at),
        }
        .insert(conn)
        .await?;
        previous = Some(status);
    }
    Ok(organization)
}

/// Every organisation, vendor included, by name: for vendor-wide views such as the audit log,
/// whose own permission reaches all partners.
pub async fn all_organisations(db: &Db) -> Result<Vec<Organization>, DbErr> {
    organization::Entity::find()
        .order_by_asc(organization::Column::Name)
        .all(db)
        .await
}

/// Saves a checked profile; returns the fields that changed as (field, from, to).
pub async fn update_profile(
    conn: &impl sea_orm::ConnectionTrait,
    before: &Organization,
    profile: &super::model::Profile,
) -> Result<Vec<(&'static str, String, String)>, DbErr> {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let show = |v: &Option<String>| v.clone().unwrap_or_default();
    let changes: Vec<(&'static str, String, String)> = [
        ("name", before.name.clone(), profile.name.clone()),
        (
            "legal_name",
            before.legal_name.clone(),
            profile.legal_name.clone(),
        ),
        ("country", before.country.clone(), profile.country.clone()),
        ("website", show(&before.website), show(&profile.website)),
        (
            "registration_number",
            show(&before.registration_number),
            show(&profile.registration_number),
        ),
        (
            "tax_number",
            show(&before.tax_number),
            show(&profile.tax_number),
        ),
    ]
    .into_iter()
    .filter(|(_, from, to)| from != to)
    .collect();
    organization::ActiveModel {
        id: Set(before.id),
        name: Set(profile.name.clone()),
        legal_name: Set(profile.legal_name.clone()),
        country: Set(profile.country.clone()),
        website: Set(profile.website.clone()),
        registration_number: Set(profile.registration_number.clone()),
        tax_number: Set(profile.tax_number.clone()),
        address: Set(profile.address.clone()),
        billing_address: Set(profile.billing_address.clone()),
        markets: Set(lines(&profile.markets)),
        capabilities: Set(lines(&profile.capabilities)),
        ..Default::default()
    }
    .update(conn)
    .await?;
    Ok(changes)
}

/// Moves the organisation to `to`, with a history row saying who and why.
pub async fn change_status(
    conn: &impl sea_orm::ConnectionTrait,
    before: &Organization,
    to: &str,
    reason: &str,
    actor_user_id: Uuid,
) -> Result<(), DbErr> {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    organization::ActiveModel {
        id: Set(before.id),
        status: Set(to.to_owned()),
        ..Default::default()
    }
    .update(conn)
    .await?;
    status_change::ActiveModel {
        id: Set(crate::platform::ids::new_id()),
        organization_id: Set(before.id),
        from_status: Set(Some(before.status.clone())),
        to_status: Set(to.to_owned()),
        reason: Set(reason.to_owned()),
        actor_user_id: Set(Some(actor_user_id)),
        at: Set(crate::platform::time::now()),
    }
    .insert(conn)
    .await
    .map(|_| ())
}

/// Grants or withdraws a parent's view of its descendants' data.
pub async fn set_descendants_visible(
    conn: &impl sea_orm::ConnectionTrait,
    id: Uuid,
    visible: bool,
) -> Result<(), DbErr> {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    organization::ActiveModel {
        id: Set(id),
        descendants_visible: Set(visible),
        ..Default::default()
    }
    .update(conn)
    .await
    .map(|_| ())
}

pub use super::entity::certification::Model as Certification;

/// An organisation's certifications, soonest to expire first.
pub async fn certifications(db: &Db, organization_id: Uuid) -> Result<Vec<Certification>, DbErr> {
    use super::entity::certification;
    certification::Entity::find()
        .filter(certification::Column::OrganizationId.eq(organization_id))
        .order_by_asc(certification::Column::ValidUntil)
        .order_by_asc(certification::Column::Name)
        .all(db)
        .await
}

pub async fn add_certification(
    conn: &impl sea_orm::ConnectionTrait,
    organization_id: Uuid,
    certification: &super::model::NewCertification,
) -> Result<Certification, DbErr> {
    use super::entity::certification as c;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    c::ActiveModel {
        id: Set(crate::platform::ids::new_id()),
        organization_id: Set(organization_id),
        name: Set(certification.name.clone()),
        issuer: Set(certification.issuer.clone()),
        valid_until: Set(certification.valid_until),
        created_at: Set(crate::platform::time::now()),
    }
    .insert(conn)
    .await
}

/// Removes one certification of the organisation; false when it has no such certification.
pub async fn remove_certification(
    conn: &impl sea_orm::ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> Result<bool, DbErr> {
    use super::entity::certification as c;
    let result = c::Entity::delete_many()
        .filter(c::Column::Id.eq(id))
        .filter(c::Column::OrganizationId.eq(organization_id))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Sets the partner's type and tier.
pub async fn classify(
    conn: &impl sea_orm::ConnectionTrait,
    id: Uuid,
    partner_type: &str,
    tier: &str,
) -> Result<(), DbErr> {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    organization::ActiveModel {
        id: Set(id),
        partner_type: Set(Some(partner_type.to_owned())),
        tier: Set(Some(tier.to_owned())),
        ..Default::default()
    }
    .update(conn)
    .await
    .map(|_| ())
}

/// Names of partners by id, for views that list many partners.
pub async fn names_of(
    db: &Db,
    ids: &[Uuid],
) -> Result<std::collections::BTreeMap<Uuid, String>, DbErr> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(organization::Entity::find()
        .filter(organization::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}

/// A partner's tier, for rules that depend on it (support targets, account managers); the
/// caller has already found the partner's object through its scope.
pub async fn tier_of(db: &Db, id: Uuid) -> Result<Option<String>, DbErr> {
    Ok(organization::Entity::find_by_id(id)
        .one(db)
        .await?
        .and_then(|o| o.tier))
}

/// The tier and partner type of the viewer's own organisation, which decide what it is shown
/// (the asset library's audiences). Needs no permission: it is the user's own organisation.
pub async fn own_classification(
    db: &Db,
    scope: &Scope,
) -> Result<(Option<String>, Option<String>), AppError> {
    let own = organization::Entity::find_by_id(scope.organization_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((own.tier, own.partner_type))
}

/// The ids of the partners in a tier (for filters by tier).
pub async fn ids_in_tier(db: &Db, tier: &str) -> Result<Vec<Uuid>, DbErr> {
    use sea_orm::QuerySelect;
    organization::Entity::find()
        .select_only()
        .column(organization::Column::Id)
        .filter(organization::Column::Tier.eq(tier))
        .into_tuple()
        .all(db)
        .await
}
