//! Outbound webhooks: subscriptions, the deliveries of each event to each subscription, and
//! every attempt with its answer.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookSubscription {
    Table,
    Id,
    OrganizationId,
    CreatedBy,
    Url,
    Secret,
    EventTypes,
    State,
    DisabledReason,
    LastSuccessAt,
    LastFailureAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookDelivery {
    Table,
    Id,
    SubscriptionId,
    EventId,
    EventType,
    PartnerId,
    Payload,
    State,
    Attempts,
    LastStatus,
    LastError,
    CreatedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum WebhookAttempt {
    Table,
    Id,
    DeliveryId,
    At,
    StatusCode,
    Error,
    DurationMs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookSubscription::Table)
                    .col(pk_uuid(WebhookSubscription::Id))
                    .col(uuid(WebhookSubscription::OrganizationId))
                    .col(uuid(WebhookSubscription::CreatedBy))
                    .col(string(WebhookSubscription::Url))
                    .col(string(WebhookSubscription::Secret))
                    .col(text(WebhookSubscription::EventTypes))
                    .col(string(WebhookSubscription::State))
                    .col(text_null(WebhookSubscription::DisabledReason))
                    .col(timestamp_with_time_zone_null(
                        WebhookSubscription::LastSuccessAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        WebhookSubscription::LastFailureAt,
                    ))
                    .col(timestamp_with_time_zone(WebhookSubscription::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDelivery::Table)
                    .col(pk_uuid(WebhookDelivery::Id))
                    .col(uuid(WebhookDelivery::SubscriptionId))
                    .col(uuid(WebhookDelivery::EventId))
                    .col(string(WebhookDelivery::EventType))
                    .col(uuid_null(WebhookDelivery::PartnerId))
                    .col(text(WebhookDelivery::Payload))
                    .col(string(WebhookDelivery::State))
                    .col(integer(WebhookDelivery::Attempts))
                    .col(integer_null(WebhookDelivery::LastStatus))
                    .col(text_null(WebhookDelivery::LastError))
                    .col(timestamp_with_time_zone(WebhookDelivery::CreatedAt))
                    .col(timestamp_with_time_zone_null(WebhookDelivery::DeliveredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_delivery_subscription")
                    .table(WebhookDelivery::Table)
                    .col(WebhookDelivery::SubscriptionId)
                    .col(WebhookDelivery::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_delivery_state")
                    .table(WebhookDelivery::Table)
                    .col(WebhookDelivery::State)
                    .col(WebhookDelivery::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookAttempt::Table)
                    .col(pk_uuid(WebhookAttempt::Id))
                    .col(uuid(WebhookAttempt::DeliveryId))
                    .col(timestamp_with_time_zone(WebhookAttempt::At))
                    .col(integer_null(WebhookAttempt::StatusCode))
                    .col(text_null(WebhookAttempt::Error))
                    .col(integer(WebhookAttempt::DurationMs))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_attempt_delivery")
                    .table(WebhookAttempt::Table)
                    .col(WebhookAttempt::DeliveryId)
                    .col(WebhookAttempt::At)
                    .to_owned(),
            )
            .await
    }
}
