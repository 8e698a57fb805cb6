//! Single-use, short-lived tokens sent by mail (password reset, invitation). The database keeps
//! only their SHA-256; a token works once, before it expires, for the purpose it was made for.

use ::time::Duration;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter,
};
use uuid::Uuid;

use super::entity::{user, user_token};
use crate::platform::ids::{random_token, token_digest};
use crate::platform::time;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    PasswordReset,
    Invitation,
}

impl Purpose {
    fn key(self) -> &'static str {
        match self {
            Purpose::PasswordReset => "password_reset",
            Purpose::Invitation => "invitation",
        }
    }

    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::PasswordReset => Duration::minutes(30),
            Purpose::Invitation => Duration::days(7),
        }
    }
}

/// Makes a token for `user_id`; returns the token to put in the mail.
pub async fn issue(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    purpose: Purpose,
    created_by: Option<Uuid>,
) -> Result<String, DbErr> {
    let token = random_token();
    let now = time::now();
    user_token::ActiveModel {
        id: Set(token_digest(&token)),
        user_id: Set(user_id),
        purpose: Set(purpose.key().to_owned()),
        created_by: Set(created_by),
        created_at: Set(now),
        expires_at: Set(now + purpose.lifetime()),
        used_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(token)
}

/// The user a live token belongs to, or `None` for an unknown, used or expired token.
pub async fn redeemable(
    conn: &impl ConnectionTrait,
    token: &str,
    purpose: Purpose,
) -> Result<Option<(user_token::Model, user::Model)>, DbErr> {
    let Some(found) = user_token::Entity::find_by_id(token_digest(token))
        .filter(user_token::Column::Purpose.eq(purpose.key()))
        .filter(user_token::Column::UsedAt.is_null())
        .filter(user_token::Column::ExpiresAt.gt(time::now()))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let account = user::Entity::find_by_id(found.user_id).one(conn).await?;
    Ok(account.map(|account| (found, account)))
}

/// Uses the token up, and every other open token of the same purpose for that user.
pub async fn use_up(conn: &impl ConnectionTrait, token: &user_token::Model) -> Result<(), DbErr> {
    user_token::Entity::update_many()
        .col_expr(
            user_token::Column::UsedAt,
            sea_orm::sea_query::Expr::value(time::now()),
        )
        .filter(user_token::Column::UserId.eq(token.user_id))
        .filter(user_token::Column::Purpose.eq(token.purpose.clone()))
        .filter(user_token::Column::UsedAt.is_null())
        .exec(conn)
        .await
        .map(|_| ())
}
