//! Assets in the database. Every read takes the viewer: an asset a partner may not see answers
//! 404 like a missing one.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::entity::{asset, campaign, download, version, visit};
use super::model::News;
use super::model::{Viewer, visible};
use crate::platform::db::Db;
use crate::platform::error::AppError;
use crate::platform::files::StoredFile;
use crate::platform::ids;
use crate::platform::revision::{self, Cached};

pub use asset::Model as Asset;
pub use campaign::Model as Campaign;
pub use version::Model as Version;

/// The revision ([`revision`]) every change to an asset raises.
pub const LIBRARY: &str = "library";

/// Every asset, newest change first, as the portal keeps it in memory.
pub type Library = Cached<Vec<Asset>>;

/// Every asset the viewer may see, newest change first. A library of a few thousand assets is
/// filtered and counted in memory; the rows come from `library`'s copy while it is current.
pub async fn library(
    db: &Db,
    library: &Library,
    viewer: &Viewer,
    now: OffsetDateTime,
) -> Result<Vec<Asset>, DbErr> {
    let all = library
        .get(db, || {
            asset::Entity::find()
                .order_by_desc(asset::Column::UpdatedAt)
                .all(db)
        })
        .await?;
    Ok(all
        .iter()
        .filter(|a| visible(a, viewer, now))
        .cloned()
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
    /// A small PNG of an image, when one could be made.
    pub thumbnail: Option<&'a StoredFile>,
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
        thumbnail_sha256: Set(file.thumbnail.map(|t| t.sha256.clone())),
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
    revision::bump(conn, LIBRARY).await?;
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
    revision::bump(conn, LIBRARY).await?;
    Ok(true)
}

/// Changes an asset's details (not its file). False when it changed since the caller read it.
pub async fn update_details(
    conn: &impl ConnectionTrait,
    asset: &Asset,
    details: asset::ActiveModel,
) -> Result<bool, DbErr> {
    let moved = asset::Entity::update_many()
        .set(details)
        .filter(asset::Column::Id.eq(asset.id))
        .filter(asset::Column::CurrentVersion.eq(asset.current_version))
        .filter(match asset.retired_at {
            Some(at) => asset::Column::RetiredAt.eq(at),
            None => asset::Column::RetiredAt.is_null(),
        })
        .exec(conn)
        .await?;
    let changed = moved.rows_affected == 1;
    if changed {
        revision::bump(conn, LIBRARY).await?;
    }
    Ok(changed)
}

/// Retires a live asset (`at`) or brings a retired one back (`None`). False when it already
/// was so.
pub async fn set_retired(
    conn: &impl ConnectionTrait,
    asset_id: Uuid,
    at: Option<OffsetDateTime>,
) -> Result<bool, DbErr> {
    let moved = asset::Entity::update_many()
        .set(asset::ActiveModel {
            retired_at: Set(at),
            ..Default::default()
        })
        .filter(asset::Column::Id.eq(asset_id))
        .filter(if at.is_some() {
            asset::Column::RetiredAt.is_null()
        } else {
            asset::Column::RetiredAt.is_not_null()
        })
        .exec(conn)
        .await?;
    let changed = moved.rows_affected == 1;
    if changed {
        revision::bump(conn, LIBRARY).await?;
    }
    Ok(changed)
}

/// A download, for marketing's reports (the audit log keeps it too).
pub async fn record_download(
    conn: &impl ConnectionTrait,
    asset_id: Uuid,
    version: i32,
    user_id: Uuid,
    organization_id: Uuid,
    at: OffsetDateTime,
) -> Result<(), DbErr> {
    download::ActiveModel {
        id: Set(ids::new_id()),
        asset_id: Set(asset_id),
        version: Set(version),
        user_id: Set(user_id),
        organization_id: Set(organization_id),
        downloaded_at: Set(at),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Downloads of one asset, newest first.
pub async fn downloads_of(db: &Db, asset_id: Uuid) -> Result<Vec<download::Model>, DbErr> {
    download::Entity::find()
        .filter(download::Column::AssetId.eq(asset_id))
        .order_by_desc(download::Column::DownloadedAt)
        .all(db)
        .await
}

/// Per asset and organisation: how many downloads, and the newest version among them.
pub async fn download_totals(db: &Db) -> Result<Vec<(Uuid, Uuid, i64, i32)>, DbErr> {
    use sea_orm::QuerySelect;
    use sea_orm::sea_query::{Expr, Func};
    download::Entity::find()
        .select_only()
        .column(download::Column::AssetId)
        .column(download::Column::OrganizationId)
        .column_as(
            Expr::expr(Func::count(Expr::col(download::Column::Id))),
            "downloads",
        )
        .column_as(
            Expr::expr(Func::max(Expr::col(download::Column::Version))),
            "newest",
        )
        .group_by(download::Column::AssetId)
        .group_by(download::Column::OrganizationId)
        .into_tuple()
        .all(db)
        .await
}

/// Opens the library for `user_id`: what is new is new since the visit before this one. A
/// visit lasts while pages follow each other within half an hour.
pub async fn visit(db: &Db, user_id: Uuid, now: OffsetDateTime) -> Result<News, DbErr> {
    let Some(seen) = visit::Entity::find_by_id(user_id).one(db).await? else {
        // The first visit inserts; tabs opened at once must not race to insert the same row.
        visit::Entity::insert(visit::ActiveModel {
            user_id: Set(user_id),
            previous_visit_at: Set(None),
            last_visit_at: Set(now),
        })
        .on_conflict_do_nothing_on([visit::Column::UserId])
        .exec_without_returning(db)
        .await?;
        return Ok(News { since: None });
    };
    let gap = now - seen.last_visit_at;
    // A new visit remembers the last one's time; news is news since then.
    let since = if gap > VISIT_GAP {
        Some(seen.last_visit_at)
    } else {
        seen.previous_visit_at
    };
    // Within a visit the last-seen time moves at most once a minute, so browsing the library
    // is reads only, not a write per page.
    if gap >= time::Duration::minutes(1) {
        visit::Entity::update_many()
            .set(visit::ActiveModel {
                previous_visit_at: Set(since),
                last_visit_at: Set(now),
                ..Default::default()
            })
            .filter(visit::Column::UserId.eq(user_id))
            .exec(db)
            .await?;
    }
    Ok(News { since })
}

/// Pages further apart than this start a new visit.
const VISIT_GAP: time::Duration = time::Duration::minutes(30);

/// Every campaign, the latest in market first.
pub async fn campaigns(db: &Db) -> Result<Vec<Campaign>, DbErr> {
    campaign::Entity::find()
        .order_by_desc(campaign::Column::InMarketFrom)
        .order_by_asc(campaign::Column::Name)
        .all(db)
        .await
}

pub async fn find_campaign(db: &Db, id: Uuid) -> Result<Campaign, AppError> {
    campaign::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Which of these assets' current versions have a thumbnail (asked for one page of assets).
pub async fn thumbnailed(
    db: &Db,
    assets: &[Asset],
) -> Result<std::collections::HashSet<Uuid>, DbErr> {
    use sea_orm::QuerySelect;
    let with_thumbnail: std::collections::HashSet<(Uuid, i32)> = version::Entity::find()
        .select_only()
        .column(version::Column::AssetId)
        .column(version::Column::Version)
        .filter(version::Column::AssetId.is_in(assets.iter().map(|a| a.id)))
        .filter(version::Column::ThumbnailSha256.is_not_null())
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(assets
        .iter()
        .filter(|a| with_thumbnail.contains(&(a.id, a.current_version)))
        .map(|a| a.id)
        .collect())
}

/// Renames and re-dates a campaign; its assets follow the new name.
pub async fn update_campaign(
    conn: &impl ConnectionTrait,
    before: &Campaign,
    name: &str,
    summary: &str,
    from: time::Date,
    until: Option<time::Date>,
    at: OffsetDateTime,
) -> Result<(), DbErr> {
    campaign::Entity::update_many()
        .set(campaign::ActiveModel {
            name: Set(name.to_owned()),
            summary: Set(summary.to_owned()),
            in_market_from: Set(from),
            in_market_until: Set(until),
            updated_at: Set(at),
            ..Default::default()
        })
        .filter(campaign::Column::Id.eq(before.id))
        .exec(conn)
        .await?;
    if before.name != name {
        asset::Entity::update_many()
            .set(asset::ActiveModel {
                campaign: Set(Some(name.to_owned())),
                ..Default::default()
            })
            .filter(asset::Column::Campaign.eq(before.name.as_str()))
            .exec(conn)
            .await?;
        revision::bump(conn, LIBRARY).await?;
    }
    Ok(())
}
