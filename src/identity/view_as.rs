//! "View as": vendor staff with `users.view_as` see the portal exactly as a partner user sees it,
//! to answer "what do you see?" without asking for passwords. Nothing can be changed meanwhile
//! (the session layer refuses every change), a banner says so on every page, and starting and
//! stopping are audited.

use std::net::SocketAddr;

use axum::Extension;
use axum::extract::{ConnectInfo, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use sea_orm::EntityTrait;
use serde_json::json;
use uuid::Uuid;

use super::entity::{session as session_row, user};
use super::session::{self, SessionId};
use crate::AppState;
use crate::audit::{self, Actor, Entry};
use crate::platform::error::{AppError, AppResult};
use crate::platform::scope::{Permission, Role, Scope, Side};

pub async fn start(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Extension(session_id): Extension<SessionId>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let partners = scope.partners(Permission::UsersViewAs)?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let viewed = user::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .filter(|u| partners.contains(u.organization_id))
        .filter(|u| Role::parse(&u.role).is_some_and(|r| r.side() == Side::Partner))
        .ok_or(AppError::NotFound)?;
    let txn = crate::platform::db::begin_write(&state.db).await?;
    session::set_view_as(&txn, &session_id.0, Some(viewed.id)).await?;
    let entry = Entry::by(&scope, &client, "view_as.started")
        .concerning(viewed.organization_id)
        .on("user", viewed.id)
        .with(json!({ "viewed": viewed.email }));
    audit::record(&txn, entry).await?;
    txn.commit().await?;
    Ok(Redirect::to("/").into_response())
}

pub async fn stop(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    session_id: Option<Extension<SessionId>>,
) -> AppResult<Response> {
    let Some(Extension(session_id)) = session_id else {
        return Ok(Redirect::to("/login").into_response());
    };
    let Some(row) = session_row::Entity::find_by_id(session_id.0.clone())
        .one(&state.db)
        .await?
    else {
        return Ok(Redirect::to("/login").into_response());
    };
    let Some(viewed) = row.view_as_user_id else {
        return Ok(Redirect::to("/").into_response());
    };
    let staff = user::Entity::find_by_id(row.user_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let viewed_organization = user::Entity::find_by_id(viewed)
        .one(&state.db)
        .await?
        .map(|u| u.organization_id);
    let txn = crate::platform::db::begin_write(&state.db).await?;
    session::set_view_as(&txn, &session_id.0, None).await?;
    audit::record(
        &txn,
        Entry {
            actor: Actor {
                user_id: Some(staff.id),
                label: staff.email,
            },
            organization_id: viewed_organization,
            action: "view_as.stopped",
            object_type: "user",
            object_id: viewed.to_string(),
            detail: json!({}),
            client_address: client.ip().to_string(),
        },
    )
    .await?;
    txn.commit().await?;
    let back = viewed_organization.map_or("/partners".to_owned(), |o| format!("/partners/{o}"));
    Ok(Redirect::to(&back).into_response())
}
