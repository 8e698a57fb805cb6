//! Per-role policies set by vendor admins (for now: whether two-factor sign-in is required).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RolePolicy {
    Table,
    Role,
    SecondFactorRequired,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RolePolicy::Table)
                    .col(string(RolePolicy::Role).primary_key())
                    .col(boolean(RolePolicy::SecondFactorRequired))
                    .to_owned(),
            )
            .await
    }
}
