//! `support.sla`: runs at a clock's warning and due times. A warning tells the owner (or the
//! queue lead while nobody owns the ticket); a breach escalates: an internal timeline entry,
//! and the queue lead and the owner are told. [`sla::observe`] records each once, so a job
//! that runs twice, or late after a pause moved the due time, changes nothing.

use sea_orm::EntityTrait;
use uuid::Uuid;

use super::actions::lead_of;
use super::entity::ticket;
use super::store;
use crate::platform::jobs::JobContext;
use crate::platform::sla::{self, Observed};
use crate::platform::time::now;

pub async fn check_clock(context: JobContext, payload: serde_json::Value) -> anyhow::Result<()> {
    let clock_id = payload["clock"]
        .as_str()
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or_else(|| anyhow::anyhow!("payload names no clock: {payload}"))?;
    let txn = crate::platform::db::begin_write(&context.db).await?;
    let Some((clock, observed)) = sla::observe(&txn, clock_id, now()).await? else {
        return Ok(());
    };
    let Some(ticket) = ticket::Entity::find_by_id(clock.object_id)
        .one(&txn)
        .await?
    else {
        txn.commit().await?;
        return Ok(());
    };
    let what = store::metric_words(&clock);
    let lead = lead_of(&context.db, &ticket).await?;
    let (recipients, title) = match observed {
        Observed::Warning => (
            ticket
                .owner_user_id
                .or(lead)
                .into_iter()
                .collect::<Vec<_>>(),
            format!("{}: {what} due soon — {}", ticket.number, ticket.subject),
        ),
        Observed::Breached => {
            store::record_escalation(&txn, &ticket, &clock, lead, now()).await?;
            (
                lead.into_iter().chain(ticket.owner_user_id).collect(),
                format!(
                    "{}: {what} target missed — {}",
                    ticket.number, ticket.subject
                ),
            )
        }
    };
    crate::notify::publish(
        &txn,
        crate::notify::Event {
            kind: "ticket.sla",
            recipients,
            actor: None,
            partner_id: Some(ticket.partner_id),
            title,
            body: format!("Priority {}", store::priority_of(&ticket).label()),
            link: format!("/support/{}", ticket.id),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
