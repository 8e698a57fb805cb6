//! Readable numbers for people (`ORD-10423`), beside the UUIDs that identify rows. Each series
//! is one counter row; taking a number increments it inside the caller's transaction, so a
//! rolled-back change gives its number back and two writers never get the same one.

use sea_orm::{ConnectionTrait, DbErr, Statement, Value};

/// The next number of `series`, starting at `first`.
pub async fn next(conn: &impl ConnectionTrait, series: &str, first: i64) -> Result<i64, DbErr> {
    // One statement on both databases: PostgreSQL locks the row, SQLite holds the write lock.
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "INSERT INTO number_sequence (name, next_value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET next_value = number_sequence.next_value + 1 \
             RETURNING next_value",
            [Value::from(series), Value::from(first)],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("number series {series}")))?;
    row.try_get("", "next_value")
}
