//! `/admin/staff`: the vendor's people and the partners each one looks after.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::entity::staff_assignment;
use super::store;
use crate::AppState;
use crate::orgs::store as orgs;
use crate::platform::error::AppResult;
use crate::platform::scope::{Permission, Role, Scope};
use crate::platform::time::format_date;
use crate::platform::web::{Chrome, PageContext, render};

struct StaffRow {
    name: String,
    email: String,
    role: &'static str,
    status: String,
    last_sign_in: String,
    /// Assigned partners as (id, name); `None` for roles that reach all partners.
    partners: Option<Vec<(Uuid, String)>>,
}

#[derive(Template)]
#[template(path = "identity/staff.html")]
struct StaffPage {
    chrome: Chrome,
    rows: Vec<StaffRow>,
}

pub async fn page(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
) -> AppResult<Response> {
    scope.require(Permission::PartnersManage)?;
    let people = store::users_of(&state.db, scope.organization_id).await?;
    let assignments = staff_assignment::Entity::find()
        .filter(staff_assignment::Column::StaffUserId.is_in(people.iter().map(|p| p.id)))
        .all(&state.db)
        .await?;
    let partner_ids: Vec<Uuid> = assignments.iter().map(|a| a.partner_id).collect();
    let names = orgs::names_of(&state.db, &partner_ids).await?;
    let mut by_staff: BTreeMap<Uuid, Vec<(Uuid, String)>> = BTreeMap::new();
    for assignment in assignments {
        let name = names
            .get(&assignment.partner_id)
            .cloned()
            .unwrap_or_default();
        by_staff
            .entry(assignment.staff_user_id)
            .or_default()
            .push((assignment.partner_id, name));
    }
    let rows = people
        .into_iter()
        .map(|person| {
            let role = Role::parse(&person.role);
            let works_by_assignment = role.is_some_and(|r| {
                r.reach(Permission::PartnersRead) == Some(crate::platform::scope::Reach::Assigned)
            });
            let mut partners = by_staff.remove(&person.id).unwrap_or_default();
            partners.sort_by(|a, b| a.1.cmp(&b.1));
            StaffRow {
                role: role.map_or("Unknown role", Role::label),
                partners: works_by_assignment.then_some(partners),
                last_sign_in: person
                    .last_login_at
                    .map_or_else(|| "never".to_owned(), format_date),
                name: person.display_name,
                email: person.email,
                status: person.status,
            }
        })
        .collect();
    render(&StaffPage {
        chrome: Chrome::new(&state.instance, &context),
        rows,
    })
}
