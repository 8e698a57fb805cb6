//! The identity API: who a token acts for, and the users of its organisation.

use axum::Json;
use axum::extract::{Extension, State};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::store;
use crate::AppState;
use crate::platform::api::{ApiCaller, ApiResult, ProblemDocument, moment};
use crate::platform::scope::{Permission, Role, Scope};
use crate::platform::web::Viewer;

/// The token in use and the person it acts for.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiMe {
    pub token_id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: String,
    /// `vendor` or `partner`.
    pub side: String,
    pub organization_id: Uuid,
    pub organization_name: String,
    /// What this token may do: its permissions that its maker's role still holds.
    pub permissions: Vec<String>,
}

/// Who the token acts for, and what it may do.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "identity",
    responses(
        (status = 200, description = "The token and its maker", body = ApiMe),
        (status = 401, description = "No valid token", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn me(
    scope: Scope,
    Extension(caller): Extension<ApiCaller>,
    Extension(viewer): Extension<Viewer>,
) -> Json<ApiMe> {
    Json(ApiMe {
        token_id: caller.token_id,
        user_id: scope.user_id,
        name: viewer.display_name,
        email: scope.email.clone(),
        role: scope.role.key().to_owned(),
        side: side_key(scope.role).to_owned(),
        organization_id: scope.organization_id,
        organization_name: viewer.organization_name,
        permissions: Permission::ALL
            .iter()
            .filter(|p| scope.can(**p))
            .map(|p| p.key().to_owned())
            .collect(),
    })
}

fn side_key(role: Role) -> &'static str {
    match role.side() {
        crate::platform::scope::Side::Vendor => "vendor",
        crate::platform::scope::Side::Partner => "partner",
    }
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiUser {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: String,
    /// `invited`, `active` or `deactivated`.
    pub status: String,
    #[schema(format = DateTime)]
    pub last_sign_in_at: Option<String>,
}

/// The users of the token's organisation, by name.
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "identity",
    responses(
        (status = 200, description = "The users", body = Vec<ApiUser>),
        (status = 403, description = "The token lacks users.read", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn users(State(state): State<AppState>, scope: Scope) -> ApiResult<Json<Vec<ApiUser>>> {
    scope.require(Permission::UsersRead)?;
    let people = store::users_of(&state.db, scope.organization_id).await?;
    Ok(Json(
        people
            .into_iter()
            .map(|u| ApiUser {
                id: u.id,
                name: u.display_name,
                email: u.email,
                role: u.role,
                status: u.status,
                last_sign_in_at: u.last_login_at.map(moment),
            })
            .collect(),
    ))
}
