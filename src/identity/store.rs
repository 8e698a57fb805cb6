//! Writing users and staff assignments.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr};
use uuid::Uuid;

use super::entity::{staff_assignment, user};
use crate::platform::scope::Role;
use crate::platform::{ids, time};

pub use user::Model as User;

pub struct NewUser<'a> {
    pub organization_id: Uuid,
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    /// An argon2id hash from `password::Password::hash`.
    pub password_hash: &'a str,
}

pub async fn create_user(conn: &impl ConnectionTrait, new: NewUser<'_>) -> Result<User, DbErr> {
    user::ActiveModel {
        id: Set(ids::new_id()),
        organization_id: Set(new.organization_id),
        email: Set(new.email.trim().to_lowercase()),
        display_name: Set(new.display_name.to_owned()),
        password_hash: Set(Some(new.password_hash.to_owned())),
        role: Set(new.role.key().to_owned()),
        status: Set("active".to_owned()),
        created_at: Set(time::now()),
        last_login_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await
}

pub async fn assign_partner(
    conn: &impl ConnectionTrait,
    staff_user_id: Uuid,
    partner_id: Uuid,
) -> Result<(), DbErr> {
    staff_assignment::ActiveModel {
        id: Set(ids::new_id()),
        staff_user_id: Set(staff_user_id),
        partner_id: Set(partner_id),
        created_at: Set(time::now()),
    }
    .insert(conn)
    .await
    .map(|_| ())
}

/// The users of an organisation the caller already reached through its scope, by name.
pub async fn users_of(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<Vec<User>, DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    user::Entity::find()
        .filter(user::Column::OrganizationId.eq(organization_id))
        .order_by_asc(user::Column::DisplayName)
        .all(db)
        .await
}

/// Vendor staff assigned to a partner, by name.
pub async fn managers_of(
    db: &crate::platform::db::Db,
    partner_id: Uuid,
) -> Result<Vec<User>, DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    let staff: Vec<Uuid> = staff_assignment::Entity::find()
        .select_only()
        .column(staff_assignment::Column::StaffUserId)
        .filter(staff_assignment::Column::PartnerId.eq(partner_id))
        .into_tuple()
        .all(db)
        .await?;
    user::Entity::find()
        .filter(user::Column::Id.is_in(staff))
        .order_by_asc(user::Column::DisplayName)
        .all(db)
        .await
}

/// Active vendor users whose role works through assignments.
pub async fn assignable_staff(db: &crate::platform::db::Db) -> Result<Vec<User>, DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    user::Entity::find()
        .filter(user::Column::Role.eq(Role::PartnerManager.key()))
        .filter(user::Column::Status.eq("active"))
        .order_by_asc(user::Column::DisplayName)
        .all(db)
        .await
}

pub async fn unassign_partner(
    conn: &impl ConnectionTrait,
    staff_user_id: Uuid,
    partner_id: Uuid,
) -> Result<u64, DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    staff_assignment::Entity::delete_many()
        .filter(staff_assignment::Column::StaffUserId.eq(staff_user_id))
        .filter(staff_assignment::Column::PartnerId.eq(partner_id))
        .exec(conn)
        .await
        .map(|r| r.rows_affected)
}

/// Active users who may read a partner's data with `permission`: the partner's own users whose
/// role holds it, and vendor staff whose role reaches all partners or who are assigned to it.
pub async fn readers_of(
    db: &impl ConnectionTrait,
    partner_id: Uuid,
    permission: crate::platform::scope::Permission,
) -> Result<Vec<User>, DbErr> {
    use crate::platform::scope::{Reach, Side};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    let assigned: Vec<Uuid> = staff_assignment::Entity::find()
        .select_only()
        .column(staff_assignment::Column::StaffUserId)
        .filter(staff_assignment::Column::PartnerId.eq(partner_id))
        .into_tuple()
        .all(db)
        .await?;
    let vendor = crate::orgs::entity::organization::Entity::find()
        .filter(crate::orgs::entity::organization::Column::Kind.eq("vendor"))
        .one(db)
        .await?
        .map(|o| o.id);
    let candidates = user::Entity::find()
        .filter(user::Column::Status.eq("active"))
        .filter(
            sea_orm::Condition::any()
                .add(user::Column::OrganizationId.eq(partner_id))
                .add(user::Column::OrganizationId.is_in(vendor)),
        )
        .order_by_asc(user::Column::DisplayName)
        .all(db)
        .await?;
    Ok(candidates
        .into_iter()
        .filter(|u| {
            let Some(role) = Role::parse(&u.role) else {
                return false;
            };
            match (role.side(), role.reach(permission)) {
                (Side::Partner, Some(_)) => u.organization_id == partner_id,
                (Side::Vendor, Some(Reach::All)) => true,
                (Side::Vendor, Some(Reach::Assigned)) => assigned.contains(&u.id),
                _ => false,
            }
        })
        .collect())
}

/// [`readers_of`] on one side only: the partner's own people, or the vendor staff who reach it.
pub async fn reader_ids_on(
    db: &impl ConnectionTrait,
    partner_id: Uuid,
    permission: crate::platform::scope::Permission,
    side: crate::platform::scope::Side,
) -> Result<Vec<Uuid>, DbErr> {
    Ok(readers_of(db, partner_id, permission)
        .await?
        .into_iter()
        .filter(|u| Role::parse(&u.role).is_some_and(|r| r.side() == side))
        .map(|u| u.id)
        .collect())
}

/// Display names of these users, by id (for timelines).
pub async fn names_of(
    db: &crate::platform::db::Db,
    ids: &[Uuid],
) -> Result<std::collections::BTreeMap<Uuid, String>, DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

/// Creates an account that waits for its owner to accept the invitation; returns it with the
/// token for the invitation link (`/invitation/{token}`).
pub async fn invite_user(
    conn: &impl ConnectionTrait,
    organization_id: Uuid,
    email: &str,
    display_name: &str,
    role: Role,
    invited_by: Option<Uuid>,
) -> Result<(User, String), DbErr> {
    let invited = user::ActiveModel {
        id: Set(ids::new_id()),
        organization_id: Set(organization_id),
        email: Set(email.trim().to_lowercase()),
        display_name: Set(display_name.to_owned()),
        password_hash: Set(None),
        role: Set(role.key().to_owned()),
        status: Set("invited".to_owned()),
        created_at: Set(time::now()),
        last_login_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let token = super::tokens::issue(
        conn,
        invited.id,
        super::tokens::Purpose::Invitation,
        invited_by,
    )
    .await?;
    Ok((invited, token))
}

pub async fn find_by_email(
    db: &crate::platform::db::Db,
    email: &str,
) -> Result<Option<User>, DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    user::Entity::find()
        .filter(user::Column::Email.eq(email.trim().to_lowercase()))
        .one(db)
        .await
}

/// [`readers_of`] as a thread's mentionable people, each with whether their role reads internal
/// notes.
pub async fn mentionable_readers(
    db: &impl ConnectionTrait,
    partner_id: Uuid,
    permission: crate::platform::scope::Permission,
) -> Result<Vec<crate::platform::threads::Mentionable>, DbErr> {
    use crate::platform::scope::{Permission, Role, Side};
    Ok(readers_of(db, partner_id, permission)
        .await?
        .into_iter()
        .filter_map(|u| {
            let role = Role::parse(&u.role)?;
            Some(crate::platform::threads::Mentionable {
                user_id: u.id,
                email: u.email,
                side: role.side(),
                reads_internal: role.side() == Side::Vendor
                    && role.reach(Permission::TicketsInternal).is_some(),
            })
        })
        .collect())
}
