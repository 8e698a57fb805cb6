//! Demo support: a few hundred tickets over the last half year from every trading partner, in
//! every status, worked through the real store functions so their clocks, timelines and
//! conversations are what the product would have written — some answered late, some still
//! breaching now, most resolved and many rated. The queues get their leads, and the support
//! calendar its public holidays.

use sea_orm::{DatabaseTransaction, DbErr};
use time::{Date, Duration, Month, OffsetDateTime};
use uuid::Uuid;

use super::model::{Category, Priority, Status, ValidTicket};
use super::store::{self, NewTicket, route};
use crate::platform::scope::Side;
use crate::platform::sla::{self, Calendar};
use crate::platform::threads::{self, NewMessage, Participant};
use crate::platform::web::Author;

/// A partner that asks for support, with the person who asks.
pub struct Requester {
    pub partner_id: Uuid,
    pub tier: Option<String>,
    pub person: Author,
}

/// (category, subject, opening message, support's answer)
const REQUESTS: [(Category, &str, &str, &str); 10] = [
    (
        Category::Order,
        "Delivery date for our order keeps moving",
        "The promised date moved twice. Our customer installs next week; can you confirm when it ships?",
        "I checked with the warehouse: it ships on Thursday and you will have the tracking number the same day.",
    ),
    (
        Category::Order,
        "Wrong quantity delivered",
        "We ordered 24 access points and received 12. The delivery note says 24.",
        "Sorry for that. The second parcel was held at the hub; it is on its way and arrives tomorrow.",
    ),
    (
        Category::Commission,
        "Commission missing on a paid order",
        "An order paid last month does not appear on our statement. Can you check?",
        "The order was paid after the period closed; it is on the next statement as an accrual line.",
    ),
    (
        Category::Commission,
        "Which rate applies to registered deals?",
        "Our statement shows 8% on a registered deal; we expected the registered-deal rate.",
        "The registered-deal rule applies from the registration date; the line will be corrected on the next run.",
    ),
    (
        Category::Access,
        "New colleague cannot sign in",
        "Our new sales rep never received the invitation e-mail.",
        "The invitation went to a mistyped address. Your administrator can resend it from the Users page; I fixed the address.",
    ),
    (
        Category::Asset,
        "German version of the product deck",
        "Is there a German deck for the new switch line? We present to a customer on Monday.",
        "Yes: it is in the library under Decks, language German, published this week.",
    ),
    (
        Category::Technical,
        "Firmware question before a rollout",
        "Which firmware should we install on the CL-1300 before rolling out 40 units?",
        "Use 4.2.1; 4.2.0 has the VLAN issue fixed in the release notes.",
    ),
    (
        Category::Deal,
        "Deal registration not visible",
        "We registered a deal for a hospital project but cannot find it.",
        "Registration is handled by your partner manager for now; I forwarded it and you will hear back this week.",
    ),
    (
        Category::FundClaim,
        "Proof of performance for our event",
        "What do you need as proof for the co-marketing event claim?",
        "Photos of the event, the invoice from the venue and the attendee list are enough.",
    ),
    (
        Category::Other,
        "Change of our invoicing address",
        "We moved offices; invoices should go to the new address from next month.",
        "Thanks: your administrator can change the billing address on your organisation's profile; I have noted it too.",
    ),
];

/// Public holidays of the support calendar for this year and next (UK bank holidays).
const HOLIDAYS: [(i32, Month, u8, &str); 16] = [
    (2026, Month::January, 1, "New Year's Day"),
    (2026, Month::April, 3, "Good Friday"),
    (2026, Month::April, 6, "Easter Monday"),
    (2026, Month::May, 4, "Early May bank holiday"),
    (2026, Month::May, 25, "Spring bank holiday"),
    (2026, Month::August, 31, "Summer bank holiday"),
    (2026, Month::December, 25, "Christmas Day"),
    (2026, Month::December, 28, "Boxing Day (substitute)"),
    (2027, Month::January, 1, "New Year's Day"),
    (2027, Month::March, 26, "Good Friday"),
    (2027, Month::March, 29, "Easter Monday"),
    (2027, Month::May, 3, "Early May bank holiday"),
    (2027, Month::May, 31, "Spring bank holiday"),
    (2027, Month::August, 30, "Summer bank holiday"),
    (2027, Month::December, 27, "Christmas Day (substitute)"),
    (2027, Month::December, 28, "Boxing Day (substitute)"),
];

/// How many tickets the demo holds.
pub const DEMO_TICKETS: usize = 320;

async fn say(
    txn: &DatabaseTransaction,
    ticket: &store::Ticket,
    author: &Author,
    side: Side,
    body: &str,
    at: OffsetDateTime,
) -> Result<(), DbErr> {
    let participant = Participant {
        user_id: author.user_id.unwrap_or_default(),
        label: author.label.clone(),
        side,
    };
    threads::post(
        txn,
        &super::conversation::subject(ticket),
        &participant,
        NewMessage {
            body,
            internal: false,
            attachment: None,
            at,
        },
        &[],
    )
    .await?;
    store::touch(txn, ticket, at).await
}

async fn moved(
    txn: &DatabaseTransaction,
    calendar: &Calendar,
    ticket: &store::Ticket,
    actor: &Author,
    to: Status,
    note: Option<&str>,
    at: OffsetDateTime,
) -> anyhow::Result<store::Ticket> {
    store::change_status(
        txn,
        calendar,
        ticket,
        actor,
        to,
        note.map(str::to_owned),
        at,
    )
    .await?
    .map_err(|_| anyhow::anyhow!("demo ticket {} changed underneath", ticket.number))
}

/// "Leon Marsh (Northwind Networks)" → "Leon Marsh": owners are shown by name.
fn agent_name(agent: &Author) -> String {
    agent
        .label
        .split(" (")
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Seeds the support calendar's holidays, the queues' leads and the demo tickets.
pub async fn seed_support(
    txn: &DatabaseTransaction,
    requesters: &[Requester],
    agents: &[Author],
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let calendar = sla::calendar(txn, store::CALENDAR).await?;
    for (year, month, day, name) in HOLIDAYS {
        sla::add_holiday(
            txn,
            calendar.id,
            Date::from_calendar_date(year, month, day)?,
            name,
        )
        .await?;
    }
    let calendar = sla::calendar(txn, store::CALENDAR).await?;
    let lead = agents
        .first()
        .ok_or_else(|| anyhow::anyhow!("the demo has no support agent"))?;
    for queue in store::queues(txn).await? {
        store::set_queue_lead(txn, queue.id, lead.user_id).await?;
    }
    if requesters.is_empty() {
        return Ok(());
    }
    let mut opened_tickets: Vec<store::Ticket> = Vec::with_capacity(DEMO_TICKETS);
    for n in 0..DEMO_TICKETS {
        let requester = &requesters[n % requesters.len()];
        let (category, subject, opening, answer) =
            REQUESTS[(n * 7 + n / requesters.len()) % REQUESTS.len()];
        let priority = match n % 10 {
            0 => Priority::Urgent,
            1 | 2 => Priority::High,
            3 => Priority::Low,
            _ => Priority::Normal,
        };
        // Spread over 180 days, denser towards today (as a growing program is): about 40 in the
        // last three days, the newest an hour and a half old.
        let left = i64::try_from(DEMO_TICKETS - n).unwrap_or(0);
        let total = i64::try_from(DEMO_TICKETS).unwrap_or(1);
        let age_minutes = 180 * 24 * 60 * left * left / (total * total) + 90;
        let raw = now - Duration::minutes(age_minutes);
        // Partners mostly write in office hours; support answers in business minutes.
        let business =
            |from: OffsetDateTime, minutes: i64| calendar.hours.add_business_minutes(from, minutes);
        let in_hours = business(raw, (n as i64 % 7) * 25);
        let opened = if in_hours < now { in_hours } else { raw };
        let agent = &agents[n % agents.len()];
        let ticket = store::create(
            txn,
            &calendar,
            NewTicket {
                partner_id: requester.partner_id,
                partner_tier: requester.tier.as_deref(),
                ticket: &ValidTicket {
                    subject: subject.to_owned(),
                    category,
                    priority,
                    body: opening.to_owned(),
                },
                about: None,
                requester: &requester.person,
                at: opened,
            },
        )
        .await?;
        opened_tickets.push(ticket.clone());
        say(
            txn,
            &ticket,
            &requester.person,
            Side::Partner,
            opening,
            opened,
        )
        .await?;
        threads::follow(
            txn,
            &super::conversation::subject(&ticket),
            requester.person.user_id.unwrap_or_default(),
            Side::Partner,
        )
        .await?;
        let recent = age_minutes < 3 * 24 * 60;
        // The newest few are still waiting for anyone; a handful are left unanswered to breach.
        if (recent && n % 3 == 0) || (age_minutes < 10 * 24 * 60 && n % 4 == 1) {
            continue;
        }
        let assigned = business(opened, 10);
        let Some(agent_id) = agent.user_id else {
            continue;
        };
        if let Err(store::Stale) = store::assign(
            txn,
            &ticket,
            agent,
            Some((agent_id, agent_name(agent))),
            assigned,
        )
        .await?
        {
            continue;
        }
        // Most answers come within hours; one in eight takes two business days.
        let answer_after = if n % 8 == 0 {
            2 * calendar.hours.minutes_per_day()
        } else {
            20 + (n as i64 % 5) * 45
        };
        let answered = business(opened, answer_after);
        if answered > now {
            continue;
        }
        say(txn, &ticket, agent, Side::Vendor, answer, answered).await?;
        store::responded(txn, &calendar, &ticket, answered).await?;
        let ticket = if recent && n % 3 == 1 {
            let waiting = moved(
                txn,
                &calendar,
                &ticket,
                agent,
                Status::WaitingOnPartner,
                None,
                answered,
            )
            .await?;
            // Half of those waiting have answered already: back with support.
            if n % 2 == 0 {
                let later = answered + Duration::minutes(40);
                if later < now {
                    let reply = "Thanks, here are the details you asked for.";
                    say(
                        txn,
                        &waiting,
                        &requester.person,
                        Side::Partner,
                        reply,
                        later,
                    )
                    .await?;
                    moved(
                        txn,
                        &calendar,
                        &waiting,
                        &requester.person,
                        Status::WaitingOnVendor,
                        None,
                        later,
                    )
                    .await?;
                }
            }
            continue;
        } else {
            moved(txn, &calendar, &ticket, agent, Status::Open, None, answered).await?
        };
        if recent {
            continue;
        }
        let work = if n % 5 == 0 {
            1_500
        } else {
            150 + (n as i64 % 4) * 60
        };
        let mut resolved_at = business(answered, work);
        let mut ticket = moved(
            txn,
            &calendar,
            &ticket,
            agent,
            Status::Resolved,
            Some(answer),
            resolved_at,
        )
        .await?;
        // One in twelve comes back the next day and is resolved again.
        if n % 12 == 7 && resolved_at + Duration::days(2) < now {
            let reopened_at = resolved_at + Duration::days(1);
            let again = "It happened again after the restart.";
            say(
                txn,
                &ticket,
                &requester.person,
                Side::Partner,
                again,
                reopened_at,
            )
            .await?;
            let back = moved(
                txn,
                &calendar,
                &ticket,
                &requester.person,
                Status::WaitingOnVendor,
                Some(again),
                reopened_at,
            )
            .await?;
            resolved_at = business(reopened_at, 120);
            ticket = moved(
                txn,
                &calendar,
                &back,
                agent,
                Status::Resolved,
                Some(answer),
                resolved_at,
            )
            .await?;
        }
        if n % 10 < 6 {
            let rating = [5, 4, 5, 3, 4, 5, 2, 4][(n / 2 + n / 7) % 8];
            let comment = match rating {
                5 => Some("Quick and clear, thank you."),
                2 => Some("Took too long; we had to chase."),
                _ => None,
            };
            store::rate(
                txn,
                &ticket,
                &requester.person,
                rating,
                comment.map(str::to_owned),
                resolved_at + Duration::hours(2),
            )
            .await?;
        }
        let closed_at = resolved_at + Duration::days(15);
        if closed_at < now {
            moved(
                txn,
                &calendar,
                &ticket,
                &requester.person,
                Status::Closed,
                None,
                closed_at,
            )
            .await?;
        }
    }
    record_past_breaches(txn, &opened_tickets, now).await
}

/// Warnings and breaches that fell due before `now` are recorded when they happened (with the
/// escalation on the timeline), as the jobs would have; nobody is told of them again today.
async fn record_past_breaches(
    txn: &DatabaseTransaction,
    tickets: &[store::Ticket],
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let ids: Vec<(Uuid, Uuid)> = tickets.iter().map(|t| (t.partner_id, t.id)).collect();
    let queues = store::queues(txn).await?;
    for clock in sla::clocks_for(txn, store::OBJECT_TYPE, &ids).await? {
        if clock.state != "running" {
            continue;
        }
        let due_times = [clock.warn_at, clock.due_at].into_iter().flatten();
        for at in due_times.filter(|at| *at <= now) {
            let Some((_, sla::Observed::Breached)) = sla::observe(txn, clock.id, at).await? else {
                continue;
            };
            let Some(ticket) = tickets.iter().find(|t| t.id == clock.object_id) else {
                continue;
            };
            let lead = queues
                .iter()
                .find(|q| q.id == ticket.queue_id)
                .and_then(|q| q.lead_user_id);
            store::record_escalation(txn, ticket, &clock, lead, at).await?;
        }
    }
    Ok(())
}

/// Tickets of the large program.
pub const LARGE_TICKETS: usize = 10_000;

/// Adds [`LARGE_TICKETS`] tickets over the last year to the large program's partners, in bulk:
/// each with its opening message, its timeline's first entry and both clocks — most resolved
/// (clocks stopped, within target or not), the newest still open with clocks running, some of
/// them breached. `partners` are (id, tier, requester id, requester label).
pub async fn grow(
    db: &crate::platform::db::Db,
    partners: &[(Uuid, &str, Uuid, String)],
    now: OffsetDateTime,
) -> anyhow::Result<usize> {
    use crate::platform::sla::entity::clock;
    use crate::platform::threads::entity::{message, thread};
    use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

    if partners.is_empty() {
        return Ok(0);
    }
    let calendar = sla::calendar(db, store::CALENDAR).await?;
    let queues = store::queues(db).await?;
    let policies = sla::policies(db, store::OBJECT_TYPE).await?;
    let agents: Vec<(Uuid, String)> = crate::identity::entity::user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter(|u| u.role == crate::platform::scope::Role::Support.key())
        .map(|u| (u.id, u.display_name))
        .collect();
    let first_number = crate::platform::numbers::next(db, "ticket", 10_001).await?;
    let mut written = 0;
    for chunk_start in (0..LARGE_TICKETS).step_by(1_000) {
        let (mut tickets, mut clocks, mut events) = (Vec::new(), Vec::new(), Vec::new());
        let (mut threads, mut messages) = (Vec::new(), Vec::new());
        for n in chunk_start..(chunk_start + 1_000).min(LARGE_TICKETS) {
            let (partner_id, tier, requester_id, requester_label) =
                &partners[(n * 7919) % partners.len()];
            let (category, subject, opening, _) = REQUESTS[n % REQUESTS.len()];
            let priority = [
                Priority::Normal,
                Priority::High,
                Priority::Normal,
                Priority::Low,
                Priority::Urgent,
            ][n % 5];
            let left = i64::try_from(LARGE_TICKETS - n).unwrap_or(0);
            let total = i64::try_from(LARGE_TICKETS).unwrap_or(1);
            let age = 365 * 24 * 60 * left * left / (total * total) + 60;
            let opened = calendar
                .hours
                .add_business_minutes(now - Duration::minutes(age), 0)
                .min(now);
            let policy = policies
                .iter()
                .find(|p| p.priority == priority.key() && p.tier.as_deref() == Some(*tier))
                .or_else(|| {
                    policies
                        .iter()
                        .find(|p| p.priority == priority.key() && p.tier.is_none())
                });
            let (first_target, resolution_target) = policy.map_or((480, 2_400), |p| {
                (p.first_response_minutes, p.resolution_minutes)
            });
            let active = age < 5 * 24 * 60;
            let (agent_id, agent_name) = agents
                .get(n % agents.len().max(1))
                .cloned()
                .unwrap_or_default();
            let responded_after = [30, 90, 200, 600][n % 4].min(first_target * 2);
            let resolved_after = [240, 900, 2_000, 3_000][(n / 4) % 4];
            let responded = calendar.hours.add_business_minutes(opened, responded_after);
            let resolved = calendar.hours.add_business_minutes(opened, resolved_after);
            let answered = !active || (responded < now && n % 3 != 0);
            let done = !active && resolved < now;
            let status = match (done, answered) {
                (true, _) if age > 20 * 24 * 60 => Status::Closed,
                (true, _) => Status::Resolved,
                (false, true) if n % 4 == 0 => Status::WaitingOnPartner,
                (false, true) => Status::Open,
                (false, false) => Status::New,
            };
            let id = crate::platform::ids::new_id();
            let queue = route(&queues, category)
                .map(|q| q.id)
                .ok_or_else(|| anyhow::anyhow!("no support queue"))?;
            tickets.push(super::entity::ticket::ActiveModel {
                id: Set(id),
                number: Set(format!(
                    "TCK-{}",
                    first_number + i64::try_from(n).unwrap_or(0)
                )),
                partner_id: Set(*partner_id),
                subject: Set(subject.to_owned()),
                category: Set(category.key().to_owned()),
                priority: Set(priority.key().to_owned()),
                status: Set(status.key().to_owned()),
                queue_id: Set(queue),
                requester_user_id: Set(Some(*requester_id)),
                requester_label: Set(requester_label.clone()),
                owner_user_id: Set(answered.then_some(agent_id)),
                owner_label: Set(answered.then(|| agent_name.clone())),
                object_type: Set(None),
                object_id: Set(None),
                object_label: Set(None),
                created_at: Set(opened),
                updated_at: Set(if done { resolved } else { opened }),
                first_responded_at: Set(answered.then_some(responded)),
                resolved_at: Set(done.then_some(resolved)),
                closed_at: Set((status == Status::Closed).then_some(resolved + Duration::days(14))),
                reopened: Set(0),
                rating: Set((done && n % 3 == 0).then_some([5, 4, 5, 3, 4][n % 5])),
                rating_comment: Set(None),
                rated_at: Set((done && n % 3 == 0).then_some(resolved + Duration::hours(3))),
                merged_into_id: Set(None),
                next_due_at: Set(None),
            });
            let mut next_due: Option<OffsetDateTime> = None;
            for (metric, target, stopped, used) in [
                (
                    store::FIRST_RESPONSE,
                    first_target,
                    answered,
                    responded_after,
                ),
                (store::RESOLUTION, resolution_target, done, resolved_after),
            ] {
                let running = !stopped && status != Status::WaitingOnPartner;
                let due = calendar.hours.add_business_minutes(opened, target);
                let breached = (stopped && used > target) || (running && due < now);
                if running {
                    next_due = Some(next_due.map_or(due, |d| d.min(due)));
                }
                clocks.push(clock::ActiveModel {
                    id: Set(crate::platform::ids::new_id()),
                    partner_id: Set(*partner_id),
                    object_type: Set(store::OBJECT_TYPE.to_owned()),
                    object_id: Set(id),
                    metric: Set(metric.to_owned()),
                    calendar_id: Set(calendar.id),
                    target_minutes: Set(target),
                    started_at: Set(opened),
                    state: Set(if stopped {
                        "stopped"
                    } else if running {
                        "running"
                    } else {
                        "paused"
                    }
                    .to_owned()),
                    used_minutes: Set(if stopped { used } else { 0 }),
                    running_since: Set(running.then_some(opened)),
                    due_at: Set(running.then_some(due)),
                    warn_at: Set(running.then(|| {
                        calendar
                            .hours
                            .add_business_minutes(opened, target - target / 4)
                    })),
                    warned_at: Set(None),
                    breached_at: Set(breached.then_some(due)),
                    stopped_at: Set(
                        stopped.then(|| calendar.hours.add_business_minutes(opened, used))
                    ),
                });
            }
            if let Some(ticket) = tickets.last_mut() {
                ticket.next_due_at = Set(next_due);
            }
            events.push(super::entity::event::ActiveModel {
                id: Set(crate::platform::ids::new_id()),
                ticket_id: Set(id),
                partner_id: Set(*partner_id),
                at: Set(opened),
                actor_user_id: Set(Some(*requester_id)),
                actor_label: Set(requester_label.clone()),
                kind: Set("opened".to_owned()),
                from_value: Set(None),
                to_value: Set(Some(Status::New.key().to_owned())),
                note: Set(None),
                internal: Set(false),
            });
            if status != Status::New {
                events.push(super::entity::event::ActiveModel {
                    id: Set(crate::platform::ids::new_id()),
                    ticket_id: Set(id),
                    partner_id: Set(*partner_id),
                    at: Set(if done { resolved } else { responded }),
                    actor_user_id: Set(Some(agent_id)),
                    actor_label: Set(agent_name.clone()),
                    kind: Set("status".to_owned()),
                    from_value: Set(Some(Status::New.key().to_owned())),
                    to_value: Set(Some(status.key().to_owned())),
                    note: Set(None),
                    internal: Set(false),
                });
            }
            let thread_id = crate::platform::ids::new_id();
            threads.push(thread::ActiveModel {
                id: Set(thread_id),
                partner_id: Set(*partner_id),
                object_type: Set(store::OBJECT_TYPE.to_owned()),
                object_id: Set(id),
                created_at: Set(opened),
            });
            messages.push(message::ActiveModel {
                id: Set(crate::platform::ids::new_id()),
                thread_id: Set(thread_id),
                partner_id: Set(*partner_id),
                author_user_id: Set(Some(*requester_id)),
                author_label: Set(requester_label.clone()),
                author_side: Set("partner".to_owned()),
                body: Set(opening.to_owned()),
                internal: Set(false),
                created_at: Set(opened),
            });
        }
        let txn = crate::platform::db::begin_write(db).await?;
        for part in tickets.chunks(300) {
            super::entity::ticket::Entity::insert_many(part.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        for part in clocks.chunks(500) {
            clock::Entity::insert_many(part.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        for part in events.chunks(500) {
            super::entity::event::Entity::insert_many(part.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        for part in threads.chunks(500) {
            thread::Entity::insert_many(part.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        for part in messages.chunks(500) {
            message::Entity::insert_many(part.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        written += tickets.len();
    }
    // Later tickets continue the series after the last one written here.
    db.execute_raw(sea_orm::Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE number_sequence SET next_value = $1 WHERE name = 'ticket'",
        [sea_orm::Value::from(
            first_number + i64::try_from(LARGE_TICKETS).unwrap_or(0) - 1,
        )],
    ))
    .await?;
    Ok(written)
}
