//! Role policies vendor admins set: which roles must sign in with a second factor. The
//! administrator role always must (`Role::requires_second_factor`); admins may require it of any
//! other role too.

use sea_orm::{ConnectionTrait, DbErr, EntityTrait, sea_query::OnConflict};

use super::entity::role_policy;
use crate::platform::scope::Role;

/// Whether users with `role` must use two-factor sign-in.
pub async fn second_factor_required(
    conn: &impl ConnectionTrait,
    role: Role,
) -> Result<bool, DbErr> {
    if role.requires_second_factor() {
        return Ok(true);
    }
    Ok(role_policy::Entity::find_by_id(role.key().to_owned())
        .one(conn)
        .await?
        .is_some_and(|p| p.second_factor_required))
}

/// Roles for which admins require the second factor, beyond those that always do.
pub async fn roles_requiring_second_factor(
    conn: &impl ConnectionTrait,
) -> Result<Vec<Role>, DbErr> {
    Ok(role_policy::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .filter(|p| p.second_factor_required)
        .filter_map(|p| Role::parse(&p.role))
        .collect())
}

pub async fn set_second_factor_required(
    conn: &impl ConnectionTrait,
    role: Role,
    required: bool,
) -> Result<(), DbErr> {
    role_policy::Entity::insert(role_policy::ActiveModel {
        role: sea_orm::ActiveValue::Set(role.key().to_owned()),
        second_factor_required: sea_orm::ActiveValue::Set(required),
    })
    .on_conflict(
        OnConflict::column(role_policy::Column::Role)
            .update_column(role_policy::Column::SecondFactorRequired)
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await
    .map(|_| ())
}
