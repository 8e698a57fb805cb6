//! Database access: one SeaORM connection pool over SQLite (the embedded default) or PostgreSQL,
//! chosen by the URL, and the embedded migrations that give both the same schema.
//!
//! SQLite runs in WAL mode with foreign keys on and a busy timeout, so readers never block the
//! writer and short write bursts wait instead of failing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DbBackend, Statement};
use sea_orm_migration::MigratorTrait;

use super::config::DatabaseUrl;
use crate::migrations::Migrator;

pub use sea_orm::DatabaseConnection as Db;

/// Opens the pool; creates the SQLite file (and its folder) when missing.
pub async fn connect(url: &DatabaseUrl) -> anyhow::Result<Db> {
    let mut options = ConnectOptions::new(url.as_str());
    options
        .sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(10));
    match url {
        DatabaseUrl::Sqlite(text) => {
            let folder = sqlite_path(text).and_then(|p| p.parent().map(Path::to_owned));
            if let Some(folder) = folder.filter(|f| !f.as_os_str().is_empty()) {
                std::fs::create_dir_all(&folder).with_context(|| {
                    format!("cannot create the database folder {}", folder.display())
                })?;
            }
            options.max_connections(8).map_sqlx_sqlite_opts(|o| {
                o.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5))
            });
        }
        DatabaseUrl::Postgres(_) => {
            options.max_connections(16);
        }
    }
    Database::connect(options)
        .await
        .with_context(|| format!("cannot open the database {url}"))
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once (`BEGIN
/// IMMEDIATE`): a deferred transaction that reads first fails outright ("database is locked")
/// when another connection — a job worker, say — commits before its first write, whereas an
/// immediate one waits its turn under the busy timeout. PostgreSQL ignores the option.
pub async fn begin_write(db: &Db) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Locks one row of `table` until the transaction ends, by writing its id over itself: others
/// that lock it wait, then read what this transaction wrote. (SQLite's write transactions are
/// serial already; this matters on PostgreSQL.)
pub async fn lock_row(
    conn: &impl ConnectionTrait,
    table: &'static str,
    id: uuid::Uuid,
) -> Result<(), sea_orm::DbErr> {
    conn.execute_raw(Statement::from_sql_and_values(
        conn.get_database_backend(),
        format!("UPDATE {table} SET id = id WHERE id = $1"),
        [sea_orm::Value::from(id)],
    ))
    .await?;
    Ok(())
}

/// Applies every migration not yet applied.
pub async fn migrate(db: &Db) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("database migration failed")
}

/// Gives the query planner fresh statistics about the tables' contents. Without them SQLite
/// guesses, and walked a distributor's every order through the wrong index to find a status
/// (1 ms instead of 0.25 per partner at the large program). On SQLite this is `PRAGMA optimize`,
/// which analyses only tables whose statistics are missing or stale, on a bounded sample:
/// cheap enough to run whenever the portal opens. PostgreSQL's autovacuum keeps its own; after
/// a bulk load, `ANALYZE` there saves waiting for it.
pub async fn refresh_planner_statistics(db: &impl ConnectionTrait) -> Result<(), sea_orm::DbErr> {
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => "PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;",
        _ => "ANALYZE",
    };
    db.execute_unprepared(sql).await.map(|_| ())
}

/// Number of embedded migrations not yet applied.
pub async fn pending_migrations(db: &Db) -> anyhow::Result<usize> {
    Ok(Migrator::get_pending_migrations_read_only(db).await?.len())
}

/// True when the database holds no tables at all (a brand-new database).
pub async fn has_no_tables(db: &Db) -> anyhow::Result<bool> {
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table'",
        _ => {
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM information_schema.tables \
               WHERE table_schema = current_schema()"
        }
    };
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .context("table count returned no row")?;
    let count: i64 = row.try_get("", "n")?;
    Ok(count == 0)
}

/// `column` contains `text`, ignoring case, alike on both databases (PostgreSQL's `LIKE` minds
/// case, SQLite's does not). `%` and `_` in the text match themselves.
pub fn contains_ignoring_case(
    column: impl sea_orm::sea_query::IntoColumnRef,
    text: &str,
) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Expr::expr(Func::lower(Expr::col(column)))
        .like(LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}

/// The file behind a SQLite URL, if it names one (not `:memory:`).
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or(url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths() {
        assert_eq!(
            sqlite_path("sqlite://portico-data/portico.db?mode=rwc"),
            Some(PathBuf::from("portico-data/portico.db"))
        );
        assert_eq!(
            sqlite_path("sqlite:///var/lib/portico.db"),
            Some(PathBuf::from("/var/lib/portico.db"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://x/y"), None);
    }
}
