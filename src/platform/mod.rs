//! Shared machinery every capability module uses and none of them owns: configuration, the
//! database, errors, ids, readable numbers, files, time, money, metrics and the web shell. `platform` uses no module.

pub mod api;
pub mod calendar;
pub mod config;
pub mod csrf;
pub mod db;
pub mod error;
pub mod export;
pub mod files;
pub mod health;
pub mod ids;
pub mod instance;
pub mod jobs;
pub mod jobs_admin;
pub mod mail;
pub mod metrics;
pub mod money;
pub mod nodes;
pub mod numbers;
pub mod pdf;
pub mod revision;
pub mod scope;
pub mod sla;
pub mod threads;
pub mod time;
pub mod web;
