//! The asset library: sales and marketing assets with their audience, and every version of
//! their file.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
#[allow(clippy::enum_variant_names)]
enum Asset {
    Table,
    Id,
    Title,
    Description,
    AssetType,
    Markets,
    Languages,
    ProductLines,
    Campaign,
    AudienceTiers,
    AudienceTypes,
    PublishAt,
    ExpiresAt,
    OwnerUserId,
    OwnerLabel,
    RetiredAt,
    CurrentVersion,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AssetVersion {
    Table,
    Id,
    AssetId,
    Version,
    FileName,
    ContentType,
    SizeBytes,
    Sha256,
    Notes,
    UploadedBy,
    UploadedLabel,
    UploadedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Asset::Table)
                    .col(pk_uuid(Asset::Id))
                    .col(string(Asset::Title))
                    .col(text(Asset::Description))
                    .col(string(Asset::AssetType))
                    .col(text_null(Asset::Markets))
                    .col(text_null(Asset::Languages))
                    .col(text_null(Asset::ProductLines))
                    .col(string_null(Asset::Campaign))
                    .col(text_null(Asset::AudienceTiers))
                    .col(text_null(Asset::AudienceTypes))
                    .col(timestamp_with_time_zone(Asset::PublishAt))
                    .col(timestamp_with_time_zone_null(Asset::ExpiresAt))
                    .col(uuid_null(Asset::OwnerUserId))
                    .col(string(Asset::OwnerLabel))
                    .col(timestamp_with_time_zone_null(Asset::RetiredAt))
                    .col(integer(Asset::CurrentVersion))
                    .col(timestamp_with_time_zone(Asset::CreatedAt))
                    .col(timestamp_with_time_zone(Asset::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AssetVersion::Table)
                    .col(pk_uuid(AssetVersion::Id))
                    .col(uuid(AssetVersion::AssetId))
                    .col(integer(AssetVersion::Version))
                    .col(string(AssetVersion::FileName))
                    .col(string(AssetVersion::ContentType))
                    .col(big_integer(AssetVersion::SizeBytes))
                    .col(string(AssetVersion::Sha256))
                    .col(text(AssetVersion::Notes))
                    .col(uuid_null(AssetVersion::UploadedBy))
                    .col(string(AssetVersion::UploadedLabel))
                    .col(timestamp_with_time_zone(AssetVersion::UploadedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AssetVersion::Table, AssetVersion::AssetId)
                            .to(Asset::Table, Asset::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("asset_version_number")
                    .table(AssetVersion::Table)
                    .col(AssetVersion::AssetId)
                    .col(AssetVersion::Version)
                    .unique()
                    .to_owned(),
            )
            .await
    }
}
