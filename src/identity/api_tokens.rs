//! API tokens: made by administrators for integrations (vendor admins) or for their own
//! organisation (partner admins), and sent as `Authorization: Bearer ptk_…`.
//!
//! Rules: a token acts for the person who made it and holds only the permissions they chose, out
//! of their own; it never reaches further than its maker does today (a maker who loses a role or
//! is deactivated takes the token's rights along). The secret is shown once; the database keeps
//! its SHA-256. A token may expire and is revocable; its last use is recorded. Making and revoking
//! are audited.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use ::time::{Date, Duration, OffsetDateTime, Time};
use askama::Template;
use axum::extract::{ConnectInfo, Form, Path, Query, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use serde_json::json;
use uuid::Uuid;

use super::entity::{api_token, user};
use super::session::build_scope;
use crate::AppState;
use crate::audit::{self, Entry};
use crate::orgs::entity::organization;
use crate::platform::api::{ApiCaller, Problem};
use crate::platform::db::{Db, begin_write};
use crate::platform::error::{AppError, AppResult};
use crate::platform::ids::{new_id, random_token, token_digest};
use crate::platform::scope::{Permission, Role, Scope};
use crate::platform::time::{self, format_date, format_moment, parse_day};
use crate::platform::web::{Chrome, Notice, PageContext, Viewer, redirect_with_notice, render};

pub use api_token::Model as ApiToken;

/// Every secret starts with this, so scanners and people recognise a leaked one.
pub const SECRET_PREFIX: &str = "ptk_";
const PAGE: &str = "/api-tokens";
/// Last-use times are written at most this often per token.
const TOUCH_INTERVAL: Duration = Duration::minutes(1);

/// A token as asked for, checked.
pub struct NewToken {
    pub name: String,
    pub permissions: BTreeSet<Permission>,
    pub expires_at: Option<OffsetDateTime>,
}

impl NewToken {
    /// Checks a request for a token against what its maker holds; every fault, in words.
    pub fn parse(
        scope: &Scope,
        name: &str,
        permission_keys: &[&str],
        expires_on: &str,
        today: Date,
    ) -> Result<NewToken, Vec<String>> {
        let mut problems = Vec::new();
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            problems.push(
                "Name: give the token a name of at most 80 characters, such as \"ERP order sync\"."
                    .to_owned(),
            );
        }
        let mut permissions = BTreeSet::new();
        for key in permission_keys {
            match Permission::ALL.iter().find(|p| p.key() == *key) {
                Some(p) if scope.can(*p) => {
                    permissions.insert(*p);
                }
                _ => problems.push(format!(
                    "Permissions: {key} is not one of yours; a token holds only permissions you hold."
                )),
            }
        }
        if permission_keys.is_empty() {
            problems.push("Permissions: tick at least one.".to_owned());
        }
        let expires_at = match expires_on.trim() {
            "" => None,
            text => match parse_day(text) {
                Some(day) if day > today => Some(OffsetDateTime::new_utc(day, Time::MIDNIGHT)),
                Some(_) => {
                    problems
                        .push("Expires: choose a day after today, or leave it empty.".to_owned());
                    None
                }
                None => {
                    problems.push("Expires: write the day as YYYY-MM-DD.".to_owned());
                    None
                }
            },
        };
        if problems.is_empty() {
            Ok(NewToken {
                name: name.to_owned(),
                permissions,
                expires_at,
            })
        } else {
            Err(problems)
        }
    }
}

fn permission_keys(permissions: &BTreeSet<Permission>) -> String {
    permissions
        .iter()
        .map(|p| p.key())
        .collect::<Vec<_>>()
        .join(" ")
}

fn parse_permissions(stored: &str) -> BTreeSet<Permission> {
    stored
        .split_whitespace()
        .filter_map(|key| Permission::ALL.iter().copied().find(|p| p.key() == key))
        .collect()
}

/// Makes a token acting for the caller; returns it and its secret, which is never shown again.
pub async fn create(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    new: &NewToken,
) -> Result<(ApiToken, String), DbErr> {
    let secret = format!("{SECRET_PREFIX}{}", random_token());
    let token = api_token::ActiveModel {
        id: Set(new_id()),
        digest: Set(token_digest(&secret)),
        hint: Set(secret[..SECRET_PREFIX.len() + 6].to_owned()),
        name: Set(new.name.clone()),
        user_id: Set(scope.user_id),
        organization_id: Set(scope.organization_id),
        permissions: Set(permission_keys(&new.permissions)),
        created_at: Set(time::now()),
        expires_at: Set(new.expires_at),
        last_used_at: Set(None),
        revoked_at: Set(None),
        revoked_by: Set(None),
    }
    .insert(conn)
    .await?;
    Ok((token, secret))
}

/// Tokens of the organisations whose integrations the caller manages, newest first.
pub async fn list(db: &Db, scope: &Scope) -> Result<Vec<ApiToken>, AppError> {
    let partners = scope.partners(Permission::IntegrationsManage)?;
    Ok(api_token::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(api_token::Column::OrganizationId.eq(scope.organization_id))
                .add(partners.condition(api_token::Column::OrganizationId)),
        )
        .order_by_desc(api_token::Column::CreatedAt)
        .all(db)
        .await?)
}

/// Revokes a live token the caller manages; 404 for any other.
pub async fn revoke(conn: &impl ConnectionTrait, scope: &Scope, id: Uuid) -> AppResult<ApiToken> {
    let partners = scope.partners(Permission::IntegrationsManage)?;
    let found = api_token::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|t| {
            t.organization_id == scope.organization_id || partners.contains(t.organization_id)
        })
        .filter(|t| t.revoked_at.is_none())
        .ok_or(AppError::NotFound)?;
    Ok(api_token::ActiveModel {
        id: Set(found.id),
        revoked_at: Set(Some(time::now())),
        revoked_by: Set(Some(scope.user_id)),
        ..Default::default()
    }
    .update(conn)
    .await?)
}

/// Who a secret acts for now: its maker's scope narrowed to the token's permissions, or `None`
/// for an unknown, revoked or expired token or a maker who may no longer sign in.
pub async fn authenticate(
    db: &Db,
    secret: &str,
) -> Result<Option<(ApiToken, Scope, Viewer)>, DbErr> {
    let Some(token) = api_token::Entity::find()
        .filter(api_token::Column::Digest.eq(token_digest(secret)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let now = time::now();
    if token.revoked_at.is_some() || token.expires_at.is_some_and(|at| at <= now) {
        return Ok(None);
    }
    let Some(account) = user::Entity::find_by_id(token.user_id).one(db).await? else {
        return Ok(None);
    };
    let Some(role) = Role::parse(&account.role).filter(|_| account.status == "active") else {
        return Ok(None);
    };
    let Some(organization) = organization::Entity::find_by_id(account.organization_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let mut scope = build_scope(db, &account, &organization, role).await?;
    scope.token_permissions = Some(parse_permissions(&token.permissions));
    if token
        .last_used_at
        .is_none_or(|at| now - at >= TOUCH_INTERVAL)
    {
        api_token::ActiveModel {
            id: Set(token.id),
            last_used_at: Set(Some(now)),
            ..Default::default()
        }
        .update(db)
        .await?;
    }
    let viewer = Viewer {
        display_name: account.display_name,
        organization_name: organization.name,
        role,
        viewed_by: None,
        unread_notifications: 0,
    };
    Ok(Some((token, scope, viewer)))
}

/// Middleware for the API: a valid bearer token becomes the request's [`Scope`]; anything else
/// answers 401 before a handler runs.
pub async fn require_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let secret = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|s| s.starts_with(SECRET_PREFIX))
        .map(str::to_owned);
    let Some(secret) = secret else {
        return Problem::new(
            "unauthorized",
            "Send an API token in the Authorization header: Bearer ptk_…",
        )
        .into_response();
    };
    match authenticate(&state.db, &secret).await {
        Ok(Some((token, scope, viewer))) => {
            request
                .extensions_mut()
                .insert(ApiCaller { token_id: token.id });
            request.extensions_mut().insert(scope);
            request.extensions_mut().insert(viewer);
            next.run(request).await
        }
        Ok(None) => Problem::new(
            "unauthorized",
            "This API token is unknown, revoked or expired, or its maker may no longer sign in.",
        )
        .into_response(),
        Err(error) => Problem::from(error).into_response(),
    }
}

struct TokenRow {
    id: Uuid,
    name: String,
    hint: String,
    organization: String,
    maker: String,
    permissions: Vec<&'static str>,
    created: String,
    expires: String,
    last_used: String,
    state: &'static str,
    tone: &'static str,
    live: bool,
}

struct PermissionChoice {
    key: &'static str,
    description: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "identity/api_tokens.html")]
struct TokensPage {
    chrome: Chrome,
    flash: Option<String>,
    problems: Vec<String>,
    /// The secret of the token just made: shown this once.
    secret: Option<String>,
    name: String,
    expires_on: String,
    choices: Vec<PermissionChoice>,
    rows: Vec<TokenRow>,
}

async fn tokens_page(
    state: &AppState,
    context: &PageContext,
    scope: &Scope,
    flash: Option<String>,
    form: (&str, &[&str], &str),
    problems: Vec<String>,
    secret: Option<String>,
) -> AppResult<Response> {
    let tokens = list(&state.db, scope).await?;
    let mut people: Vec<Uuid> = tokens.iter().map(|t| t.user_id).collect();
    people.sort_unstable();
    people.dedup();
    let names = super::store::names_of(&state.db, &people).await?;
    let organisations: Vec<Uuid> = tokens.iter().map(|t| t.organization_id).collect();
    let org_names = crate::orgs::store::names_of(&state.db, &organisations).await?;
    let now = time::now();
    let rows = tokens
        .into_iter()
        .map(|t| {
            let (state, tone) = match (t.revoked_at, t.expires_at) {
                (Some(_), _) => ("revoked", "grey"),
                (None, Some(at)) if at <= now => ("expired", "grey"),
                _ => ("active", "green"),
            };
            TokenRow {
                id: t.id,
                hint: format!("{}…", t.hint),
                organization: org_names
                    .get(&t.organization_id)
                    .cloned()
                    .unwrap_or_default(),
                maker: names.get(&t.user_id).cloned().unwrap_or_default(),
                permissions: parse_permissions(&t.permissions)
                    .into_iter()
                    .map(Permission::key)
                    .collect(),
                created: format_date(t.created_at),
                expires: t.expires_at.map_or_else(|| "never".to_owned(), format_date),
                last_used: t
                    .last_used_at
                    .map_or_else(|| "never".to_owned(), format_moment),
                live: state == "active",
                state,
                tone,
                name: t.name,
            }
        })
        .collect();
    let (name, keys, expires_on) = form;
    let choices = Permission::ALL
        .iter()
        .filter(|p| scope.can(**p))
        .map(|p| PermissionChoice {
            key: p.key(),
            description: p.description(),
            checked: keys.contains(&p.key()),
        })
        .collect();
    render(&TokensPage {
        chrome: Chrome::new(&state.instance, context),
        flash,
        problems,
        secret,
        name: name.to_owned(),
        expires_on: expires_on.to_owned(),
        choices,
        rows,
    })
}

/// `GET /api-tokens`.
pub async fn page(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Query(notice): Query<Notice>,
) -> AppResult<Response> {
    scope.require(Permission::IntegrationsManage)?;
    tokens_page(
        &state,
        &context,
        &scope,
        notice.done,
        ("", &[], ""),
        Vec::new(),
        None,
    )
    .await
}

/// `POST /api-tokens`: makes a token and shows its secret once.
pub async fn make(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    scope.require(Permission::IntegrationsManage)?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let keys: Vec<&str> = fields
        .iter()
        .filter(|(k, _)| k == "permission")
        .map(|(_, v)| v.as_str())
        .collect();
    let form = (field("name"), keys.as_slice(), field("expires_on"));
    let new = match NewToken::parse(&scope, form.0, form.1, form.2, time::now().date()) {
        Ok(new) => new,
        Err(problems) => {
            return tokens_page(&state, &context, &scope, None, form, problems, None).await;
        }
    };
    let txn = begin_write(&state.db).await?;
    let (token, secret) = create(&txn, &scope, &new).await?;
    audit::record(
        &txn,
        Entry::by(&scope, &client, "api_token.created")
            .on("api_token", token.id)
            .with(json!({ "name": token.name, "permissions": token.permissions, "expires_at": token.expires_at.map(format_date) })),
    )
    .await?;
    txn.commit().await?;
    let flash = format!(
        "Token \"{}\" is ready. Copy its secret now: it is shown only this once.",
        token.name
    );
    tokens_page(
        &state,
        &context,
        &scope,
        Some(flash),
        ("", &[], ""),
        Vec::new(),
        Some(secret),
    )
    .await
}

/// `POST /api-tokens/{id}/revoke`.
pub async fn revoke_page(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(id): Path<String>,
) -> AppResult<Response> {
    scope.require(Permission::IntegrationsManage)?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let txn = begin_write(&state.db).await?;
    let token = revoke(&txn, &scope, id).await?;
    audit::record(
        &txn,
        Entry::by(&scope, &client, "api_token.revoked")
            .on("api_token", token.id)
            .concerning(token.organization_id)
            .with(json!({ "name": token.name })),
    )
    .await?;
    txn.commit().await?;
    Ok(redirect_with_notice(
        PAGE,
        &format!(
            "Token \"{}\" is revoked; requests with it are refused from now on.",
            token.name
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sales() -> Scope {
        let own = Uuid::now_v7();
        Scope {
            user_id: Uuid::now_v7(),
            email: "a@example.com".into(),
            organization_id: own,
            role: Role::Sales,
            own_organisations: BTreeSet::from([own]),
            assigned_partners: BTreeSet::new(),
            read_only_view: false,
            token_permissions: None,
        }
    }

    #[test]
    fn a_token_request_is_checked_against_its_maker() {
        let today = ::time::macros::date!(2026 - 11 - 26);
        let ok = NewToken::parse(&sales(), " ERP ", &["orders.read"], "2027-01-01", today).unwrap();
        assert_eq!(ok.name, "ERP");
        assert_eq!(ok.permissions, BTreeSet::from([Permission::OrdersRead]));
        let problems = NewToken::parse(
            &sales(),
            "",
            &["commissions.read", "nope"],
            "2026-11-26",
            today,
        )
        .err()
        .unwrap();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[1].contains("commissions.read is not one of yours"));
        assert!(problems[3].contains("after today"));
        assert!(NewToken::parse(&sales(), "x", &[], "", today).is_err());
    }
}
