//! Richer partner profiles: registered address, markets served, capabilities, certifications.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organization {
    Table,
    Id,
    Address,
    Markets,
    Capabilities,
}

#[derive(DeriveIden)]
enum Certification {
    Table,
    Id,
    OrganizationId,
    Name,
    Issuer,
    ValidUntil,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Lists are kept as newline-separated text: the same on both databases, easy to show.
        for column in [
            text_null(Organization::Address),
            text_null(Organization::Markets),
            text_null(Organization::Capabilities),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Organization::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Certification::Table)
                    .col(pk_uuid(Certification::Id))
                    .col(uuid(Certification::OrganizationId))
                    .col(string(Certification::Name))
                    .col(string(Certification::Issuer))
                    .col(date_null(Certification::ValidUntil))
                    .col(timestamp_with_time_zone(Certification::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Certification::Table, Certification::OrganizationId)
                            .to(Organization::Table, Organization::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("certification_organization")
                    .table(Certification::Table)
                    .col(Certification::OrganizationId)
                    .to_owned(),
            )
            .await
    }
}
