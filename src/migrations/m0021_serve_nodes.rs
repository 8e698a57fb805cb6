//! The `serve` processes sharing the database (`platform::nodes`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ServeNode {
    Table,
    Id,
    StartedAt,
    SeenAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ServeNode::Table)
                    .col(pk_uuid(ServeNode::Id))
                    .col(timestamp_with_time_zone(ServeNode::StartedAt))
                    .col(timestamp_with_time_zone(ServeNode::SeenAt))
                    .to_owned(),
            )
            .await
    }
}
