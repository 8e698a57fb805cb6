//! The support tables: queues, tickets and each ticket's timeline.

pub mod queue {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "support_queue")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        /// The ticket categories routed here, comma-separated.
        pub categories: String,
        /// Who hears of a breach: the queue's lead.
        pub lead_user_id: Option<Uuid>,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ticket {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ticket")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub number: String,
        pub partner_id: Uuid,
        pub subject: String,
        pub category: String,
        pub priority: String,
        pub status: String,
        pub queue_id: Uuid,
        pub requester_user_id: Option<Uuid>,
        pub requester_label: String,
        pub owner_user_id: Option<Uuid>,
        pub owner_label: Option<String>,
        /// What the ticket is about, when opened from an object's page.
        pub object_type: Option<String>,
        pub object_id: Option<Uuid>,
        pub object_label: Option<String>,
        pub created_at: TimeDateTimeWithTimeZone,
        pub updated_at: TimeDateTimeWithTimeZone,
        pub first_responded_at: Option<TimeDateTimeWithTimeZone>,
        pub resolved_at: Option<TimeDateTimeWithTimeZone>,
        pub closed_at: Option<TimeDateTimeWithTimeZone>,
        /// How many times the partner reopened it.
        pub reopened: i32,
        pub rating: Option<i32>,
        pub rating_comment: Option<String>,
        pub rated_at: Option<TimeDateTimeWithTimeZone>,
        /// A duplicate closed into another ticket.
        pub merged_into_id: Option<Uuid>,
        /// The soonest due time of its running clocks (kept by the store with the clocks), so
        /// support's lists sort by it from an index.
        pub next_due_at: Option<TimeDateTimeWithTimeZone>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ticket_event")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub ticket_id: Uuid,
        pub partner_id: Uuid,
        pub at: TimeDateTimeWithTimeZone,
        pub actor_user_id: Option<Uuid>,
        pub actor_label: String,
        /// opened, status, assigned, priority, escalated, rated, reopened.
        pub kind: String,
        pub from_value: Option<String>,
        pub to_value: Option<String>,
        pub note: Option<String>,
        /// Vendor-only events (an escalation to the queue lead) never reach partners.
        pub internal: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod canned_reply {
    use sea_orm::entity::prelude::*;

    /// A reply support reuses; agents pick it in the reply form and edit it before sending.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "support_canned_reply")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub title: String,
        pub body: String,
        pub created_by: Option<Uuid>,
        pub created_label: String,
        pub created_at: TimeDateTimeWithTimeZone,
        pub updated_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
