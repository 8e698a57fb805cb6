//! `/admin/roles`: the role → permission table, rendered from the same code that enforces it.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::AppState;
use crate::platform::error::AppResult;
use crate::platform::scope::{Permission, Role, Scope, Side};
use crate::platform::web::{Chrome, PageContext, render};

struct RoleColumn {
    label: &'static str,
    side: &'static str,
    key: &'static str,
    summary: &'static str,
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
}

pub async fn page(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
) -> AppResult<Response> {
    scope.require(Permission::RolesRead)?;
    let roles = Role::ALL
        .iter()
        .map(|role| RoleColumn {
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
    })
}
