//! Commissions: plans, their rules and every version of a rule, the lines accrual writes (never
//! edited afterwards), statements per partner and period, each statement's timeline, and
//! partners' disputes of lines. Orders gain their deal type, a rule condition.

use sea_orm_migration::{prelude::*, schema::*};

use super::m0009_orders::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SalesOrder {
    Table,
    DealType,
}

#[derive(DeriveIden)]
enum CommissionPlan {
    Table,
    Id,
    Name,
    Description,
    Currency,
    Period,
    PayoutDays,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CommissionRule {
    Table,
    Id,
    PlanId,
    Name,
    Precedence,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CommissionRuleVersion {
    Table,
    Id,
    RuleId,
    PlanId,
    Version,
    EffectiveFrom,
    EffectiveTo,
    PartnerType,
    Tier,
    ProductLine,
    Sku,
    DealType,
    QualifyingStatus,
    RateBp,
    PerUnitMinor,
    BandMode,
    Bands,
    CapMinor,
    Note,
    CreatedBy,
    CreatedLabel,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CommissionStatement {
    Table,
    Id,
    Number,
    PartnerId,
    PlanId,
    PeriodStart,
    PeriodEnd,
    Revision,
    Currency,
    OpeningMinor,
    LinesMinor,
    TotalMinor,
    PaidBeforeMinor,
    PayoutMinor,
    Status,
    ExpectedPayoutOn,
    PreparedBy,
    PreparedLabel,
    ApprovedBy,
    ApprovedLabel,
    ApprovedAt,
    PaidOn,
    PayoutReference,
    SupersedesId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CommissionLine {
    Table,
    Id,
    PartnerId,
    PlanId,
    Kind,
    OrderId,
    OrderLineId,
    RuleVersionId,
    BaseMinor,
    RateBp,
    AmountMinor,
    Currency,
    EarnedOn,
    CalculatedAt,
    Explanation,
    Reason,
    AuthorUserId,
    AuthorLabel,
    StatementId,
}

#[derive(DeriveIden)]
enum CommissionEvent {
    Table,
    Id,
    StatementId,
    PartnerId,
    At,
    ActorUserId,
    ActorLabel,
    Kind,
    FromValue,
    ToValue,
    Reason,
}

#[derive(DeriveIden)]
enum CommissionDispute {
    Table,
    Id,
    LineId,
    PartnerId,
    Status,
    OpenedBy,
    OpenedLabel,
    OpenedAt,
    ResolvedBy,
    ResolvedLabel,
    ResolvedAt,
    Resolution,
    AdjustmentLineId,
}

#[derive(DeriveIden)]
enum OrderEvent {
    Table,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SalesOrder::Table)
                    .add_column(string(SalesOrder::DealType).default("resale"))
                    .to_owned(),
            )
            .await?;
        // Accrual finds the orders that reached a qualifying status (or were cancelled or
        // returned) within a period from this index alone.
        manager
            .create_index(index(
                "order_event_kind_at",
                OrderEvent::Table,
                &["kind", "to_value", "at", "order_id"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CommissionPlan::Table)
                    .col(pk_uuid(CommissionPlan::Id))
                    .col(string(CommissionPlan::Name))
                    .col(text(CommissionPlan::Description))
                    .col(string(CommissionPlan::Currency))
                    .col(string(CommissionPlan::Period))
                    .col(integer(CommissionPlan::PayoutDays))
                    .col(timestamp_with_time_zone(CommissionPlan::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CommissionRule::Table)
                    .col(pk_uuid(CommissionRule::Id))
                    .col(uuid(CommissionRule::PlanId))
                    .col(string(CommissionRule::Name))
                    .col(integer(CommissionRule::Precedence))
                    .col(timestamp_with_time_zone(CommissionRule::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CommissionRule::Table, CommissionRule::PlanId)
                            .to(CommissionPlan::Table, CommissionPlan::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Two rules of one plan never share a precedence: which one applies is never ambiguous.
        manager
            .create_index(
                index(
                    "commission_rule_precedence",
                    CommissionRule::Table,
                    &["plan_id", "precedence"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CommissionRuleVersion::Table)
                    .col(pk_uuid(CommissionRuleVersion::Id))
                    .col(uuid(CommissionRuleVersion::RuleId))
                    .col(uuid(CommissionRuleVersion::PlanId))
                    .col(integer(CommissionRuleVersion::Version))
                    .col(date(CommissionRuleVersion::EffectiveFrom))
                    .col(date_null(CommissionRuleVersion::EffectiveTo))
                    .col(string_null(CommissionRuleVersion::PartnerType))
                    .col(string_null(CommissionRuleVersion::Tier))
                    .col(string_null(CommissionRuleVersion::ProductLine))
                    .col(string_null(CommissionRuleVersion::Sku))
                    .col(string_null(CommissionRuleVersion::DealType))
                    .col(string(CommissionRuleVersion::QualifyingStatus))
                    .col(integer_null(CommissionRuleVersion::RateBp))
                    .col(big_integer_null(CommissionRuleVersion::PerUnitMinor))
                    .col(string_null(CommissionRuleVersion::BandMode))
                    .col(text_null(CommissionRuleVersion::Bands))
                    .col(big_integer_null(CommissionRuleVersion::CapMinor))
                    .col(text(CommissionRuleVersion::Note))
                    .col(uuid_null(CommissionRuleVersion::CreatedBy))
                    .col(string(CommissionRuleVersion::CreatedLabel))
                    .col(timestamp_with_time_zone(CommissionRuleVersion::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CommissionRuleVersion::Table, CommissionRuleVersion::RuleId)
                            .to(CommissionRule::Table, CommissionRule::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "commission_rule_version_number",
                    CommissionRuleVersion::Table,
                    &["rule_id", "version"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CommissionStatement::Table)
                    .col(pk_uuid(CommissionStatement::Id))
                    .col(string(CommissionStatement::Number))
                    .col(uuid(CommissionStatement::PartnerId))
                    .col(uuid(CommissionStatement::PlanId))
                    .col(date(CommissionStatement::PeriodStart))
                    .col(date(CommissionStatement::PeriodEnd))
                    .col(integer(CommissionStatement::Revision))
                    .col(string(CommissionStatement::Currency))
                    .col(big_integer(CommissionStatement::OpeningMinor))
                    .col(big_integer(CommissionStatement::LinesMinor))
                    .col(big_integer(CommissionStatement::TotalMinor))
                    .col(big_integer(CommissionStatement::PaidBeforeMinor))
                    .col(big_integer(CommissionStatement::PayoutMinor))
                    .col(string(CommissionStatement::Status))
                    .col(date(CommissionStatement::ExpectedPayoutOn))
                    .col(uuid_null(CommissionStatement::PreparedBy))
                    .col(string(CommissionStatement::PreparedLabel))
                    .col(uuid_null(CommissionStatement::ApprovedBy))
                    .col(string_null(CommissionStatement::ApprovedLabel))
                    .col(timestamp_with_time_zone_null(
                        CommissionStatement::ApprovedAt,
                    ))
                    .col(date_null(CommissionStatement::PaidOn))
                    .col(string_null(CommissionStatement::PayoutReference))
                    .col(uuid_null(CommissionStatement::SupersedesId))
                    .col(timestamp_with_time_zone(CommissionStatement::CreatedAt))
                    .col(timestamp_with_time_zone(CommissionStatement::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CommissionStatement::Table, CommissionStatement::PlanId)
                            .to(CommissionPlan::Table, CommissionPlan::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // One statement per partner, plan and period; a correction is the next revision.
        manager
            .create_index(
                index(
                    "commission_statement_period",
                    CommissionStatement::Table,
                    &["partner_id", "plan_id", "period_start", "revision"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "commission_statement_number",
                    CommissionStatement::Table,
                    &["number"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CommissionLine::Table)
                    .col(pk_uuid(CommissionLine::Id))
                    .col(uuid(CommissionLine::PartnerId))
                    .col(uuid(CommissionLine::PlanId))
                    .col(string(CommissionLine::Kind))
                    .col(uuid_null(CommissionLine::OrderId))
                    .col(uuid_null(CommissionLine::OrderLineId))
                    .col(uuid_null(CommissionLine::RuleVersionId))
                    .col(big_integer(CommissionLine::BaseMinor))
                    .col(integer_null(CommissionLine::RateBp))
                    .col(big_integer(CommissionLine::AmountMinor))
                    .col(string(CommissionLine::Currency))
                    .col(date(CommissionLine::EarnedOn))
                    .col(timestamp_with_time_zone(CommissionLine::CalculatedAt))
                    .col(text(CommissionLine::Explanation))
                    .col(text_null(CommissionLine::Reason))
                    .col(uuid_null(CommissionLine::AuthorUserId))
                    .col(string(CommissionLine::AuthorLabel))
                    .col(uuid_null(CommissionLine::StatementId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CommissionLine::Table, CommissionLine::PlanId)
                            .to(CommissionPlan::Table, CommissionPlan::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "commission_line_statement",
                CommissionLine::Table,
                &["partner_id", "statement_id", "earned_on"],
            ))
            .await?;
        // Statements sweep up each partner's lines of a plan not yet on any statement.
        manager
            .create_index(index(
                "commission_line_unsettled",
                CommissionLine::Table,
                &["plan_id", "partner_id", "statement_id", "earned_on"],
            ))
            .await?;
        manager
            .create_index(index(
                "commission_line_source",
                CommissionLine::Table,
                &["order_line_id", "plan_id"],
            ))
            .await?;
        // Accrual finds the lines earned in a period.
        manager
            .create_index(index(
                "commission_line_earned",
                CommissionLine::Table,
                &["plan_id", "earned_on"],
            ))
            .await?;
        manager
            .create_index(index(
                "commission_line_order",
                CommissionLine::Table,
                &["order_id"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CommissionEvent::Table)
                    .col(pk_uuid(CommissionEvent::Id))
                    .col(uuid(CommissionEvent::StatementId))
                    .col(uuid(CommissionEvent::PartnerId))
                    .col(timestamp_with_time_zone(CommissionEvent::At))
                    .col(uuid_null(CommissionEvent::ActorUserId))
                    .col(string(CommissionEvent::ActorLabel))
                    .col(string(CommissionEvent::Kind))
                    .col(text_null(CommissionEvent::FromValue))
                    .col(text_null(CommissionEvent::ToValue))
                    .col(text_null(CommissionEvent::Reason))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CommissionEvent::Table, CommissionEvent::StatementId)
                            .to(CommissionStatement::Table, CommissionStatement::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "commission_event_statement",
                CommissionEvent::Table,
                &["partner_id", "statement_id", "at"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CommissionDispute::Table)
                    .col(pk_uuid(CommissionDispute::Id))
                    .col(uuid(CommissionDispute::LineId))
                    .col(uuid(CommissionDispute::PartnerId))
                    .col(string(CommissionDispute::Status))
                    .col(uuid_null(CommissionDispute::OpenedBy))
                    .col(string(CommissionDispute::OpenedLabel))
                    .col(timestamp_with_time_zone(CommissionDispute::OpenedAt))
                    .col(uuid_null(CommissionDispute::ResolvedBy))
                    .col(string_null(CommissionDispute::ResolvedLabel))
                    .col(timestamp_with_time_zone_null(CommissionDispute::ResolvedAt))
                    .col(text_null(CommissionDispute::Resolution))
                    .col(uuid_null(CommissionDispute::AdjustmentLineId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CommissionDispute::Table, CommissionDispute::LineId)
                            .to(CommissionLine::Table, CommissionLine::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "commission_dispute_line",
                CommissionDispute::Table,
                &["partner_id", "line_id"],
            ))
            .await?;
        // Finance's queue: open disputes, oldest first.
        manager
            .create_index(index(
                "commission_dispute_queue",
                CommissionDispute::Table,
                &["status", "opened_at"],
            ))
            .await
    }
}
