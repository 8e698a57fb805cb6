//! The one ordered set of schema migrations, shared by SQLite and PostgreSQL and embedded in the
//! binary. Never edit a migration that has shipped: add a new one.

use sea_orm_migration::prelude::*;

mod m0001_instance;
mod m0002_identity;
mod m0003_mail_and_tokens;
mod m0004_second_factor;
mod m0005_view_as;
mod m0006_profile_details;
mod m0007_role_policy;
mod m0008_billing_address;
mod m0009_orders;
mod m0010_jobs;
mod m0011_threads_and_notifications;
mod m0012_assets;
mod m0013_commissions;
mod m0014_support;
mod m0015_api;
mod m0016_webhooks;
mod m0017_sync;
mod m0018_asset_library;
mod m0019_revisions;
mod m0020_webhook_secret_rotation;
mod m0021_serve_nodes;
mod m0022_order_facts;

pub(crate) use m0002_identity::GENESIS_HASH as AUDIT_GENESIS_HASH;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_instance::Migration),
            Box::new(m0002_identity::Migration),
            Box::new(m0003_mail_and_tokens::Migration),
            Box::new(m0004_second_factor::Migration),
            Box::new(m0005_view_as::Migration),
            Box::new(m0006_profile_details::Migration),
            Box::new(m0007_role_policy::Migration),
            Box::new(m0008_billing_address::Migration),
            Box::new(m0009_orders::Migration),
            Box::new(m0010_jobs::Migration),
            Box::new(m0011_threads_and_notifications::Migration),
            Box::new(m0012_assets::Migration),
            Box::new(m0013_commissions::Migration),
            Box::new(m0014_support::Migration),
            Box::new(m0015_api::Migration),
            Box::new(m0016_webhooks::Migration),
            Box::new(m0017_sync::Migration),
            Box::new(m0018_asset_library::Migration),
            Box::new(m0019_revisions::Migration),
            Box::new(m0020_webhook_secret_rotation::Migration),
            Box::new(m0021_serve_nodes::Migration),
            Box::new(m0022_order_facts::Migration),
        ]
    }
}
