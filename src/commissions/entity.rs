//! The commissions tables, as SeaORM sees them.

pub mod plan {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "commission_plan")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub description: String,
        /// The one currency every amount of the plan is in.
        pub currency: String,
        /// monthly or quarterly: the settlement period.
        pub period: String,
        /// Days after a period ends that its payout is expected.
        pub payout_days: i32,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod rule {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "commission_rule")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub plan_id: Uuid,
        pub name: String,
        /// Where several rules match a line, the highest precedence applies; unique per plan.
        pub precedence: i32,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod rule_version {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "commission_rule_version")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub rule_id: Uuid,
        pub plan_id: Uuid,
        pub version: i32,
        pub effective_from: TimeDate,
        /// Exclusive; `None` while the version is the latest.
        pub effective_to: Option<TimeDate>,
        pub partner_type: Option<String>,
        pub tier: Option<String>,
        pub product_line: Option<String>,
        pub sku: Option<String>,
        pub deal_type: Option<String>,
        /// The order status (or any later one) at which a line earns commission.
        pub qualifying_status: String,
        pub rate_bp: Option<i32>,
        pub per_unit_minor: Option<i64>,
        /// marginal or retroactive, with `bands`.
        pub band_mode: Option<String>,
        /// JSON: `[{"from_minor": 0, "to_minor": 5000000, "rate_bp": 800}, …]`.
        pub bands: Option<String>,
        pub cap_minor: Option<i64>,
        pub note: String,
        pub created_by: Option<Uuid>,
        pub created_label: String,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod statement {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "commission_statement")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// Readable: `STM-10042`.
        pub number: String,
        pub partner_id: Uuid,
        pub plan_id: Uuid,
        pub period_start: TimeDate,
        /// Inclusive: the period's last day.
        pub period_end: TimeDate,
        /// 1, then 2… for each correction that supersedes the one before.
        pub revision: i32,
        pub currency: String,
        /// A negative balance carried from the statement before (clawbacks beyond earnings).
        pub opening_minor: i64,
        pub lines_minor: i64,
        /// opening + lines.
        pub total_minor: i64,
        /// What the superseded revision already paid out.
        pub paid_before_minor: i64,
        /// What this statement pays: max(total, 0) less what was paid before.
        pub payout_minor: i64,
        /// pending, approved, paid or corrected.
        pub status: String,
        pub expected_payout_on: TimeDate,
        pub prepared_by: Option<Uuid>,
        pub prepared_label: String,
        pub approved_by: Option<Uuid>,
        pub approved_label: Option<String>,
        pub approved_at: Option<TimeDateTimeWithTimeZone>,
        pub paid_on: Option<TimeDate>,
        pub payout_reference: Option<String>,
        pub supersedes_id: Option<Uuid>,
        pub created_at: TimeDateTimeWithTimeZone,
        pub updated_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod line {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "commission_line")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub partner_id: Uuid,
        pub plan_id: Uuid,
        /// accrual, correction, reversal, adjustment or exclusion.
        pub kind: String,
        pub order_id: Option<Uuid>,
        pub order_line_id: Option<Uuid>,
        pub rule_version_id: Option<Uuid>,
        pub base_minor: i64,
        pub rate_bp: Option<i32>,
        pub amount_minor: i64,
        pub currency: String,
        pub earned_on: TimeDate,
        pub calculated_at: TimeDateTimeWithTimeZone,
        /// The sentence a partner reads: "12.50% of EUR 4,000.00 under 'Gold hardware' v2".
        pub explanation: String,
        /// Why finance adjusted or excluded.
        pub reason: Option<String>,
        pub author_user_id: Option<Uuid>,
        pub author_label: String,
        pub statement_id: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "commission_event")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub statement_id: Uuid,
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

pub mod dispute {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "commission_dispute")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub line_id: Uuid,
        pub partner_id: Uuid,
        /// open or resolved.
        pub status: String,
        pub opened_by: Option<Uuid>,
        pub opened_label: String,
        pub opened_at: TimeDateTimeWithTimeZone,
        pub resolved_by: Option<Uuid>,
        pub resolved_label: Option<String>,
        pub resolved_at: Option<TimeDateTimeWithTimeZone>,
        /// What finance concluded, in words the partner reads.
        pub resolution: Option<String>,
        /// The adjustment the resolution wrote, if any.
        pub adjustment_line_id: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
