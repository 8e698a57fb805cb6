//! `/profile`: a user's own account: name, password, and signing out everywhere.

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde::Deserialize;
use serde_json::json;

use super::entity::user;
use super::password::{self, Password};
use super::session::{self, SessionId};
use crate::AppState;
use crate::audit::{self, Entry};
use crate::platform::error::{AppError, AppResult};
use crate::platform::scope::Scope;
use crate::platform::web::{Chrome, PageContext, redirect_with_notice, render};

#[derive(Template)]
#[template(path = "identity/profile.html")]
struct ProfilePage {
    chrome: Chrome,
    account: user::Model,
    flash: Option<String>,
    name_error: Option<String>,
    password_error: Option<String>,
    sessions: u64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProfileQuery {
    done: Option<String>,
}

async fn account_of(state: &AppState, scope: &Scope) -> AppResult<user::Model> {
    user::Entity::find_by_id(scope.user_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)
}

async fn show(
    state: &AppState,
    context: &PageContext,
    scope: &Scope,
    flash: Option<String>,
    name_error: Option<String>,
    password_error: Option<String>,
) -> AppResult<Response> {
    let account = account_of(state, scope).await?;
    let sessions = session::count_for(&state.db, scope.user_id).await?;
    let status = if name_error.is_some() || password_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(&ProfilePage {
        chrome: Chrome::new(&state.instance, context),
        account,
        flash,
        name_error,
        password_error,
        sessions,
    })
    .map(|page| (status, page).into_response())
}

pub async fn page(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Query(query): Query<ProfileQuery>,
) -> AppResult<Response> {
    show(&state, &context, &scope, query.done, None, None).await
}

fn done(message: &str) -> Response {
    redirect_with_notice("/profile", message)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NameForm {
    display_name: String,
}

pub async fn rename(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Form(form): Form<NameForm>,
) -> AppResult<Response> {
    scope.require_own_account_change()?;
    let name = form.display_name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        let error = "Enter your name as colleagues should see it (at most 100 characters).";
        return show(&state, &context, &scope, None, Some(error.into()), None).await;
    }
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let before = user::Entity::find_by_id(scope.user_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    user::ActiveModel {
        id: Set(scope.user_id),
        display_name: Set(name.to_owned()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let entry = Entry::by(&scope, &client, "user.renamed")
        .on("user", scope.user_id)
        .with(json!({ "from": before.display_name, "to": name }));
    audit::record(&txn, entry).await?;
    txn.commit().await?;
    Ok(done("Your name is saved."))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordChangeForm {
    current: String,
    password: String,
    confirmation: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    session_id: axum::Extension<SessionId>,
    Form(form): Form<PasswordChangeForm>,
) -> AppResult<Response> {
    scope.require_own_account_change()?;
    let account = account_of(&state, &scope).await?;
    let current_ok = account.password_hash.is_some()
        && password::check(&form.current, account.password_hash.as_deref()).await;
    let checked = if !current_ok {
        Err("Your current password is not right. Type it again.".to_owned())
    } else if form.password != form.confirmation {
        Err("The two new passwords differ. Type the same password twice.".to_owned())
    } else {
        Password::check(&form.password, &[&account.email, &account.display_name])
    };
    let new_password = match checked {
        Ok(password) => password,
        Err(error) => return show(&state, &context, &scope, None, None, Some(error)).await,
    };
    let txn = crate::platform::db::begin_write(&state.db).await?;
    user::ActiveModel {
        id: Set(account.id),
        password_hash: Set(Some(new_password.hash())),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    // Other devices signed in with the old password are signed out; this one stays.
    let ended = session::end_all_except(&txn, account.id, &session_id.0.0).await?;
    let entry = Entry::by(&scope, &client, "password.changed")
        .on("user", scope.user_id)
        .with(json!({ "other_sessions_ended": ended }));
    audit::record(&txn, entry).await?;
    txn.commit().await?;
    Ok(done(
        "Your password is changed. Other devices were signed out.",
    ))
}

pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
) -> AppResult<Response> {
    scope.require_own_account_change()?;
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let ended = session::end_all(&txn, scope.user_id).await?;
    let entry = Entry::by(&scope, &client, "logout.everywhere")
        .on("user", scope.user_id)
        .with(json!({ "sessions_ended": ended }));
    audit::record(&txn, entry).await?;
    txn.commit().await?;
    Ok(session::without_cookie(
        &state,
        Redirect::to("/login?signed_out=1").into_response(),
    ))
}
