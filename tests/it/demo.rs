//! `portico demo` fills a fresh database and never overwrites a real program.

use portico::platform::{db, instance};
use portico::{Portal, demo};

use crate::helpers::{Backend, TestDb};

async fn demo_refuses_a_real_program_and_recreates_its_own(backend: Backend) {
    let Some(test_db) = TestDb::create(backend).await else {
        return;
    };

    // A brand-new database is filled with the demo program.
    demo::prepare(&test_db.url, &test_db.files(), portico::scale::Scale::Small)
        .await
        .expect("demo on an empty database");
    let connection = db::connect(&test_db.url).await.unwrap();
    let first = instance::find(&connection)
        .await
        .unwrap()
        .expect("instance");
    assert!(first.is_demo);
    assert_eq!(first.program_name, demo::PROGRAM_NAME);
    connection.close().await.unwrap();

    // Running the demo again starts over instead of piling up data.
    demo::prepare(&test_db.url, &test_db.files(), portico::scale::Scale::Small)
        .await
        .expect("demo again on its own database");
    let connection = db::connect(&test_db.url).await.unwrap();
    let second = instance::find(&connection)
        .await
        .unwrap()
        .expect("instance");
    assert_ne!(first.id, second.id, "a fresh demo program");
    connection.close().await.unwrap();

    // The portal then serves the demo program.
    let portal = Portal::open(test_db.config()).await.unwrap();
    assert_eq!(portal.state().instance.vendor_name, demo::VENDOR_NAME);
    drop(portal);
}

async fn demo_never_overwrites_a_real_program(backend: Backend) {
    let Some(test_db) = TestDb::create(backend).await else {
        return;
    };
    let real = Portal::open(test_db.config()).await.unwrap();
    let real_id = real.state().instance.id;
    drop(real);

    let error = demo::prepare(&test_db.url, &test_db.files(), portico::scale::Scale::Small)
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("refusing to overwrite it"),
        "{error}"
    );

    let connection = db::connect(&test_db.url).await.unwrap();
    let kept = instance::find(&connection)
        .await
        .unwrap()
        .expect("instance");
    assert_eq!(kept.id, real_id, "the real program is untouched");
    assert!(!kept.is_demo);
    connection.close().await.unwrap();
}

#[tokio::test]
async fn demo_database_sqlite() {
    demo_refuses_a_real_program_and_recreates_its_own(Backend::Sqlite).await;
}

#[tokio::test]
async fn demo_database_postgres() {
    demo_refuses_a_real_program_and_recreates_its_own(Backend::Postgres).await;
}

#[tokio::test]
async fn demo_guard_sqlite() {
    demo_never_overwrites_a_real_program(Backend::Sqlite).await;
}

#[tokio::test]
async fn demo_guard_postgres() {
    demo_never_overwrites_a_real_program(Backend::Postgres).await;
}
