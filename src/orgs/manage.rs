//! Changing organisations: profile edits (partner admins for their own, vendor admins for any),
//! status changes with a reason, staff assignments and the descendants grant (vendor
//! `partners.manage`). Every change is audited with what it changed.

use std::net::SocketAddr;

use askama::Template;
use axum::Form;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::model::{CertificationForm, ClassificationForm, ProfileForm, next_statuses};
use super::store::{self, Organization};
use crate::AppState;
use crate::audit::{self, Entry};
use crate::identity::{self, store as people};
use crate::platform::error::{AppError, AppResult};
use crate::platform::scope::{Permission, Scope};
use crate::platform::web::{Chrome, PageContext, redirect_with_notice, render};

/// The partner, when the caller's `permission` reaches it; 404 when they cannot see it at all,
/// 403 when they can see it but not change it this way.
async fn partner_for(
    state: &AppState,
    scope: &Scope,
    id: &str,
    permission: Permission,
) -> AppResult<Organization> {
    // The role's permission first: its answer does not depend on which partner was asked for.
    let reach = scope.partners(permission)?;
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    let partner = store::find_partner(&state.db, scope, id).await?;
    if !reach.contains(partner.id) {
        return Err(AppError::Forbidden);
    }
    Ok(partner)
}

/// What the caller did to this partner.
fn entry(
    scope: &Scope,
    client: &SocketAddr,
    partner: &Organization,
    action: &'static str,
    detail: serde_json::Value,
) -> Entry {
    Entry::by(scope, client, action)
        .concerning(partner.id)
        .on("organization", partner.id)
        .with(detail)
}

fn back_to(partner: &Organization, message: &str) -> Response {
    redirect_with_notice(&format!("/partners/{}", partner.id), message)
}

#[derive(Template)]
#[template(path = "orgs/edit.html")]
struct EditPage {
    chrome: Chrome,
    partner: Organization,
    form: ProfileForm,
    errors: Vec<(&'static str, String)>,
}

pub async fn edit_form(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let partner = partner_for(&state, &scope, &id, Permission::ProfileWrite).await?;
    let form = ProfileForm {
        name: partner.name.clone(),
        legal_name: partner.legal_name.clone(),
        country: partner.country.clone(),
        website: partner.website.clone().unwrap_or_default(),
        registration_number: partner.registration_number.clone().unwrap_or_default(),
        tax_number: partner.tax_number.clone().unwrap_or_default(),
        address: partner.address.clone().unwrap_or_default(),
        billing_address: partner.billing_address.clone().unwrap_or_default(),
        markets: store::entries(partner.markets.as_deref()).join(", "),
        capabilities: store::entries(partner.capabilities.as_deref()).join(", "),
    };
    render(&EditPage {
        chrome: Chrome::new(&state.instance, &context),
        partner,
        form,
        errors: Vec::new(),
    })
}

pub async fn edit_submit(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<ProfileForm>,
) -> AppResult<Response> {
    let partner = partner_for(&state, &scope, &id, Permission::ProfileWrite).await?;
    let profile = match form.parse() {
        Ok(profile) => profile,
        Err(errors) => {
            return render(&EditPage {
                chrome: Chrome::new(&state.instance, &context),
                partner,
                form,
                errors,
            })
            .map(|page| (StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let changes = store::update_profile(&txn, &partner, &profile).await?;
    if !changes.is_empty() {
        let detail: serde_json::Map<String, serde_json::Value> = changes
            .iter()
            .map(|(field, from, to)| ((*field).to_owned(), json!({ "from": from, "to": to })))
            .collect();
        audit::record(
            &txn,
            entry(
                &scope,
                &client,
                &partner,
                "organization.profile_changed",
                detail.into(),
            ),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(back_to(&partner, "The profile is saved."))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    status: String,
    reason: String,
}

pub async fn change_status(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> AppResult<Response> {
    let partner = partner_for(&state, &scope, &id, Permission::PartnersManage).await?;
    let to = form.status.trim();
    if !next_statuses(&partner.status).contains(&to) {
        let message = format!(
            "A partner that is {} cannot become \"{to}\". Choose one of the statuses offered.",
            partner.status
        );
        return Ok(back_to(&partner, &message));
    }
    let reason = form.reason.trim();
    if reason.is_empty() {
        return Ok(back_to(
            &partner,
            "Say why the status changes: the partner and your colleagues see the reason in the history.",
        ));
    }
    let txn = crate::platform::db::begin_write(&state.db).await?;
    store::change_status(&txn, &partner, to, reason, scope.user_id).await?;
    audit::record(
        &txn,
        entry(
            &scope,
            &client,
            &partner,
            "organization.status_changed",
            json!({ "from": partner.status, "to": to, "reason": reason }),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(back_to(&partner, &format!("{} is now {to}.", partner.name)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ManagerForm {
    staff_user_id: String,
}

pub async fn assign_manager(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<ManagerForm>,
) -> AppResult<Response> {
    let partner = partner_for(&state, &scope, &id, Permission::PartnersManage).await?;
    let staff = people::assignable_staff(&state.db).await?;
    let Some(manager) = Uuid::parse_str(&form.staff_user_id)
        .ok()
        .and_then(|id| staff.into_iter().find(|s| s.id == id))
    else {
        return Ok(back_to(&partner, "Choose a partner manager from the list."));
    };
    let already = people::managers_of(&state.db, partner.id).await?;
    if already.iter().any(|m| m.id == manager.id) {
        return Ok(back_to(
            &partner,
            &format!(
                "{} already looks after {}.",
                manager.display_name, partner.name
            ),
        ));
    }
    let txn = crate::platform::db::begin_write(&state.db).await?;
    people::assign_partner(&txn, manager.id, partner.id).await?;
    audit::record(
        &txn,
        entry(
            &scope,
            &client,
            &partner,
            "organization.manager_assigned",
            json!({ "manager": manager.email }),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(back_to(
        &partner,
        &format!("{} now looks after {}.", manager.display_name, partner.name),
    ))
}

pub async fn unassign_manager(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path((id, staff_id)): Path<(String, String)>,
) -> AppResult<Response> {
    let partner = partner_for(&state, &scope, &id, Permission::PartnersManage).await?;
    let staff_id = Uuid::parse_str(&staff_id).map_err(|_| AppError::NotFound)?;
    let managers = people::managers_of(&state.db, partner.id).await?;
    let manager = managers
        .into_iter()
        .find(|m| m.id == staff_id)
        .ok_or(AppError::NotFound)?;
    let txn = crate::platform::db::begin_write(&state.db).await?;
    people::unassign_partner(&txn, manager.id, partner.id).await?;
    audit::record(
        &txn,
        entry(
            &scope,
            &client,
            &partner,
            "organization.manager_unassigned",
            json!({ "manager": manager.email }),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(back_to(
        &partner,
        &format!(
            "{} no longer looks after {}.",
            manager.display_name, partner.name
        ),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DescendantsForm {
    visible: String,
}

pub async fn set_descendants_visible(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<DescendantsForm>,
) -> AppResult<Response> {
    let partner = partner_for(&state, &scope, &id, Permission::PartnersManage).await?;
    let visible = form.visible == "yes";
    let txn = crate::platform::db::begin_write(&state.db).await?;
    store::set_descendants_visible(&txn, partner.id, visible).await?;
    audit::record(
        &txn,
        entry(
            &scope,
            &client,
            &partner,
            "organization.descendants_visibility_changed",
            json!({ "from": partner.descendants_visible, "to": visible }),
        ),
    )
    .await?;
    txn.commit().await?;
    let message = if visible {
        format!("{} now sees its sub-partners' data.", partner.name)
    } else {
        format!("{} no longer sees its sub-partners' data.", partner.name)
    };
    Ok(back_to(&partner, &message))
}

pub async fn add_certification(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<CertificationForm>,
) -> AppResult<Response> {
    let partner = partner_for(&state, &scope, &id, Permission::ProfileWrite).await?;
    let certification = match form.parse() {
        Ok(certification) => certification,
        Err(message) => return Ok(back_to(&partner, &message)),
    };
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let added = store::add_certification(&txn, partner.id, &certification).await?;
    audit::record(&txn, entry(&scope, &client, &partner, "organization.certification_added", json!({ "certification": added.id, "name": added.name, "issuer": added.issuer, "valid_until": added.valid_until.map(|d| d.to_string()) }))).await?;
    txn.commit().await?;
    Ok(back_to(
        &partner,
        &format!("Certification \"{}\" added.", added.name),
    ))
}

pub async fn remove_certification(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path((id, certification_id)): Path<(String, String)>,
) -> AppResult<Response> {
    let partner = partner_for(&state, &scope, &id, Permission::ProfileWrite).await?;
    let certification_id = Uuid::parse_str(&certification_id).map_err(|_| AppError::NotFound)?;
    let txn = crate::platform::db::begin_write(&state.db).await?;
    if !store::remove_certification(&txn, partner.id, certification_id).await? {
        return Err(AppError::NotFound);
    }
    audit::record(
        &txn,
        entry(
            &scope,
            &client,
            &partner,
            "organization.certification_removed",
            json!({ "certification": certification_id }),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(back_to(&partner, "Certification removed."))
}

pub async fn classify(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<ClassificationForm>,
) -> AppResult<Response> {
    let partner = partner_for(&state, &scope, &id, Permission::PartnersManage).await?;
    let (partner_type, tier) = match form.parse() {
        Ok(parsed) => parsed,
        Err(message) => return Ok(back_to(&partner, &message)),
    };
    let txn = crate::platform::db::begin_write(&state.db).await?;
    store::classify(&txn, partner.id, &partner_type, &tier).await?;
    let detail = json!({
        "type": { "from": partner.partner_type, "to": partner_type },
        "tier": { "from": partner.tier, "to": tier },
    });
    audit::record(
        &txn,
        entry(&scope, &client, &partner, "organization.classified", detail),
    )
    .await?;
    txn.commit().await?;
    Ok(back_to(
        &partner,
        &format!("{} is now a {tier} {partner_type}.", partner.name),
    ))
}

/// A new partner as typed into the form.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct NewPartnerForm {
    name: String,
    legal_name: String,
    partner_type: String,
    tier: String,
    country: String,
    parent_id: String,
    admin_email: String,
    admin_name: String,
}

#[derive(Template)]
#[template(path = "orgs/new.html")]
struct NewPartnerPage {
    chrome: Chrome,
    form: NewPartnerForm,
    errors: Vec<(&'static str, String)>,
    parents: Vec<(Uuid, String)>,
    types: Vec<(&'static str, &'static str)>,
}

async fn new_partner_page(
    state: &AppState,
    context: &PageContext,
    scope: &Scope,
    form: NewPartnerForm,
    errors: Vec<(&'static str, String)>,
) -> AppResult<Response> {
    let parents = store::list_partners(&state.db, scope, &store::PartnerFilter::default())
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(&NewPartnerPage {
        chrome: Chrome::new(&state.instance, context),
        form,
        errors,
        parents,
        types: super::model::PARTNER_TYPES
            .iter()
            .map(|t| (*t, super::pages::partner_type_label(Some(t))))
            .collect(),
    })
    .map(|page| (status, page).into_response())
}

pub async fn new_form(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
) -> AppResult<Response> {
    scope.require(Permission::PartnersManage)?;
    let form = NewPartnerForm {
        tier: "Registered".into(),
        ..Default::default()
    };
    new_partner_page(&state, &context, &scope, form, Vec::new()).await
}

/// Adds a partner (onboarding), under the vendor or under another partner, and invites its
/// first administrator when one is named.
pub async fn create(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Form(form): Form<NewPartnerForm>,
) -> AppResult<Response> {
    let reach = scope.partners(Permission::PartnersManage)?;
    let profile = ProfileForm {
        name: form.name.clone(),
        legal_name: form.legal_name.clone(),
        country: form.country.clone(),
        ..Default::default()
    }
    .parse();
    let classification = ClassificationForm {
        partner_type: form.partner_type.clone(),
        tier: form.tier.clone(),
    }
    .parse();
    let mut errors = match &profile {
        Ok(_) => Vec::new(),
        Err(errors) => errors.clone(),
    };
    if let Err(message) = &classification {
        errors.push(("partner_type", message.clone()));
    }
    let parent_id = match form.parent_id.trim() {
        "" => None,
        text => match Uuid::parse_str(text).ok().filter(|id| reach.contains(*id)) {
            Some(id) => Some(id),
            None => {
                errors.push((
                    "parent_id",
                    "Choose the parent from the list, or none.".into(),
                ));
                None
            }
        },
    };
    let admin = match (form.admin_email.trim(), form.admin_name.trim()) {
        ("", "") => None,
        (email, name) => match (identity::users::parse_email(email), name.is_empty()) {
            (Some(email), false) => Some((email, name.to_owned())),
            (None, _) => {
                errors.push(("admin_email", "Enter the first administrator's e-mail, like name@partner.com, or leave both fields empty.".into()));
                None
            }
            (_, true) => {
                errors.push((
                    "admin_name",
                    "Enter the first administrator's name too.".into(),
                ));
                None
            }
        },
    };
    if let Some((email, _)) = &admin
        && identity::store::find_by_email(&state.db, email)
            .await?
            .is_some()
    {
        errors.push(("admin_email", format!("{email} already has an account.")));
    }
    let (Ok(profile), Ok((partner_type, tier)), true) =
        (profile, classification, errors.is_empty())
    else {
        return new_partner_page(&state, &context, &scope, form, errors).await;
    };

    let viewer = context.viewer.as_ref().ok_or(AppError::NotFound)?;
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let reason = format!("Added by {}", viewer.display_name);
    let partner = store::create_organization(
        &txn,
        store::NewOrganization {
            parent_id: Some(parent_id.unwrap_or(scope.organization_id)),
            kind: "partner",
            name: &profile.name,
            legal_name: &profile.legal_name,
            partner_type: Some(&partner_type),
            tier: Some(&tier),
            country: &profile.country,
            website: None,
            descendants_visible: false,
            markets: &[],
            capabilities: &[],
        },
        &[("onboarding", reason.as_str(), crate::platform::time::now())],
    )
    .await?;
    audit::record(
        &txn,
        entry(
            &scope,
            &client,
            &partner,
            "organization.created",
            json!({ "name": partner.name, "parent": parent_id }),
        ),
    )
    .await?;
    let mut message = format!("{} is added, onboarding.", partner.name);
    if let Some((email, name)) = admin {
        let role = crate::platform::scope::Role::PartnerAdmin;
        let (invited, token) = identity::store::invite_user(
            &txn,
            partner.id,
            &email,
            &name,
            role,
            Some(scope.user_id),
        )
        .await?;
        identity::users::queue_invitation(&txn, &state, &invited, role, viewer, &token).await?;
        audit::record(
            &txn,
            entry(
                &scope,
                &client,
                &partner,
                "user.invited",
                json!({ "email": email, "role": role.key() }),
            ),
        )
        .await?;
        message.push_str(&format!(" {email} is invited as its administrator."));
    }
    txn.commit().await?;
    state.mailer.kick(&state.db);
    Ok(back_to(&partner, &message))
}

/// `/organisation`: a partner user's own organisation page.
pub async fn own_organisation(scope: Scope) -> Response {
    Redirect::to(&format!("/partners/{}", scope.organization_id)).into_response()
}
