//! The `serve` processes sharing one database. Each keeps a row fresh while it runs, so every
//! process knows how many share the work: the API's per-token rate limit is split between them,
//! and a token never gets more than its limit however many nodes a load balancer spreads it over.
//!
//! Rules: a node is live while its row was refreshed within [`LIVE_WITHIN`]; it refreshes every
//! [`HEARTBEAT`] and removes its row when it stops; a crashed node's row ages out.

use std::time::Duration as StdDuration;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// How often a node refreshes its row and recounts the others.
pub const HEARTBEAT: StdDuration = StdDuration::from_secs(20);
/// A node whose row is older than this is gone.
pub const LIVE_WITHIN: Duration = Duration::seconds(60);

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "serve_node")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub started_at: TimeDateTimeWithTimeZone,
        pub seen_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Marks node `id` live at `at`, forgets nodes long gone, and returns how many are live
/// (this one included).
pub async fn beat(conn: &impl ConnectionTrait, id: Uuid, at: OffsetDateTime) -> Result<u32, DbErr> {
    entity::Entity::insert(entity::ActiveModel {
        id: Set(id),
        started_at: Set(at),
        seen_at: Set(at),
    })
    .on_conflict(
        OnConflict::column(entity::Column::Id)
            .update_column(entity::Column::SeenAt)
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    entity::Entity::delete_many()
        .filter(entity::Column::SeenAt.lt(at - LIVE_WITHIN * 10))
        .exec(conn)
        .await?;
    let live = entity::Entity::find()
        .filter(entity::Column::SeenAt.gte(at - LIVE_WITHIN))
        .count(conn)
        .await?;
    Ok(u32::try_from(live).unwrap_or(u32::MAX).max(1))
}

/// Node `id` stops: the others stop counting it at their next heartbeat.
pub async fn leave(conn: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    entity::Entity::delete_by_id(id).exec(conn).await?;
    Ok(())
}
