//! Sign-in and sign-out. Wrong e-mail and wrong password get the same answer in the same time,
//! so the form never tells whether an address has an account. Repeated failures for one
//! address, or from one client, make the next attempt wait longer and longer.

use std::net::SocketAddr;

use ::time::Duration;
use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde::Deserialize;
use serde_json::json;

use super::entity::user;
use super::session::PendingSecondFactor;
use super::{password, second_factor, session};
use crate::AppState;
use crate::audit::{self, Actor, Entry};
use crate::platform::error::AppResult;
use crate::platform::web::{Chrome, PageContext, render};
use crate::platform::{db::Db, time};

/// Failures tolerated in the window before sign-in starts to wait.
const FREE_FAILURES: u64 = 5;
const FAILURE_WINDOW: Duration = Duration::minutes(15);

#[derive(Template)]
#[template(path = "identity/login.html")]
struct LoginPage {
    chrome: Chrome,
    email: String,
    next: String,
    error: Option<String>,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    signed_out: Option<String>,
    password_changed: Option<String>,
}

pub async fn form(
    State(state): State<AppState>,
    context: PageContext,
    Query(query): Query<LoginQuery>,
) -> AppResult<Response> {
    if context.viewer.is_some() {
        return Ok(Redirect::to(&safe_next(query.next.as_deref())).into_response());
    }
    render(&LoginPage {
        chrome: Chrome::new(&state.instance, &context),
        email: String::new(),
        next: safe_next(query.next.as_deref()),
        error: None,
        notice: if query.password_changed.is_some() {
            Some("Your password is changed. Sign in with the new one.")
        } else {
            query.signed_out.map(|_| "You are signed out.")
        },
    })
}

/// Missing fields read as empty, so the handler (not the extractor) says what is wrong.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let email = form.email.trim().to_lowercase();
    let client_address = client.ip().to_string();
    let next = safe_next(form.next.as_deref());
    let refuse = |error: String, status: StatusCode| -> AppResult<Response> {
        let page = LoginPage {
            chrome: Chrome::new(&state.instance, &context),
            email: form.email.trim().to_owned(),
            next: next.clone(),
            error: Some(error),
            notice: None,
        };
        render(&page).map(|r| (status, r).into_response())
    };

    if let Some(wait) = throttled_for(&state.db, &email, &client_address).await? {
        return refuse(
            format!(
                "Too many failed sign-ins for this address or from this network. Try again in \
                 {wait} minute{}.",
                if wait == 1 { "" } else { "s" }
            ),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }

    let account = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&state.db)
        .await?;
    // An unknown or inactive account spends the time of a real check too.
    let stored_hash = account
        .as_ref()
        .filter(|found| found.status == "active")
        .and_then(|found| found.password_hash.as_deref());
    let verified = password::check(&form.password, stored_hash).await;
    let Some(account) = account.filter(|_| verified) else {
        let failed = Entry {
            actor: Actor {
                user_id: None,
                label: email.chars().take(200).collect(),
            },
            organization_id: None,
            action: "login.failed",
            object_type: "user",
            object_id: String::new(),
            detail: json!({}),
            client_address,
        };
        audit::record_alone(&state.db, failed).await?;
        return refuse(
            "That e-mail and password do not match an active account. Check both and try again."
                .into(),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };

    if account.totp_secret.is_some() {
        // The password was right; the session grants nothing until the code is given.
        let txn = crate::platform::db::begin_write(&state.db).await?;
        let token = session::start(&txn, account.id, &client_address, true).await?;
        audit::record(
            &txn,
            login_entry(&account, "login.password_verified", client_address),
        )
        .await?;
        txn.commit().await?;
        let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
        return Ok(session::with_cookie(
            &state,
            Redirect::to(&format!("/login/second-factor?next={next}")).into_response(),
            &token,
        ));
    }
    complete_sign_in(&state, &account, client_address, &next, None).await
}

fn login_entry(account: &user::Model, action: &'static str, client_address: String) -> Entry {
    Entry::for_account(
        account.id,
        &account.email,
        account.organization_id,
        action,
        client_address,
    )
}

/// Opens the full session (a new id: never the one that waited for the second factor) and
/// sends the user on.
async fn complete_sign_in(
    state: &AppState,
    account: &user::Model,
    client_address: String,
    next: &str,
    replaces_session: Option<&str>,
) -> AppResult<Response> {
    let txn = crate::platform::db::begin_write(&state.db).await?;
    if let Some(pending) = replaces_session {
        session::end(&txn, pending).await?;
    }
    let token = session::start(&txn, account.id, &client_address, false).await?;
    user::ActiveModel {
        id: Set(account.id),
        last_login_at: Set(Some(time::now())),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        login_entry(account, "login.succeeded", client_address),
    )
    .await?;
    txn.commit().await?;
    Ok(session::with_cookie(
        state,
        Redirect::to(next).into_response(),
        &token,
    ))
}

#[derive(Template)]
#[template(path = "identity/second_factor.html")]
struct SecondFactorPage {
    chrome: Chrome,
    next: String,
    error: Option<String>,
}

pub async fn second_factor_form(
    State(state): State<AppState>,
    context: PageContext,
    pending: Option<Extension<PendingSecondFactor>>,
    Query(query): Query<LoginQuery>,
) -> AppResult<Response> {
    if pending.is_none() {
        return Ok(Redirect::to("/login").into_response());
    }
    render(&SecondFactorPage {
        chrome: Chrome::new(&state.instance, &context),
        next: safe_next(query.next.as_deref()),
        error: None,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SecondFactorForm {
    code: String,
    next: Option<String>,
}

pub async fn second_factor_submit(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    pending: Option<Extension<PendingSecondFactor>>,
    Form(form): Form<SecondFactorForm>,
) -> AppResult<Response> {
    let Some(Extension(pending)) = pending else {
        return Ok(Redirect::to("/login").into_response());
    };
    let next = safe_next(form.next.as_deref());
    let account = user::Entity::find_by_id(pending.user_id)
        .one(&state.db)
        .await?
        .ok_or(crate::platform::error::AppError::NotFound)?;
    let client_address = client.ip().to_string();
    let refuse = |error: String, status: StatusCode| -> AppResult<Response> {
        let page = SecondFactorPage {
            chrome: Chrome::new(&state.instance, &context),
            next: next.clone(),
            error: Some(error),
        };
        render(&page).map(|r| (status, r).into_response())
    };
    if let Some(wait) = throttled_for(&state.db, &account.email, &client_address).await? {
        return refuse(
            format!(
                "Too many wrong codes. Try again in {wait} minute{}.",
                if wait == 1 { "" } else { "s" }
            ),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let Some(step) = second_factor::accepts(&account, &form.code) else {
        let entry = login_entry(&account, "login.failed", client_address)
            .with(json!({ "stage": "second_factor" }));
        audit::record_alone(&state.db, entry).await?;
        return refuse(
            "That code is not right. Codes change every 30 seconds: type the one your app shows now."
                .into(),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    second_factor::mark_used(&state.db, account.id, step).await?;
    complete_sign_in(
        &state,
        &account,
        client_address,
        &next,
        Some(&pending.session_id),
    )
    .await
}

pub async fn sign_out(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    session_id: Option<Extension<session::SessionId>>,
) -> AppResult<Response> {
    if let Some(Extension(id)) = session_id {
        // The session's own user signs out, even while viewing the portal as someone else.
        let row = super::entity::session::Entity::find_by_id(id.0.clone())
            .one(&state.db)
            .await?;
        let account = match &row {
            Some(row) => user::Entity::find_by_id(row.user_id).one(&state.db).await?,
            None => None,
        };
        let txn = crate::platform::db::begin_write(&state.db).await?;
        session::end(&txn, &id.0).await?;
        if let Some(account) = account {
            audit::record(
                &txn,
                login_entry(&account, "logout", client.ip().to_string()),
            )
            .await?;
        }
        txn.commit().await?;
    }
    Ok(session::without_cookie(
        &state,
        Redirect::to("/login?signed_out=1").into_response(),
    ))
}

/// Minutes to wait before the next attempt, when recent failures for this address or from this
/// client passed the free allowance: 1, 2, 4 … up to 60 minutes after the last failure.
async fn throttled_for(db: &Db, email: &str, client_address: &str) -> AppResult<Option<i64>> {
    let since = time::now() - FAILURE_WINDOW;
    let recent = |column: audit::Column, value: &str| {
        audit::Entity::find()
            .filter(audit::Column::Action.eq("login.failed"))
            .filter(audit::Column::At.gt(since))
            .filter(column.eq(value))
    };
    let by_account = recent(audit::Column::ActorLabel, email).count(db).await?;
    // A shared office network gets more room than one account.
    let by_client = recent(audit::Column::ClientAddress, client_address)
        .count(db)
        .await?
        / 4;
    let failures = by_account.max(by_client);
    if failures < FREE_FAILURES {
        return Ok(None);
    }
    let last = audit::last_failed_login(db, email, client_address).await?;
    let penalty_minutes = 1_i64 << (failures - FREE_FAILURES).min(6);
    let penalty = Duration::minutes(penalty_minutes.min(60));
    let remaining = last.map(|at| at + penalty - time::now());
    Ok(remaining
        .filter(|left| left.is_positive())
        .map(|left| left.whole_minutes() + 1))
}

/// Only local paths: `next` must never send a user to another site after signing in.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(
            safe_next(Some("/orders?status=open")),
            "/orders?status=open"
        );
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
