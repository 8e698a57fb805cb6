//! A table-backed job queue. A job is written in the transaction of the change that causes it,
//! so a rolled-back change leaves no job and a committed one never loses its job. Workers (in
//! `portico serve`, or `portico worker` processes beside it) claim due jobs in one statement —
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL, the single writer lock on SQLite — so each job runs
//! on one worker at a time. A failed job is retried with exponential backoff; after its last
//! attempt it is dead-lettered, kept with its error for admins to read and retry.
//!
//! Handlers must be idempotent: a worker that dies mid-job leaves a claim that expires, and the
//! job runs again.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbBackend, QueryOrder, QuerySelect, Statement};
use time::{Duration, OffsetDateTime};

use super::db::Db;
use super::{ids, time::now};

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "job")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub kind: String,
        /// JSON.
        pub payload: String,
        /// pending, running, done or dead.
        pub state: String,
        pub run_at: TimeDateTimeWithTimeZone,
        pub attempts: i32,
        pub max_attempts: i32,
        pub locked_by: Option<String>,
        pub locked_until: Option<TimeDateTimeWithTimeZone>,
        pub last_error: Option<String>,
        /// At most one job with this key ever exists (a daily digest, say).
        pub unique_key: Option<String>,
        pub created_at: TimeDateTimeWithTimeZone,
        pub finished_at: Option<TimeDateTimeWithTimeZone>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub use entity::Model as Job;

/// Attempts before a job is dead-lettered.
pub const MAX_ATTEMPTS: i32 = 8;
/// A claim older than this belongs to a worker that died; the job is due again.
const LEASE: Duration = Duration::minutes(5);
/// How often an idle worker looks for due jobs.
const IDLE_POLL: StdDuration = StdDuration::from_secs(1);
/// Jobs one worker claims at once.
const BATCH: i64 = 5;

/// Wait before attempt `attempts + 1`: 15 s, 30 s, 1 min … capped at one hour.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    let seconds = 15_i64.saturating_mul(2_i64.saturating_pow(exponent));
    Duration::seconds(seconds.min(3_600))
}

/// Queues a job to run as soon as a worker is free.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    kind: &str,
    payload: serde_json::Value,
) -> Result<(), DbErr> {
    enqueue_at(conn, kind, payload, now(), None).await
}

/// Queues a job for `run_at`; with a `unique_key`, only if no job with that key exists yet.
pub async fn enqueue_at(
    conn: &impl ConnectionTrait,
    kind: &str,
    payload: serde_json::Value,
    run_at: OffsetDateTime,
    unique_key: Option<&str>,
) -> Result<(), DbErr> {
    let job = entity::ActiveModel {
        id: Set(ids::new_id()),
        kind: Set(kind.to_owned()),
        payload: Set(payload.to_string()),
        state: Set("pending".to_owned()),
        run_at: Set(run_at),
        attempts: Set(0),
        max_attempts: Set(MAX_ATTEMPTS),
        locked_by: Set(None),
        locked_until: Set(None),
        last_error: Set(None),
        unique_key: Set(unique_key.map(str::to_owned)),
        created_at: Set(now()),
        finished_at: Set(None),
    };
    let insert = entity::Entity::insert(job);
    if unique_key.is_some() {
        insert
            .on_conflict_do_nothing_on([entity::Column::UniqueKey])
            .exec_without_returning(conn)
            .await?;
    } else {
        insert.exec_without_returning(conn).await?;
    }
    Ok(())
}

/// Queues the next daily run of `kind` at `hour`:00 UTC after `after`, once whatever the
/// number of nodes (one job per day's key).
pub async fn schedule_daily(
    conn: &impl ConnectionTrait,
    kind: &str,
    hour: u8,
    after: OffsetDateTime,
) -> Result<(), DbErr> {
    let at_hour = time::Time::from_hms(hour, 0, 0).unwrap_or(time::Time::MIDNIGHT);
    let mut run_at = OffsetDateTime::new_utc(after.date(), at_hour);
    if run_at <= after {
        run_at += Duration::days(1);
    }
    let key = format!("{kind}:{}", run_at.date());
    enqueue_at(conn, kind, serde_json::json!({}), run_at, Some(&key)).await
}

/// Drops pending jobs whose unique key starts with `prefix` (work that is no longer due, such
/// as the checks of an SLA clock that stopped); returns how many. The prefix is matched with
/// `LIKE`, so it must hold no `%` or `_`.
pub async fn cancel_pending(conn: &impl ConnectionTrait, prefix: &str) -> Result<u64, DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    debug_assert!(!prefix.contains(['%', '_']), "a literal prefix: {prefix}");
    let removed = entity::Entity::delete_many()
        .filter(entity::Column::State.eq("pending"))
        .filter(entity::Column::UniqueKey.starts_with(prefix))
        .exec(conn)
        .await?;
    Ok(removed.rows_affected)
}

/// What a handler may use.
#[derive(Clone)]
pub struct JobContext {
    pub db: Db,
    pub mailer: super::mail::Mailer,
    pub base_url: String,
}

type HandlerFuture = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;
type Handler = Arc<dyn Fn(JobContext, serde_json::Value) -> HandlerFuture + Send + Sync>;

/// Which function runs each kind of job.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<&'static str, Handler>,
}

impl Registry {
    pub fn new() -> Registry {
        Registry::default()
    }

    pub fn register<F, Fut>(mut self, kind: &'static str, handler: F) -> Registry
    where
        F: Fn(JobContext, serde_json::Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.handlers.insert(
            kind,
            Arc::new(move |context, payload| Box::pin(handler(context, payload))),
        );
        self
    }
}

/// One worker: claims due jobs and runs them.
#[derive(Clone)]
pub struct Worker {
    pub name: String,
    context: JobContext,
    registry: Registry,
    /// How long a claim holds without renewal; renewed while a job runs.
    lease: Duration,
}

impl Worker {
    pub fn new(context: JobContext, registry: Registry) -> Worker {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".to_owned());
        Worker {
            name: format!(
                "{host}-{}-{}",
                std::process::id(),
                ids::random_token()[..8].to_owned()
            ),
            context,
            registry,
            lease: LEASE,
        }
    }

    /// The same worker holding its claims for `lease` at a time (tests use a short one).
    pub fn with_lease(self, lease: Duration) -> Worker {
        Worker { lease, ..self }
    }

    /// Claims up to a batch of due jobs for this worker.
    async fn claim(&self) -> Result<Vec<(uuid::Uuid, String, String)>, DbErr> {
        let db = &self.context.db;
        let backend = db.get_database_backend();
        let lock = if backend == DbBackend::Postgres {
            "FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let at = now();
        let sql = format!(
            "UPDATE job SET state = 'running', locked_by = $1, locked_until = $2, \
             attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM job \
               WHERE (state = 'pending' AND run_at <= $3) \
                  OR (state = 'running' AND locked_until < $3) \
               ORDER BY run_at LIMIT $4 {lock}) \
             RETURNING id, kind, payload"
        );
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [
                    Value::from(self.name.clone()),
                    Value::from(at + self.lease),
                    Value::from(at),
                    Value::from(BATCH),
                ],
            ))
            .await?;
        rows.into_iter()
            .map(|row| {
                Ok((
                    row.try_get("", "id")?,
                    row.try_get("", "kind")?,
                    row.try_get("", "payload")?,
                ))
            })
            .collect()
    }

    /// Runs every job due now that this worker can claim; returns how many ran.
    pub async fn run_due(&self) -> Result<usize, DbErr> {
        let mut ran = 0;
        loop {
            let claimed = self.claim().await?;
            if claimed.is_empty() {
                return Ok(ran);
            }
            for (id, kind, payload) in claimed {
                self.run_one(id, &kind, &payload).await?;
                ran += 1;
            }
        }
    }

    async fn run_one(&self, id: uuid::Uuid, kind: &str, payload: &str) -> Result<(), DbErr> {
        let outcome = match (
            self.registry.handlers.get(kind),
            serde_json::from_str(payload),
        ) {
            (None, _) => Err(anyhow::anyhow!("no handler for jobs of kind {kind}")),
            (_, Err(error)) => Err(anyhow::anyhow!("payload is not JSON: {error}")),
            (Some(handler), Ok(payload)) => {
                self.holding_leases(handler(self.context.clone(), payload))
                    .await
            }
        };
        let db = &self.context.db;
        let Some(job) = entity::Entity::find_by_id(id).one(db).await? else {
            return Ok(());
        };
        if job.locked_by.as_deref() != Some(self.name.as_str()) {
            // The lease ran out and another worker has it now.
            return Ok(());
        }
        let at = now();
        let mut update = entity::ActiveModel {
            id: Set(id),
            locked_by: Set(None),
            locked_until: Set(None),
            ..Default::default()
        };
        match outcome {
            Ok(()) => {
                update.state = Set("done".to_owned());
                update.finished_at = Set(Some(at));
                update.last_error = Set(None);
            }
            Err(error) => {
                let message = format!("{error:#}");
                tracing::warn!(job = %id, kind, attempt = job.attempts, error = %message, "job failed");
                if job.attempts >= job.max_attempts {
                    update.state = Set("dead".to_owned());
                    update.finished_at = Set(Some(at));
                } else {
                    update.state = Set("pending".to_owned());
                    update.run_at = Set(at + backoff(job.attempts));
                }
                update.last_error = Set(Some(message));
            }
        }
        entity::Entity::update_many()
            .set(update)
            .filter(entity::Column::Id.eq(id))
            .filter(entity::Column::LockedBy.eq(self.name.as_str()))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Runs a handler while renewing this worker's claims, so that a job outlasting the lease
    /// (a commission catch-up runs for minutes) is not run again by another worker, nor are
    /// the jobs of the same batch waiting behind it.
    async fn holding_leases(&self, work: HandlerFuture) -> anyhow::Result<()> {
        tokio::pin!(work);
        let every: StdDuration = (self.lease / 3_i32).unsigned_abs();
        loop {
            tokio::select! {
                outcome = &mut work => return outcome,
                () = tokio::time::sleep(every) => {
                    // A busy database only delays the renewal to the next round.
                    if let Err(error) = self.renew_leases().await {
                        tracing::warn!(worker = %self.name, %error, "could not renew job leases");
                    }
                }
            }
        }
    }

    async fn renew_leases(&self) -> Result<(), DbErr> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        entity::Entity::update_many()
            .col_expr(
                entity::Column::LockedUntil,
                sea_orm::sea_query::Expr::value(now() + self.lease),
            )
            .filter(entity::Column::LockedBy.eq(self.name.as_str()))
            .filter(entity::Column::State.eq("running"))
            .exec(&self.context.db)
            .await?;
        Ok(())
    }

    /// Runs due jobs until `shutdown` completes, polling when idle.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tracing::info!(worker = %self.name, "job worker started");
        tokio::pin!(shutdown);
        loop {
            if let Err(error) = self.run_due().await {
                tracing::warn!(%error, "job worker could not reach the database");
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(IDLE_POLL) => {}
            }
        }
        tracing::info!(worker = %self.name, "job worker stopped");
    }
}

/// How many jobs are in each state, for the admins' page.
pub async fn counts(db: &Db) -> Result<Vec<(String, i64)>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT state, COUNT(*) AS jobs FROM job GROUP BY state ORDER BY state",
        ))
        .await?;
    rows.into_iter()
        .map(|row| Ok((row.try_get("", "state")?, row.try_get("", "jobs")?)))
        .collect()
}

/// Dead-lettered jobs, newest first.
pub async fn dead(db: &Db, limit: u64) -> Result<Vec<Job>, DbErr> {
    entity::Entity::find()
        .filter(entity::Column::State.eq("dead"))
        .order_by_desc(entity::Column::FinishedAt)
        .limit(limit)
        .all(db)
        .await
}

/// Puts a dead job back in the queue with fresh attempts; false when it is not dead.
pub async fn retry(db: &Db, id: uuid::Uuid) -> Result<bool, DbErr> {
    let result = entity::Entity::update_many()
        .set(entity::ActiveModel {
            state: Set("pending".to_owned()),
            attempts: Set(0),
            run_at: Set(now()),
            finished_at: Set(None),
            ..Default::default()
        })
        .filter(entity::Column::Id.eq(id))
        .filter(entity::Column::State.eq("dead"))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use time::Duration;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::seconds(15));
        assert_eq!(backoff(2), Duration::seconds(30));
        assert_eq!(backoff(5), Duration::seconds(240));
        assert_eq!(backoff(12), Duration::hours(1));
        assert_eq!(backoff(0), Duration::seconds(15));
    }
}
