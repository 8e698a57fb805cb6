//! Two-factor sign-in with time-based one-time codes (RFC 6238, any authenticator app). A code
//! works once: the last accepted time step is stored. Vendor administrators must use it, admins
//! may require it of other roles (`policy`); everyone else may turn it on from their profile.

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use qrcode::QrCode;
use qrcode::render::svg;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DbErr, EntityTrait};
use serde::Deserialize;
use totp_rs::{Builder, Secret, Totp};
use uuid::Uuid;

use super::entity::user;
use crate::AppState;
use crate::audit::{self, Entry};
use crate::platform::db::Db;
use crate::platform::error::{AppError, AppResult};
use crate::platform::scope::Scope;
use crate::platform::web::{Chrome, PageContext, render};

fn totp(secret_base32: &str, account: &str, issuer: &str) -> Option<Totp> {
    let secret = Secret::try_from_base32(secret_base32).ok()?;
    Builder::new()
        .with_secret(secret)
        .with_account_name(account)
        .with_issuer(Some(issuer.replace(':', " ")))
        .build()
        .ok()
}

fn now_seconds() -> u64 {
    u64::try_from(crate::platform::time::now().unix_timestamp()).unwrap_or_default()
}

/// The time step a code matches for this secret, if it does.
fn matching_step(secret_base32: &str, code: &str) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    totp(secret_base32, "", "")?.check(&code, now_seconds())
}

/// A fresh secret, in the base32 form authenticator apps take.
pub fn new_secret() -> String {
    Secret::generate().to_base32()
}

/// The current code for a secret (the demo prints it; tests type it).
pub fn current_code(secret_base32: &str) -> Option<String> {
    Some(
        totp(secret_base32, "", "")?
            .generate(now_seconds())
            .to_string(),
    )
}

/// The step of a valid, not yet used code of the user's active secret.
pub fn accepts(account: &user::Model, code: &str) -> Option<u64> {
    let step = matching_step(account.totp_secret.as_deref()?, code)?;
    let last = account.totp_last_step.and_then(|s| u64::try_from(s).ok());
    last.is_none_or(|last| step > last).then_some(step)
}

pub async fn mark_used(db: &Db, user_id: Uuid, step: u64) -> Result<(), DbErr> {
    user::ActiveModel {
        id: Set(user_id),
        totp_last_step: Set(i64::try_from(step).ok()),
        ..Default::default()
    }
    .update(db)
    .await
    .map(|_| ())
}

#[derive(Template)]
#[template(path = "identity/two_factor.html")]
struct TwoFactorPage {
    chrome: Chrome,
    enabled: bool,
    required: bool,
    /// Enrolment: the QR code as inline SVG, and the key grouped for typing.
    qr_svg: String,
    key_groups: String,
    error: Option<String>,
    flash: Option<&'static str>,
}

async fn account_of(db: &Db, scope: &Scope) -> AppResult<user::Model> {
    user::Entity::find_by_id(scope.user_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

async fn show(
    state: &AppState,
    context: &PageContext,
    scope: &Scope,
    error: Option<String>,
    flash: Option<&'static str>,
) -> AppResult<Response> {
    let mut account = account_of(&state.db, scope).await?;
    let enabled = account.totp_secret.is_some();
    let (mut qr_svg, mut key_groups) = (String::new(), String::new());
    if !enabled {
        if account.totp_pending_secret.is_none() && !scope.read_only_view {
            let secret = new_secret();
            account = user::ActiveModel {
                id: Set(account.id),
                totp_pending_secret: Set(Some(secret)),
                ..Default::default()
            }
            .update(&state.db)
            .await?;
        }
        if let Some(secret) = &account.totp_pending_secret {
            let issuer = &state.instance.program_name;
            let url = totp(secret, &account.email, issuer)
                .and_then(|t| t.to_url().ok())
                .unwrap_or_default();
            qr_svg = QrCode::new(url.as_bytes())
                .map(|qr| qr.render::<svg::Color>().min_dimensions(200, 200).build())
                .unwrap_or_default();
            key_groups = secret
                .as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join(" ");
        }
    }
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(&TwoFactorPage {
        chrome: Chrome::new(&state.instance, context),
        enabled,
        required: super::policy::second_factor_required(&state.db, scope.role).await?,
        qr_svg,
        key_groups,
        error,
        flash,
    })
    .map(|page| (status, page).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    done: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    axum::extract::Query(query): axum::extract::Query<PageQuery>,
) -> AppResult<Response> {
    let flash = query.done.map(|_| "Two-factor sign-in is on.");
    show(&state, &context, &scope, None, flash).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CodeForm {
    code: String,
}

pub async fn enable(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Form(form): Form<CodeForm>,
) -> AppResult<Response> {
    scope.require_own_account_change()?;
    let account = account_of(&state.db, &scope).await?;
    let step = account
        .totp_pending_secret
        .as_deref()
        .and_then(|secret| matching_step(secret, &form.code));
    let Some(step) = step else {
        let error = "That code does not match. Check that the app shows this portal's entry and \
                     type the code it shows now.";
        return show(&state, &context, &scope, Some(error.into()), None).await;
    };
    let txn = crate::platform::db::begin_write(&state.db).await?;
    user::ActiveModel {
        id: Set(account.id),
        totp_secret: Set(account.totp_pending_secret.clone()),
        totp_pending_secret: Set(None),
        totp_last_step: Set(i64::try_from(step).ok()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        Entry::by(&scope, &client, "second_factor.enabled").on("user", scope.user_id),
    )
    .await?;
    txn.commit().await?;
    Ok(Redirect::to("/profile/two-factor?done=1").into_response())
}

pub async fn disable(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Form(form): Form<CodeForm>,
) -> AppResult<Response> {
    scope.require_own_account_change()?;
    if super::policy::second_factor_required(&state.db, scope.role).await? {
        return Err(AppError::Forbidden);
    }
    let account = account_of(&state.db, &scope).await?;
    let Some(step) = accepts(&account, &form.code) else {
        let error = "That code is not right. Type the code your app shows now to turn two-factor \
                     sign-in off.";
        return show(&state, &context, &scope, Some(error.into()), None).await;
    };
    let txn = crate::platform::db::begin_write(&state.db).await?;
    user::ActiveModel {
        id: Set(account.id),
        totp_secret: Set(None),
        totp_last_step: Set(i64::try_from(step).ok()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        Entry::by(&scope, &client, "second_factor.disabled").on("user", scope.user_id),
    )
    .await?;
    txn.commit().await?;
    Ok(Redirect::to("/profile/two-factor").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_from_the_secret_matches_and_a_wrong_one_does_not() {
        let secret = new_secret();
        let code = current_code(&secret).unwrap();
        assert_eq!(code.len(), 6);
        assert!(matching_step(&secret, &code).is_some());
        assert!(matching_step(&secret, &format!("{} {}", &code[..3], &code[3..])).is_some());
        let wrong = if code == "000000" { "111111" } else { "000000" };
        assert!(matching_step(&secret, wrong).is_none());
        assert!(matching_step("not base32!", &code).is_none());
    }
}
