//! The orders tables, as SeaORM sees them.

pub mod product {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "product")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub sku: String,
        pub gtin: Option<String>,
        pub name: String,
        pub product_line: String,
        pub unit: String,
        pub min_order_quantity: i32,
        pub pack_size: i32,
        pub active: bool,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod product_price {
    use sea_orm::entity::prelude::*;

    /// A product's list price in one currency.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "product_price")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub product_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub currency: String,
        pub list_price_minor: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod price_list {
    use sea_orm::entity::prelude::*;

    /// Net prices for one partner, one tier, or everyone (neither set), in one currency, with
    /// the largest line discount a partner may give on top.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "price_list")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub partner_id: Option<Uuid>,
        pub tier: Option<String>,
        pub currency: String,
        pub max_discount_bp: i32,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod price_list_entry {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "price_list_entry")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub price_list_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub product_id: Uuid,
        pub unit_price_minor: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod sales_order {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sales_order")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// Readable: `ORD-10423`.
        pub number: String,
        pub partner_id: Uuid,
        pub customer_name: String,
        /// The partner's own purchase-order number.
        pub partner_reference: Option<String>,
        pub status: String,
        pub blocked_reason: Option<String>,
        /// Who must act to unblock it, in words ("Northwind credit control").
        pub blocked_owner: Option<String>,
        pub blocked_at: Option<TimeDateTimeWithTimeZone>,
        pub currency: String,
        pub total_minor: i64,
        pub payment_status: String,
        pub ordered_at: TimeDateTimeWithTimeZone,
        pub promised_date: Option<TimeDate>,
        pub shipped_at: Option<TimeDateTimeWithTimeZone>,
        pub delivered_at: Option<TimeDateTimeWithTimeZone>,
        /// portal, erp or import.
        pub source: String,
        pub source_reference: Option<String>,
        pub synced_at: Option<TimeDateTimeWithTimeZone>,
        pub ship_to: Option<String>,
        pub created_by: Option<Uuid>,
        pub created_at: TimeDateTimeWithTimeZone,
        pub updated_at: TimeDateTimeWithTimeZone,
        /// resale, registered_deal or referral: a commission rule condition.
        pub deal_type: String,
        /// The partner's tier and type when the order was placed: what commission rules match,
        /// so a later tier change does not re-rank orders already placed.
        pub partner_tier: Option<String>,
        pub partner_type: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod order_line {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "order_line")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub order_id: Uuid,
        pub partner_id: Uuid,
        pub position: i32,
        pub product_id: Uuid,
        pub sku: String,
        pub product_name: String,
        pub quantity: i32,
        pub unit_price_minor: i64,
        pub discount_bp: i32,
        pub total_minor: i64,
        /// The product's line when the line was ordered: what commission rules match.
        pub product_line: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod order_event {
    use sea_orm::entity::prelude::*;

    /// One row of an order's timeline; never updated.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "order_event")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub order_id: Uuid,
        pub partner_id: Uuid,
        pub at: TimeDateTimeWithTimeZone,
        pub actor_user_id: Option<Uuid>,
        pub actor_label: String,
        pub kind: String,
        pub from_value: Option<String>,
        pub to_value: Option<String>,
        pub reason: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod order_document {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "order_document")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub order_id: Uuid,
        pub partner_id: Uuid,
        pub kind: String,
        pub file_name: String,
        pub content_type: String,
        pub size_bytes: i64,
        /// The file's content address in the file store.
        pub sha256: String,
        pub uploaded_by: Option<Uuid>,
        pub uploaded_label: String,
        pub uploaded_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
