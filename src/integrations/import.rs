//! `/integrations/import`: the ERP sync's records from a CSV or XLSX file, for operations staff
//! whose ERP exports files instead of calling the API. One row per order line; the order's own
//! columns repeat on each of its rows. The rows become the same records the API takes, and go
//! through the same checks, conflict rules and per-record results.
//!
//! Rules: a faulty file (a missing column, a number that is not one, an order whose rows
//! disagree) is refused whole, naming the row; otherwise the person chooses whether valid orders
//! are applied when others are invalid, or none are. Importing the same file again changes
//! nothing.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::Response;
use time::{Date, Duration, Month};

use super::sync::{self, Apply, SyncReport};
use crate::AppState;
use crate::orders::sync::{SyncLineInput, SyncOrderInput};
use crate::platform::error::AppResult;
use crate::platform::files::{self, UploadedFile};
use crate::platform::scope::{Permission, Scope};
use crate::platform::web::{Chrome, PageContext, render};

/// The columns, in the order the template file has them. `partner` (a partner's exact name) may
/// stand in for `partner_id`.
pub const COLUMNS: [&str; 14] = [
    "external_reference",
    "partner_id",
    "customer_name",
    "partner_reference",
    "currency",
    "status",
    "payment_status",
    "ordered_at",
    "promised_date",
    "deal_type",
    "sku",
    "quantity",
    "unit_price_minor",
    "discount_bp",
];
const REQUIRED: [&str; 8] = [
    "external_reference",
    "customer_name",
    "currency",
    "status",
    "sku",
    "quantity",
    "unit_price_minor",
    "discount_bp",
];
/// Most rows in one file.
const MAX_ROWS: usize = 20_000;

/// A row by column name; `line` is its line in the file (the header is line 1).
struct Row {
    line: usize,
    cells: BTreeMap<String, String>,
}

impl Row {
    fn get(&self, column: &str) -> &str {
        self.cells.get(column).map_or("", |v| v.trim())
    }

    fn optional(&self, column: &str) -> Option<String> {
        Some(self.get(column).to_owned()).filter(|v| !v.is_empty())
    }
}

/// The rows of a CSV or XLSX file, by their header.
fn read_rows(file: &UploadedFile) -> Result<Vec<Row>, String> {
    let name = file.name.to_lowercase();
    let table: Vec<Vec<String>> = if name.ends_with(".xlsx") {
        read_xlsx(&file.bytes)?
    } else if name.ends_with(".csv") {
        read_csv(&file.bytes)?
    } else {
        return Err("Choose a .csv or .xlsx file.".to_owned());
    };
    let mut lines = table.into_iter();
    let header: Vec<String> = lines
        .next()
        .ok_or("The file is empty.")?
        .into_iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| !header.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "The first row must name the columns; missing: {}.",
            missing.join(", ")
        ));
    }
    if !header.iter().any(|h| h == "partner_id" || h == "partner") {
        return Err("The first row must name a partner_id or a partner column.".to_owned());
    }
    let rows: Vec<Row> = lines
        .enumerate()
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
        .map(|(index, cells)| Row {
            line: index + 2,
            cells: header.iter().cloned().zip(cells).collect(),
        })
        .collect();
    if rows.is_empty() {
        return Err("The file has a header but no rows.".to_owned());
    }
    if rows.len() > MAX_ROWS {
        return Err(format!(
            "The file has {} rows; at most {MAX_ROWS} at once.",
            rows.len()
        ));
    }
    Ok(rows)
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    reader
        .records()
        .enumerate()
        .map(|(index, record)| {
            record
                .map(|r| r.iter().map(str::to_owned).collect())
                .map_err(|e| format!("Line {} of the CSV file cannot be read: {e}", index + 1))
        })
        .collect()
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    use calamine::{Data, Reader, Xlsx};
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|_| "The file is not a readable XLSX workbook.".to_owned())?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or("The workbook has no sheet.")?
        .map_err(|_| "The first sheet cannot be read.".to_owned())?;
    Ok(range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Empty => String::new(),
                    Data::String(text) => text.clone(),
                    Data::Int(n) => n.to_string(),
                    Data::Float(f) if f.fract() == 0.0 && f.abs() < 9e15 => {
                        format!("{}", *f as i64)
                    }
                    Data::Float(f) => f.to_string(),
                    Data::Bool(b) => b.to_string(),
                    Data::DateTime(at) => excel_moment(at.as_f64()),
                    Data::DateTimeIso(text) | Data::DurationIso(text) => text.clone(),
                    Data::Error(e) => format!("#{e:?}"),
                })
                .collect()
        })
        .collect())
}

/// An Excel serial date (days since 1899-12-30) as `YYYY-MM-DD`, or RFC 3339 when it has a time.
fn excel_moment(serial: f64) -> String {
    let epoch = Date::from_calendar_date(1899, Month::December, 30).expect("a valid date");
    let days = serial.floor();
    let Some(day) = epoch.checked_add(Duration::days(days as i64)) else {
        return serial.to_string();
    };
    let seconds = ((serial - days) * 86_400.0).round() as i64;
    if seconds == 0 {
        return day.to_string();
    }
    let at = day.midnight().assume_utc() + Duration::seconds(seconds);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| day.to_string())
}

/// Rows grouped into orders by `external_reference`, in first-seen order; every fault names its
/// line.
fn orders_of(
    rows: &[Row],
    partners: &BTreeMap<String, uuid::Uuid>,
) -> Result<Vec<SyncOrderInput>, Vec<String>> {
    let mut problems = Vec::new();
    let mut orders: Vec<SyncOrderInput> = Vec::new();
    let mut first_line: BTreeMap<String, usize> = BTreeMap::new();
    for row in rows {
        let number = |column: &str, problems: &mut Vec<String>| -> Option<i64> {
            let text = row.get(column);
            let parsed = if text.is_empty() && column == "discount_bp" {
                Some(0)
            } else {
                text.parse::<i64>().ok()
            };
            if parsed.is_none() {
                problems.push(format!(
                    "Line {}: {column} \"{text}\" is not a whole number.",
                    row.line
                ));
            }
            parsed
        };
        let quantity = number("quantity", &mut problems);
        let price = number("unit_price_minor", &mut problems);
        let discount = number("discount_bp", &mut problems);
        let partner_id = match (row.optional("partner_id"), row.optional("partner")) {
            (Some(id), _) => uuid::Uuid::parse_str(&id).ok().or_else(|| {
                problems.push(format!(
                    "Line {}: partner_id \"{id}\" is not an id.",
                    row.line
                ));
                None
            }),
            (None, Some(name)) => partners.get(&name.to_lowercase()).copied().or_else(|| {
                problems.push(format!(
                    "Line {}: no partner you may approve orders for is named \"{name}\".",
                    row.line
                ));
                None
            }),
            (None, None) => {
                problems.push(format!(
                    "Line {}: give a partner_id or a partner name.",
                    row.line
                ));
                None
            }
        };
        let (Some(quantity), Some(price), Some(discount), Some(partner_id)) =
            (quantity, price, discount, partner_id)
        else {
            continue;
        };
        let line = SyncLineInput {
            sku: row.get("sku").to_owned(),
            quantity: i32::try_from(quantity).unwrap_or(i32::MAX),
            unit_price_minor: price,
            discount_bp: i32::try_from(discount).unwrap_or(i32::MAX),
        };
        let reference = row.get("external_reference").to_owned();
        let order = SyncOrderInput {
            external_reference: reference.clone(),
            partner_id,
            customer_name: row.get("customer_name").to_owned(),
            partner_reference: row.optional("partner_reference"),
            currency: row.get("currency").to_owned(),
            status: row.get("status").to_owned(),
            payment_status: row.optional("payment_status"),
            ordered_at: row.optional("ordered_at"),
            promised_date: row.optional("promised_date"),
            deal_type: row.optional("deal_type"),
            lines: Vec::new(),
        };
        match orders
            .iter_mut()
            .find(|o| o.external_reference == reference)
        {
            Some(existing) => {
                let mut header = existing.clone();
                header.lines = Vec::new();
                if serde_json::to_value(&header).ok() != serde_json::to_value(&order).ok() {
                    problems.push(format!(
                        "Line {}: order {reference} has other order details here than on line {}; each order's columns must repeat alike.",
                        row.line,
                        first_line.get(&reference).copied().unwrap_or_default()
                    ));
                }
                existing.lines.push(line);
            }
            None => {
                first_line.insert(reference, row.line);
                let mut order = order;
                order.lines.push(line);
                orders.push(order);
            }
        }
    }
    if problems.is_empty() {
        Ok(orders)
    } else {
        Err(problems)
    }
}

#[derive(Template)]
#[template(path = "integrations/import.html")]
struct ImportPage {
    chrome: Chrome,
    columns: &'static [&'static str],
    problems: Vec<String>,
    report: Option<SyncReport>,
    /// Rows of the report whose order exists: (reference, outcome, order id, number, detail).
    all_or_nothing: bool,
}

fn page(
    state: &AppState,
    context: &PageContext,
    problems: Vec<String>,
    report: Option<SyncReport>,
    all_or_nothing: bool,
) -> AppResult<Response> {
    render(&ImportPage {
        chrome: Chrome::new(&state.instance, context),
        columns: &COLUMNS,
        problems,
        report,
        all_or_nothing,
    })
}

/// `GET /integrations/import`.
pub async fn form(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
) -> AppResult<Response> {
    scope.require(Permission::OrdersApprove)?;
    page(&state, &context, Vec::new(), None, true)
}

/// `POST /integrations/import`: a multipart form with the file, the source key and the choice.
pub async fn upload(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    request: Request,
) -> AppResult<Response> {
    scope.require(Permission::OrdersApprove)?;
    let upload = match files::read_upload(request, state.files.max_bytes()).await {
        Ok(upload) => upload,
        Err(problem) => return page(&state, &context, vec![problem], None, true),
    };
    let all_or_nothing = upload.field("apply") != "each";
    let Some(file) = upload.file() else {
        return page(
            &state,
            &context,
            vec!["Choose a file to import.".to_owned()],
            None,
            all_or_nothing,
        );
    };
    let rows = match read_rows(file) {
        Ok(rows) => rows,
        Err(problem) => return page(&state, &context, vec![problem], None, all_or_nothing),
    };
    let partners: BTreeMap<String, uuid::Uuid> =
        crate::orgs::store::partner_names(&state.db, &scope)
            .await?
            .into_iter()
            .map(|(id, name)| (name.to_lowercase(), id))
            .collect();
    let orders = match orders_of(&rows, &partners) {
        Ok(orders) => orders,
        Err(problems) => return page(&state, &context, problems, None, all_or_nothing),
    };
    let key = match upload.field("source").trim() {
        "" => "erp".to_owned(),
        key => key.to_lowercase(),
    };
    if !sync::valid_key(&key) {
        return page(
            &state,
            &context,
            vec!["Source: 1 to 40 letters, digits, - or _ (and not \"portal\").".to_owned()],
            None,
            all_or_nothing,
        );
    }
    let apply = if all_or_nothing {
        Apply::AllOrNothing
    } else {
        Apply::EachValid
    };
    let report = sync::receive(&state, &scope, &client, &key, &orders, apply).await?;
    page(&state, &context, Vec::new(), Some(report), all_or_nothing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> UploadedFile {
        UploadedFile {
            name: name.into(),
            content_type: "text/csv".into(),
            bytes: bytes::Bytes::from(text.to_owned()),
        }
    }

    #[test]
    fn rows_of_one_order_become_its_lines_and_faults_name_their_line() {
        let partner = uuid::Uuid::now_v7();
        let partners = BTreeMap::from([("brightline distribution".to_owned(), partner)]);
        let csv = "external_reference,partner,customer_name,currency,status,sku,quantity,unit_price_minor,discount_bp\n\
                   SAP-1,Brightline Distribution,Kiel,EUR,confirmed,NW-SW-1000,2,1000,\n\
                   SAP-1,Brightline Distribution,Kiel,EUR,confirmed,NW-SW-1010,1,500,250\n\
                   SAP-2,Brightline Distribution,Bremen,EUR,shipped,NW-SW-1000,1,1000,0\n";
        let rows = read_rows(&file("feed.csv", csv)).unwrap();
        let orders = orders_of(&rows, &partners).unwrap();
        assert_eq!(orders.len(), 2);
        assert_eq!(orders[0].lines.len(), 2);
        assert_eq!(orders[0].lines[1].discount_bp, 250);
        assert_eq!(orders[0].partner_id, partner);

        let bad = "external_reference,partner,customer_name,currency,status,sku,quantity,unit_price_minor,discount_bp\n\
                   SAP-1,Brightline Distribution,Kiel,EUR,confirmed,NW-SW-1000,two,1000,0\n\
                   SAP-1,Brightline Distribution,Kiel,USD,confirmed,NW-SW-1000,1,1000,0\n\
                   SAP-1,Brightline Distribution,Kiel,EUR,confirmed,NW-SW-1000,1,1000,0\n\
                   SAP-3,Nobody GmbH,Kiel,EUR,confirmed,NW-SW-1000,1,1000,0\n";
        let problems = orders_of(&read_rows(&file("feed.csv", bad)).unwrap(), &partners)
            .err()
            .unwrap();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("Line 2: quantity \"two\""));
        assert!(
            problems[1]
                .starts_with("Line 4: order SAP-1 has other order details here than on line 3")
        );
        assert!(problems[2].starts_with("Line 5: no partner"));
        let missing = read_rows(&file("feed.csv", "external_reference,sku\nX,Y\n"));
        assert!(
            missing
                .err()
                .unwrap()
                .contains("missing: customer_name, currency, status")
        );
        assert!(read_rows(&file("feed.txt", "x")).is_err());
    }

    #[test]
    fn excel_serial_dates_read_as_days_and_moments() {
        assert_eq!(excel_moment(46_346.0), "2026-11-20");
        assert_eq!(excel_moment(46_346.5), "2026-11-20T12:00:00Z");
    }
}
