//! Revisions: a counter per kind of shared data (the asset library), raised in the same
//! transaction as every change to that data. A process may keep such data in memory
//! ([`Cached`]) while the revision it read it at still stands; one small read per request tells,
//! so several processes on one database never serve a stale copy.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "revision")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub value: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Marks `name`'s data changed. Call it inside the transaction that changes the data.
pub async fn bump(conn: &impl ConnectionTrait, name: &str) -> Result<(), DbErr> {
    entity::Entity::insert(entity::ActiveModel {
        name: Set(name.to_owned()),
        value: Set(1),
    })
    .on_conflict(
        OnConflict::column(entity::Column::Name)
            .value(
                entity::Column::Value,
                Expr::col((entity::Entity, entity::Column::Value)).add(1),
            )
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// `name`'s revision now: 0 until its data first changes.
pub async fn current(conn: &impl ConnectionTrait, name: &str) -> Result<i64, DbErr> {
    Ok(entity::Entity::find_by_id(name.to_owned())
        .one(conn)
        .await?
        .map_or(0, |row| row.value))
}

/// Data loaded from the database, kept while its revision stands.
pub struct Cached<T> {
    name: &'static str,
    kept: Mutex<Option<(i64, Arc<T>)>>,
}

impl<T> Cached<T> {
    pub fn new(name: &'static str) -> Cached<T> {
        Cached {
            name,
            kept: Mutex::new(None),
        }
    }

    /// The kept copy if it is current, else what `load` reads now. The revision is read before
    /// loading: a change that lands in between only makes the next request load again.
    pub async fn get<Load, Loading>(
        &self,
        conn: &impl ConnectionTrait,
        load: Load,
    ) -> Result<Arc<T>, DbErr>
    where
        Load: FnOnce() -> Loading,
        Loading: Future<Output = Result<T, DbErr>>,
    {
        let revision = current(conn, self.name).await?;
        if let Some((kept_at, kept)) = self
            .kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            && *kept_at == revision
        {
            return Ok(Arc::clone(kept));
        }
        let loaded = Arc::new(load().await?);
        *self.kept.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((revision, Arc::clone(&loaded)));
        Ok(loaded)
    }
}
