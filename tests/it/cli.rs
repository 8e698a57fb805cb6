//! The `portico` command as an operator meets it.

use std::process::Command;

fn portico() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portico"));
    for (name, _) in std::env::vars() {
        if name.starts_with("PORTICO_") {
            command.env_remove(name);
        }
    }
    command
}

#[test]
fn help_lists_the_subcommands() {
    let output = portico().arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for subcommand in ["serve", "migrate", "demo"] {
        assert!(
            help.contains(subcommand),
            "{subcommand} missing from:\n{help}"
        );
    }
}

#[test]
fn a_wrong_setting_stops_with_one_clear_line() {
    let output = portico()
        .arg("serve")
        .env("PORTICO_LISTEN", "8080")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr,
        "portico: PORTICO_LISTEN (--listen) \"8080\" is not an IP address with a port; \
         for example 127.0.0.1:8080 or 0.0.0.0:80\n"
    );
}

#[test]
fn migrate_creates_and_updates_the_default_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let output = portico()
            .arg("migrate")
            .env("PORTICO_DATA_DIR", dir.path())
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        assert!(String::from_utf8_lossy(&output.stdout).contains("schema is up to date"));
    }
    assert!(dir.path().join("portico.db").exists());
}

#[test]
fn audit_verify_reports_an_intact_chain_and_fails_on_a_broken_one() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        portico()
            .args(args)
            .env("PORTICO_DATA_DIR", dir.path())
            .output()
            .unwrap()
    };
    assert!(run(&["migrate"]).status.success());
    let intact = run(&["audit", "verify"]);
    assert!(intact.status.success(), "{intact:?}");
    assert_eq!(
        String::from_utf8_lossy(&intact.stdout),
        "audit log intact: 0 rows, chain verified\n"
    );

    // A head that claims more rows than the log holds: rows were removed from the end.
    let db = dir.path().join("portico.db");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use sea_orm::ConnectionTrait;
        let url = portico::platform::config::DatabaseUrl::sqlite_file(&db);
        let pool = portico::platform::db::connect(&url).await.unwrap();
        pool.execute_unprepared("UPDATE audit_head SET seq = 2")
            .await
            .unwrap();
        pool.close().await.unwrap();
    });
    let broken = run(&["audit", "verify"]);
    assert_eq!(broken.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&broken.stderr),
        "portico: audit log broken: audit rows 1 to 2 were removed from the end of the log (0 rows verified before it)\n"
    );
}

#[test]
fn commissions_settle_refuses_a_wrong_day_and_settles_an_empty_program() {
    let dir = tempfile::tempdir().unwrap();
    let output = portico()
        .args(["commissions", "settle", "--through", "last tuesday"])
        .env("PORTICO_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "portico: --through \"last tuesday\" is not a day such as 2026-11-01\n"
    );
    let output = portico()
        .args(["commissions", "settle"])
        .env("PORTICO_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("settled 0 periods"));
}
