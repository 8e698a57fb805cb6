//! The first administrator of a new deployment, invited from the command line
//! (`portico admin invite`): nobody can sign in to a fresh database to invite them.

use anyhow::{Context, bail};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::entity::user;
use super::store::invite_user;
use super::users::parse_email;
use crate::audit::{self, Actor, Entry};
use crate::orgs::entity::organization;
use crate::orgs::store::{NewOrganization, create_organization};
use crate::platform::db::Db;
use crate::platform::scope::Role;

/// Who to invite, and (on a new deployment) the vendor they work for.
pub struct AdminInvitation<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub vendor_name: Option<&'a str>,
    pub vendor_country: Option<&'a str>,
}

/// Invites a vendor administrator; returns the invitation link (valid 7 days).
pub async fn invite_administrator(
    db: &Db,
    base_url: &str,
    invitation: AdminInvitation<'_>,
) -> anyhow::Result<String> {
    let email = parse_email(invitation.email)
        .with_context(|| format!("\"{}\" is not an e-mail address", invitation.email))?;
    let name = invitation.name.trim();
    if name.is_empty() {
        bail!("--name is empty: give the administrator's name, e.g. --name \"Alex Morgan\"");
    }
    if user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(db)
        .await?
        .is_some()
    {
        bail!("{email} already has an account");
    }
    let txn = crate::platform::db::begin_write(db).await?;
    let vendor = match organization::Entity::find()
        .filter(organization::Column::Kind.eq("vendor"))
        .one(&txn)
        .await?
    {
        Some(vendor) => vendor,
        None => {
            let (Some(vendor_name), Some(country)) =
                (invitation.vendor_name, invitation.vendor_country)
            else {
                bail!(
                    "this deployment has no vendor organisation yet: add --vendor-name \
                     \"Northwind Networks Ltd\" --vendor-country GB"
                );
            };
            let country = country.trim().to_ascii_uppercase();
            if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
                bail!("--vendor-country \"{country}\" is not a two-letter ISO 3166 code, e.g. GB");
            }
            let new = NewOrganization {
                parent_id: None,
                kind: "vendor",
                name: vendor_name.trim(),
                legal_name: vendor_name.trim(),
                partner_type: None,
                tier: None,
                country: &country,
                website: None,
                descendants_visible: false,
                markets: &[],
                capabilities: &[],
            };
            let now = crate::platform::time::now();
            create_organization(&txn, new, &[("active", "Program set up", now)]).await?
        }
    };
    let (invited, token) = invite_user(&txn, vendor.id, &email, name, Role::Admin, None).await?;
    let entry = Entry::outside_requests(Actor::command_line(), "user.invited")
        .concerning(vendor.id)
        .on("user", invited.id)
        .with(json!({ "email": email, "role": Role::Admin.key() }));
    audit::record(&txn, entry).await?;
    txn.commit().await?;
    Ok(format!("{base_url}/invitation/{token}"))
}
