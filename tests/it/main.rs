//! Integration tests: the real app on a random port, over real HTTP, with a fresh database per
//! test. Tests written with `on_both_databases!` run on SQLite always and on PostgreSQL when
//! `PORTICO_TEST_DATABASE_URL` is set.

mod helpers;

mod accounts;
mod api;
mod assets;
mod browser;
mod cli;
mod commissions;
mod demo;
mod discussions;
mod identity;
mod jobs;
mod orders;
mod orgs;
mod settlement_properties;
mod shell;
mod support;
mod sync;
mod tenancy;
mod webhooks;
