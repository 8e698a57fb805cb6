//! Organisations (a tree of the vendor and its partners), users, sessions, staff assignments and
//! the hash-chained audit log.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organization {
    Table,
    Id,
    ParentId,
    Kind,
    Name,
    LegalName,
    PartnerType,
    Tier,
    Status,
    Country,
    Website,
    RegistrationNumber,
    TaxNumber,
    DescendantsVisible,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OrganizationStatusChange {
    Table,
    Id,
    OrganizationId,
    FromStatus,
    ToStatus,
    Reason,
    ActorUserId,
    At,
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
    OrganizationId,
    Email,
    DisplayName,
    PasswordHash,
    Role,
    Status,
    CreatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum StaffAssignment {
    Table,
    Id,
    StaffUserId,
    PartnerId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UserSession {
    Table,
    Id,
    UserId,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    ClientAddress,
}

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    Seq,
    Id,
    At,
    ActorUserId,
    ActorLabel,
    OrganizationId,
    Action,
    ObjectType,
    ObjectId,
    Detail,
    ClientAddress,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    Id,
    Seq,
    Hash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organization::Table)
                    .col(pk_uuid(Organization::Id))
                    .col(uuid_null(Organization::ParentId))
                    .col(string(Organization::Kind))
                    .col(string(Organization::Name))
                    .col(string(Organization::LegalName))
                    .col(string_null(Organization::PartnerType))
                    .col(string_null(Organization::Tier))
                    .col(string(Organization::Status))
                    .col(string_len(Organization::Country, 2))
                    .col(string_null(Organization::Website))
                    .col(string_null(Organization::RegistrationNumber))
                    .col(string_null(Organization::TaxNumber))
                    .col(boolean(Organization::DescendantsVisible))
                    .col(timestamp_with_time_zone(Organization::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Organization::Table, Organization::ParentId)
                            .to(Organization::Table, Organization::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("organization_parent")
                    .table(Organization::Table)
                    .col(Organization::ParentId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OrganizationStatusChange::Table)
                    .col(pk_uuid(OrganizationStatusChange::Id))
                    .col(uuid(OrganizationStatusChange::OrganizationId))
                    .col(string_null(OrganizationStatusChange::FromStatus))
                    .col(string(OrganizationStatusChange::ToStatus))
                    .col(text(OrganizationStatusChange::Reason))
                    .col(uuid_null(OrganizationStatusChange::ActorUserId))
                    .col(timestamp_with_time_zone(OrganizationStatusChange::At))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                OrganizationStatusChange::Table,
                                OrganizationStatusChange::OrganizationId,
                            )
                            .to(Organization::Table, Organization::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("organization_status_change_org")
                    .table(OrganizationStatusChange::Table)
                    .col(OrganizationStatusChange::OrganizationId)
                    .col(OrganizationStatusChange::At)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AppUser::Table)
                    .col(pk_uuid(AppUser::Id))
                    .col(uuid(AppUser::OrganizationId))
                    .col(string(AppUser::Email))
                    .col(string(AppUser::DisplayName))
                    .col(string_null(AppUser::PasswordHash))
                    .col(string(AppUser::Role))
                    .col(string(AppUser::Status))
                    .col(timestamp_with_time_zone(AppUser::CreatedAt))
                    .col(timestamp_with_time_zone_null(AppUser::LastLoginAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AppUser::Table, AppUser::OrganizationId)
                            .to(Organization::Table, Organization::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("app_user_email")
                    .table(AppUser::Table)
                    .col(AppUser::Email)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("app_user_organization")
                    .table(AppUser::Table)
                    .col(AppUser::OrganizationId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(StaffAssignment::Table)
                    .col(pk_uuid(StaffAssignment::Id))
                    .col(uuid(StaffAssignment::StaffUserId))
                    .col(uuid(StaffAssignment::PartnerId))
                    .col(timestamp_with_time_zone(StaffAssignment::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(StaffAssignment::Table, StaffAssignment::StaffUserId)
                            .to(AppUser::Table, AppUser::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(StaffAssignment::Table, StaffAssignment::PartnerId)
                            .to(Organization::Table, Organization::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("staff_assignment_unique")
                    .table(StaffAssignment::Table)
                    .col(StaffAssignment::StaffUserId)
                    .col(StaffAssignment::PartnerId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(UserSession::Table)
                    .col(string(UserSession::Id).primary_key())
                    .col(uuid(UserSession::UserId))
                    .col(timestamp_with_time_zone(UserSession::CreatedAt))
                    .col(timestamp_with_time_zone(UserSession::LastSeenAt))
                    .col(timestamp_with_time_zone(UserSession::ExpiresAt))
                    .col(string(UserSession::ClientAddress))
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserSession::Table, UserSession::UserId)
                            .to(AppUser::Table, AppUser::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("user_session_user")
                    .table(UserSession::Table)
                    .col(UserSession::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvent::Table)
                    .col(big_integer(AuditEvent::Seq).primary_key())
                    .col(uuid(AuditEvent::Id))
                    .col(timestamp_with_time_zone(AuditEvent::At))
                    .col(uuid_null(AuditEvent::ActorUserId))
                    .col(string(AuditEvent::ActorLabel))
                    .col(uuid_null(AuditEvent::OrganizationId))
                    .col(string(AuditEvent::Action))
                    .col(string(AuditEvent::ObjectType))
                    .col(string(AuditEvent::ObjectId))
                    .col(text(AuditEvent::Detail))
                    .col(string(AuditEvent::ClientAddress))
                    .col(string(AuditEvent::PrevHash))
                    .col(string(AuditEvent::Hash))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("audit_event_at", AuditEvent::At),
            ("audit_event_actor", AuditEvent::ActorUserId),
            ("audit_event_organization", AuditEvent::OrganizationId),
            ("audit_event_action", AuditEvent::Action),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AuditEvent::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }

        // The chain's head: one row, locked by every writer so appends are strictly ordered.
        manager
            .create_table(
                Table::create()
                    .table(AuditHead::Table)
                    .col(integer(AuditHead::Id).primary_key())
                    .col(big_integer(AuditHead::Seq))
                    .col(string(AuditHead::Hash))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(AuditHead::Table)
                    .columns([AuditHead::Id, AuditHead::Seq, AuditHead::Hash])
                    .values_panic([1.into(), 0i64.into(), GENESIS_HASH.into()])
                    .to_owned(),
            )
            .await
    }
}

/// The hash the first audit row chains from.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
