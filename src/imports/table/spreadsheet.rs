//! Workbooks (XLSX, XLS, XLSB, ODS) read with calamine, every cell rendered as the text a
//! French agent sees in Excel, in a form the value parsers understand.

use std::io::{Read, Seek, SeekFrom};

use calamine::{
    Data, ExcelDateTime, Ods, Range, Reader, SheetType, SheetVisible, Xls, Xlsb, Xlsx,
    open_workbook_from_rs,
};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};

use super::{FileFormat, Row, SheetChoice, TableError};

/// The rows of the chosen sheet of a workbook that calamine reads cell by cell (XLSX, XLSB:
/// two reader types with the same methods and no common trait), through [`sparse_rows`].
macro_rules! cells_of {
    ($book:expr, $sheet:expr) => {{
        let name = sheet_name(&$book, $sheet)?;
        let mut cells = $book
            .worksheet_cells_reader(&name)
            .map_err(|error| TableError::Spreadsheet(error.to_string()))?;
        sparse_rows(|| {
            cells
                .next_cell()
                .map(|cell| {
                    cell.map(|cell| (cell.get_position(), Data::from(cell.get_value().clone())))
                })
                .map_err(|error| TableError::Spreadsheet(error.to_string()))
        })?
    }};
}

/// Reads the chosen sheet of an XLS workbook (an OLE compound file) or of a zipped one
/// (XLSX, ODS, XLSB, tried in the order agents use them).
pub(super) fn read<R: Read + Seek>(
    mut reader: R,
    compound_file: bool,
    sheet: &SheetChoice,
) -> Result<(FileFormat, Vec<Row>), TableError> {
    if compound_file {
        super::workbook_guard::check_xls(&mut reader)?;
        let mut book = open_workbook_from_rs::<Xls<_>, _>(&mut reader)
            .map_err(|error| TableError::Spreadsheet(error.to_string()))?;
        return Ok((FileFormat::Xls, rows_of(&mut book, sheet)?));
    }
    super::workbook_guard::check(&mut reader)?;
    let xlsx_error = match open_workbook_from_rs::<Xlsx<_>, _>(&mut reader) {
        Ok(mut book) => return Ok((FileFormat::Xlsx, cells_of!(book, sheet))),
        Err(error) => error.to_string(),
    };
    reader.seek(SeekFrom::Start(0))?;
    if let Ok(mut book) = open_workbook_from_rs::<Ods<_>, _>(&mut reader) {
        return Ok((FileFormat::Ods, rows_of(&mut book, sheet)?));
    }
    reader.seek(SeekFrom::Start(0))?;
    match open_workbook_from_rs::<Xlsb<_>, _>(&mut reader) {
        Ok(mut book) => Ok((FileFormat::Xlsb, cells_of!(book, sheet))),
        Err(_) => Err(TableError::Spreadsheet(xlsx_error)),
    }
}

/// Columns a sheet may use, as for CSV files.
pub const MAX_SHEET_COLUMNS: u32 = 10_000;

/// Cells a sheet may span once laid out (each row from the sheet's first used column to its
/// last non-empty cell): a 110,000-line template of 50 columns is 5.5 million.
pub const MAX_SHEET_CELLS: usize = 8_000_000;

/// The rows of a sheet read cell by cell, holding only the cells it has: a workbook whose
/// declared or used dimensions are huge (a cell in A1 and another in XFD1048576) is read as
/// two rows, never as a grid of 17 billion cells, and one that really spans more than
/// [`MAX_SHEET_CELLS`] is refused before it is laid out.
fn sparse_rows(
    mut next: impl FnMut() -> Result<Option<((u32, u32), Data)>, TableError>,
) -> Result<Vec<Row>, TableError> {
    let mut by_row: std::collections::BTreeMap<u32, Vec<(u32, String)>> = Default::default();
    let mut first_column = u32::MAX;
    let mut held = 0usize;
    while let Some(((row, column), value)) = next()? {
        if matches!(value, Data::Empty) {
            continue;
        }
        let text = render(&value);
        if text.trim().is_empty() {
            continue;
        }
        if column >= MAX_SHEET_COLUMNS {
            return Err(TableError::TooWide {
                line: u64::from(row) + 1,
                column: u64::from(column) + 1,
            });
        }
        held += 1;
        if held > MAX_SHEET_CELLS {
            return Err(TableError::TooManyCells);
        }
        first_column = first_column.min(column);
        by_row.entry(row).or_default().push((column, text));
    }
    let mut laid_out = 0usize;
    let mut rows = Vec::with_capacity(by_row.len());
    for (row, mut cells) in by_row {
        cells.sort_by_key(|(column, _)| *column);
        let width = cells
            .last()
            .map_or(0, |(column, _)| (column - first_column) as usize + 1);
        laid_out += width;
        if laid_out > MAX_SHEET_CELLS {
            return Err(TableError::TooManyCells);
        }
        let mut line = vec![String::new(); width];
        for (column, text) in cells {
            line[(column - first_column) as usize] = text;
        }
        if let Some(row) = Row::new(u64::from(row) + 1, line) {
            rows.push(row);
        }
    }
    Ok(rows)
}

/// The non-blank rows of one sheet, numbered as Excel numbers them.
fn rows_of<RS, B>(book: &mut B, choice: &SheetChoice) -> Result<Vec<Row>, TableError>
where
    RS: Read + Seek,
    B: Reader<RS>,
    B::Error: std::fmt::Display,
{
    let name = sheet_name(book, choice)?;
    let range = book
        .worksheet_range(&name)
        .map_err(|error| TableError::Spreadsheet(error.to_string()))?;
    Ok(range_rows(&range))
}

/// Resolves the sheet to read: the first visible worksheet, or the one named.
fn sheet_name<RS, B: Reader<RS>>(book: &B, choice: &SheetChoice) -> Result<String, TableError>
where
    RS: Read + Seek,
{
    let sheets = book.sheets_metadata();
    match choice {
        SheetChoice::First => sheets
            .iter()
            .find(|sheet| {
                sheet.visible == SheetVisible::Visible && sheet.typ == SheetType::WorkSheet
            })
            .or_else(|| {
                sheets
                    .iter()
                    .find(|sheet| sheet.typ == SheetType::WorkSheet)
            })
            .map(|sheet| sheet.name.clone())
            .ok_or(TableError::NoSheet),
        SheetChoice::Named(wanted) => {
            let wanted = wanted.trim();
            sheets
                .iter()
                .find(|sheet| sheet.name == wanted)
                .or_else(|| {
                    sheets
                        .iter()
                        .find(|sheet| sheet.name.trim().to_lowercase() == wanted.to_lowercase())
                })
                .map(|sheet| sheet.name.clone())
                .ok_or_else(|| TableError::SheetNotFound {
                    name: wanted.to_owned(),
                    available: sheets
                        .iter()
                        .map(|sheet| sheet.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })
        }
    }
}

fn range_rows(range: &Range<Data>) -> Vec<Row> {
    // calamine trims leading empty rows and columns: its start says where the data begins.
    let (first_row, _) = range.start().unwrap_or((0, 0));
    range
        .rows()
        .enumerate()
        .filter_map(|(index, cells)| {
            let line = u64::from(first_row) + index as u64 + 1;
            Row::new(line, cells.iter().map(render).collect())
        })
        .collect()
}

/// The text of a cell as French Excel displays it; dates as `dd/mm/yyyy`.
fn render(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) => text.clone(),
        Data::Int(number) => number.to_string(),
        Data::Float(number) => render_number(*number),
        Data::Bool(true) => "VRAI".to_owned(),
        Data::Bool(false) => "FAUX".to_owned(),
        Data::DateTime(value) => render_excel_datetime(value),
        Data::DateTimeIso(text) => render_iso_datetime(text),
        Data::DurationIso(text) => text.clone(),
        Data::Error(error) => error.to_string(),
    }
}

/// Whole numbers in full (a SIRET or a NIR typed as a number must keep every digit, not
/// Excel's `1,2E+13`), fractions with a decimal comma.
fn render_number(number: f64) -> String {
    if !number.is_finite() {
        return "#NUM!".to_owned();
    }
    // Integers below 2^53 are exact in an f64; 15 digits (a NIR) fit.
    if number.fract() == 0.0 && number.abs() < 1e15 {
        return format!("{}", number as i64);
    }
    number.to_string().replace('.', ",")
}

fn render_excel_datetime(value: &ExcelDateTime) -> String {
    if value.is_duration() {
        return value.as_duration().map_or_else(
            || render_number(value.as_f64()),
            |duration| {
                let seconds = duration.num_seconds();
                format!(
                    "{}:{:02}:{:02}",
                    seconds / 3600,
                    (seconds % 3600) / 60,
                    seconds % 60
                )
            },
        );
    }
    // A time of day alone is stored as a fraction of a day.
    if (0.0..1.0).contains(&value.as_f64()) {
        return value.as_datetime().map_or_else(
            || render_number(value.as_f64()),
            |dt| render_time(dt.time()),
        );
    }
    value
        .as_datetime()
        .map_or_else(|| render_number(value.as_f64()), render_datetime)
}

fn render_iso_datetime(text: &str) -> String {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return date.format("%d/%m/%Y").to_string();
    }
    if let Ok(datetime) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        return render_datetime(datetime);
    }
    text.to_owned()
}

fn render_datetime(datetime: NaiveDateTime) -> String {
    let date = datetime.date().format("%d/%m/%Y");
    if datetime.time() == NaiveTime::MIN {
        date.to_string()
    } else {
        format!("{date} {}", render_time(datetime.time()))
    }
}

fn render_time(time: NaiveTime) -> String {
    // Milliseconds are rounding noise of the f64 serial, not something an agent typed.
    format!(
        "{:02}:{:02}:{:02}",
        time.hour(),
        time.minute(),
        time.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{CellErrorType, ExcelDateTimeType};

    fn datetime(value: f64) -> Data {
        Data::DateTime(ExcelDateTime::new(
            value,
            ExcelDateTimeType::DateTime,
            false,
        ))
    }

    #[test]
    fn cells_render_as_excel_shows_them() {
        assert_eq!(render(&Data::Empty), "");
        assert_eq!(render(&Data::String(" Dupont ".into())), " Dupont ");
        assert_eq!(render(&Data::Int(75001)), "75001");
        assert_eq!(render(&Data::Float(12_345_678_901_234.0)), "12345678901234");
        assert_eq!(
            render(&Data::Float(282_025_110_803_027.0)),
            "282025110803027"
        );
        assert_eq!(render(&Data::Float(12.5)), "12,5");
        assert_eq!(render(&Data::Float(f64::NAN)), "#NUM!");
        assert_eq!(render(&Data::Bool(true)), "VRAI");
        assert_eq!(render(&Data::Bool(false)), "FAUX");
        assert_eq!(render(&Data::Error(CellErrorType::NA)), "#N/A");
    }

    #[test]
    fn dates_render_as_french_dates() {
        // 32874 is 1990-01-01 in Excel's 1900 system.
        assert_eq!(render(&datetime(32874.0)), "01/01/1990");
        assert_eq!(render(&datetime(32874.5)), "01/01/1990 12:00:00");
        assert_eq!(render(&datetime(0.75)), "18:00:00");
        let in_1904 = Data::DateTime(ExcelDateTime::new(
            32874.0 - 1462.0,
            ExcelDateTimeType::DateTime,
            true,
        ));
        assert_eq!(render(&in_1904), "01/01/1990");
        let duration = Data::DateTime(ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false));
        assert_eq!(render(&duration), "36:00:00");
    }

    #[test]
    fn ods_dates_render_as_french_dates() {
        assert_eq!(
            render(&Data::DateTimeIso("1982-02-01".into())),
            "01/02/1982"
        );
        assert_eq!(
            render(&Data::DateTimeIso("1982-02-01T00:00:00".into())),
            "01/02/1982"
        );
        assert_eq!(
            render(&Data::DateTimeIso("1982-02-01T08:30:00".into())),
            "01/02/1982 08:30:00"
        );
        assert_eq!(render(&Data::DateTimeIso("T10:00".into())), "T10:00");
    }
}
