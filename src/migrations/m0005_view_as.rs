//! "View as": a vendor admin's session can show the portal as a partner user sees it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UserSession {
    Table,
    ViewAsUserId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(UserSession::Table)
                    .add_column(uuid_null(UserSession::ViewAsUserId))
                    .to_owned(),
            )
            .await
    }
}
