//! Sessions live in the database, so any number of app nodes can serve them. The cookie holds a
//! random token; the database holds only its SHA-256. A session ends after 2 hours idle or
//! 24 hours in all, at sign-out, or at once when its user is deactivated.

use std::collections::BTreeSet;

use ::time::{Duration, OffsetDateTime};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::entity::{session, staff_assignment, user};
use crate::AppState;
use crate::orgs::entity::organization;
use crate::platform::error::{AppError, ErrorPage};
use crate::platform::ids::{random_token, token_digest};
use crate::platform::scope::{Permission, Role, Scope, Side};
use crate::platform::web::{Viewer, cookie, set_cookie};
use crate::platform::{db::Db, time};

pub const COOKIE: &str = "portico_session";
pub const IDLE_TIMEOUT: Duration = Duration::hours(2);
pub const ABSOLUTE_TIMEOUT: Duration = Duration::hours(24);
/// Time to type the code after the password.
const SECOND_FACTOR_WINDOW: Duration = Duration::minutes(10);
/// `last_seen_at` is written at most this often, not on every request.
const TOUCH_INTERVAL: Duration = Duration::minutes(1);

/// The current session's database id, for sign-out.
#[derive(Clone, Debug)]
pub struct SessionId(pub String);

/// Starts a session for `user_id`; returns the token for the cookie. A session with
/// `second_factor_pending` grants nothing until the code is given.
pub async fn start(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    client_address: &str,
    second_factor_pending: bool,
) -> Result<String, DbErr> {
    let token = random_token();
    let now = time::now();
    session::ActiveModel {
        id: Set(token_digest(&token)),
        user_id: Set(user_id),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + ABSOLUTE_TIMEOUT),
        client_address: Set(client_address.to_owned()),
        second_factor_pending: Set(second_factor_pending),
        view_as_user_id: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(token)
}

/// Ends one session.
pub async fn end(conn: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    session::Entity::delete_by_id(id.to_owned())
        .exec(conn)
        .await
        .map(|_| ())
}

/// Ends every session of a user (sign out everywhere; deactivation).
pub async fn end_all(conn: &impl ConnectionTrait, user_id: Uuid) -> Result<u64, DbErr> {
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .exec(conn)
        .await
        .map(|r| r.rows_affected)
}

fn clearing_cookie(secure: bool) -> String {
    set_cookie(COOKIE, "", secure, Some(0))
}

/// Gives the browser the session's cookie with this response.
pub fn with_cookie(state: &AppState, mut response: Response, token: &str) -> Response {
    let secure = state.config.is_https();
    let value = HeaderValue::from_str(&set_cookie(COOKIE, token, secure, None))
        .expect("hex tokens are valid header text");
    response.headers_mut().append(header::SET_COOKIE, value);
    response
}

/// Removes the session cookie from the browser with this response.
pub fn without_cookie(state: &AppState, mut response: Response) -> Response {
    let secure = state.config.is_https();
    let value = HeaderValue::from_str(&clearing_cookie(secure)).expect("static cookie text");
    response.headers_mut().append(header::SET_COOKIE, value);
    response
}

/// Middleware, inside the error pages: while staff view the portal as someone, every change is
/// refused, whatever a handler would allow.
pub async fn refuse_changes_while_viewing_as(request: Request, next: Next) -> Response {
    let viewing_as = request
        .extensions()
        .get::<Scope>()
        .is_some_and(|scope| scope.read_only_view);
    let changes = !matches!(*request.method(), Method::GET | Method::HEAD);
    if viewing_as && changes && !VIEW_AS_EXITS.contains(&request.uri().path()) {
        return ErrorPage::response(StatusCode::FORBIDDEN);
    }
    next.run(request).await
}

/// A session whose password step passed and whose second factor is still owed.
#[derive(Clone, Debug)]
pub struct PendingSecondFactor {
    pub session_id: String,
    pub user_id: Uuid,
}

/// What a vendor admin viewing as someone may still post.
const VIEW_AS_EXITS: &[&str] = &["/view-as/stop", "/logout"];

/// Where a user who must set up two-factor sign-in may still go.
const SETUP_PATHS: &[&str] = &["/profile/two-factor", "/logout", "/assets/"];

enum Resolved {
    SignedIn {
        scope: Scope,
        viewer: Viewer,
        must_set_up_second_factor: bool,
    },
    SecondFactorPending(PendingSecondFactor),
    Nobody,
}

/// Middleware: turns a valid session cookie into the request's [`Scope`], [`Viewer`] and
/// [`SessionId`]; a stale cookie is cleared and the request goes on anonymous. A user whose role
/// requires two-factor sign-in and who has none is sent to set it up first.
pub async fn load(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let Some(token) = cookie(request.headers(), COOKIE) else {
        return next.run(request).await;
    };
    match resolve(&state.db, &token).await {
        Ok(Resolved::SignedIn {
            scope,
            viewer,
            must_set_up_second_factor,
        }) => {
            let path = request.uri().path();
            if must_set_up_second_factor && !SETUP_PATHS.iter().any(|p| path.starts_with(p)) {
                return Redirect::to("/profile/two-factor").into_response();
            }
            request.extensions_mut().insert(scope);
            request.extensions_mut().insert(viewer);
            request
                .extensions_mut()
                .insert(SessionId(token_digest(&token)));
            next.run(request).await
        }
        Ok(Resolved::SecondFactorPending(pending)) => {
            request.extensions_mut().insert(pending);
            next.run(request).await
        }
        Ok(Resolved::Nobody) => {
            let response = next.run(request).await;
            without_cookie(&state, response)
        }
        Err(error) => AppError::from(error).into_response(),
    }
}

/// A session with what every page needs beside it, read in one query instead of five: its user
/// and organisation (`None` when gone), whether the role's policy asks for a second factor, and
/// the user's unread notifications.
struct SessionRow {
    session: session::Model,
    account: Option<user::Model>,
    organization: Option<organization::Model>,
    policy_requires_second_factor: bool,
    unread_notifications: u64,
}

async fn session_row(db: &Db, id: &str) -> Result<Option<SessionRow>, DbErr> {
    use sea_orm::sea_query::{
        Alias, Expr, ExprTrait, IntoColumnRef, JoinType, Query, SelectStatement, SubQueryStatement,
    };
    use sea_orm::{FromQueryResult, IdenStatic, Iterable};

    fn every_column<E: EntityTrait + Default>(select: &mut SelectStatement, prefix: &str) {
        for column in E::Column::iter() {
            select.expr_as(
                Expr::col((E::default(), column)),
                Alias::new(format!("{prefix}{}", column.as_str())),
            );
        }
    }
    let mut select = Query::select();
    select.from(session::Entity);
    every_column::<session::Entity>(&mut select, "s_");
    every_column::<user::Entity>(&mut select, "u_");
    every_column::<organization::Entity>(&mut select, "o_");
    select
        .expr_as(
            Expr::col((
                super::entity::role_policy::Entity,
                super::entity::role_policy::Column::SecondFactorRequired,
            )),
            Alias::new("policy"),
        )
        .expr_as(
            Expr::SubQuery(
                None,
                Box::new(SubQueryStatement::SelectStatement(
                    crate::notify::store::unread_count_of(
                        (session::Entity, session::Column::UserId).into_column_ref(),
                    ),
                )),
            ),
            Alias::new("unread"),
        )
        .join(
            JoinType::LeftJoin,
            user::Entity,
            Expr::col((user::Entity, user::Column::Id))
                .equals((session::Entity, session::Column::UserId)),
        )
        .join(
            JoinType::LeftJoin,
            organization::Entity,
            Expr::col((organization::Entity, organization::Column::Id))
                .equals((user::Entity, user::Column::OrganizationId)),
        )
        .join(
            JoinType::LeftJoin,
            super::entity::role_policy::Entity,
            Expr::col((
                super::entity::role_policy::Entity,
                super::entity::role_policy::Column::Role,
            ))
            .equals((user::Entity, user::Column::Role)),
        )
        .and_where(Expr::col((session::Entity, session::Column::Id)).eq(id));
    let Some(row) = db.query_one(&select).await? else {
        return Ok(None);
    };
    let present = |key: &str| row.try_get::<Option<Uuid>>("", key).map(|id| id.is_some());
    Ok(Some(SessionRow {
        session: session::Model::from_query_result(&row, "s_")?,
        account: if present("u_id")? {
            Some(user::Model::from_query_result(&row, "u_")?)
        } else {
            None
        },
        organization: if present("o_id")? {
            Some(organization::Model::from_query_result(&row, "o_")?)
        } else {
            None
        },
        policy_requires_second_factor: row.try_get::<Option<bool>>("", "policy")?.unwrap_or(false),
        unread_notifications: u64::try_from(row.try_get::<i64>("", "unread")?).unwrap_or(0),
    }))
}

/// What a session cookie stands for now.
async fn resolve(db: &Db, token: &str) -> Result<Resolved, DbErr> {
    let id = token_digest(token);
    let Some(SessionRow {
        session: found,
        account,
        organization,
        policy_requires_second_factor,
        unread_notifications,
    }) = session_row(db, &id).await?
    else {
        return Ok(Resolved::Nobody);
    };
    let now = time::now();
    let idle_limit = if found.second_factor_pending {
        SECOND_FACTOR_WINDOW
    } else {
        IDLE_TIMEOUT
    };
    if now >= found.expires_at || now >= found.last_seen_at + idle_limit {
        end(db, &id).await?;
        return Ok(Resolved::Nobody);
    }
    let Some(account) = account else {
        return Ok(Resolved::Nobody);
    };
    let Some(role) = Role::parse(&account.role).filter(|_| account.status == "active") else {
        end_all(db, account.id).await?;
        return Ok(Resolved::Nobody);
    };
    if found.second_factor_pending {
        return Ok(Resolved::SecondFactorPending(PendingSecondFactor {
            session_id: id,
            user_id: account.id,
        }));
    }
    let Some(organization) = organization else {
        return Ok(Resolved::Nobody);
    };
    if now - found.last_seen_at >= TOUCH_INTERVAL {
        touch(db, &id, now).await?;
    }
    // As `policy::second_factor_required`, from the row already read.
    let must_set_up_second_factor = account.totp_secret.is_none()
        && (role.requires_second_factor() || policy_requires_second_factor);
    let may_view_as = role.reach(Permission::UsersViewAs).is_some() && !must_set_up_second_factor;
    if let Some(viewed_id) = found.view_as_user_id.filter(|_| may_view_as)
        && let Some(resolved) = view_as(db, viewed_id, &account).await?
    {
        return Ok(resolved);
    }
    let scope = build_scope(db, &account, &organization, role).await?;
    let viewer = Viewer {
        unread_notifications,
        display_name: account.display_name,
        organization_name: organization.name,
        role,
        viewed_by: None,
    };
    Ok(Resolved::SignedIn {
        scope,
        viewer,
        must_set_up_second_factor,
    })
}

/// The portal as `viewed_id` sees it, read-only, for the vendor user `admin`.
async fn view_as(db: &Db, viewed_id: Uuid, admin: &user::Model) -> Result<Option<Resolved>, DbErr> {
    let Some(viewed) = user::Entity::find_by_id(viewed_id).one(db).await? else {
        return Ok(None);
    };
    let Some(role) = Role::parse(&viewed.role).filter(|r| r.side() == Side::Partner) else {
        return Ok(None);
    };
    let Some(organization) = organization::Entity::find_by_id(viewed.organization_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let mut scope = build_scope(db, &viewed, &organization, role).await?;
    scope.read_only_view = true;
    let viewer = Viewer {
        unread_notifications: crate::notify::store::unread_count(db, viewed.id).await?,
        display_name: viewed.display_name,
        organization_name: organization.name,
        role,
        viewed_by: Some(admin.display_name.clone()),
    };
    Ok(Some(Resolved::SignedIn {
        scope,
        viewer,
        must_set_up_second_factor: false,
    }))
}

/// Starts or stops viewing the portal as another user, in this session.
pub async fn set_view_as(
    conn: &impl ConnectionTrait,
    session_id: &str,
    viewed: Option<Uuid>,
) -> Result<(), DbErr> {
    session::ActiveModel {
        id: Set(session_id.to_owned()),
        view_as_user_id: Set(viewed),
        ..Default::default()
    }
    .update(conn)
    .await
    .map(|_| ())
}

async fn touch(db: &Db, id: &str, now: OffsetDateTime) -> Result<(), DbErr> {
    session::ActiveModel {
        id: Set(id.to_owned()),
        last_seen_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await
    .map(|_| ())
}

/// Which organisations the user's permissions reach.
pub async fn build_scope(
    db: &Db,
    account: &user::Model,
    organization: &organization::Model,
    role: Role,
) -> Result<Scope, DbErr> {
    let mut own_organisations = BTreeSet::from([organization.id]);
    if organization.descendants_visible {
        own_organisations.extend(descendants(db, &[organization.id]).await?);
    }
    let mut assigned_partners = BTreeSet::new();
    if role.side() == Side::Vendor {
        let direct: Vec<Uuid> = staff_assignment::Entity::find()
            .select_only()
            .column(staff_assignment::Column::PartnerId)
            .filter(staff_assignment::Column::StaffUserId.eq(account.id))
            .into_tuple()
            .all(db)
            .await?;
        // A manager of a distributor also looks after its resellers.
        assigned_partners.extend(descendants(db, &direct).await?);
        assigned_partners.extend(direct);
    }
    Ok(Scope {
        user_id: account.id,
        email: account.email.clone(),
        organization_id: organization.id,
        role,
        own_organisations,
        assigned_partners,
        read_only_view: false,
        token_permissions: None,
    })
}

/// Every organisation below `roots` in the tree (not the roots themselves).
pub async fn descendants(db: &Db, roots: &[Uuid]) -> Result<BTreeSet<Uuid>, DbErr> {
    let mut found = BTreeSet::new();
    let mut frontier: Vec<Uuid> = roots.to_vec();
    while !frontier.is_empty() {
        let children: Vec<Uuid> = organization::Entity::find()
            .select_only()
            .column(organization::Column::Id)
            .filter(organization::Column::ParentId.is_in(frontier))
            .into_tuple()
            .all(db)
            .await?;
        // `insert` is false for an id already seen, so a cycle cannot loop forever.
        frontier = children
            .into_iter()
            .filter(|id| found.insert(*id))
            .collect();
    }
    Ok(found)
}

/// Ends every session of a user but one (after a password change on this device).
pub async fn end_all_except(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    keep: &str,
) -> Result<u64, DbErr> {
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::Id.ne(keep))
        .exec(conn)
        .await
        .map(|r| r.rows_affected)
}

/// Live sessions of a user.
pub async fn count_for(db: &Db, user_id: Uuid) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::ExpiresAt.gt(time::now()))
        .count(db)
        .await
}
