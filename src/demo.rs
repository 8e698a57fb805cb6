//! `portico demo`: a fresh database holding a realistic program, so a new user sees a living
//! portal. Each module adds its demo data here as it arrives.
//!
//! Rule: never wipe a real program. The demo only writes to a database that is brand new or
//! that an earlier `portico demo` made.

use anyhow::bail;
use sea_orm_migration::MigratorTrait;

use crate::migrations::Migrator;
use crate::platform::config::DatabaseUrl;
use crate::platform::db::{self, Db};
use crate::platform::instance;

pub const VENDOR_NAME: &str = "Northwind Networks";
pub const PROGRAM_NAME: &str = "Northwind Partner Network";

/// Empties a demo (or brand-new) database and fills it with the demo program.
pub async fn prepare(url: &DatabaseUrl) -> anyhow::Result<()> {
    let db = db::connect(url).await?;
    let result = reset_and_seed(&db, url).await;
    db.close().await?;
    result
}

async fn reset_and_seed(db: &Db, url: &DatabaseUrl) -> anyhow::Result<()> {
    if !db::has_no_tables(db).await? {
        // A database without Portico's schema, or with a real program in it, is not ours to wipe.
        let made_by_demo = instance::find(db)
            .await
            .ok()
            .flatten()
            .is_some_and(|found| found.is_demo);
        if !made_by_demo {
            bail!(
                "{url} already holds data that `portico demo` did not create; refusing to \
                 overwrite it. Point PORTICO_DATABASE_URL at an empty database, or leave it \
                 unset to use the demo's own SQLite file."
            );
        }
    }
    Migrator::fresh(db).await?;
    instance::create(db, VENDOR_NAME, PROGRAM_NAME, true).await?;
    Ok(())
}
