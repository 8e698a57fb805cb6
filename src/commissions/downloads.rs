//! A statement as a file: PDF to read (summary and every line with its explanation, grouped by
//! order) and CSV or XLSX to reconcile (one row per line, amounts as numbers with their
//! currency). Every download is audited.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use uuid::Uuid;

use super::store::{self, CommissionLine, Settlement, StatementStatus};
use crate::AppState;
use crate::audit::{self, Entry};
use crate::orders::model::money;
use crate::orders::store as orders;
use crate::orgs::store as orgs;
use crate::platform::error::{AppError, AppResult};
use crate::platform::export::{self, Cell, ExportFormat, Sheet};
use crate::platform::money::{Currency, Money};
use crate::platform::pdf::{Align, Column, Document};
use crate::platform::scope::Scope;
use crate::platform::time::format_day;

/// A line with its order number, as both formats list it.
struct Row<'a> {
    order: String,
    line: &'a CommissionLine,
}

fn sheet(statement: &Settlement, rows: &[Row<'_>], currency: Currency) -> Sheet {
    Sheet {
        name: "Statement",
        headings: vec![
            "Statement",
            "Order",
            "Kind",
            "Explanation",
            "Reason",
            "Earned on",
            "Base",
            "Commission",
            "Currency",
        ],
        rows: rows
            .iter()
            .map(|row| {
                vec![
                    Cell::Text(statement.number.clone()),
                    Cell::Text(row.order.clone()),
                    Cell::Text(row.line.kind.clone()),
                    Cell::Text(row.line.explanation.clone()),
                    Cell::Text(row.line.reason.clone().unwrap_or_default()),
                    Cell::Text(row.line.earned_on.to_string()),
                    Cell::Amount(Money::new(row.line.base_minor, currency)),
                    Cell::Amount(Money::new(row.line.amount_minor, currency)),
                    Cell::Text(currency.code().to_owned()),
                ]
            })
            .collect(),
    }
}

fn pdf(statement: &Settlement, partner: &str, plan: &str, rows: &[Row<'_>]) -> Vec<u8> {
    let currency = &statement.currency;
    let status = StatementStatus::parse(&statement.status).map_or("", StatementStatus::label);
    let period = store::period_of(statement).label();
    let mut document = Document::new(&format!("Commission statement {}", statement.number));
    document.heading(&format!("Commission statement {}", statement.number));
    document.facts(&[
        ("Partner", partner.to_owned()),
        ("Plan", plan.to_owned()),
        ("Period", period),
        ("Status", status.to_owned()),
        ("Opening balance", money(statement.opening_minor, currency)),
        ("Lines", money(statement.lines_minor, currency)),
        ("Total", money(statement.total_minor, currency)),
        ("Payout", money(statement.payout_minor, currency)),
        ("Payout expected", format_day(statement.expected_payout_on)),
        (
            "Approved by",
            statement
                .approved_label
                .clone()
                .unwrap_or_else(|| "not yet".to_owned()),
        ),
        (
            "Paid",
            match (&statement.paid_on, &statement.payout_reference) {
                (Some(on), Some(reference)) => {
                    format!("{} · reference {reference}", format_day(*on))
                }
                _ => "not yet".to_owned(),
            },
        ),
    ]);
    document.heading("Lines");
    let columns = [
        Column {
            heading: "Order",
            width_pt: 70.0,
            align: Align::Left,
        },
        Column {
            heading: "How it was calculated",
            width_pt: 250.0,
            align: Align::Left,
        },
        Column {
            heading: "Earned",
            width_pt: 65.0,
            align: Align::Left,
        },
        Column {
            heading: "Commission",
            width_pt: 110.0,
            align: Align::Right,
        },
    ];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            vec![
                row.order.clone(),
                match &row.line.reason {
                    Some(reason) if !row.line.explanation.contains(reason.as_str()) => {
                        format!("{} (why: {reason})", row.line.explanation)
                    }
                    _ => row.line.explanation.clone(),
                },
                format_day(row.line.earned_on),
                money(row.line.amount_minor, currency),
            ]
        })
        .collect();
    document.table(&columns, &cells);
    document.paragraph(&format!(
        "Total of the lines: {}. Each line is rounded once, half to even; the total is their exact sum.",
        money(statement.lines_minor, currency)
    ));
    document.finish()
}

/// `GET /commissions/statements/{id}/download/{format}`: pdf, csv or xlsx.
pub async fn download(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path((id, format)): Path<(String, String)>,
) -> AppResult<Response> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let statement = store::find_statement(&state.db, &scope, id).await?;
    let format = format.to_ascii_lowercase();
    if !matches!(format.as_str(), "pdf" | "csv" | "xlsx") {
        return Err(AppError::NotFound);
    }
    let currency = Currency::parse(&statement.currency).map_err(anyhow::Error::from)?;
    let lines = store::statement_lines(&state.db, &statement).await?;
    let order_ids: Vec<Uuid> = lines.iter().filter_map(|l| l.order_id).collect();
    let numbers = orders::numbers_of(&state.db, statement.partner_id, &order_ids).await?;
    let mut rows: Vec<Row<'_>> = lines
        .iter()
        .map(|line| Row {
            order: line
                .order_id
                .and_then(|id| numbers.get(&id).cloned())
                .unwrap_or_else(|| "adjustment".to_owned()),
            line,
        })
        .collect();
    rows.sort_by(|a, b| (&a.order, a.line.earned_on).cmp(&(&b.order, b.line.earned_on)));
    audit::record_alone(
        &state.db,
        Entry::by(&scope, &client, "commission.statement_downloaded")
            .on("commission_statement", &statement.number)
            .with(json!({ "format": format })),
    )
    .await?;
    let file_stem = format!("statement-{}", statement.number);
    match ExportFormat::parse(&format) {
        Some(table) => export::download(&sheet(&statement, &rows, currency), table, &file_stem),
        None => {
            let partner = orgs::names_of(&state.db, &[statement.partner_id])
                .await?
                .remove(&statement.partner_id)
                .unwrap_or_default();
            let plan = store::find_plan(&state.db, statement.plan_id).await?;
            let bytes = pdf(&statement, &partner, &plan.row.name, &rows);
            Ok((
                [
                    (header::CONTENT_TYPE, "application/pdf".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{file_stem}.pdf\""),
                    ),
                    (header::CACHE_CONTROL, "private, no-store".to_owned()),
                ],
                bytes,
            )
                .into_response())
        }
    }
}
