//! The job queue: two workers on one database run each job exactly once; failures back off and
//! end dead-lettered, where admins see and retry them.

use std::sync::{Arc, Mutex};

use portico::platform::db::{self, Db};
use portico::platform::jobs::{self, JobContext, Registry, Worker, entity as job};
use portico::platform::mail::Mailer;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{Backend, TestDb, on_both_databases};

async fn open(test_db: &TestDb) -> Db {
    let pool = db::connect(&test_db.url).await.unwrap();
    db::migrate(&pool).await.unwrap();
    pool
}

fn worker(pool: Db, registry: Registry) -> Worker {
    Worker::new(
        JobContext {
            db: pool,
            mailer: Mailer::new(None).unwrap(),
            base_url: "http://localhost".into(),
        },
        registry,
    )
}

async fn each_job_runs_exactly_once_with_two_workers(backend: Backend) {
    let Some(test_db) = TestDb::create(backend).await else {
        return;
    };
    // Two pools, as two worker processes would have.
    let (first_pool, second_pool) = (open(&test_db).await, open(&test_db).await);
    for n in 0..120 {
        jobs::enqueue(&first_pool, "test.record", json!({ "n": n }))
            .await
            .unwrap();
    }
    let ran: Arc<Mutex<Vec<(&'static str, i64)>>> = Arc::default();
    let recording = |name: &'static str| {
        let ran = ran.clone();
        Registry::new().register("test.record", move |_, payload| {
            let ran = ran.clone();
            async move {
                ran.lock()
                    .unwrap()
                    .push((name, payload["n"].as_i64().unwrap()));
                // Long enough for the other worker to claim in between.
                tokio::time::sleep(std::time::Duration::from_millis(3)).await;
                Ok(())
            }
        })
    };
    let first = worker(first_pool.clone(), recording("first"));
    let second = worker(second_pool, recording("second"));
    let (a, b) = tokio::join!(first.run_due(), second.run_due());
    assert_eq!(a.unwrap() + b.unwrap(), 120);

    let ran = ran.lock().unwrap().clone();
    let mut numbers: Vec<i64> = ran.iter().map(|(_, n)| *n).collect();
    numbers.sort_unstable();
    assert_eq!(
        numbers,
        (0..120).collect::<Vec<_>>(),
        "each job ran exactly once"
    );
    for name in ["first", "second"] {
        assert!(
            ran.iter().any(|(who, _)| *who == name),
            "{name} worker ran jobs too"
        );
    }
    let done = job::Entity::find()
        .filter(job::Column::State.eq("done"))
        .all(&first_pool)
        .await
        .unwrap();
    assert_eq!(done.len(), 120);
}

async fn failures_back_off_then_are_dead_lettered(backend: Backend) {
    let Some(test_db) = TestDb::create(backend).await else {
        return;
    };
    let pool = open(&test_db).await;
    jobs::enqueue(&pool, "test.fail", json!({})).await.unwrap();
    let failing = worker(
        pool.clone(),
        Registry::new().register("test.fail", |_, _| async {
            anyhow::bail!("the partner's ERP answered 502")
        }),
    );
    for attempt in 1..=jobs::MAX_ATTEMPTS {
        assert_eq!(failing.run_due().await.unwrap(), 1, "attempt {attempt} ran");
        let row = job::Entity::find().one(&pool).await.unwrap().unwrap();
        assert_eq!(row.attempts, attempt);
        assert_eq!(
            row.last_error.as_deref(),
            Some("the partner's ERP answered 502")
        );
        if attempt < jobs::MAX_ATTEMPTS {
            assert_eq!(row.state, "pending");
            let wait = row.run_at - portico::platform::time::now();
            let expected = jobs::backoff(attempt);
            assert!(
                wait > expected - time::Duration::seconds(5) && wait <= expected,
                "waits {wait} before attempt {}",
                attempt + 1
            );
            assert_eq!(
                failing.run_due().await.unwrap(),
                0,
                "not due before its backoff"
            );
            // Time passes.
            job::Entity::update(job::ActiveModel {
                id: Set(row.id),
                run_at: Set(portico::platform::time::now()),
                ..Default::default()
            })
            .exec(&pool)
            .await
            .unwrap();
        } else {
            assert_eq!(row.state, "dead", "dead-lettered after the last attempt");
        }
    }
    assert_eq!(failing.run_due().await.unwrap(), 0, "a dead job stays dead");
    assert!(
        jobs::retry(
            &pool,
            job::Entity::find().one(&pool).await.unwrap().unwrap().id
        )
        .await
        .unwrap()
    );
    let row = job::Entity::find().one(&pool).await.unwrap().unwrap();
    assert_eq!((row.state.as_str(), row.attempts), ("pending", 0));
}

/// A job that outlasts its lease (a commission catch-up runs for minutes) keeps its claim while
/// it runs: a second worker does not run it again, nor the job claimed with it and waiting.
async fn a_long_job_keeps_its_claim(backend: Backend) {
    let Some(test_db) = TestDb::create(backend).await else {
        return;
    };
    let (first_pool, second_pool) = (open(&test_db).await, open(&test_db).await);
    // One job runs for 7 s; the other, claimed in the same batch, waits behind it.
    for (n, seconds) in [(1, 7), (2, 0)] {
        jobs::enqueue(
            &first_pool,
            "test.slow",
            json!({ "n": n, "seconds": seconds }),
        )
        .await
        .unwrap();
    }
    let ran: Arc<Mutex<Vec<i64>>> = Arc::default();
    let slow = || {
        let ran = ran.clone();
        Registry::new().register("test.slow", move |_, payload| {
            let ran = ran.clone();
            async move {
                ran.lock().unwrap().push(payload["n"].as_i64().unwrap());
                let seconds = payload["seconds"].as_u64().unwrap();
                tokio::time::sleep(std::time::Duration::from_secs(seconds)).await;
                Ok(())
            }
        })
    };
    // Renewed every second: a busy machine may delay a renewal by two without losing the claim.
    let lease = time::Duration::seconds(3);
    let first = worker(first_pool.clone(), slow()).with_lease(lease);
    let second = worker(second_pool, slow()).with_lease(lease);
    let late_second = async {
        // Long after the first claims would have run out unrenewed.
        tokio::time::sleep(std::time::Duration::from_secs(4)).await;
        second.run_due().await
    };
    let (a, b) = tokio::join!(first.run_due(), late_second);
    assert_eq!((a.unwrap(), b.unwrap()), (2, 0));
    let mut ran = ran.lock().unwrap().clone();
    ran.sort_unstable();
    assert_eq!(ran, vec![1, 2], "each ran once, by the first worker");
    let done = job::Entity::find()
        .filter(job::Column::State.eq("done"))
        .all(&first_pool)
        .await
        .unwrap();
    assert_eq!(done.len(), 2);
}

#[tokio::test]
async fn long_job_sqlite() {
    a_long_job_keeps_its_claim(Backend::Sqlite).await;
}

#[tokio::test]
async fn long_job_postgres() {
    a_long_job_keeps_its_claim(Backend::Postgres).await;
}

#[tokio::test]
async fn two_workers_sqlite() {
    each_job_runs_exactly_once_with_two_workers(Backend::Sqlite).await;
}

#[tokio::test]
async fn two_workers_postgres() {
    each_job_runs_exactly_once_with_two_workers(Backend::Postgres).await;
}

#[tokio::test]
async fn dead_letter_sqlite() {
    failures_back_off_then_are_dead_lettered(Backend::Sqlite).await;
}

#[tokio::test]
async fn dead_letter_postgres() {
    failures_back_off_then_are_dead_lettered(Backend::Postgres).await;
}

on_both_databases! {
    async fn admins_read_dead_jobs_and_retry_them(app) {
        let app = app.with_demo_program().await;
        jobs::enqueue(&app.pool, "test.unknown", json!({})).await.unwrap();
        let row = job::Entity::find().filter(job::Column::Kind.eq("test.unknown")).one(&app.pool).await.unwrap().unwrap();
        job::Entity::update(job::ActiveModel {
            id: Set(row.id),
            state: Set("dead".into()),
            attempts: Set(jobs::MAX_ATTEMPTS),
            last_error: Set(Some("no handler for jobs of kind test.unknown".into())),
            finished_at: Set(Some(portico::platform::time::now())),
            ..Default::default()
        })
        .exec(&app.pool)
        .await
        .unwrap();
        let admin = app.signed_in("alex.morgan@northwind.example").await;
        let page = admin.get("/admin/jobs").await.text().await.unwrap();
        assert!(page.contains("test.unknown"));
        assert!(page.contains("no handler for jobs of kind test.unknown"));
        let response = admin.post_form(&format!("/admin/jobs/{}/retry", row.id), &[]).await;
        assert_eq!(response.status(), 303);
        let row = job::Entity::find_by_id(row.id).one(&app.pool).await.unwrap().unwrap();
        assert_ne!(row.state, "dead", "queued again");
        assert!(row.attempts <= 1, "with fresh attempts");
    }
}

/// A change that reads before it writes, while a job worker commits in between: on SQLite a
/// deferred transaction failed with "database is locked"; `begin_write` takes the write lock
/// first, so the other writer waits its turn and both succeed.
async fn a_transaction_that_reads_first_survives_a_concurrent_writer(backend: Backend) {
    use sea_orm::PaginatorTrait;
    let Some(test_db) = TestDb::create(backend).await else {
        return;
    };
    let (pool, other_pool) = (open(&test_db).await, open(&test_db).await);
    let txn = db::begin_write(&pool).await.unwrap();
    let before = job::Entity::find().count(&txn).await.unwrap();
    let worker =
        tokio::spawn(async move { jobs::enqueue(&other_pool, "test.concurrent", json!({})).await });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    jobs::enqueue(&txn, "test.mine", json!({})).await.unwrap();
    txn.commit().await.unwrap();
    worker.await.unwrap().unwrap();
    assert_eq!(job::Entity::find().count(&pool).await.unwrap(), before + 2);
}

#[tokio::test]
async fn reading_first_then_writing_sqlite() {
    a_transaction_that_reads_first_survives_a_concurrent_writer(Backend::Sqlite).await;
}

#[tokio::test]
async fn reading_first_then_writing_postgres() {
    a_transaction_that_reads_first_survives_a_concurrent_writer(Backend::Postgres).await;
}
