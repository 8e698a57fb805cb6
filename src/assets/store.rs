//! Assets in the database. Every read takes the viewer: an asset a partner may not see answers
//! 404 like a missing one.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::entity::{asset, version};
use super::model::{Viewer, visible};
use crate::platform::db::Db;
use crate::platform::error::AppError;
use crate::platform::files::StoredFile;
use crate::platform::ids;

pub use asset::Model as Asset;
pub use version::Model as Version;

/// Every asset the viewer may see, newest change first.
pub async fn library(db: &Db, viewer: &Viewer, now: OffsetDateTime) -> Result<Vec<Asset>, DbErr> {
    Ok(asset::Entity::find()
        .order_by_desc(asset::Column::UpdatedAt)
        .all(db)
        .await?
        .into_iter()
        .filter(|a| visible(a, viewer, now))
        .collect())
}

pub async fn find(
    db: &Db,
    viewer: &Viewer,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<Asset, AppError> {
    asset::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|a| visible(a, viewer, now))
        .ok_or(AppError::NotFound)
}

/// The asset's versions, newest first.
pub async fn versions(db: &Db, asset: &Asset) -> Result<Vec<Version>, DbErr> {
    version::Entity::find()
        .filter(version::Column::AssetId.eq(asset.id))
        .order_by_desc(version::Column::Version)
        .all(db)
        .await
}

pub async fn find_version(db: &Db, asset: &Asset, number: i32) -> Result<Version, AppError> {
    version::Entity::find()
        .filter(version::Column::AssetId.eq(asset.id))
        .filter(version::Column::Version.eq(number))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// A stored file and what the uploader said of it.
pub struct NewFile<'a> {
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub stored: &'a StoredFile,
    pub notes: &'a str,
}

/// Who uploads.
pub struct Uploader {
    pub user_id: Uuid,
    pub label: String,
}

async fn insert_version(
    conn: &impl ConnectionTrait,
    asset_id: Uuid,
    number: i32,
    file: &NewFile<'_>,
    uploader: &Uploader,
    at: OffsetDateTime,
) -> Result<(), DbErr> {
    version::ActiveModel {
        id: Set(ids::new_id()),
        asset_id: Set(asset_id),
        version: Set(number),
        file_name: Set(file.file_name.to_owned()),
        content_type: Set(file.content_type.to_owned()),
        size_bytes: Set(file.stored.size_bytes),
        sha256: Set(file.stored.sha256.clone()),
        notes: Set(file.notes.to_owned()),
        uploaded_by: Set(Some(uploader.user_id)),
        uploaded_label: Set(uploader.label.clone()),
        uploaded_at: Set(at),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Writes a new asset with its first version.
pub async fn create(
    conn: &impl ConnectionTrait,
    details: asset::ActiveModel,
    file: &NewFile<'_>,
    uploader: &Uploader,
    at: OffsetDateTime,
) -> Result<Asset, DbErr> {
    let saved = details.insert(conn).await?;
    insert_version(conn, saved.id, 1, file, uploader, at).await?;
    Ok(saved)
}

/// Makes `file` the asset's next version; the one before becomes superseded. False when
/// someone added a version since the caller read the asset.
pub async fn add_version(
    conn: &impl ConnectionTrait,
    asset: &Asset,
    file: &NewFile<'_>,
    uploader: &Uploader,
    at: OffsetDateTime,
) -> Result<bool, DbErr> {
    let next = asset.current_version + 1;
    let moved = asset::Entity::update_many()
        .set(asset::ActiveModel {
            current_version: Set(next),
            updated_at: Set(at),
            ..Default::default()
        })
        .filter(asset::Column::Id.eq(asset.id))
        .filter(asset::Column::CurrentVersion.eq(asset.current_version))
        .exec(conn)
        .await?;
    if moved.rows_affected != 1 {
        return Ok(false);
    }
    insert_version(conn, asset.id, next, file, uploader, at).await?;
    Ok(true)
}
