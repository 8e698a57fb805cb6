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
