//! Rotating a webhook subscription's signing secret: the previous secret keeps signing beside
//! the new one until a set time, so receivers can switch without missing a delivery.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookSubscription {
    Table,
    PreviousSecret,
    PreviousSecretUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(WebhookSubscription::Table)
                    .add_column(string_null(WebhookSubscription::PreviousSecret))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(WebhookSubscription::Table)
                    .add_column(timestamp_with_time_zone_null(
                        WebhookSubscription::PreviousSecretUntil,
                    ))
                    .to_owned(),
            )
            .await
    }
}
