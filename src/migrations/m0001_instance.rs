//! The deployment itself: who runs the program, and whether this database holds demo data.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Instance {
    Table,
    Id,
    VendorName,
    ProgramName,
    IsDemo,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Instance::Table)
                    .col(pk_uuid(Instance::Id))
                    .col(string(Instance::VendorName))
                    .col(string(Instance::ProgramName))
                    .col(boolean(Instance::IsDemo))
                    .col(timestamp_with_time_zone(Instance::CreatedAt))
                    .to_owned(),
            )
            .await
    }
}
