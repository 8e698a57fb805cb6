pub mod user {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "app_user")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub email: String,
        pub display_name: String,
        pub password_hash: Option<String>,
        pub role: String,
        pub status: String,
        pub created_at: TimeDateTimeWithTimeZone,
        pub last_login_at: Option<TimeDateTimeWithTimeZone>,
        /// Base32 TOTP secret once two-factor sign-in is on.
        pub totp_secret: Option<String>,
        /// A secret shown for enrolment, until the first code confirms it.
        pub totp_pending_secret: Option<String>,
        /// The last TOTP time step accepted: a code works once.
        pub totp_last_step: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "user_session")]
    pub struct Model {
        /// SHA-256 of the cookie's token: a database leak does not hand out sessions.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub user_id: Uuid,
        pub created_at: TimeDateTimeWithTimeZone,
        pub last_seen_at: TimeDateTimeWithTimeZone,
        pub expires_at: TimeDateTimeWithTimeZone,
        pub client_address: String,
        /// The password was right; the session waits for the second factor.
        pub second_factor_pending: bool,
        /// A vendor admin viewing the portal as this partner user (read-only).
        pub view_as_user_id: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod staff_assignment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "staff_assignment")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub staff_user_id: Uuid,
        pub partner_id: Uuid,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod user_token {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "user_token")]
    pub struct Model {
        /// SHA-256 of the token sent by mail.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub user_id: Uuid,
        pub purpose: String,
        pub created_by: Option<Uuid>,
        pub created_at: TimeDateTimeWithTimeZone,
        pub expires_at: TimeDateTimeWithTimeZone,
        pub used_at: Option<TimeDateTimeWithTimeZone>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod role_policy {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "role_policy")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub role: String,
        pub second_factor_required: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod api_token {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_token")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// SHA-256 of the secret, which is shown once and never stored.
        pub digest: String,
        /// The secret's first characters, so people can tell their tokens apart.
        pub hint: String,
        pub name: String,
        /// The user the token acts for; it never reaches further than they do.
        pub user_id: Uuid,
        pub organization_id: Uuid,
        /// Permission keys, space-separated.
        pub permissions: String,
        pub created_at: TimeDateTimeWithTimeZone,
        pub expires_at: Option<TimeDateTimeWithTimeZone>,
        pub last_used_at: Option<TimeDateTimeWithTimeZone>,
        pub revoked_at: Option<TimeDateTimeWithTimeZone>,
        pub revoked_by: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
