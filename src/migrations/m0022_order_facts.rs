//! The facts commission rules match, as they stood when an order was placed: the partner's tier
//! and type on the order, the product line on each line. Existing orders take today's values.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SalesOrder {
    Table,
    PartnerTier,
    PartnerType,
}

#[derive(DeriveIden)]
enum OrderLine {
    Table,
    ProductLine,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one column per ALTER TABLE.
        for column in [SalesOrder::PartnerTier, SalesOrder::PartnerType] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SalesOrder::Table)
                        .add_column(string_null(column))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(OrderLine::Table)
                    .add_column(string_null(OrderLine::ProductLine))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE sales_order SET \
             partner_tier = (SELECT tier FROM organization WHERE organization.id = sales_order.partner_id), \
             partner_type = (SELECT partner_type FROM organization WHERE organization.id = sales_order.partner_id)",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE order_line SET product_line = \
             (SELECT product_line FROM product WHERE product.id = order_line.product_id)",
        )
        .await?;
        Ok(())
    }
}
