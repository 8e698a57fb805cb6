//! The one way lists leave Portico: the rows a list page shows, with its filters, as CSV or
//! XLSX. Money goes out as a number with its currency in its own column, so a spreadsheet can
//! add it up.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook};

use super::error::AppError;
use super::money::Money;

/// One cell of an exported row.
pub enum Cell {
    Text(String),
    Integer(i64),
    Amount(Money),
}

/// A list as it is exported: column headings and rows.
pub struct Sheet {
    pub name: &'static str,
    pub headings: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    pub fn parse(extension: &str) -> Option<ExportFormat> {
        match extension {
            "csv" => Some(ExportFormat::Csv),
            "xlsx" => Some(ExportFormat::Xlsx),
            _ => None,
        }
    }
}

fn amount_text(money: Money) -> String {
    let decimals = usize::from(money.currency.decimals());
    let scale = 10_i64.pow(u32::from(money.currency.decimals()));
    let sign = if money.minor < 0 { "-" } else { "" };
    let absolute = money.minor.unsigned_abs();
    if decimals == 0 {
        format!("{sign}{absolute}")
    } else {
        let scale = scale.unsigned_abs();
        format!("{sign}{}.{:0decimals$}", absolute / scale, absolute % scale)
    }
}

/// Text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return first)
/// gets a leading apostrophe, so an exported customer name can never execute.
fn inert(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

fn csv_bytes(sheet: &Sheet) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&sheet.headings)?;
    for row in &sheet.rows {
        writer.write_record(row.iter().map(|cell| match cell {
            Cell::Text(text) => inert(text),
            Cell::Integer(value) => value.to_string(),
            Cell::Amount(money) => amount_text(*money),
        }))?;
    }
    Ok(writer.into_inner()?)
}

fn xlsx_bytes(sheet: &Sheet) -> anyhow::Result<Vec<u8>> {
    let mut workbook = Workbook::new();
    let worksheet = workbook.add_worksheet();
    worksheet.set_name(sheet.name)?;
    let bold = Format::new().set_bold();
    for (column, heading) in sheet.headings.iter().enumerate() {
        worksheet.write_string_with_format(0, u16::try_from(column)?, *heading, &bold)?;
    }
    for (index, row) in sheet.rows.iter().enumerate() {
        let row_number = u32::try_from(index + 1)?;
        for (column, cell) in row.iter().enumerate() {
            let column = u16::try_from(column)?;
            match cell {
                Cell::Text(text) => {
                    worksheet.write_string(row_number, column, text)?;
                }
                Cell::Integer(value) => {
                    // Spreadsheets hold numbers as doubles; counts are far inside their range.
                    #[allow(clippy::cast_precision_loss)]
                    worksheet.write_number(row_number, column, *value as f64)?;
                }
                Cell::Amount(money) => {
                    let decimals = money.currency.decimals();
                    let pattern = if decimals == 0 {
                        "#,##0".to_owned()
                    } else {
                        format!("#,##0.{}", "0".repeat(usize::from(decimals)))
                    };
                    // Display only: the exact amount stays in Portico, in minor units.
                    let value: f64 = amount_text(*money).parse()?;
                    worksheet.write_number_with_format(
                        row_number,
                        column,
                        value,
                        &Format::new().set_num_format(&pattern),
                    )?;
                }
            }
        }
    }
    worksheet.autofit();
    Ok(workbook.save_to_buffer()?)
}

/// The sheet as a download named `file_stem` with the format's extension.
pub fn download(
    sheet: &Sheet,
    format: ExportFormat,
    file_stem: &str,
) -> Result<Response, AppError> {
    let (bytes, content_type, extension) = match format {
        ExportFormat::Csv => (csv_bytes(sheet)?, "text/csv; charset=utf-8", "csv"),
        ExportFormat::Xlsx => (
            xlsx_bytes(sheet)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_stem}.{extension}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::money::Currency;

    #[test]
    fn amounts_keep_their_decimals() {
        let eur = Currency::parse("EUR").unwrap();
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(amount_text(Money::new(123_405, eur)), "1234.05");
        assert_eq!(amount_text(Money::new(-5, eur)), "-0.05");
        assert_eq!(amount_text(Money::new(1_200, jpy)), "1200");
    }

    #[test]
    fn csv_cells_never_become_formulas() {
        let sheet = Sheet {
            name: "Orders",
            headings: vec!["Customer"],
            rows: vec![
                vec![Cell::Text("=HYPERLINK(\"http://evil\")".into())],
                vec![Cell::Text("-2+3".into())],
                vec![Cell::Text("Kiel".into())],
            ],
        };
        let text = String::from_utf8(csv_bytes(&sheet).unwrap()).unwrap();
        assert_eq!(
            text,
            "Customer\n\"'=HYPERLINK(\"\"http://evil\"\")\"\n'-2+3\nKiel\n"
        );
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let sheet = Sheet {
            name: "Orders",
            headings: vec!["Customer", "Lines", "Total"],
            rows: vec![vec![
                Cell::Text("Kiel, \"Nord\"".into()),
                Cell::Integer(3),
                Cell::Amount(Money::new(1_050, Currency::parse("USD").unwrap())),
            ]],
        };
        let text = String::from_utf8(csv_bytes(&sheet).unwrap()).unwrap();
        assert_eq!(
            text,
            "Customer,Lines,Total\n\"Kiel, \"\"Nord\"\"\",3,10.50\n"
        );
        assert!(
            xlsx_bytes(&sheet).unwrap().starts_with(b"PK"),
            "an xlsx is a zip file"
        );
    }
}
