//! A revision counter per kind of shared data, so processes can keep a copy in memory and know
//! when it is stale (`platform::revision`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Revision {
    Table,
    Name,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Revision::Table)
                    .col(string(Revision::Name).primary_key())
                    .col(big_integer(Revision::Value))
                    .to_owned(),
            )
            .await
    }
}
