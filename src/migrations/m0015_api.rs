//! API tokens, and the answers kept for idempotency keys.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    Id,
    Digest,
    Hint,
    Name,
    UserId,
    OrganizationId,
    Permissions,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
    RevokedBy,
}

#[derive(DeriveIden)]
enum ApiIdempotency {
    Table,
    TokenId,
    Key,
    Fingerprint,
    Status,
    Body,
    CreatedAt,
    CompletedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiToken::Table)
                    .col(pk_uuid(ApiToken::Id))
                    .col(string(ApiToken::Digest).unique_key())
                    .col(string(ApiToken::Hint))
                    .col(string(ApiToken::Name))
                    .col(uuid(ApiToken::UserId))
                    .col(uuid(ApiToken::OrganizationId))
                    .col(text(ApiToken::Permissions))
                    .col(timestamp_with_time_zone(ApiToken::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiToken::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiToken::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiToken::RevokedAt))
                    .col(uuid_null(ApiToken::RevokedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("api_token_organization")
                    .table(ApiToken::Table)
                    .col(ApiToken::OrganizationId)
                    .col(ApiToken::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiIdempotency::Table)
                    .col(uuid(ApiIdempotency::TokenId))
                    .col(string(ApiIdempotency::Key))
                    .col(string(ApiIdempotency::Fingerprint))
                    .col(integer_null(ApiIdempotency::Status))
                    .col(text_null(ApiIdempotency::Body))
                    .col(timestamp_with_time_zone(ApiIdempotency::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiIdempotency::CompletedAt))
                    .primary_key(
                        Index::create()
                            .col(ApiIdempotency::TokenId)
                            .col(ApiIdempotency::Key),
                    )
                    .to_owned(),
            )
            .await
    }
}
