//! Support: business calendars and SLA clocks (a platform service any module's objects use),
//! SLA policies by priority and tier, support queues, tickets (a merged duplicate points at the
//! ticket it went into) and each ticket's timeline, and support's canned replies.
//! A fresh deployment gets a working default: one support calendar, three queues and a policy
//! for every priority, faster for Gold and Platinum partners.

use sea_orm_migration::{prelude::*, schema::*};
use uuid::Uuid;

use super::m0009_orders::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum BusinessCalendar {
    Table,
    Id,
    Key,
    Name,
    TimeZone,
    WorkDays,
    Opens,
    Closes,
    CreatedAt,
}

#[derive(DeriveIden)]
enum BusinessHoliday {
    Table,
    CalendarId,
    Day,
    Name,
}

#[derive(DeriveIden)]
enum SlaClock {
    Table,
    Id,
    PartnerId,
    ObjectType,
    ObjectId,
    Metric,
    CalendarId,
    TargetMinutes,
    StartedAt,
    State,
    UsedMinutes,
    RunningSince,
    DueAt,
    WarnAt,
    WarnedAt,
    BreachedAt,
    StoppedAt,
}

#[derive(DeriveIden)]
enum SlaEvent {
    Table,
    Id,
    ClockId,
    PartnerId,
    Kind,
    At,
    Detail,
}

#[derive(DeriveIden)]
enum SlaPolicy {
    Table,
    Id,
    ObjectType,
    Priority,
    Tier,
    FirstResponseMinutes,
    ResolutionMinutes,
}

#[derive(DeriveIden)]
enum SupportQueue {
    Table,
    Id,
    Name,
    Categories,
    LeadUserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Ticket {
    Table,
    Id,
    Number,
    PartnerId,
    Subject,
    Category,
    Priority,
    Status,
    QueueId,
    RequesterUserId,
    RequesterLabel,
    OwnerUserId,
    OwnerLabel,
    ObjectType,
    ObjectId,
    ObjectLabel,
    CreatedAt,
    UpdatedAt,
    FirstRespondedAt,
    ResolvedAt,
    ClosedAt,
    Reopened,
    Rating,
    RatingComment,
    RatedAt,
    MergedIntoId,
    NextDueAt,
}

#[derive(DeriveIden)]
enum SupportCannedReply {
    Table,
    Id,
    Title,
    Body,
    CreatedBy,
    CreatedLabel,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TicketEvent {
    Table,
    Id,
    TicketId,
    PartnerId,
    At,
    ActorUserId,
    ActorLabel,
    Kind,
    FromValue,
    ToValue,
    Note,
    Internal,
}

/// (priority, tier or any, first response, resolution) in business minutes.
const DEFAULT_POLICIES: [(&str, Option<&str>, i64, i64); 12] = [
    ("urgent", None, 60, 480),
    ("urgent", Some("Gold"), 45, 360),
    ("urgent", Some("Platinum"), 30, 240),
    ("high", None, 240, 1_440),
    ("high", Some("Gold"), 120, 960),
    ("high", Some("Platinum"), 60, 720),
    ("normal", None, 480, 2_400),
    ("normal", Some("Gold"), 240, 1_920),
    ("normal", Some("Platinum"), 120, 1_440),
    ("low", None, 960, 4_800),
    ("low", Some("Gold"), 480, 2_880),
    ("low", Some("Platinum"), 240, 2_400),
];

const DEFAULT_QUEUES: [(&str, &str); 3] = [
    ("Orders and deals", "order,deal"),
    ("Commissions and funds", "commission,fund_claim"),
    ("General support", "asset,access,technical,other"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BusinessCalendar::Table)
                    .col(pk_uuid(BusinessCalendar::Id))
                    .col(string(BusinessCalendar::Key))
                    .col(string(BusinessCalendar::Name))
                    .col(string(BusinessCalendar::TimeZone))
                    .col(string(BusinessCalendar::WorkDays))
                    .col(string(BusinessCalendar::Opens))
                    .col(string(BusinessCalendar::Closes))
                    .col(timestamp_with_time_zone(BusinessCalendar::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("business_calendar_key", BusinessCalendar::Table, &["key"])
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BusinessHoliday::Table)
                    .col(uuid(BusinessHoliday::CalendarId))
                    .col(date(BusinessHoliday::Day))
                    .col(string(BusinessHoliday::Name))
                    .primary_key(
                        Index::create()
                            .col(BusinessHoliday::CalendarId)
                            .col(BusinessHoliday::Day),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(BusinessHoliday::Table, BusinessHoliday::CalendarId)
                            .to(BusinessCalendar::Table, BusinessCalendar::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SlaClock::Table)
                    .col(pk_uuid(SlaClock::Id))
                    .col(uuid(SlaClock::PartnerId))
                    .col(string(SlaClock::ObjectType))
                    .col(uuid(SlaClock::ObjectId))
                    .col(string(SlaClock::Metric))
                    .col(uuid(SlaClock::CalendarId))
                    .col(big_integer(SlaClock::TargetMinutes))
                    .col(timestamp_with_time_zone(SlaClock::StartedAt))
                    .col(string(SlaClock::State))
                    .col(big_integer(SlaClock::UsedMinutes))
                    .col(timestamp_with_time_zone_null(SlaClock::RunningSince))
                    .col(timestamp_with_time_zone_null(SlaClock::DueAt))
                    .col(timestamp_with_time_zone_null(SlaClock::WarnAt))
                    .col(timestamp_with_time_zone_null(SlaClock::WarnedAt))
                    .col(timestamp_with_time_zone_null(SlaClock::BreachedAt))
                    .col(timestamp_with_time_zone_null(SlaClock::StoppedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SlaClock::Table, SlaClock::CalendarId)
                            .to(BusinessCalendar::Table, BusinessCalendar::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // One clock per metric of an object: the object's page reads its clocks from here.
        manager
            .create_index(
                index(
                    "sla_clock_object",
                    SlaClock::Table,
                    &["partner_id", "object_type", "object_id", "metric"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        // "Breaching soon" and "breached" lists: running clocks by due time.
        manager
            .create_index(index(
                "sla_clock_due",
                SlaClock::Table,
                &["object_type", "state", "due_at"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SlaEvent::Table)
                    .col(pk_uuid(SlaEvent::Id))
                    .col(uuid(SlaEvent::ClockId))
                    .col(uuid(SlaEvent::PartnerId))
                    .col(string(SlaEvent::Kind))
                    .col(timestamp_with_time_zone(SlaEvent::At))
                    .col(text_null(SlaEvent::Detail))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SlaEvent::Table, SlaEvent::ClockId)
                            .to(SlaClock::Table, SlaClock::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "sla_event_clock",
                SlaEvent::Table,
                &["partner_id", "clock_id", "at"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SlaPolicy::Table)
                    .col(pk_uuid(SlaPolicy::Id))
                    .col(string(SlaPolicy::ObjectType))
                    .col(string(SlaPolicy::Priority))
                    .col(string_null(SlaPolicy::Tier))
                    .col(big_integer(SlaPolicy::FirstResponseMinutes))
                    .col(big_integer(SlaPolicy::ResolutionMinutes))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "sla_policy_target",
                    SlaPolicy::Table,
                    &["object_type", "priority", "tier"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SupportQueue::Table)
                    .col(pk_uuid(SupportQueue::Id))
                    .col(string(SupportQueue::Name))
                    .col(string(SupportQueue::Categories))
                    .col(uuid_null(SupportQueue::LeadUserId))
                    .col(timestamp_with_time_zone(SupportQueue::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Ticket::Table)
                    .col(pk_uuid(Ticket::Id))
                    .col(string(Ticket::Number))
                    .col(uuid(Ticket::PartnerId))
                    .col(string(Ticket::Subject))
                    .col(string(Ticket::Category))
                    .col(string(Ticket::Priority))
                    .col(string(Ticket::Status))
                    .col(uuid(Ticket::QueueId))
                    .col(uuid_null(Ticket::RequesterUserId))
                    .col(string(Ticket::RequesterLabel))
                    .col(uuid_null(Ticket::OwnerUserId))
                    .col(string_null(Ticket::OwnerLabel))
                    .col(string_null(Ticket::ObjectType))
                    .col(uuid_null(Ticket::ObjectId))
                    .col(string_null(Ticket::ObjectLabel))
                    .col(timestamp_with_time_zone(Ticket::CreatedAt))
                    .col(timestamp_with_time_zone(Ticket::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Ticket::FirstRespondedAt))
                    .col(timestamp_with_time_zone_null(Ticket::ResolvedAt))
                    .col(timestamp_with_time_zone_null(Ticket::ClosedAt))
                    .col(integer(Ticket::Reopened))
                    .col(integer_null(Ticket::Rating))
                    .col(text_null(Ticket::RatingComment))
                    .col(timestamp_with_time_zone_null(Ticket::RatedAt))
                    .col(uuid_null(Ticket::MergedIntoId))
                    .col(timestamp_with_time_zone_null(Ticket::NextDueAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Ticket::Table, Ticket::QueueId)
                            .to(SupportQueue::Table, SupportQueue::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("ticket_number", Ticket::Table, &["number"])
                    .unique()
                    .to_owned(),
            )
            .await?;
        // A partner's tickets, most recently changed first.
        manager
            .create_index(index(
                "ticket_partner",
                Ticket::Table,
                &["partner_id", "updated_at"],
            ))
            .await?;
        // Support's lists of every partner's tickets, most recently changed first.
        manager
            .create_index(index(
                "ticket_updated",
                Ticket::Table,
                &["updated_at", "id"],
            ))
            .await?;
        // Support's queues: by status, then by queue or owner.
        manager
            .create_index(index(
                "ticket_queue",
                Ticket::Table,
                &["status", "queue_id", "created_at"],
            ))
            .await?;
        manager
            .create_index(index(
                "ticket_owner",
                Ticket::Table,
                &["owner_user_id", "status"],
            ))
            .await?;
        // Support's work order: open tickets by their soonest running clock.
        manager
            .create_index(index(
                "ticket_next_due",
                Ticket::Table,
                &["status", "next_due_at"],
            ))
            .await?;
        // "Open a ticket about this order": the tickets concerning an object.
        manager
            .create_index(index(
                "ticket_object",
                Ticket::Table,
                &["partner_id", "object_type", "object_id"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TicketEvent::Table)
                    .col(pk_uuid(TicketEvent::Id))
                    .col(uuid(TicketEvent::TicketId))
                    .col(uuid(TicketEvent::PartnerId))
                    .col(timestamp_with_time_zone(TicketEvent::At))
                    .col(uuid_null(TicketEvent::ActorUserId))
                    .col(string(TicketEvent::ActorLabel))
                    .col(string(TicketEvent::Kind))
                    .col(text_null(TicketEvent::FromValue))
                    .col(text_null(TicketEvent::ToValue))
                    .col(text_null(TicketEvent::Note))
                    .col(boolean(TicketEvent::Internal))
                    .foreign_key(
                        ForeignKey::create()
                            .from(TicketEvent::Table, TicketEvent::TicketId)
                            .to(Ticket::Table, Ticket::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ticket_event_ticket",
                TicketEvent::Table,
                &["partner_id", "ticket_id", "at"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SupportCannedReply::Table)
                    .col(pk_uuid(SupportCannedReply::Id))
                    .col(string(SupportCannedReply::Title))
                    .col(text(SupportCannedReply::Body))
                    .col(uuid_null(SupportCannedReply::CreatedBy))
                    .col(string(SupportCannedReply::CreatedLabel))
                    .col(timestamp_with_time_zone(SupportCannedReply::CreatedAt))
                    .col(timestamp_with_time_zone(SupportCannedReply::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        insert_defaults(manager).await
    }
}

async fn insert_defaults(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let created_at = time::OffsetDateTime::now_utc();
    manager
        .exec_stmt(
            Query::insert()
                .into_table(BusinessCalendar::Table)
                .columns([
                    BusinessCalendar::Id,
                    BusinessCalendar::Key,
                    BusinessCalendar::Name,
                    BusinessCalendar::TimeZone,
                    BusinessCalendar::WorkDays,
                    BusinessCalendar::Opens,
                    BusinessCalendar::Closes,
                    BusinessCalendar::CreatedAt,
                ])
                .values_panic([
                    Uuid::now_v7().into(),
                    "support".into(),
                    "Support hours".into(),
                    "UTC".into(),
                    "mon,tue,wed,thu,fri".into(),
                    "09:00".into(),
                    "17:00".into(),
                    created_at.into(),
                ])
                .to_owned(),
        )
        .await?;
    for (name, categories) in DEFAULT_QUEUES {
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(SupportQueue::Table)
                    .columns([
                        SupportQueue::Id,
                        SupportQueue::Name,
                        SupportQueue::Categories,
                        SupportQueue::CreatedAt,
                    ])
                    .values_panic([
                        Uuid::now_v7().into(),
                        name.into(),
                        categories.into(),
                        created_at.into(),
                    ])
                    .to_owned(),
            )
            .await?;
    }
    for (priority, tier, first_response, resolution) in DEFAULT_POLICIES {
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(SlaPolicy::Table)
                    .columns([
                        SlaPolicy::Id,
                        SlaPolicy::ObjectType,
                        SlaPolicy::Priority,
                        SlaPolicy::Tier,
                        SlaPolicy::FirstResponseMinutes,
                        SlaPolicy::ResolutionMinutes,
                    ])
                    .values_panic([
                        Uuid::now_v7().into(),
                        "ticket".into(),
                        priority.into(),
                        tier.into(),
                        first_response.into(),
                        resolution.into(),
                    ])
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}
