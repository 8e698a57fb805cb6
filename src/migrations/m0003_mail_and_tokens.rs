//! The mail outbox, and single-use tokens for password resets and invitations.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OutboxMail {
    Table,
    Id,
    Recipient,
    Subject,
    TextBody,
    HtmlBody,
    CreatedAt,
    ClaimedAt,
    SentAt,
    Attempts,
    LastError,
}

#[derive(DeriveIden)]
enum UserToken {
    Table,
    Id,
    UserId,
    Purpose,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OutboxMail::Table)
                    .col(pk_uuid(OutboxMail::Id))
                    .col(string(OutboxMail::Recipient))
                    .col(string(OutboxMail::Subject))
                    .col(text(OutboxMail::TextBody))
                    .col(text(OutboxMail::HtmlBody))
                    .col(timestamp_with_time_zone(OutboxMail::CreatedAt))
                    .col(timestamp_with_time_zone_null(OutboxMail::ClaimedAt))
                    .col(timestamp_with_time_zone_null(OutboxMail::SentAt))
                    .col(integer(OutboxMail::Attempts))
                    .col(text_null(OutboxMail::LastError))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("outbox_mail_pending")
                    .table(OutboxMail::Table)
                    .col(OutboxMail::SentAt)
                    .col(OutboxMail::CreatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(UserToken::Table)
                    .col(string(UserToken::Id).primary_key())
                    .col(uuid(UserToken::UserId))
                    .col(string(UserToken::Purpose))
                    .col(uuid_null(UserToken::CreatedBy))
                    .col(timestamp_with_time_zone(UserToken::CreatedAt))
                    .col(timestamp_with_time_zone(UserToken::ExpiresAt))
                    .col(timestamp_with_time_zone_null(UserToken::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserToken::Table, UserToken::UserId)
                            .to(AppUser::Table, AppUser::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("user_token_user")
                    .table(UserToken::Table)
                    .col(UserToken::UserId)
                    .to_owned(),
            )
            .await
    }
}
