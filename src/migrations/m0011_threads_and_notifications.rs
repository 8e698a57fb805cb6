//! Discussions attached to any object (an order today; settlement lines, claims, deals and
//! tickets later), with followers and attachments; and the notification inbox with each
//! user's preferences.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Thread {
    Table,
    Id,
    PartnerId,
    ObjectType,
    ObjectId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ThreadMessage {
    Table,
    Id,
    ThreadId,
    PartnerId,
    AuthorUserId,
    AuthorLabel,
    AuthorSide,
    Body,
    Internal,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ThreadAttachment {
    Table,
    Id,
    MessageId,
    PartnerId,
    FileName,
    ContentType,
    SizeBytes,
    Sha256,
}

#[derive(DeriveIden)]
enum ThreadFollower {
    Table,
    ThreadId,
    UserId,
    Side,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Notification {
    Table,
    Id,
    UserId,
    PartnerId,
    Kind,
    Title,
    Body,
    Link,
    CreatedAt,
    ReadAt,
    MailedAt,
}

#[derive(DeriveIden)]
enum NotificationPreference {
    Table,
    UserId,
    Kind,
    Delivery,
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
                    .table(Thread::Table)
                    .col(pk_uuid(Thread::Id))
                    .col(uuid(Thread::PartnerId))
                    .col(string(Thread::ObjectType))
                    .col(uuid(Thread::ObjectId))
                    .col(timestamp_with_time_zone(Thread::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("thread_object")
                    .table(Thread::Table)
                    .col(Thread::PartnerId)
                    .col(Thread::ObjectType)
                    .col(Thread::ObjectId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ThreadMessage::Table)
                    .col(pk_uuid(ThreadMessage::Id))
                    .col(uuid(ThreadMessage::ThreadId))
                    .col(uuid(ThreadMessage::PartnerId))
                    .col(uuid_null(ThreadMessage::AuthorUserId))
                    .col(string(ThreadMessage::AuthorLabel))
                    .col(string(ThreadMessage::AuthorSide))
                    .col(text(ThreadMessage::Body))
                    .col(boolean(ThreadMessage::Internal))
                    .col(timestamp_with_time_zone(ThreadMessage::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ThreadMessage::Table, ThreadMessage::ThreadId)
                            .to(Thread::Table, Thread::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("thread_message_thread")
                    .table(ThreadMessage::Table)
                    .col(ThreadMessage::PartnerId)
                    .col(ThreadMessage::ThreadId)
                    .col(ThreadMessage::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ThreadAttachment::Table)
                    .col(pk_uuid(ThreadAttachment::Id))
                    .col(uuid(ThreadAttachment::MessageId))
                    .col(uuid(ThreadAttachment::PartnerId))
                    .col(string(ThreadAttachment::FileName))
                    .col(string(ThreadAttachment::ContentType))
                    .col(big_integer(ThreadAttachment::SizeBytes))
                    .col(string(ThreadAttachment::Sha256))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ThreadAttachment::Table, ThreadAttachment::MessageId)
                            .to(ThreadMessage::Table, ThreadMessage::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("thread_attachment_message")
                    .table(ThreadAttachment::Table)
                    .col(ThreadAttachment::PartnerId)
                    .col(ThreadAttachment::MessageId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ThreadFollower::Table)
                    .col(uuid(ThreadFollower::ThreadId))
                    .col(uuid(ThreadFollower::UserId))
                    .col(string(ThreadFollower::Side))
                    .col(timestamp_with_time_zone(ThreadFollower::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ThreadFollower::ThreadId)
                            .col(ThreadFollower::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ThreadFollower::Table, ThreadFollower::ThreadId)
                            .to(Thread::Table, Thread::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Notification::Table)
                    .col(pk_uuid(Notification::Id))
                    .col(uuid(Notification::UserId))
                    .col(uuid_null(Notification::PartnerId))
                    .col(string(Notification::Kind))
                    .col(string(Notification::Title))
                    .col(text(Notification::Body))
                    .col(string(Notification::Link))
                    .col(timestamp_with_time_zone(Notification::CreatedAt))
                    .col(timestamp_with_time_zone_null(Notification::ReadAt))
                    .col(timestamp_with_time_zone_null(Notification::MailedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Notification::Table, Notification::UserId)
                            .to(AppUser::Table, AppUser::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notification_inbox")
                    .table(Notification::Table)
                    .col(Notification::UserId)
                    .col(Notification::ReadAt)
                    .col(Notification::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NotificationPreference::Table)
                    .col(uuid(NotificationPreference::UserId))
                    .col(string(NotificationPreference::Kind))
                    .col(string(NotificationPreference::Delivery))
                    .primary_key(
                        Index::create()
                            .col(NotificationPreference::UserId)
                            .col(NotificationPreference::Kind),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                NotificationPreference::Table,
                                NotificationPreference::UserId,
                            )
                            .to(AppUser::Table, AppUser::Id),
                    )
                    .to_owned(),
            )
            .await
    }
}
