//! The deployment's own record: the vendor running the program, its name, and whether the
//! database holds demo data (so `portico demo` never wipes a real program).

use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, QueryOrder};

use super::{db::Db, ids, time};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "instance")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub vendor_name: String,
    pub program_name: String,
    pub is_demo: bool,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

pub type Instance = Model;

/// What a new deployment is called until an admin names it.
const UNNAMED_VENDOR: &str = "Your company";
const UNNAMED_PROGRAM: &str = "Partner portal";

/// The deployment's record, if one was written.
pub async fn find(db: &Db) -> Result<Option<Instance>, DbErr> {
    Entity::find().order_by_asc(Column::CreatedAt).one(db).await
}

/// The deployment's record, writing a neutral one for a new production database.
pub async fn find_or_create(db: &Db) -> Result<Instance, DbErr> {
    match find(db).await? {
        Some(instance) => Ok(instance),
        None => create(db, UNNAMED_VENDOR, UNNAMED_PROGRAM, false).await,
    }
}

pub async fn create(
    db: &Db,
    vendor_name: &str,
    program_name: &str,
    is_demo: bool,
) -> Result<Instance, DbErr> {
    ActiveModel {
        id: Set(ids::new_id()),
        vendor_name: Set(vendor_name.to_owned()),
        program_name: Set(program_name.to_owned()),
        is_demo: Set(is_demo),
        created_at: Set(time::now()),
    }
    .insert(db)
    .await
}
