//! An organisation's users, managed by its own administrators: invite colleagues by e-mail,
//! change roles, deactivate and reactivate. Delegation has guardrails: nobody hands out a role
//! above their own, or changes their own account here.

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::entity::user;
use super::recovery::{LinkExpiredPage, NewPasswordForm, SetPasswordPage, check_new_password};
use super::session;
use super::store;
use super::tokens::{self, Purpose};
use crate::AppState;
use crate::audit::{self, Entry};
use crate::platform::error::{AppError, AppResult};
use crate::platform::mail::{self, Mail};
use crate::platform::scope::{Permission, Role, Scope};
use crate::platform::time;
use crate::platform::time::format_date;
use crate::platform::web::{Chrome, PageContext, redirect_with_notice, render};

struct UserRow {
    id: Uuid,
    name: String,
    email: String,
    role: &'static str,
    status: String,
    status_tone: &'static str,
    last_sign_in: String,
    /// The viewer may change this account (not their own, not above their role).
    manageable: bool,
    second_factor: bool,
}

struct RoleOption {
    key: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "identity/users.html")]
struct UsersPage {
    chrome: Chrome,
    rows: Vec<UserRow>,
    can_manage: bool,
    assignable: Vec<RoleOption>,
    flash: Option<String>,
    invite: InviteForm,
    errors: Vec<(&'static str, String)>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct InviteForm {
    email: String,
    name: String,
    role: String,
}

#[derive(Deserialize)]
pub struct UsersQuery {
    done: Option<String>,
}

fn status_tone(status: &str) -> &'static str {
    match status {
        "active" => "green",
        "invited" => "blue",
        _ => "red",
    }
}

fn assignable_roles(scope: &Scope, selected: &str) -> Vec<RoleOption> {
    Role::ALL
        .iter()
        .filter(|role| scope.role.may_assign(**role))
        .map(|role| RoleOption {
            key: role.key(),
            label: role.label(),
            selected: role.key() == selected,
        })
        .collect()
}

async fn page(
    state: &AppState,
    context: &PageContext,
    scope: &Scope,
    flash: Option<String>,
    invite: InviteForm,
    errors: Vec<(&'static str, String)>,
) -> AppResult<Response> {
    scope.require(Permission::UsersRead)?;
    let can_manage = scope.can(Permission::UsersManage);
    let accounts = user::Entity::find()
        .filter(user::Column::OrganizationId.eq(scope.organization_id))
        .order_by_asc(user::Column::DisplayName)
        .all(&state.db)
        .await?;
    let rows = accounts
        .into_iter()
        .map(|account| {
            let role = Role::parse(&account.role);
            UserRow {
                manageable: can_manage
                    && account.id != scope.user_id
                    && role.is_some_and(|r| scope.role.may_assign(r)),
                id: account.id,
                name: account.display_name,
                email: account.email,
                role: role.map_or("Unknown role", Role::label),
                status_tone: status_tone(&account.status),
                second_factor: account.totp_secret.is_some(),
                status: account.status,
                last_sign_in: account
                    .last_login_at
                    .map_or_else(|| "never".to_owned(), format_date),
            }
        })
        .collect();
    let assignable = assignable_roles(scope, &invite.role);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(&UsersPage {
        chrome: Chrome::new(&state.instance, context),
        rows,
        can_manage,
        assignable,
        flash,
        invite,
        errors,
    })
    .map(|page| (status, page).into_response())
}

pub async fn list(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Query(query): Query<UsersQuery>,
) -> AppResult<Response> {
    page(
        &state,
        &context,
        &scope,
        query.done,
        InviteForm::default(),
        Vec::new(),
    )
    .await
}

/// A plausible address: one `@`, something before it, a dotted domain after it, no spaces.
pub(crate) fn parse_email(text: &str) -> Option<String> {
    let email = text.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let plausible = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && email.len() <= 254
        && !email.contains(char::is_whitespace);
    plausible.then_some(email)
}

#[derive(Template)]
#[template(path = "mail/invitation.txt")]
struct InvitationText<'a> {
    name: &'a str,
    inviter: &'a str,
    organization: &'a str,
    program: &'a str,
    role: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/invitation.html")]
struct InvitationHtml<'a> {
    name: &'a str,
    inviter: &'a str,
    organization: &'a str,
    program: &'a str,
    role: &'a str,
    link: &'a str,
}

pub async fn invite(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Form(form): Form<InviteForm>,
) -> AppResult<Response> {
    scope.require(Permission::UsersManage)?;
    let mut errors = Vec::new();
    let email = parse_email(&form.email);
    if email.is_none() {
        errors.push((
            "email",
            "Enter the colleague's e-mail address, like name@company.com.".to_owned(),
        ));
    }
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push((
            "name",
            "Enter the colleague's name (at most 100 characters).".to_owned(),
        ));
    }
    let role = Role::parse(&form.role).filter(|r| scope.role.may_assign(*r));
    if role.is_none() {
        errors.push((
            "role",
            "Choose one of the roles listed; you can hand out roles up to your own.".to_owned(),
        ));
    }
    if let Some(email) = &email {
        let taken = user::Entity::find()
            .filter(user::Column::Email.eq(email))
            .one(&state.db)
            .await?
            .is_some();
        if taken {
            errors.push((
                "email",
                format!("{email} already has an account. Each address can have one."),
            ));
        }
    }
    let (Some(email), Some(role), true) = (email, role, errors.is_empty()) else {
        return page(&state, &context, &scope, None, form, errors).await;
    };

    let viewer = context.viewer.as_ref().ok_or(AppError::NotFound)?;
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let (invited, token) = store::invite_user(
        &txn,
        scope.organization_id,
        &email,
        name,
        role,
        Some(scope.user_id),
    )
    .await?;
    queue_invitation(&txn, &state, &invited, role, viewer, &token).await?;
    audit::record(
        &txn,
        Entry::by(&scope, &client, "user.invited")
            .on("user", invited.id)
            .with(json!({ "email": email, "role": role.key() })),
    )
    .await?;
    txn.commit().await?;
    state.mailer.kick(&state.db);
    Ok(done(format!(
        "Invitation sent to {email}. The link in it works for 7 days."
    )))
}

/// Writes the invitation mail for `invited` to the outbox (sent after the transaction commits).
pub(crate) async fn queue_invitation(
    txn: &sea_orm::DatabaseTransaction,
    state: &AppState,
    invited: &user::Model,
    role: Role,
    inviter: &crate::platform::web::Viewer,
    token: &str,
) -> AppResult<()> {
    let link = format!("{}/invitation/{token}", state.config.base_url);
    let program = state.instance.program_name.as_str();
    let text = InvitationText {
        name: &invited.display_name,
        inviter: &inviter.display_name,
        organization: &inviter.organization_name,
        program,
        role: role.label(),
        link: &link,
    };
    let html = InvitationHtml {
        name: text.name,
        inviter: text.inviter,
        organization: text.organization,
        program,
        role: text.role,
        link: &link,
    };
    mail::queue(
        txn,
        Mail {
            to: invited.email.clone(),
            subject: format!("{} invites you to {program}", inviter.display_name),
            text: text.render().map_err(anyhow::Error::from)?,
            html: html.render().map_err(anyhow::Error::from)?,
        },
    )
    .await?;
    Ok(())
}

/// A colleague the viewer may manage, or 404 (another organisation, or unknown) / 403 (their
/// own account, or a role above the viewer's).
async fn manageable_user(state: &AppState, scope: &Scope, id: &str) -> AppResult<user::Model> {
    scope.require(Permission::UsersManage)?;
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    let account = user::Entity::find_by_id(id)
        .filter(user::Column::OrganizationId.eq(scope.organization_id))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let within_rights = Role::parse(&account.role).is_some_and(|r| scope.role.may_assign(r));
    if account.id == scope.user_id || !within_rights {
        return Err(AppError::Forbidden);
    }
    Ok(account)
}

fn done(message: String) -> Response {
    redirect_with_notice("/users", &message)
}

pub async fn deactivate(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let account = manageable_user(&state, &scope, &id).await?;
    let txn = crate::platform::db::begin_write(&state.db).await?;
    user::ActiveModel {
        id: Set(account.id),
        status: Set("deactivated".into()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let ended = session::end_all(&txn, account.id).await?;
    audit::record(
        &txn,
        Entry::by(&scope, &client, "user.deactivated")
            .on("user", account.id)
            .with(json!({ "from": account.status, "sessions_ended": ended })),
    )
    .await?;
    txn.commit().await?;
    Ok(done(format!(
        "{} is deactivated and signed out everywhere.",
        account.display_name
    )))
}

pub async fn reactivate(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let account = manageable_user(&state, &scope, &id).await?;
    // An invitation never accepted stays an invitation: there is no password to sign in with.
    let status = if account.password_hash.is_some() {
        "active"
    } else {
        "invited"
    };
    let txn = crate::platform::db::begin_write(&state.db).await?;
    user::ActiveModel {
        id: Set(account.id),
        status: Set(status.into()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        Entry::by(&scope, &client, "user.reactivated")
            .on("user", account.id)
            .with(json!({ "from": account.status, "to": status })),
    )
    .await?;
    txn.commit().await?;
    Ok(done(format!("{} can sign in again.", account.display_name)))
}

/// Missing fields read as empty, so the handler (not the extractor) says what is wrong.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RoleForm {
    role: String,
}

pub async fn change_role(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<RoleForm>,
) -> AppResult<Response> {
    let account = manageable_user(&state, &scope, &id).await?;
    let role = Role::parse(&form.role)
        .filter(|r| scope.role.may_assign(*r))
        .ok_or(AppError::Forbidden)?;
    let txn = crate::platform::db::begin_write(&state.db).await?;
    user::ActiveModel {
        id: Set(account.id),
        role: Set(role.key().to_owned()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        Entry::by(&scope, &client, "user.role_changed")
            .on("user", account.id)
            .with(json!({ "from": account.role, "to": role.key() })),
    )
    .await?;
    txn.commit().await?;
    Ok(done(format!(
        "{} is now {}.",
        account.display_name,
        role.label()
    )))
}

/// Clears a colleague's second factor (a lost phone); they set it up again at next sign-in if
/// their role requires it. Their sessions end.
pub async fn reset_second_factor(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let account = manageable_user(&state, &scope, &id).await?;
    let txn = crate::platform::db::begin_write(&state.db).await?;
    user::ActiveModel {
        id: Set(account.id),
        totp_secret: Set(None),
        totp_pending_secret: Set(None),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let ended = session::end_all(&txn, account.id).await?;
    audit::record(
        &txn,
        Entry::by(&scope, &client, "second_factor.reset")
            .on("user", account.id)
            .with(json!({ "sessions_ended": ended })),
    )
    .await?;
    txn.commit().await?;
    Ok(done(format!(
        "Two-factor sign-in of {} is reset; they set it up again with their password.",
        account.display_name
    )))
}

fn expired_invitation(chrome: Chrome) -> AppResult<Response> {
    render(&LinkExpiredPage {
        chrome,
        what: "This invitation has expired or was already accepted. Invitations work once, for 7 days; ask the colleague who invited you to send a new one.",
        remedy_href: "/login",
        remedy: "Go to sign in",
    })
    .map(|page| (StatusCode::GONE, page).into_response())
}

fn accept_page(
    chrome: Chrome,
    token: &str,
    account: &user::Model,
    error: Option<String>,
) -> AppResult<Response> {
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(&SetPasswordPage {
        chrome,
        heading: "Welcome: choose your password",
        intro: format!(
            "Your account is {}. Choose a password to start.",
            account.email
        ),
        action: format!("/invitation/{token}"),
        button: "Start using the portal",
        error,
    })
    .map(|page| (status, page).into_response())
}

pub async fn accept_form(
    State(state): State<AppState>,
    context: PageContext,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let chrome = Chrome::new(&state.instance, &context);
    match tokens::redeemable(&state.db, &token, Purpose::Invitation).await? {
        Some((_, account)) if account.status == "invited" => {
            accept_page(chrome, &token, &account, None)
        }
        _ => expired_invitation(chrome),
    }
}

pub async fn accept(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    Path(token): Path<String>,
    Form(form): Form<NewPasswordForm>,
) -> AppResult<Response> {
    let chrome = Chrome::new(&state.instance, &context);
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let Some((token_row, account)) = tokens::redeemable(&txn, &token, Purpose::Invitation)
        .await?
        .filter(|(_, account)| account.status == "invited")
    else {
        return expired_invitation(chrome);
    };
    let password = match check_new_password(&form, &account) {
        Ok(password) => password,
        Err(error) => return accept_page(chrome, &token, &account, Some(error)),
    };
    user::ActiveModel {
        id: Set(account.id),
        password_hash: Set(Some(password.hash())),
        status: Set("active".into()),
        last_login_at: Set(Some(time::now())),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    tokens::use_up(&txn, &token_row).await?;
    let session_token = session::start(&txn, account.id, &client.ip().to_string(), false).await?;
    let entry = Entry::for_account(
        account.id,
        &account.email,
        account.organization_id,
        "user.invitation_accepted",
        client.ip().to_string(),
    );
    audit::record(&txn, entry).await?;
    txn.commit().await?;
    Ok(session::with_cookie(
        &state,
        Redirect::to("/").into_response(),
        &session_token,
    ))
}

#[cfg(test)]
mod tests {
    use super::parse_email;

    #[test]
    fn plausible_addresses_only() {
        assert_eq!(
            parse_email(" Ann@Example.COM "),
            Some("ann@example.com".into())
        );
        for wrong in [
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "a@b@c.com",
            "ann@.com",
        ] {
            assert_eq!(parse_email(wrong), None, "{wrong}");
        }
    }
}
