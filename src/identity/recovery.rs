//! Forgotten passwords: a single-use link by mail, valid for 30 minutes. The request form answers
//! the same whether or not the address has an account, so it reveals nothing.

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use serde_json::json;

use super::entity::user;
use super::password::Password;
use super::session;
use super::tokens::{self, Purpose};
use crate::AppState;
use crate::audit::{self, Actor, Entry};
use crate::platform::error::AppResult;
use crate::platform::mail::{self, Mail};
use crate::platform::web::{Chrome, PageContext, render};

#[derive(Template)]
#[template(path = "identity/forgot.html")]
struct ForgotPage {
    chrome: Chrome,
    email: String,
    sent: bool,
}

pub async fn forgot_form(
    State(state): State<AppState>,
    context: PageContext,
) -> AppResult<Response> {
    render(&ForgotPage {
        chrome: Chrome::new(&state.instance, &context),
        email: String::new(),
        sent: false,
    })
}

/// Missing fields read as empty, so the handler (not the extractor) says what is wrong.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ForgotForm {
    email: String,
}

#[derive(Template)]
#[template(path = "mail/password_reset.txt")]
struct ResetMailText<'a> {
    name: &'a str,
    program: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/password_reset.html")]
struct ResetMailHtml<'a> {
    name: &'a str,
    program: &'a str,
    link: &'a str,
}

pub async fn forgot_submit(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    Form(form): Form<ForgotForm>,
) -> AppResult<Response> {
    let email = form.email.trim().to_lowercase();
    let account = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .filter(user::Column::Status.eq("active"))
        .one(&state.db)
        .await?;
    if let Some(account) = account {
        let txn = crate::platform::db::begin_write(&state.db).await?;
        let token = tokens::issue(&txn, account.id, Purpose::PasswordReset, None).await?;
        let link = format!("{}/password/reset/{token}", state.config.base_url);
        let (name, program) = (&account.display_name, &state.instance.program_name);
        mail::queue(
            &txn,
            Mail {
                to: account.email.clone(),
                subject: format!("Reset your {program} password"),
                text: ResetMailText {
                    name,
                    program,
                    link: &link,
                }
                .render()
                .map_err(anyhow::Error::from)?,
                html: ResetMailHtml {
                    name,
                    program,
                    link: &link,
                }
                .render()
                .map_err(anyhow::Error::from)?,
            },
        )
        .await?;
        audit::record(
            &txn,
            Entry {
                actor: Actor {
                    user_id: None,
                    label: email.clone(),
                },
                organization_id: Some(account.organization_id),
                action: "password.reset_requested",
                object_type: "user",
                object_id: account.id.to_string(),
                detail: json!({}),
                client_address: client.ip().to_string(),
            },
        )
        .await?;
        txn.commit().await?;
        state.mailer.kick(&state.db);
    }
    render(&ForgotPage {
        chrome: Chrome::new(&state.instance, &context),
        email: form.email.trim().to_owned(),
        sent: true,
    })
}

/// The form that sets a new password, shared by reset and invitation.
#[derive(Template)]
#[template(path = "identity/set_password.html")]
pub struct SetPasswordPage {
    pub chrome: Chrome,
    pub heading: &'static str,
    pub intro: String,
    pub action: String,
    pub button: &'static str,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "identity/link_expired.html")]
pub struct LinkExpiredPage {
    pub chrome: Chrome,
    pub what: &'static str,
    pub remedy_href: &'static str,
    pub remedy: &'static str,
}

pub async fn reset_form(
    State(state): State<AppState>,
    context: PageContext,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let chrome = Chrome::new(&state.instance, &context);
    match tokens::redeemable(&state.db, &token, Purpose::PasswordReset).await? {
        None => expired_reset_link(chrome),
        Some((_, account)) => render(&SetPasswordPage {
            chrome,
            heading: "Choose a new password",
            intro: format!("For {}.", account.email),
            action: format!("/password/reset/{token}"),
            button: "Save the new password",
            error: None,
        }),
    }
}

fn expired_reset_link(chrome: Chrome) -> AppResult<Response> {
    render(&LinkExpiredPage {
        chrome,
        what: "This password reset link has expired or was already used. Links work once, for 30 minutes.",
        remedy_href: "/password/forgot",
        remedy: "Ask for a new link",
    })
    .map(|page| (StatusCode::GONE, page).into_response())
}

/// Missing fields read as empty, so the handler (not the extractor) says what is wrong.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewPasswordForm {
    pub password: String,
    pub confirmation: String,
}

/// Checks a new password against the policy and its confirmation.
pub fn check_new_password(
    form: &NewPasswordForm,
    account: &user::Model,
) -> Result<Password, String> {
    if form.password != form.confirmation {
        return Err("The two passwords differ. Type the same password twice.".into());
    }
    Password::check(&form.password, &[&account.email, &account.display_name])
}

pub async fn reset_submit(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    Path(token): Path<String>,
    Form(form): Form<NewPasswordForm>,
) -> AppResult<Response> {
    let chrome = Chrome::new(&state.instance, &context);
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let Some((token_row, account)) =
        tokens::redeemable(&txn, &token, Purpose::PasswordReset).await?
    else {
        return expired_reset_link(chrome);
    };
    let password = match check_new_password(&form, &account) {
        Ok(password) => password,
        Err(error) => {
            return render(&SetPasswordPage {
                chrome,
                heading: "Choose a new password",
                intro: format!("For {}.", account.email),
                action: format!("/password/reset/{token}"),
                button: "Save the new password",
                error: Some(error),
            })
            .map(|page| (StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    user::ActiveModel {
        id: Set(account.id),
        password_hash: Set(Some(password.hash())),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    tokens::use_up(&txn, &token_row).await?;
    // Whoever knew the old password is signed out everywhere.
    session::end_all(&txn, account.id).await?;
    let entry = Entry::for_account(
        account.id,
        &account.email,
        account.organization_id,
        "password.reset",
        client.ip().to_string(),
    );
    audit::record(&txn, entry).await?;
    txn.commit().await?;
    Ok(Redirect::to("/login?password_changed=1").into_response())
}
