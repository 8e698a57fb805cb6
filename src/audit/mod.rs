//! The audit log: append-only and hash-chained. Each row holds the hash of the row before it and
//! the hash of its own canonical content, so altering or removing any row breaks the chain at
//! that row, and `portico audit verify` names it.
//!
//! Rules: a row is written in the same transaction as the change it records; rows are never
//! updated or deleted; appends are serialised through the one-row `audit_head` table.

mod entity;
mod pages;

use ::time::OffsetDateTime;
use sea_orm::{ColumnTrait, Value};
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub use entity::{Column, Entity, Model as AuditRow};

/// The audit log page.
pub fn routes() -> axum::Router<crate::AppState> {
    axum::Router::new().route("/admin/audit", axum::routing::get(pages::log))
}

use crate::migrations::AUDIT_GENESIS_HASH;
use crate::platform::db::Db;
use crate::platform::scope::Scope;
use crate::platform::{ids, time};

/// Who did it: a signed-in user, or a label for everything else ("anonymous", "system").
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub label: String,
}

impl Actor {
    /// An operator at the server's command line.
    pub fn command_line() -> Actor {
        Actor {
            user_id: None,
            label: "command line".into(),
        }
    }

    /// The signed-in user behind a request.
    pub fn of(scope: &Scope) -> Actor {
        Actor {
            user_id: Some(scope.user_id),
            label: scope.email.clone(),
        }
    }
}

/// One thing that happened.
#[derive(Debug, Clone)]
pub struct Entry {
    pub actor: Actor,
    /// The organisation whose data it concerns, if any.
    pub organization_id: Option<Uuid>,
    /// Stable action key, e.g. `login.succeeded`, `user.role_changed`.
    pub action: &'static str,
    pub object_type: &'static str,
    pub object_id: String,
    pub detail: serde_json::Value,
    pub client_address: String,
}

impl Entry {
    /// Something a signed-in user did in their organisation, from this client; name the object
    /// with [`Entry::on`] and add what changed with [`Entry::with`].
    pub fn by(scope: &Scope, client: &std::net::SocketAddr, action: &'static str) -> Entry {
        Entry {
            actor: Actor::of(scope),
            organization_id: Some(scope.organization_id),
            action,
            object_type: "",
            object_id: String::new(),
            detail: json!({}),
            client_address: client.ip().to_string(),
        }
    }

    /// Something done outside any request: at the command line, by a scheduled job.
    pub fn outside_requests(actor: Actor, action: &'static str) -> Entry {
        Entry {
            actor,
            organization_id: None,
            action,
            object_type: "",
            object_id: String::new(),
            detail: json!({}),
            client_address: String::new(),
        }
    }

    /// Something done by or to an account that is not (yet) signed in: sign-in steps, password
    /// resets, accepted invitations.
    pub fn for_account(
        user_id: Uuid,
        email: &str,
        organization_id: Uuid,
        action: &'static str,
        client_address: String,
    ) -> Entry {
        Entry {
            actor: Actor {
                user_id: Some(user_id),
                label: email.to_owned(),
            },
            organization_id: Some(organization_id),
            action,
            object_type: "user",
            object_id: user_id.to_string(),
            detail: json!({}),
            client_address,
        }
    }

    pub fn on(mut self, object_type: &'static str, object_id: impl ToString) -> Entry {
        self.object_type = object_type;
        self.object_id = object_id.to_string();
        self
    }

    /// The organisation whose data it concerns, when not the actor's own.
    pub fn concerning(mut self, organization_id: Uuid) -> Entry {
        self.organization_id = Some(organization_id);
        self
    }

    pub fn with(mut self, detail: serde_json::Value) -> Entry {
        self.detail = detail;
        self
    }
}

/// Appends `entry` inside the caller's transaction, after the current head of the chain.
pub async fn record(txn: &DatabaseTransaction, entry: Entry) -> Result<(), DbErr> {
    let backend = txn.get_database_backend();
    // Writing first takes the head's lock, so concurrent appends queue here.
    txn.execute_raw(Statement::from_string(
        backend,
        "UPDATE audit_head SET seq = seq + 1 WHERE id = 1",
    ))
    .await?;
    let head = txn
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT seq, hash FROM audit_head WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("audit_head".into()))?;
    let seq: i64 = head.try_get("", "seq")?;
    let prev_hash: String = head.try_get("", "hash")?;

    let row = AuditRow {
        seq,
        id: ids::new_id(),
        at: time::now(),
        actor_user_id: entry.actor.user_id,
        actor_label: entry.actor.label,
        organization_id: entry.organization_id,
        action: entry.action.to_owned(),
        object_type: entry.object_type.to_owned(),
        object_id: entry.object_id,
        detail: entry.detail.to_string(),
        client_address: entry.client_address,
        prev_hash,
        hash: String::new(),
    };
    let hash = content_hash(&row);
    entity::Entity::insert(entity::ActiveModel::from(AuditRow {
        hash: hash.clone(),
        ..row
    }))
    .exec_without_returning(txn)
    .await?;
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        "UPDATE audit_head SET hash = $1 WHERE id = 1",
        [Value::from(hash)],
    ))
    .await?;
    Ok(())
}

/// Records an event that changes nothing else (a failed login, a download).
pub async fn record_alone(db: &Db, entry: Entry) -> Result<(), DbErr> {
    let txn = crate::platform::db::begin_write(db).await?;
    record(&txn, entry).await?;
    txn.commit().await
}

/// When the last failed sign-in for this address or from this client happened.
pub async fn last_failed_login(
    db: &Db,
    email: &str,
    client_address: &str,
) -> Result<Option<OffsetDateTime>, DbErr> {
    let latest = entity::Entity::find()
        .filter(entity::Column::Action.eq("login.failed"))
        .filter(
            sea_orm::Condition::any()
                .add(entity::Column::ActorLabel.eq(email))
                .add(entity::Column::ClientAddress.eq(client_address)),
        )
        .order_by_desc(entity::Column::Seq)
        .one(db)
        .await?;
    Ok(latest.map(|row| row.at))
}

fn micros(at: OffsetDateTime) -> i128 {
    at.unix_timestamp_nanos() / 1_000
}

/// SHA-256 over the previous hash and a JSON array of every other column: unambiguous, and
/// independent of how either database formats timestamps.
fn content_hash(row: &AuditRow) -> String {
    let canonical = json!([
        row.seq,
        row.id,
        micros(row.at).to_string(),
        row.actor_user_id,
        row.actor_label,
        row.organization_id,
        row.action,
        row.object_type,
        row.object_id,
        row.detail,
        row.client_address,
        row.prev_hash,
    ]);
    let digest = Sha256::digest(canonical.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What `verify` found.
#[derive(Debug, PartialEq, Eq)]
pub struct Verification {
    pub rows_checked: u64,
    /// The first break in the chain, in words naming the row.
    pub first_problem: Option<String>,
}

/// Walks the whole chain in order and names the first row that was altered or removed.
pub async fn verify(db: &Db) -> Result<Verification, DbErr> {
    const PAGE: u64 = 1_000;
    let mut expected_seq = 1_i64;
    let mut prev_hash = AUDIT_GENESIS_HASH.to_owned();
    let mut rows_checked = 0;
    let problem = |rows_checked, text: String| Verification {
        rows_checked,
        first_problem: Some(text),
    };
    loop {
        let rows = entity::Entity::find()
            .filter(entity::Column::Seq.gte(expected_seq))
            .order_by_asc(entity::Column::Seq)
            .limit(PAGE)
            .all(db)
            .await?;
        let done = (rows.len() as u64) < PAGE;
        for row in rows {
            if row.seq != expected_seq {
                return Ok(problem(
                    rows_checked,
                    format!(
                        "audit row {expected_seq} was removed (the chain jumps to row {})",
                        row.seq
                    ),
                ));
            }
            if row.prev_hash != prev_hash || content_hash(&row) != row.hash {
                return Ok(problem(
                    rows_checked,
                    format!(
                        "audit row {} ({}, {}) was altered",
                        row.seq, row.action, row.id
                    ),
                ));
            }
            rows_checked += 1;
            expected_seq += 1;
            prev_hash = row.hash;
        }
        if done {
            break;
        }
    }
    let head = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT seq, hash FROM audit_head WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("audit_head".into()))?;
    let head_seq: i64 = head.try_get("", "seq")?;
    let head_hash: String = head.try_get("", "hash")?;
    if head_seq != expected_seq - 1 || head_hash != prev_hash {
        return Ok(problem(
            rows_checked,
            format!("audit rows {expected_seq} to {head_seq} were removed from the end of the log"),
        ));
    }
    Ok(Verification {
        rows_checked,
        first_problem: None,
    })
}
