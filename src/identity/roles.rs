//! `/admin/roles`: the role → permission table, rendered from the same code that enforces it.

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::policy;
use crate::audit::{self, Entry};
use crate::platform::error::AppError;

use crate::AppState;
use crate::platform::error::AppResult;
use crate::platform::scope::{Permission, Role, Scope, Side};
use crate::platform::web::{Chrome, PageContext, redirect_with_notice, render};

struct RoleColumn {
    label: &'static str,
    side: &'static str,
    key: &'static str,
    summary: &'static str,
    /// Two-factor sign-in: required by the code itself, by an admin's policy, or optional.
    second_factor: &'static str,
    second_factor_fixed: bool,
    second_factor_required: bool,
}

struct PermissionRow {
    key: &'static str,
    description: &'static str,
    /// One cell per role: how far the permission reaches, or empty.
    cells: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "identity/roles.html")]
struct RolesPage {
    chrome: Chrome,
    roles: Vec<RoleColumn>,
    rows: Vec<PermissionRow>,
    can_set_policy: bool,
    flash: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RolesQuery {
    done: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Query(query): Query<RolesQuery>,
) -> AppResult<Response> {
    scope.require(Permission::RolesRead)?;
    let by_policy = policy::roles_requiring_second_factor(&state.db).await?;
    let roles = Role::ALL
        .iter()
        .map(|role| RoleColumn {
            second_factor_fixed: role.requires_second_factor(),
            second_factor_required: role.requires_second_factor() || by_policy.contains(role),
            second_factor: if role.requires_second_factor() {
                "always required"
            } else if by_policy.contains(role) {
                "required"
            } else {
                "optional"
            },
            label: role.label(),
            side: match role.side() {
                Side::Vendor => "Vendor",
                Side::Partner => "Partner",
            },
            key: role.key(),
            summary: role.summary(),
        })
        .collect();
    let rows = Permission::ALL
        .iter()
        .map(|permission| PermissionRow {
            key: permission.key(),
            description: permission.description(),
            cells: Role::ALL
                .iter()
                .map(|role| role.reach(*permission).map_or("", |reach| reach.label()))
                .collect(),
        })
        .collect();
    render(&RolesPage {
        chrome: Chrome::new(&state.instance, &context),
        roles,
        rows,
        can_set_policy: scope.can(Permission::SettingsManage),
        flash: query.done,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PolicyForm {
    required: String,
}

/// Requires (or stops requiring) two-factor sign-in for a role.
pub async fn set_second_factor_policy(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(role): Path<String>,
    Form(form): Form<PolicyForm>,
) -> AppResult<Response> {
    scope.require(Permission::SettingsManage)?;
    let role = Role::parse(&role).ok_or(AppError::NotFound)?;
    if role.requires_second_factor() {
        return Err(AppError::Forbidden);
    }
    let required = form.required == "yes";
    let txn = crate::platform::db::begin_write(&state.db).await?;
    policy::set_second_factor_required(&txn, role, required).await?;
    let entry = Entry::by(&scope, &client, "role.second_factor_policy_changed")
        .on("role", role.key())
        .with(json!({ "required": required }));
    audit::record(&txn, entry).await?;
    txn.commit().await?;
    let message = format!(
        "Two-factor sign-in is now {} for {} ({}).",
        if required { "required" } else { "optional" },
        role.label(),
        match role.side() {
            Side::Vendor => "vendor",
            Side::Partner => "partner",
        }
    );
    Ok(redirect_with_notice("/admin/roles", &message))
}
