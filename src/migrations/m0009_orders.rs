//! Orders: the catalogue (products, list prices, price lists), orders with their lines, a
//! timeline of every change, related documents, and the counters behind readable numbers.
//!
//! Partner-owned tables carry `partner_id` and their indexes lead with it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organization {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum NumberSequence {
    Table,
    Name,
    NextValue,
}

#[derive(DeriveIden)]
#[allow(clippy::enum_variant_names)]
enum Product {
    Table,
    Id,
    Sku,
    Gtin,
    Name,
    ProductLine,
    Unit,
    MinOrderQuantity,
    PackSize,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ProductPrice {
    Table,
    ProductId,
    Currency,
    ListPriceMinor,
}

#[derive(DeriveIden)]
enum PriceList {
    Table,
    Id,
    Name,
    PartnerId,
    Tier,
    Currency,
    MaxDiscountBp,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PriceListEntry {
    Table,
    PriceListId,
    ProductId,
    UnitPriceMinor,
}

#[derive(DeriveIden)]
enum SalesOrder {
    Table,
    Id,
    Number,
    PartnerId,
    CustomerName,
    PartnerReference,
    Status,
    BlockedReason,
    BlockedOwner,
    BlockedAt,
    Currency,
    TotalMinor,
    PaymentStatus,
    OrderedAt,
    PromisedDate,
    ShippedAt,
    DeliveredAt,
    Source,
    SourceReference,
    SyncedAt,
    ShipTo,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrderLine {
    Table,
    Id,
    OrderId,
    PartnerId,
    Position,
    ProductId,
    Sku,
    ProductName,
    Quantity,
    UnitPriceMinor,
    DiscountBp,
    TotalMinor,
}

#[derive(DeriveIden)]
enum OrderEvent {
    Table,
    Id,
    OrderId,
    PartnerId,
    At,
    ActorUserId,
    ActorLabel,
    Kind,
    FromValue,
    ToValue,
    Reason,
}

#[derive(DeriveIden)]
enum OrderDocument {
    Table,
    Id,
    OrderId,
    PartnerId,
    Kind,
    FileName,
    ContentType,
    SizeBytes,
    Sha256,
    UploadedBy,
    UploadedLabel,
    UploadedAt,
}

pub(super) fn index(name: &str, table: impl IntoIden, columns: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(Alias::new(*column));
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(NumberSequence::Table)
                    .col(string(NumberSequence::Name).primary_key())
                    .col(big_integer(NumberSequence::NextValue))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Product::Table)
                    .col(pk_uuid(Product::Id))
                    .col(string(Product::Sku).unique_key())
                    .col(string_null(Product::Gtin))
                    .col(string(Product::Name))
                    .col(string(Product::ProductLine))
                    .col(string(Product::Unit))
                    .col(integer(Product::MinOrderQuantity))
                    .col(integer(Product::PackSize))
                    .col(boolean(Product::Active))
                    .col(timestamp_with_time_zone(Product::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProductPrice::Table)
                    .col(uuid(ProductPrice::ProductId))
                    .col(string(ProductPrice::Currency))
                    .col(big_integer(ProductPrice::ListPriceMinor))
                    .primary_key(
                        Index::create()
                            .col(ProductPrice::ProductId)
                            .col(ProductPrice::Currency),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProductPrice::Table, ProductPrice::ProductId)
                            .to(Product::Table, Product::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PriceList::Table)
                    .col(pk_uuid(PriceList::Id))
                    .col(string(PriceList::Name))
                    .col(uuid_null(PriceList::PartnerId))
                    .col(string_null(PriceList::Tier))
                    .col(string(PriceList::Currency))
                    .col(integer(PriceList::MaxDiscountBp))
                    .col(timestamp_with_time_zone(PriceList::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PriceList::Table, PriceList::PartnerId)
                            .to(Organization::Table, Organization::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PriceListEntry::Table)
                    .col(uuid(PriceListEntry::PriceListId))
                    .col(uuid(PriceListEntry::ProductId))
                    .col(big_integer(PriceListEntry::UnitPriceMinor))
                    .primary_key(
                        Index::create()
                            .col(PriceListEntry::PriceListId)
                            .col(PriceListEntry::ProductId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PriceListEntry::Table, PriceListEntry::PriceListId)
                            .to(PriceList::Table, PriceList::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PriceListEntry::Table, PriceListEntry::ProductId)
                            .to(Product::Table, Product::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SalesOrder::Table)
                    .col(pk_uuid(SalesOrder::Id))
                    .col(string(SalesOrder::Number).unique_key())
                    .col(uuid(SalesOrder::PartnerId))
                    .col(string(SalesOrder::CustomerName))
                    .col(string_null(SalesOrder::PartnerReference))
                    .col(string(SalesOrder::Status))
                    .col(text_null(SalesOrder::BlockedReason))
                    .col(string_null(SalesOrder::BlockedOwner))
                    .col(timestamp_with_time_zone_null(SalesOrder::BlockedAt))
                    .col(string(SalesOrder::Currency))
                    .col(big_integer(SalesOrder::TotalMinor))
                    .col(string(SalesOrder::PaymentStatus))
                    .col(timestamp_with_time_zone(SalesOrder::OrderedAt))
                    .col(date_null(SalesOrder::PromisedDate))
                    .col(timestamp_with_time_zone_null(SalesOrder::ShippedAt))
                    .col(timestamp_with_time_zone_null(SalesOrder::DeliveredAt))
                    .col(string(SalesOrder::Source))
                    .col(string_null(SalesOrder::SourceReference))
                    .col(timestamp_with_time_zone_null(SalesOrder::SyncedAt))
                    .col(text_null(SalesOrder::ShipTo))
                    .col(uuid_null(SalesOrder::CreatedBy))
                    .col(timestamp_with_time_zone(SalesOrder::CreatedAt))
                    .col(timestamp_with_time_zone(SalesOrder::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SalesOrder::Table, SalesOrder::PartnerId)
                            .to(Organization::Table, Organization::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // The list pages: a partner's orders by date, by status, by value; the vendor's by date
        // and value across partners.
        for statement in [
            index(
                "sales_order_partner_ordered",
                SalesOrder::Table,
                &["partner_id", "ordered_at", "id"],
            ),
            index(
                "sales_order_partner_status",
                SalesOrder::Table,
                &["partner_id", "status", "ordered_at"],
            ),
            index(
                "sales_order_partner_total",
                SalesOrder::Table,
                &["partner_id", "total_minor", "id"],
            ),
            index(
                "sales_order_ordered",
                SalesOrder::Table,
                &["ordered_at", "id"],
            ),
            index(
                "sales_order_total",
                SalesOrder::Table,
                &["total_minor", "id"],
            ),
        ] {
            manager.create_index(statement).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(OrderLine::Table)
                    .col(pk_uuid(OrderLine::Id))
                    .col(uuid(OrderLine::OrderId))
                    .col(uuid(OrderLine::PartnerId))
                    .col(integer(OrderLine::Position))
                    .col(uuid(OrderLine::ProductId))
                    .col(string(OrderLine::Sku))
                    .col(string(OrderLine::ProductName))
                    .col(integer(OrderLine::Quantity))
                    .col(big_integer(OrderLine::UnitPriceMinor))
                    .col(integer(OrderLine::DiscountBp))
                    .col(big_integer(OrderLine::TotalMinor))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrderLine::Table, OrderLine::OrderId)
                            .to(SalesOrder::Table, SalesOrder::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrderLine::Table, OrderLine::ProductId)
                            .to(Product::Table, Product::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "order_line_order",
                OrderLine::Table,
                &["partner_id", "order_id", "position"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderEvent::Table)
                    .col(pk_uuid(OrderEvent::Id))
                    .col(uuid(OrderEvent::OrderId))
                    .col(uuid(OrderEvent::PartnerId))
                    .col(timestamp_with_time_zone(OrderEvent::At))
                    .col(uuid_null(OrderEvent::ActorUserId))
                    .col(string(OrderEvent::ActorLabel))
                    .col(string(OrderEvent::Kind))
                    .col(text_null(OrderEvent::FromValue))
                    .col(text_null(OrderEvent::ToValue))
                    .col(text_null(OrderEvent::Reason))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrderEvent::Table, OrderEvent::OrderId)
                            .to(SalesOrder::Table, SalesOrder::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "order_event_order",
                OrderEvent::Table,
                &["partner_id", "order_id", "at"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderDocument::Table)
                    .col(pk_uuid(OrderDocument::Id))
                    .col(uuid(OrderDocument::OrderId))
                    .col(uuid(OrderDocument::PartnerId))
                    .col(string(OrderDocument::Kind))
                    .col(string(OrderDocument::FileName))
                    .col(string(OrderDocument::ContentType))
                    .col(big_integer(OrderDocument::SizeBytes))
                    .col(string(OrderDocument::Sha256))
                    .col(uuid_null(OrderDocument::UploadedBy))
                    .col(string(OrderDocument::UploadedLabel))
                    .col(timestamp_with_time_zone(OrderDocument::UploadedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrderDocument::Table, OrderDocument::OrderId)
                            .to(SalesOrder::Table, SalesOrder::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "order_document_order",
                OrderDocument::Table,
                &["partner_id", "order_id"],
            ))
            .await
    }
}
