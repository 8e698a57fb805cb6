//! The one ordered set of schema migrations, shared by SQLite and PostgreSQL and embedded in the
//! binary. Never edit a migration that has shipped: add a new one.

use sea_orm_migration::prelude::*;

mod m0001_instance;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m0001_instance::Migration)]
    }
}
