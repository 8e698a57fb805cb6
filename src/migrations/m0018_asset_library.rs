//! The library grows up: campaigns with in-market dates, a row per download (who, which
//! organisation, which version) for marketing's reports, each user's last library visit for
//! "new since your last visit", and a thumbnail per image version.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Campaign {
    Table,
    Id,
    Name,
    Summary,
    InMarketFrom,
    InMarketUntil,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AssetDownload {
    Table,
    Id,
    AssetId,
    Version,
    UserId,
    OrganizationId,
    DownloadedAt,
}

#[derive(DeriveIden)]
enum LibraryVisit {
    Table,
    UserId,
    PreviousVisitAt,
    LastVisitAt,
}

#[derive(DeriveIden)]
enum AssetVersion {
    Table,
    ThumbnailSha256,
}

#[derive(DeriveIden)]
enum Asset {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Campaign::Table)
                    .col(pk_uuid(Campaign::Id))
                    .col(string_uniq(Campaign::Name))
                    .col(text(Campaign::Summary))
                    .col(date(Campaign::InMarketFrom))
                    .col(date_null(Campaign::InMarketUntil))
                    .col(timestamp_with_time_zone(Campaign::CreatedAt))
                    .col(timestamp_with_time_zone(Campaign::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AssetDownload::Table)
                    .col(pk_uuid(AssetDownload::Id))
                    .col(uuid(AssetDownload::AssetId))
                    .col(integer(AssetDownload::Version))
                    .col(uuid(AssetDownload::UserId))
                    .col(uuid(AssetDownload::OrganizationId))
                    .col(timestamp_with_time_zone(AssetDownload::DownloadedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AssetDownload::Table, AssetDownload::AssetId)
                            .to(Asset::Table, Asset::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("asset_download_by_asset")
                    .table(AssetDownload::Table)
                    .col(AssetDownload::AssetId)
                    .col(AssetDownload::OrganizationId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("asset_download_by_organization")
                    .table(AssetDownload::Table)
                    .col(AssetDownload::OrganizationId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LibraryVisit::Table)
                    .col(pk_uuid(LibraryVisit::UserId))
                    .col(timestamp_with_time_zone_null(LibraryVisit::PreviousVisitAt))
                    .col(timestamp_with_time_zone(LibraryVisit::LastVisitAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AssetVersion::Table)
                    .add_column(string_null(AssetVersion::ThumbnailSha256))
                    .to_owned(),
            )
            .await
    }
}
