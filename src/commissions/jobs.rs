//! The scheduled commission run: once a day it settles what has become due — every complete
//! period of every plan not settled yet, and the latest settled one again for lines that came in
//! late — as `portico commissions settle` does by hand. Statements it prepares wait, pending,
//! for finance to approve them; running it twice writes nothing the second time.

use time::Duration;

use super::store::Actor;
use crate::platform::jobs::{self, JobContext};
use crate::platform::time::now;

pub const SETTLE: &str = "commissions.settle";
/// The daily run starts at this hour, UTC: after midnight has closed the previous period.
const SETTLE_HOUR: u8 = 2;

/// Queues the next daily run after `after`.
pub async fn schedule_settle(
    conn: &impl sea_orm::ConnectionTrait,
    after: time::OffsetDateTime,
) -> Result<(), sea_orm::DbErr> {
    jobs::schedule_daily(conn, SETTLE, SETTLE_HOUR, after).await
}

/// The job: schedules tomorrow's run first, so a failing run does not end the schedule, then
/// settles.
pub async fn settle(context: JobContext, _payload: serde_json::Value) -> anyhow::Result<()> {
    schedule_settle(&context.db, now() + Duration::minutes(1)).await?;
    let actor = Actor {
        user_id: None,
        label: "Scheduled commission run".to_owned(),
    };
    let report = super::settle_all(&context.db, (None, now().date()), &actor).await?;
    tracing::info!(
        periods = report.periods,
        lines = report.lines_written,
        statements_created = report.statements_created,
        statements_updated = report.statements_updated,
        seconds = report.seconds,
        "scheduled commission run"
    );
    Ok(())
}
