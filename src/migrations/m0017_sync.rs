//! Inbound sync: the systems that feed Portico (an ERP), how their syncs went, and the conflicts
//! between their updates and changes made in the portal meanwhile.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SyncSource {
    Table,
    Id,
    Key,
    Name,
    StaleAfterMinutes,
    LastSuccessAt,
    LastErrorAt,
    LastError,
    Received,
    Created,
    Updated,
    Unchanged,
    Conflicts,
    Invalid,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SyncConflict {
    Table,
    Id,
    SourceId,
    PartnerId,
    OrderId,
    ExternalReference,
    PortalVersion,
    IncomingVersion,
    Fingerprint,
    State,
    ResolvedBy,
    ResolvedAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SyncSource::Table)
                    .col(pk_uuid(SyncSource::Id))
                    .col(string(SyncSource::Key).unique_key())
                    .col(string(SyncSource::Name))
                    .col(integer(SyncSource::StaleAfterMinutes))
                    .col(timestamp_with_time_zone_null(SyncSource::LastSuccessAt))
                    .col(timestamp_with_time_zone_null(SyncSource::LastErrorAt))
                    .col(text_null(SyncSource::LastError))
                    .col(big_integer(SyncSource::Received))
                    .col(big_integer(SyncSource::Created))
                    .col(big_integer(SyncSource::Updated))
                    .col(big_integer(SyncSource::Unchanged))
                    .col(big_integer(SyncSource::Conflicts))
                    .col(big_integer(SyncSource::Invalid))
                    .col(timestamp_with_time_zone(SyncSource::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SyncConflict::Table)
                    .col(pk_uuid(SyncConflict::Id))
                    .col(uuid(SyncConflict::SourceId))
                    .col(uuid(SyncConflict::PartnerId))
                    .col(uuid(SyncConflict::OrderId))
                    .col(string(SyncConflict::ExternalReference))
                    .col(text(SyncConflict::PortalVersion))
                    .col(text(SyncConflict::IncomingVersion))
                    .col(string(SyncConflict::Fingerprint))
                    .col(string(SyncConflict::State))
                    .col(uuid_null(SyncConflict::ResolvedBy))
                    .col(timestamp_with_time_zone_null(SyncConflict::ResolvedAt))
                    .col(timestamp_with_time_zone(SyncConflict::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sync_conflict_open")
                    .table(SyncConflict::Table)
                    .col(SyncConflict::State)
                    .col(SyncConflict::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sync_conflict_order")
                    .table(SyncConflict::Table)
                    .col(SyncConflict::PartnerId)
                    .col(SyncConflict::OrderId)
                    .to_owned(),
            )
            .await?;
        // Synced records are found by their source's own reference.
        manager
            .create_index(super::m0009_orders::index(
                "sales_order_source_reference",
                Alias::new("sales_order"),
                &["source", "source_reference"],
            ))
            .await
    }
}
