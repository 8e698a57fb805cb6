use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub id: Uuid,
    pub at: TimeDateTimeWithTimeZone,
    pub actor_user_id: Option<Uuid>,
    pub actor_label: String,
    pub organization_id: Option<Uuid>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub detail: String,
    pub client_address: String,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
