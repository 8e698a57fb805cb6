//! Two-factor authentication: a TOTP secret per user, and sessions that wait for the code.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AppUser {
    Table,
    TotpSecret,
    TotpPendingSecret,
    TotpLastStep,
}

#[derive(DeriveIden)]
enum UserSession {
    Table,
    SecondFactorPending,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for column in [
            string_null(AppUser::TotpSecret),
            string_null(AppUser::TotpPendingSecret),
            big_integer_null(AppUser::TotpLastStep),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AppUser::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(UserSession::Table)
                    .add_column(boolean(UserSession::SecondFactorPending).default(false))
                    .to_owned(),
            )
            .await
    }
}
