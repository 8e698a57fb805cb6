//! SLA clocks: a target counted in business minutes of a [`BusinessCalendar`], on any object
//! a partner waits on (a ticket today; deal approvals, lead acceptance, claim reviews and
//! payouts later). A clock runs, pauses while the vendor waits on the partner, resumes, and
//! stops when the work is done; it warns when a quarter of its target is left and breaches at
//! its due time. Every change is an [`entity::event`] row, never an edit of history.
//!
//! The owning module decides when a clock starts, pauses or stops, and who hears of a warning
//! or breach: it schedules [`schedule`] jobs of its own kind and calls [`observe`] from them.
//! [`observe`] is idempotent, so a job that runs twice (or late, after a pause moved the due
//! time) records nothing twice.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, sea_query::Expr,
};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::calendar::{BusinessCalendar, format_business_minutes};
use super::{ids, jobs};

pub mod entity {
    pub mod calendar {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "business_calendar")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub key: String,
            pub name: String,
            pub time_zone: String,
            pub work_days: String,
            pub opens: String,
            pub closes: String,
            pub created_at: TimeDateTimeWithTimeZone,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub mod holiday {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "business_holiday")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub calendar_id: Uuid,
            #[sea_orm(primary_key, auto_increment = false)]
            pub day: TimeDate,
            pub name: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub mod clock {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "sla_clock")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub partner_id: Uuid,
            pub object_type: String,
            pub object_id: Uuid,
            /// What is measured, e.g. `first_response` or `resolution`.
            pub metric: String,
            pub calendar_id: Uuid,
            pub target_minutes: i64,
            pub started_at: TimeDateTimeWithTimeZone,
            /// running, paused, stopped, or cancelled (the work it measured will not happen).
            pub state: String,
            /// Business minutes used before the current run began.
            pub used_minutes: i64,
            pub running_since: Option<TimeDateTimeWithTimeZone>,
            pub due_at: Option<TimeDateTimeWithTimeZone>,
            pub warn_at: Option<TimeDateTimeWithTimeZone>,
            pub warned_at: Option<TimeDateTimeWithTimeZone>,
            pub breached_at: Option<TimeDateTimeWithTimeZone>,
            pub stopped_at: Option<TimeDateTimeWithTimeZone>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub mod event {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "sla_event")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub clock_id: Uuid,
            pub partner_id: Uuid,
            /// started, paused, resumed, warning, breached, met, missed, cancelled.
            pub kind: String,
            pub at: TimeDateTimeWithTimeZone,
            pub detail: Option<String>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub mod policy {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "sla_policy")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub object_type: String,
            pub priority: String,
            /// A partner tier, or `None` for every tier without its own row.
            pub tier: Option<String>,
            pub first_response_minutes: i64,
            pub resolution_minutes: i64,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entity::{calendar, clock, event, holiday, policy};

pub use clock::Model as Clock;
pub use policy::Model as Policy;

/// A calendar as stored, with its working hours ready for arithmetic.
#[derive(Debug, Clone)]
pub struct Calendar {
    pub id: Uuid,
    pub name: String,
    pub hours: BusinessCalendar,
}

/// The calendar stored under `key`, with its holidays.
pub async fn calendar(conn: &impl ConnectionTrait, key: &str) -> Result<Calendar, DbErr> {
    let found = calendar::Entity::find()
        .filter(calendar::Column::Key.eq(key))
        .one(conn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("business calendar {key}")))?;
    let holidays = holiday::Entity::find()
        .filter(holiday::Column::CalendarId.eq(found.id))
        .all(conn)
        .await?
        .into_iter()
        .map(|h| h.day);
    let hours = BusinessCalendar::new(
        &found.time_zone,
        &found.work_days,
        &found.opens,
        &found.closes,
        holidays,
    )
    .map_err(|error| DbErr::Custom(format!("business calendar {key}: {error}")))?;
    Ok(Calendar {
        id: found.id,
        name: found.name,
        hours,
    })
}

/// The stored row of a calendar, for the page that edits it.
pub async fn calendar_row(
    conn: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<calendar::Model>, DbErr> {
    calendar::Entity::find()
        .filter(calendar::Column::Key.eq(key))
        .one(conn)
        .await
}

/// New working hours for a calendar, already checked by [`BusinessCalendar::new`]. Clocks keep
/// the due times they have; the hours count from each clock's next start or resume.
pub async fn set_hours(
    conn: &impl ConnectionTrait,
    calendar_id: Uuid,
    hours: &BusinessCalendar,
    (work_days, opens, closes): (&str, &str, &str),
) -> Result<(), DbErr> {
    calendar::ActiveModel {
        id: Set(calendar_id),
        time_zone: Set(hours.zone_name().to_owned()),
        work_days: Set(work_days.to_owned()),
        opens: Set(opens.to_owned()),
        closes: Set(closes.to_owned()),
        ..Default::default()
    }
    .update(conn)
    .await?;
    Ok(())
}

pub async fn remove_holiday(
    conn: &impl ConnectionTrait,
    calendar_id: Uuid,
    day: time::Date,
) -> Result<bool, DbErr> {
    Ok(holiday::Entity::delete_many()
        .filter(holiday::Column::CalendarId.eq(calendar_id))
        .filter(holiday::Column::Day.eq(day))
        .exec(conn)
        .await?
        .rows_affected
        > 0)
}

/// New targets for one policy row; clocks already running keep the target they started with.
pub async fn set_targets(
    conn: &impl ConnectionTrait,
    policy_id: Uuid,
    first_response_minutes: i64,
    resolution_minutes: i64,
) -> Result<(), DbErr> {
    policy::ActiveModel {
        id: Set(policy_id),
        first_response_minutes: Set(first_response_minutes),
        resolution_minutes: Set(resolution_minutes),
        ..Default::default()
    }
    .update(conn)
    .await?;
    Ok(())
}

/// Adds a holiday to a calendar (no change when the day is one already).
pub async fn add_holiday(
    conn: &impl ConnectionTrait,
    calendar_id: Uuid,
    day: time::Date,
    name: &str,
) -> Result<(), DbErr> {
    holiday::Entity::insert(holiday::ActiveModel {
        calendar_id: Set(calendar_id),
        day: Set(day),
        name: Set(name.to_owned()),
    })
    .on_conflict_do_nothing_on([holiday::Column::CalendarId, holiday::Column::Day])
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// The targets for an object of `object_type` at `priority` for a partner of `tier`: the
/// tier's own row where there is one, else the row for every tier.
pub async fn policy_for(
    conn: &impl ConnectionTrait,
    object_type: &str,
    priority: &str,
    tier: Option<&str>,
) -> Result<Option<Policy>, DbErr> {
    let rows = policy::Entity::find()
        .filter(policy::Column::ObjectType.eq(object_type))
        .filter(policy::Column::Priority.eq(priority))
        .all(conn)
        .await?;
    let own = rows
        .iter()
        .find(|p| p.tier.is_some() && p.tier.as_deref() == tier)
        .cloned();
    Ok(own.or_else(|| rows.into_iter().find(|p| p.tier.is_none())))
}

/// Every policy row of an object type, for the page that shows them.
pub async fn policies(
    conn: &impl ConnectionTrait,
    object_type: &str,
) -> Result<Vec<Policy>, DbErr> {
    policy::Entity::find()
        .filter(policy::Column::ObjectType.eq(object_type))
        .all(conn)
        .await
}

/// The object a clock measures.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    pub partner_id: Uuid,
    pub object_type: &'static str,
    pub object_id: Uuid,
}

/// When a clock with `remaining` business minutes of `target`, running from `from`, is due
/// and should warn (a quarter of the target left).
fn due_and_warning(
    hours: &BusinessCalendar,
    from: OffsetDateTime,
    target: i64,
    remaining: i64,
) -> (OffsetDateTime, OffsetDateTime) {
    let remaining = remaining.max(0);
    let due = hours.add_business_minutes(from, remaining);
    let warn_after = (remaining - target / 4).max(0);
    (due, hours.add_business_minutes(from, warn_after))
}

async fn record(
    conn: &impl ConnectionTrait,
    clock: &Clock,
    kind: &str,
    at: OffsetDateTime,
    detail: Option<String>,
) -> Result<(), DbErr> {
    event::ActiveModel {
        id: Set(ids::new_id()),
        clock_id: Set(clock.id),
        partner_id: Set(clock.partner_id),
        kind: Set(kind.to_owned()),
        at: Set(at),
        detail: Set(detail),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Starts a clock of `target_minutes` business minutes at `at`.
pub async fn start(
    conn: &impl ConnectionTrait,
    calendar: &Calendar,
    measured: Measured,
    metric: &str,
    target_minutes: i64,
    at: OffsetDateTime,
) -> Result<Clock, DbErr> {
    let (due, warn) = due_and_warning(&calendar.hours, at, target_minutes, target_minutes);
    let started = clock::ActiveModel {
        id: Set(ids::new_id()),
        partner_id: Set(measured.partner_id),
        object_type: Set(measured.object_type.to_owned()),
        object_id: Set(measured.object_id),
        metric: Set(metric.to_owned()),
        calendar_id: Set(calendar.id),
        target_minutes: Set(target_minutes),
        started_at: Set(at),
        state: Set("running".to_owned()),
        used_minutes: Set(0),
        running_since: Set(Some(at)),
        due_at: Set(Some(due)),
        warn_at: Set(Some(warn)),
        warned_at: Set(None),
        breached_at: Set(None),
        stopped_at: Set(None),
    }
    .insert(conn)
    .await?;
    record(
        conn,
        &started,
        "started",
        at,
        Some(format!(
            "Target {} ({})",
            format_business_minutes(target_minutes, calendar.hours.minutes_per_day()),
            calendar.name
        )),
    )
    .await?;
    Ok(started)
}

/// Business minutes a clock has used up to `at`.
///
/// A running clock counts back from its due time, so a change of the calendar's hours or
/// holidays never moves a deadline already given: what is left is the business time until
/// `due_at` (or past it, negative).
pub fn used_at(clock: &Clock, hours: &BusinessCalendar, at: OffsetDateTime) -> i64 {
    match (clock.state.as_str(), clock.due_at) {
        ("running", Some(due)) => {
            let left = if at <= due {
                hours.business_minutes_between(at, due)
            } else {
                -hours.business_minutes_between(due, at)
            };
            clock.target_minutes - left
        }
        _ => clock.used_minutes,
    }
}

/// Pauses a running clock (no change otherwise): the time until it resumes does not count.
pub async fn pause(
    conn: &impl ConnectionTrait,
    calendar: &Calendar,
    clock: &Clock,
    at: OffsetDateTime,
    why: &str,
) -> Result<(), DbErr> {
    if clock.state != "running" {
        return Ok(());
    }
    let used = used_at(clock, &calendar.hours, at);
    clock::ActiveModel {
        id: Set(clock.id),
        state: Set("paused".to_owned()),
        used_minutes: Set(used),
        running_since: Set(None),
        due_at: Set(None),
        warn_at: Set(None),
        ..Default::default()
    }
    .update(conn)
    .await?;
    jobs::cancel_pending(conn, &checks_prefix(clock)).await?;
    record(conn, clock, "paused", at, Some(why.to_owned())).await
}

/// Runs a paused or stopped clock again from `at`, with what was left of its target; returns
/// the clock as it now stands (unchanged when it was already running).
pub async fn resume(
    conn: &impl ConnectionTrait,
    calendar: &Calendar,
    clock: &Clock,
    at: OffsetDateTime,
    why: &str,
) -> Result<Clock, DbErr> {
    if clock.state == "running" {
        return Ok(clock.clone());
    }
    let remaining = clock.target_minutes - clock.used_minutes;
    let (due, warn) = due_and_warning(&calendar.hours, at, clock.target_minutes, remaining);
    let resumed = clock::ActiveModel {
        id: Set(clock.id),
        state: Set("running".to_owned()),
        running_since: Set(Some(at)),
        due_at: Set(Some(due)),
        warn_at: Set(Some(warn)),
        stopped_at: Set(None),
        ..Default::default()
    }
    .update(conn)
    .await?;
    record(conn, clock, "resumed", at, Some(why.to_owned())).await?;
    Ok(resumed)
}

/// Ends a clock for good in `state` (stopped or cancelled), keeping the minutes it used and
/// dropping its pending checks; `None` when it had ended already.
async fn end(
    conn: &impl ConnectionTrait,
    calendar: &Calendar,
    clock: &Clock,
    at: OffsetDateTime,
    state: &str,
) -> Result<Option<i64>, DbErr> {
    if clock.state == "stopped" || clock.state == "cancelled" {
        return Ok(None);
    }
    let used = used_at(clock, &calendar.hours, at);
    clock::ActiveModel {
        id: Set(clock.id),
        state: Set(state.to_owned()),
        used_minutes: Set(used),
        running_since: Set(None),
        due_at: Set(None),
        warn_at: Set(None),
        stopped_at: Set(Some(at)),
        ..Default::default()
    }
    .update(conn)
    .await?;
    jobs::cancel_pending(conn, &checks_prefix(clock)).await?;
    Ok(Some(used))
}

/// Stops a clock: the work it measured is done, within its target or not.
pub async fn stop(
    conn: &impl ConnectionTrait,
    calendar: &Calendar,
    clock: &Clock,
    at: OffsetDateTime,
) -> Result<(), DbErr> {
    let Some(used) = end(conn, calendar, clock, at, "stopped").await? else {
        return Ok(());
    };
    let kind = if used <= clock.target_minutes && clock.breached_at.is_none() {
        "met"
    } else {
        "missed"
    };
    let per_day = calendar.hours.minutes_per_day();
    record(
        conn,
        clock,
        kind,
        at,
        Some(format!(
            "{} of {}",
            format_business_minutes(used, per_day),
            format_business_minutes(clock.target_minutes, per_day)
        )),
    )
    .await
}

/// Ends a clock whose work will not happen here (a request closed or merged before anyone
/// answered it): it counts neither as met nor as missed, unless it had breached already.
pub async fn cancel(
    conn: &impl ConnectionTrait,
    calendar: &Calendar,
    clock: &Clock,
    at: OffsetDateTime,
    why: &str,
) -> Result<(), DbErr> {
    if end(conn, calendar, clock, at, "cancelled").await?.is_some() {
        record(conn, clock, "cancelled", at, Some(why.to_owned())).await?;
    }
    Ok(())
}

/// The clocks of an object, by metric.
pub async fn clocks_of(
    conn: &impl ConnectionTrait,
    partner_id: Uuid,
    object_type: &str,
    object_id: Uuid,
) -> Result<Vec<Clock>, DbErr> {
    clock::Entity::find()
        .filter(clock::Column::PartnerId.eq(partner_id))
        .filter(clock::Column::ObjectType.eq(object_type))
        .filter(clock::Column::ObjectId.eq(object_id))
        .order_by_asc(clock::Column::StartedAt)
        .all(conn)
        .await
}

/// The clocks of many objects of one type (for lists), given as (partner, object): read
/// through the index that leads with the partner.
pub async fn clocks_for(
    conn: &impl ConnectionTrait,
    object_type: &str,
    objects: &[(Uuid, Uuid)],
) -> Result<Vec<Clock>, DbErr> {
    let mut found = Vec::new();
    for chunk in objects.chunks(300) {
        // One index range per partner (two IN lists would probe every combination).
        let mut by_partner: std::collections::BTreeMap<Uuid, Vec<Uuid>> = Default::default();
        for (partner, object) in chunk {
            by_partner.entry(*partner).or_default().push(*object);
        }
        let mut any = sea_orm::Condition::any();
        for (partner, objects) in by_partner {
            any = any.add(
                sea_orm::Condition::all()
                    .add(clock::Column::PartnerId.eq(partner))
                    .add(clock::Column::ObjectType.eq(object_type))
                    .add(clock::Column::ObjectId.is_in(objects)),
            );
        }
        found.extend(clock::Entity::find().filter(any).all(conn).await?);
    }
    Ok(found)
}

/// Every clock of an object type started in `[from, to)` (for figures over a period): one
/// plain range read, however many objects there are.
pub async fn clocks_started_between(
    conn: &impl ConnectionTrait,
    object_type: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<Clock>, DbErr> {
    clock::Entity::find()
        .filter(clock::Column::ObjectType.eq(object_type))
        .filter(clock::Column::StartedAt.gte(from))
        .filter(clock::Column::StartedAt.lt(to))
        .all(conn)
        .await
}

/// A calendar's holidays, in date order.
pub async fn holidays(
    conn: &impl ConnectionTrait,
    calendar_id: Uuid,
) -> Result<Vec<holiday::Model>, DbErr> {
    holiday::Entity::find()
        .filter(holiday::Column::CalendarId.eq(calendar_id))
        .order_by_asc(holiday::Column::Day)
        .all(conn)
        .await
}

/// Queues the warning and breach checks of a running clock as jobs of the owner's `kind`
/// (payload `{"clock": id}`); each due time is queued once, whatever the number of callers.
pub async fn schedule(conn: &impl ConnectionTrait, kind: &str, clock: &Clock) -> Result<(), DbErr> {
    for at in [clock.warn_at, clock.due_at].into_iter().flatten() {
        let key = format!("{}{kind}:{}", checks_prefix(clock), at.unix_timestamp());
        jobs::enqueue_at(conn, kind, json!({ "clock": clock.id }), at, Some(&key)).await?;
    }
    Ok(())
}

/// The unique-key prefix of a clock's scheduled checks.
fn checks_prefix(clock: &Clock) -> String {
    format!("sla:{}:", clock.id)
}

/// What [`observe`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    Warning,
    Breached,
}

/// Records a warning or breach that is due on a running clock at `at`, once: a conditional
/// update claims it, so two workers never both report it.
pub async fn observe(
    conn: &impl ConnectionTrait,
    clock_id: Uuid,
    at: OffsetDateTime,
) -> Result<Option<(Clock, Observed)>, DbErr> {
    let Some(found) = clock::Entity::find_by_id(clock_id).one(conn).await? else {
        return Ok(None);
    };
    if found.state != "running" {
        return Ok(None);
    }
    let due = |when: Option<OffsetDateTime>| when.is_some_and(|w| w <= at);
    let (column, due_column, observed, kind) = if found.breached_at.is_none() && due(found.due_at) {
        (
            clock::Column::BreachedAt,
            clock::Column::DueAt,
            Observed::Breached,
            "breached",
        )
    } else if found.warned_at.is_none() && found.breached_at.is_none() && due(found.warn_at) {
        (
            clock::Column::WarnedAt,
            clock::Column::WarnAt,
            Observed::Warning,
            "warning",
        )
    } else {
        return Ok(None);
    };
    let claimed = clock::Entity::update_many()
        .col_expr(column, Expr::value(at))
        .filter(clock::Column::Id.eq(found.id))
        .filter(clock::Column::State.eq("running"))
        .filter(column.is_null())
        // Only while the time claimed is still the clock's: a pause and resume committed since
        // the read moved it.
        .filter(due_column.lte(at))
        .exec(conn)
        .await?;
    if claimed.rows_affected == 0 {
        return Ok(None);
    }
    record(conn, &found, kind, at, None).await?;
    Ok(Some((found, observed)))
}

/// How a clock reads on a page: "Response due in 3 h 20 min (business hours)".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockView {
    pub label: String,
    /// ok, amber, red, paused, met or missed: the badge colour, never the only signal.
    pub tone: &'static str,
    /// The due time, exact, for a tooltip.
    pub due: Option<OffsetDateTime>,
}

/// `what` names the clock for people ("Response", "Resolution").
pub fn view(clock: &Clock, hours: &BusinessCalendar, what: &str, now: OffsetDateTime) -> ClockView {
    let per_day = hours.minutes_per_day();
    let used = used_at(clock, hours, now);
    let left = clock.target_minutes - used;
    let words = |minutes: i64| format_business_minutes(minutes, per_day);
    let (label, tone) = match clock.state.as_str() {
        "running" if clock.breached_at.is_some() || clock.due_at.is_none_or(|due| due <= now) => (
            format!("{what} overdue by {} (business hours)", words(-left.min(0))),
            "red",
        ),
        "running" => (
            format!("{what} due in {} (business hours)", words(left.max(0))),
            if left * 4 < clock.target_minutes {
                "amber"
            } else {
                "ok"
            },
        ),
        "cancelled" => (
            format!("{what} clock ended: closed before it was due"),
            "paused",
        ),
        "paused" => (
            format!("{what} clock paused · {} left", words(left.max(0))),
            "paused",
        ),
        _ if used <= clock.target_minutes && clock.breached_at.is_none() => (
            format!(
                "{what} within target: {} of {}",
                words(used),
                words(clock.target_minutes)
            ),
            "met",
        ),
        _ => (
            format!(
                "{what} missed target: {} of {}",
                words(used),
                words(clock.target_minutes)
            ),
            "missed",
        ),
    };
    ClockView {
        label,
        tone,
        due: clock.due_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn office() -> BusinessCalendar {
        BusinessCalendar::new(
            "Europe/Berlin",
            "mon,tue,wed,thu,fri",
            "09:00",
            "17:00",
            [time::macros::date!(2026 - 12 - 25)],
        )
        .unwrap()
    }

    fn clock(state: &str, used: i64, since: Option<OffsetDateTime>) -> Clock {
        let due = since.map(|since| office().add_business_minutes(since, 240 - used));
        Clock {
            id: Uuid::nil(),
            partner_id: Uuid::nil(),
            object_type: "ticket".into(),
            object_id: Uuid::nil(),
            metric: "first_response".into(),
            calendar_id: Uuid::nil(),
            target_minutes: 240,
            started_at: datetime!(2026-12-04 14:00 UTC),
            state: state.into(),
            used_minutes: used,
            running_since: since,
            due_at: due,
            warn_at: None,
            warned_at: None,
            breached_at: None,
            stopped_at: None,
        }
    }

    #[test]
    fn due_and_warning_fall_in_business_hours_across_the_weekend() {
        // Friday 15:00 Berlin (14:00 UTC), four business hours: two on Friday, two on Monday.
        let from = datetime!(2026-12-04 14:00 UTC);
        let (due, warn) = due_and_warning(&office(), from, 240, 240);
        assert_eq!(due, datetime!(2026-12-07 10:00 UTC), "Monday 11:00 Berlin");
        assert_eq!(
            warn,
            datetime!(2026-12-07 09:00 UTC),
            "a quarter left: Monday 10:00"
        );
        // A clock resumed with nothing left is due at once.
        let (due, warn) = due_and_warning(&office(), from, 240, -30);
        assert_eq!((due, warn), (from, from));
    }

    #[test]
    fn pauses_do_not_count() {
        let hours = office();
        let paused = clock("paused", 100, None);
        let next_week = datetime!(2026-12-14 12:00 UTC);
        assert_eq!(used_at(&paused, &hours, next_week), 100);
        let running = clock("running", 100, Some(datetime!(2026-12-07 09:00 UTC)));
        // Monday 10:00 to 12:00 Berlin: 120 more minutes.
        assert_eq!(
            used_at(&running, &hours, datetime!(2026-12-07 11:00 UTC)),
            220
        );
    }

    #[test]
    fn a_new_holiday_never_moves_a_running_deadline() {
        let since = datetime!(2026-12-07 08:00 UTC);
        let running = clock("running", 0, Some(since));
        let due = running.due_at.unwrap();
        let with_holiday = BusinessCalendar::new(
            "Europe/Berlin",
            "mon,tue,wed,thu,fri",
            "09:00",
            "17:00",
            [time::macros::date!(2026 - 12 - 07)],
        )
        .unwrap();
        let later = since + time::Duration::minutes(60);
        let view = view(&running, &with_holiday, "Response", later);
        assert_eq!(view.due, Some(due), "the due time stays");
        assert_ne!(
            view.tone, "red",
            "not overdue before its due time: {view:?}"
        );
    }

    #[test]
    fn views_say_what_is_left_and_turn_amber_then_red() {
        let hours = office();
        let since = datetime!(2026-12-07 08:00 UTC);
        let running = clock("running", 0, Some(since));
        let early = view(
            &running,
            &hours,
            "Response",
            since + time::Duration::minutes(40),
        );
        assert_eq!(early.label, "Response due in 3 h 20 min (business hours)");
        assert_eq!(early.tone, "ok");
        let late = view(
            &running,
            &hours,
            "Response",
            since + time::Duration::minutes(200),
        );
        assert_eq!(late.tone, "amber", "{late:?}");
        let over = view(
            &running,
            &hours,
            "Response",
            since + time::Duration::minutes(285),
        );
        assert_eq!(over.label, "Response overdue by 45 min (business hours)");
        assert_eq!(over.tone, "red");
        let paused = view(&clock("paused", 60, None), &hours, "Resolution", since);
        assert_eq!(paused.label, "Resolution clock paused · 3 h left");
        let met = view(&clock("stopped", 65, None), &hours, "Response", since);
        assert_eq!(
            (met.label.as_str(), met.tone),
            ("Response within target: 1 h 5 min of 4 h", "met")
        );
        let missed = view(&clock("stopped", 300, None), &hours, "Response", since);
        assert_eq!(missed.tone, "missed");
    }
}
