//! The job queue: work that runs after the change that caused it (mail, digests, webhooks),
//! with retries, backoff and a dead-letter state admins can see.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Job {
    Table,
    Id,
    Kind,
    Payload,
    State,
    RunAt,
    Attempts,
    MaxAttempts,
    LockedBy,
    LockedUntil,
    LastError,
    UniqueKey,
    CreatedAt,
    FinishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Job::Table)
                    .col(pk_uuid(Job::Id))
                    .col(string(Job::Kind))
                    .col(text(Job::Payload))
                    .col(string(Job::State))
                    .col(timestamp_with_time_zone(Job::RunAt))
                    .col(integer(Job::Attempts))
                    .col(integer(Job::MaxAttempts))
                    .col(string_null(Job::LockedBy))
                    .col(timestamp_with_time_zone_null(Job::LockedUntil))
                    .col(text_null(Job::LastError))
                    .col(string_null(Job::UniqueKey).unique_key())
                    .col(timestamp_with_time_zone(Job::CreatedAt))
                    .col(timestamp_with_time_zone_null(Job::FinishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("job_due")
                    .table(Job::Table)
                    .col(Job::State)
                    .col(Job::RunAt)
                    .to_owned(),
            )
            .await
    }
}
